"""The initial read of each workspace folder, in a worker thread, with cancellable $/progress."""

from __future__ import annotations

import asyncio
import gc
import logging
import uuid
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from .ide import completion
from .project import Project, scan

if TYPE_CHECKING:
    from .server import ClmLanguageServer

log = logging.getLogger(__name__)


class Progress:
    """A work-done progress the user can cancel; silent when the client cannot show one.

    ``on_cancel`` runs when the user cancels it (pygls cancels the token's future on
    window/workDoneProgress/cancel): the synthesis stops its model with it. A progress
    without a percentage (``percentage=False``) reports messages only.
    """

    def __init__(self, server: ClmLanguageServer, title: str, *, on_cancel: Any = None, percentage: bool = True) -> None:
        self.server = server
        self.title = title
        self.token: str | None = None
        self._on_cancel = on_cancel
        self._percentage = percentage

    async def begin(self) -> None:
        if not self.server.client.work_done_progress:
            return
        token = f"clm-{uuid.uuid4()}"
        try:
            await self.server.work_done_progress.create_async(token)
        except Exception as exc:  # noqa: BLE001 - a client may refuse; the work goes on without a bar
            log.info("client refused a progress token: %s", exc)
            return
        self.token = token
        future = self.server.work_done_progress.tokens.get(token)
        if future is not None and self._on_cancel is not None:
            on_cancel = self._on_cancel
            future.add_done_callback(lambda f: on_cancel() if f.cancelled() else None)
        pct = 0 if self._percentage else None
        self.server.work_done_progress.begin(token, lsp.WorkDoneProgressBegin(title=self.title, cancellable=True, percentage=pct))

    def say(self, message: str) -> None:
        if self.token is not None:
            self.server.work_done_progress.report(self.token, lsp.WorkDoneProgressReport(message=message))

    def report(self, done: int, total: int) -> None:
        if self.token is not None:
            pct = int(done * 100 / total) if total else 100
            self.server.work_done_progress.report(self.token, lsp.WorkDoneProgressReport(message=f"{done}/{total} files", percentage=pct))

    def cancelled(self) -> bool:
        future = self.server.work_done_progress.tokens.get(self.token) if self.token is not None else None
        return future is not None and future.cancelled()

    def end(self, message: str) -> None:
        if self.token is not None:
            token, self.token = self.token, None
            self.server.work_done_progress.end(token, lsp.WorkDoneProgressEnd(message=message))
            self.server.work_done_progress.tokens.pop(token, None)


async def scan_project(server: ClmLanguageServer, project: Project) -> None:
    """Read the folder, install the snapshot (open buffers win), then check and report everything."""
    assert project.root is not None
    status = server.extensions["status"]
    checker = server.extensions["checker"]
    progress = Progress(server, f"clm: reading {project.root.name}")
    await progress.begin()
    loop = asyncio.get_running_loop()
    status.update(state="scanning")

    def report(done: int, total: int) -> None:
        loop.call_soon_threadsafe(progress.report, done, total)

    try:
        result = await asyncio.to_thread(scan, project.root, report, progress.cancelled)
    except Exception:
        progress.end("failed: see the log")
        raise
    for message in result.settings.messages:
        server.show_once(message)
    project.install(result, server.session.overlay(project, result.settings.format))
    # The parsed workspace is millions of long-lived, acyclic objects: keep the cyclic
    # collector from walking them on every full collection (a 100 ms pause at 1M tokens,
    # seen as p99 spikes). Reference counting still frees them when a file changes.
    gc.freeze()
    n = len(result.blueprints)
    progress.end(f"stopped: {n} files read" if result.cancelled else f"{n} blueprints")
    if result.cancelled:
        server.show_once(f"Reading {project.root} was cancelled: only {n} files are known; links to the others look broken.")
    checker.scanned_event(project).set()
    log.info("read %d blueprints under %s%s", n, project.root, " (cancelled)" if result.cancelled else "")
    # Warmed while the checks run, not after them: hovers come in meanwhile (10,000 files:
    # the checks take tens of seconds, and a hover that built the reverse index held the loop 1 s).
    server.tasks.start(warm_navigation(project.ws), name=f"warm:{project.root}")
    await checker.run(project)
    status.update(state="ready" if all(p.scanned for p in server.session.all_projects()) else "scanning")


async def warm_navigation(ws: Any) -> None:
    """Build the snapshot's reverse link index (incoming links: hover, references) and
    completion's entity index off the event loop. Both are lazy, and building them for
    10,000 files takes a second or more: left to the first hover or completion after the scan
    or after a burst of file events, that request waited for it (tests/reliability/test_rel_load.py).
    Edits patch the first and hand the second on; only scans, bursts and new ids or titles
    rebuild them."""
    await asyncio.to_thread(_warm, ws)
    # What was just built (hundreds of thousands of tuples and strings) lives as long as the
    # snapshot: out of the cyclic collector's sight, as the parsed workspace already is.
    gc.freeze()


def _warm(ws: Any) -> None:
    ws._reverse()  # noqa: SLF001 - pure, idempotent; the snapshot keeps it
    completion.prepare(ws)


async def scan_all(server: ClmLanguageServer) -> None:
    for project in server.session.projects:
        await scan_project(server, project)
    server.extensions["status"].update(state="ready")
