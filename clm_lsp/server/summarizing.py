"""The anchor-summary controller: runs the summary worker in the background, feeds hover.

Set as ``server.extensions["summaries"]``. It is also the hover's summary lookup:
``controller(uri, anchor, content_hash)`` answers from an in-memory cache (never
the disk, never the model) with the stored summary when it is current, or a
"pending" note (hover then shows the extractive summary), and asks the worker
to do that target next.

When a folder's index is ready (IndexController calls :meth:`index_ready`) the
cache is filled from the graph, then a run starts: open documents first, then
the rest. A saved change (:meth:`index_changed`) or an unsaved edit (the
workspace snapshot changes under a run) cancels the run, stale generation
included, and starts a new one once the text has been quiet for a moment: every
unchanged target is a cache hit, so only the edited section's chain is written.
Progress goes to ``$/progress``, counts and throughput to ``clm/status``.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clm_lsp.context.summary_plan import Target, plan
from clm_lsp.context.summary_plan import _entity_targets as entity_targets  # one blueprint's (memoized)
from clm_lsp.context.summary_store import GraphSummaries, SummaryCache

from .ide.hover import StoredSummary
from .scanning import Progress

if TYPE_CHECKING:
    from clm_lsp.blueprint import Workspace

    from .project import Project
    from .server import ClmLanguageServer

log = logging.getLogger(__name__)

QUIET_S = 1.0
"""How long the text must stay unchanged before a run starts again after an edit."""
WATCH_S = 0.25
"""How often a run looks for an unsaved edit (a new snapshot) to stop its stale work."""


class SummaryProgress(Progress):
    def report(self, done: int, total: int) -> None:
        if self.token is not None:
            pct = int(done * 100 / total) if total else 100
            self.server.work_done_progress.report(self.token, _report(f"{done}/{total} summaries", pct))


def _report(message: str, pct: int) -> Any:
    from lsprotocol import types as lsp

    return lsp.WorkDoneProgressReport(message=message, percentage=pct)


class SummaryController:
    def __init__(self, server: ClmLanguageServer) -> None:
        self.server = server
        self.caches: dict[Path, SummaryCache] = {}
        self._plans: dict[Path, tuple[Workspace, dict[str, Target]]] = {}
        self._planning: set[Path] = set()
        self._urgent: list[str] = []
        self._running: set[Path] = set()
        self._cancels: dict[Path, Any] = {}
        """The cancel token of each folder's run in progress: stop() cancels them."""
        self._stopped = False
        self._ran_with: dict[Path, Any] = {}
        """The model settings (ModelConfig) each folder's latest run started with."""
        self.last: dict[str, Any] = {}

    # -- hover -------------------------------------------------------------------------

    def __call__(self, uri: str, anchor: str | None, content_hash: str) -> StoredSummary | None:
        if not self.server.config.summaries.enable:
            return None
        project = self.server.session.project_for(uri)
        cache = self.caches.get(project.root) if project.root is not None else None
        target = self._target(project, uri, anchor)
        if cache is None or target is None:
            return None
        row = cache.current(target)
        if row is not None:
            if row.prompt_version.endswith("/extractive"):
                note = f"Extractive summary: {row.model_id}'s named facts its source does not state (anchor summary; extractive fallback)"
            else:
                note = f"Summary by {row.model_id} (anchor summary)"
            return StoredSummary(row.text, note)
        self._ask_for(project, target.key)
        model = self.server.extensions.get("model")
        if model is not None and model.state == "failed":
            return StoredSummary("", "Extractive summary (anchor summaries unavailable: the model could not be used)")
        return StoredSummary("", "Extractive summary (anchor summary pending)")

    def _target(self, project: Project, uri: str, anchor: str | None) -> Target | None:
        """The hovered target. A section's (L0) and the entity's own (L1) come from its one
        blueprint; a tree target (T, over the children) from the whole workspace's plan,
        which takes a while on a large workspace (~50 ms per 1,000 files cold): it is
        computed off the event loop, and hover uses the latest plan it has (up to a few
        keystrokes old), so a hover never waits for planning (tests/reliability/test_rel_load.py)."""
        if project.root is None:
            return None
        ws = project.ws
        bp = ws.docs.get(uri)
        eid = bp.entity.id if bp is not None else None
        if not eid or bp is None:
            return None
        own = {t.key: t for t in entity_targets(bp)}
        if anchor is not None:
            return own.get(f"L0:{eid}#{anchor}")
        cached = self._plans.get(project.root)
        if (cached is None or cached[0] is not ws) and project.root not in self._planning:
            self._planning.add(project.root)
            self.server.tasks.start(self._replan(project, ws), name=f"summaries:plan:{project.root}")
        tree = cached[1].get(f"T:{eid}") if cached is not None else None
        return tree or own.get(f"L1:{eid}")

    async def _replan(self, project: Project, ws: Workspace) -> None:
        try:
            targets = await asyncio.to_thread(plan, ws)
            self._plans[project.root] = (ws, {t.key: t for t in targets})
        finally:
            self._planning.discard(project.root)

    def _ask_for(self, project: Project, key: str) -> None:
        if key not in self._urgent:
            self._urgent.insert(0, key)
            del self._urgent[16:]
        if project.root not in self._running and self._indexed(project):
            self.schedule(project, 0.0)

    def _take_urgent(self) -> list[str]:
        urgent, self._urgent = self._urgent, []
        return urgent

    # -- events from the index ---------------------------------------------------------

    def index_ready(self, project: Project) -> None:
        if project.root is None or self._stopped:
            return
        self.caches.setdefault(project.root, SummaryCache())
        self.server.tasks.start(self._load_then_run(project), name=f"summaries:load:{project.root}")

    def index_changed(self, project: Project) -> None:
        if project.root in self.caches and not self._stopped:
            self.schedule(project, QUIET_S)

    def schedule(self, project: Project, delay_s: float) -> None:
        """(Re)start the run for ``project`` after ``delay_s``; a running one is cancelled."""
        if self._stopped or project.root is None:
            return
        self.server.tasks.debounce(f"summaries:{project.root}", delay_s, lambda: self._run(project))

    def settings_changed(self) -> None:
        """workspace/didChangeConfiguration. A run in progress sees a new model itself (its
        progress callback compares the settings); a folder whose last run finished, or never
        ran, under other model settings starts one now, so a new model's summaries are written
        without waiting for the next edit."""
        host = self.server.extensions.get("model")
        if self._stopped or host is None or not self.server.config.summaries.enable:
            return
        settings = host.current_config()
        for project in self.server.session.projects:
            if project.root not in self._running and self._indexed(project) and self._ran_with.get(project.root) != settings:
                self.schedule(project, 0.0)

    def stop(self) -> None:
        """Shutdown: no new run starts, and the runs in progress stop now (their generation
        within a token), so nothing waits on the model while the server exits."""
        self._stopped = True
        for cancel in list(self._cancels.values()):
            cancel.cancel()

    # -- the run -----------------------------------------------------------------------

    async def _load_then_run(self, project: Project) -> None:
        assert project.root is not None
        cache = self.caches[project.root]
        graph = GraphSummaries(lambda fn: self.server.extensions["indexing"].on_writer(project, fn))
        try:
            loaded = await graph.load_current(project.ws, cache)
            log.info("summaries: %d current ones loaded from the index of %s", loaded, project.root)
        except Exception:  # noqa: BLE001 - the cache is an optimisation: the worker refills it
            log.exception("could not load the stored summaries of %s", project.root)
        self.schedule(project, 0.0)

    async def _run(self, project: Project) -> None:
        if not self.server.config.summaries.enable or self._stopped:
            self._ran_with.pop(project.root, None)  # turned on again: settings_changed() runs it
            self._report(state="off")
            return
        assert project.root is not None
        host = self.server.extensions["model"]
        model = await host.chat_model()
        if model is None:
            self._report(state="unavailable")
            return
        from clm_lsp.context.summaries import SummaryStats, SummaryWorker
        from clm_lsp.llm import CancelToken

        graph = GraphSummaries(lambda fn: self.server.extensions["indexing"].on_writer(project, fn))
        worker = SummaryWorker(host.generate, model.model_id, graph, self.caches[project.root],
                               count_tokens=model.count_tokens, max_tokens=self.server.config.summaries.max_tokens)
        ws, cancel = project.ws, CancelToken()
        self._cancels[project.root] = cancel
        watcher = self.server.tasks.start(self._watch(project, ws, cancel), name=f"summaries:watch:{project.root}")
        progress = SummaryProgress(self.server, "clm: writing anchor summaries")
        await progress.begin()
        self._running.add(project.root)
        self._report(state="running")

        settings = self._ran_with[project.root] = host.current_config()

        def report(done: int, total: int) -> None:
            progress.report(done, total)
            if progress.cancelled():
                cancel.cancel()
            self._report(state="running", done=done, total=total)
            if not self.server.config.summaries.enable or host.current_config() != settings:
                # Settings changed under the run (no more summaries, another model): this run's
                # model id is stale. Stop; a new run (if any) picks the new model up.
                cancel.cancel()
                self.schedule(project, 0.0)

        stats = SummaryStats()
        try:
            await worker.run(ws, priority=self._open_entities(project), cancel=cancel,
                             urgent=self._take_urgent, progress=report, stats=stats)
        finally:
            # Also when the task is cancelled (a newer run replaces it): say what this one did.
            self._running.discard(project.root)
            if self._cancels.get(project.root) is cancel:
                del self._cancels[project.root]
            watcher.cancel()
            self.last = stats.as_dict()
            state = "unavailable" if stats.unavailable else "idle" if stats.done == stats.planned else "stopped"
            progress.end(f"{stats.done}/{stats.planned} summaries")
            self._report(state=state, done=stats.done, total=stats.planned, **self._counts(stats))
        if state == "stopped" and project.ws is not ws and not self._stopped:
            self.schedule(project, QUIET_S)  # an edit stopped the run: go again once the text settles

    async def _watch(self, project: Project, ws: Workspace, cancel: Any) -> None:
        """Stop the run's stale work as soon as the snapshot changes (an unsaved edit)."""
        while not cancel.cancelled:
            await asyncio.sleep(WATCH_S)
            if project.ws is not ws or self._stopped:
                cancel.cancel()

    def _open_entities(self, project: Project) -> list[str]:
        out = []
        for uri in self.server.session.open_docs:
            bp = project.ws.docs.get(uri)
            if bp is not None and bp.entity.id:
                out.append(bp.entity.id)
        return out

    def _indexed(self, project: Project) -> bool:
        indexing = self.server.extensions.get("indexing")
        return project.root in self.caches and indexing is not None and indexing.has_index(project)

    @staticmethod
    def _counts(stats: Any) -> dict[str, Any]:
        return {"written": stats.written, "reused": stats.reused, "guard_retried": stats.guard_retried,
                "extractive": stats.extractive, "written_keys": stats.written_keys[-8:]}

    def _report(self, **fields: Any) -> None:
        host = self.server.extensions.get("model")
        if host is not None:
            host.report(summaries=fields)
