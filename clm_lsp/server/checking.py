"""Re-checking after changes and reporting the problems: pushed, or pulled by the client.

After an edit, the debounced run parses the changed documents, swaps the
snapshot, and re-checks the documents whose problems may change (the edited
one first, then the others in slices that yield to requests), then publishes
only the diagnostics that changed. In pull mode it asks the client to refresh
instead when files other than the edited one changed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from . import convert
from .project import Project, bump_result_id

if TYPE_CHECKING:
    from .server import ClmLanguageServer

log = logging.getLogger(__name__)
_SLICE = 32
AFTER_REQUESTS_S = 0.002
"""Even a check that runs "at once" waits this long: editors send a completion request right
behind the keystroke's didChange, and a check started first (a few ms on a large file)
would hold it. Waiting lets the requests read meanwhile go first; the diagnostics come
2 ms later."""
_SLICE_S = 0.01
"""A re-check yields to requests after _SLICE documents or this long, whichever comes first (the
first run over a folder read checks every file: with the extra producers' fingerprints and the
reports, 32 documents took 50-100 ms of loop at 2,000 files under load)."""

ExtraDiagnostics = Callable[[Project, str], "list[lsp.Diagnostic]"]
"""(project, canonical uri) -> diagnostics another producer holds for that document."""
Fingerprint = Callable[[Project, str], Hashable]


class Checker:
    def __init__(self, server: ClmLanguageServer) -> None:
        self.server = server
        self._scanned: dict[int, asyncio.Event] = {}
        self._last_change: dict[int, float] = {}
        self._refresh = False
        self.published: set[str] = set()
        """URIs with a non-empty pushed diagnostics list (to clear them when they go)."""
        self.extra: dict[str, ExtraDiagnostics] = {}
        """Other producers of diagnostics (the synthesis guard, model review), by name: their
        diagnostics are merged into every report, pushed or pulled. A producer whose findings
        for a document changed calls :meth:`extra_changed`."""
        self.fingerprints: dict[str, Fingerprint] = {}
        """For a producer whose findings follow from the document's text (the context budget):
        a cheap fingerprint of its verdict, compared on every check so a changed verdict gets a
        new pull result id even when the core problems stayed the same."""
        self._prints: dict[tuple[str, int, str], Hashable] = {}
        self._prune_at = 1024
        """Size of _prints at which run() drops the verdicts of documents that are gone."""

    def opened(self, project: Project, uri: str) -> None:
        """A just-opened document is checked and reported even if its text is the one on disk."""
        project.stale.add(uri)
        self.schedule(project)

    def closed(self, project: Project, uri: str) -> None:
        """Closing a file hides its problems when only open files report (diagnostics.workspace off)."""
        if not self.server.use_pull and not self.server.config.diagnostics.workspace and uri in self.published:
            self.push(project, uri)
        self.prune_prints()
        self.schedule(project)

    def prune_prints(self) -> None:
        """Forget the fingerprints of documents no project holds and no editor has open (a
        closed file outside the folders, deleted or excluded files, removed folders)."""
        session = self.server.session
        live = {id(p): p for p in session.all_projects()}
        gone = [k for k in self._prints if (p := live.get(k[1])) is None or (k[2] not in p.ws.docs and k[2] not in session.open_docs)]
        for key in gone:
            del self._prints[key]
        self._prune_at = max(1024, 2 * len(self._prints))

    def scanned_event(self, project: Project) -> asyncio.Event:
        event = self._scanned.get(id(project))
        if event is None:
            event = self._scanned[id(project)] = asyncio.Event()
            if project.scanned:
                event.set()
        return event

    def schedule(self, project: Project, delay_s: float | None = None) -> None:
        """Re-check soon. The first change after a quiet spell runs almost at once (lowest
        latency); changes that follow within the debounce window wait for the burst to end."""
        if delay_s is None:
            debounce = self.server.config.diagnostics.debounce_ms / 1000
            quiet = time.monotonic() - self._last_change.get(id(project), 0.0) > debounce
            delay_s = min(AFTER_REQUESTS_S, debounce) if quiet else debounce
            self._last_change[id(project)] = time.monotonic()
        self.server.tasks.debounce(f"check:{id(project)}", delay_s, lambda: self.run(project))

    async def run(self, project: Project) -> None:
        session = self.server.session
        session.flush()
        if not project.scanned:
            return  # links would look broken until the folder is read; the scan schedules a run
        # Open documents first, and always answered: the editor pairs each report with the
        # version it describes, so an unchanged list still says "checked up to this version".
        first = sorted(u for u in project.stale if u in session.open_docs)
        for uri in first:
            project.recheck(uri)
            self.sync_extras(project, uri)
        self.report(project, first, edited=True)
        self._settled(project)
        rest = sorted(project.stale)
        changed = []
        since = time.perf_counter()
        for n, uri in enumerate(rest, 1):
            if project.recheck(uri) | self.sync_extras(project, uri):
                changed.append(uri)
            if n % _SLICE == 0 or time.perf_counter() - since > _SLICE_S:
                self.report(project, changed)
                changed = []
                await asyncio.sleep(0)  # let requests through; a newer edit may cancel this run
                since = time.perf_counter()
        self.report(project, changed)
        if len(self._prints) > self._prune_at:  # files deleted since: amortised, not every run
            self.prune_prints()
        if self._refresh and self.server.client.diagnostic_refresh:
            self._refresh = False
            self.server.workspace_diagnostic_refresh(None)

    def report(self, project: Project, uris: list[str], edited: bool = False) -> None:
        if not uris:
            return
        if not self.server.use_pull:
            for uri in uris:
                self.push(project, uri)
        elif not edited:
            # The client pulls the edited file itself; other files need one nudge at the end of the run.
            self._refresh = True

    def visible_problems(self, project: Project, uri: str) -> list:
        cfg = self.server.config.diagnostics
        if not cfg.enable:
            return []
        if not cfg.workspace and uri not in self.server.session.open_docs:
            return []
        return project.problems.get(uri, [])

    def diagnostics_for(self, project: Project, uri: str) -> list[lsp.Diagnostic]:
        """The checker's problems as LSP diagnostics, then every extra producer's."""
        text_of = convert.text_source(project.ws)
        items = [convert.diagnostic(uri, p, text_of, self.server.encoding) for p in self.visible_problems(project, uri)]
        cfg = self.server.config.diagnostics
        if not cfg.enable or (not cfg.workspace and uri not in self.server.session.open_docs):
            return items
        for name, produce in list(self.extra.items()):
            try:
                items.extend(produce(project, uri))
            except Exception:  # one broken producer must not cost the checker's own report
                log.exception("diagnostics producer %s failed for %s", name, uri)
        return items

    def sync_extras(self, project: Project, uri: str) -> bool:
        """Compare the text-derived producers' verdicts with the last ones; a change bumps the result id."""
        changed = False
        for name, fingerprint in list(self.fingerprints.items()):
            try:
                now = fingerprint(project, uri)
            except Exception:
                log.exception("diagnostics fingerprint %s failed for %s", name, uri)
                continue
            key = (name, id(project), uri)
            if self._prints.get(key) != now:
                self._prints[key] = now
                changed = True
        if changed:
            bump_result_id(project, uri)
        return changed

    def extra_changed(self, project: Project, uri: str) -> None:
        """An extra producer's findings for ``uri`` changed: report them (push, or ask the client to pull)."""
        bump_result_id(project, uri)
        if not self.server.use_pull:
            self.push(project, uri)
        elif self.server.client.diagnostic_refresh:
            self.server.workspace_diagnostic_refresh(None)

    def push(self, project: Project, uri: str) -> None:
        items = self.diagnostics_for(project, uri)
        session = self.server.session
        # An open file always hears back (an empty list says "checked, clean"); a closed
        # clean file is only cleared if something was reported for it before.
        if not items and uri not in self.published and uri not in session.open_docs:
            return
        params = lsp.PublishDiagnosticsParams(uri=session.client_uri(uri), diagnostics=items, version=session.version_of(uri))
        self.server.text_document_publish_diagnostics(params)
        if items:
            self.published.add(uri)
        else:
            self.published.discard(uri)

    def _settled(self, project: Project) -> None:
        """Tell the model review that the project's open documents were just parsed and checked
        (it finds which changed itself: a pull may have checked the edited file already)."""
        reviews = self.server.extensions.get("reviews")
        session = self.server.session
        uris = [u for u in session.open_docs if u in project.ws.docs]
        if reviews is not None:  # also with none open: a closed file's review goes
            reviews.settled(project, uris)

    def republish_all(self) -> None:
        """After a settings change: report everything again under the new settings."""
        reviews = self.server.extensions.get("reviews")
        if reviews is not None:
            reviews.settings_changed()
        for project in self.server.session.all_projects():
            if self.server.use_pull:
                continue
            for uri in sorted(set(project.problems) | (self.published & set(project.ws.docs))):
                self.push(project, uri)
        if self.server.use_pull and self.server.client.diagnostic_refresh:
            self.server.workspace_diagnostic_refresh(None)
