"""Model review diagnostics: after a document settles, the model reviews its changed sections.

Set as ``server.extensions["reviews"]`` and registered with the checker as the
extra diagnostics producer ``"review"``, so its findings are merged into every
report, pushed or pulled (source ``clm-model``).

Flow: the checker calls :meth:`settled` for the open documents it just checked.
The controller queues them and (re)starts one debounced run
(``clm.review.debounceMs`` after the last change): any newer change cancels the
running review (the model stops within a token) and starts the wait again, so
the model never works on text that is still being typed, and one review runs at
a time. A run takes the queued documents one by one and, for each reviewable
section (context/review.py), either finds the findings in the cache (same text,
same references, same model and prompt: no model call) or asks the model
(ModelHost.generate, the model's own thread). Each section's result is shown as
soon as it is known; ``Checker.extra_changed`` then pushes the file again, or
asks a pull client to refresh.

Never blocking: requests never wait for a review; a review waits while a
synthesis runs (it is what the user asked for); hover never uses the model.
Findings hold quotes, not positions: they are placed against the current
snapshot each time diagnostics are reported, and hidden as soon as their
section's text changes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from clm_lsp.context.review import Finding, Reference, review_input, to_problems
from clm_lsp.context.review_prompt import parse_review, review_messages

from . import convert
from .review_store import ReviewStore, cache_key

if TYPE_CHECKING:
    from .project import Project
    from .server import ClmLanguageServer

log = logging.getLogger(__name__)

SOURCE = "clm-model"
YIELD_POLL_S = 0.2


@dataclass(frozen=True, slots=True)
class Shown:
    """A section's current review, as reported."""

    content_hash: str
    findings: tuple[Finding, ...]
    references: tuple[Reference, ...]
    model_id: str


@dataclass
class ReviewStats:
    state: str = "off"
    """off | running | idle | stopped (cancelled by an edit) | unavailable (no model)."""
    queued: int = 0
    runs: int = 0
    reviewed: int = 0
    """Sections sent to the model."""
    cached: int = 0
    """Sections answered from the cache."""
    findings: int = 0
    cancelled: int = 0
    last_seconds: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "queued": self.queued, "runs": self.runs, "reviewed": self.reviewed, "cached": self.cached,
                "findings": self.findings, "cancelled": self.cancelled, "last_seconds": self.last_seconds}


class ReviewController:
    def __init__(self, server: ClmLanguageServer) -> None:
        self.server = server
        self.shown: dict[str, dict[str, Shown]] = {}
        """uri -> section anchor -> its review."""
        self.stores: dict[Path | None, ReviewStore] = {}
        self.pending: dict[str, Project] = {}
        self.stats = ReviewStats()
        self._seen: dict[str, Any] = {}
        """uri -> the parse last queued for review (to tell a changed document from a re-check)."""
        self._published: set[str] = set()
        """URIs whose review was pushed apart from the checker's reports (see _apart)."""
        self._stopped = False
        server.extensions["checker"].extra["review"] = self.diagnostics

    # -- the checker's side ---------------------------------------------------------------

    def diagnostics(self, project: Project, uri: str) -> list[lsp.Diagnostic]:
        """The checker's merge: the findings as part of every report (none when published apart)."""
        return [] if self._apart() else self.own(project, uri)

    def own(self, project: Project, uri: str) -> list[lsp.Diagnostic]:
        """The review findings of ``uri`` that still match its text, as LSP diagnostics."""
        shown = self.shown.get(uri)
        if not shown or not self.server.config.review.enable:
            return []
        problems = []
        for anchor, s in shown.items():
            problems.extend(to_problems(project.ws, uri, anchor, s.content_hash, s.findings, s.references, s.model_id))
        text_of = convert.text_source(project.ws)
        return [convert.diagnostic(uri, p, text_of, self.server.encoding, source=SOURCE) for p in problems]

    def settled(self, project: Project, uris: list[str]) -> None:
        """The checker just checked these open documents: review those whose parse changed
        since last seen, once they stay quiet."""
        cfg = self.server.config.review
        if self._stopped or not cfg.enable:
            return
        open_docs = self.server.session.open_docs
        for uri in [u for u in self._seen if u not in open_docs]:
            del self._seen[uri]  # closed: a reopened file is reviewed again (its cache makes that cheap)
        for uri in [u for u in self.shown if u not in open_docs]:
            self._forget(uri)  # the review is of what the user is editing: it goes with the buffer
        for uri in uris:
            bp = project.ws.docs.get(uri)
            if uri not in open_docs or bp is None or self._seen.get(uri) is bp:
                continue
            self._seen[uri] = bp  # snapshots are immutable: the same object is the same text
            self.pending[uri] = project
            self._hide_stale(project, uri)
        self.stats.queued = len(self.pending)
        if self.pending:
            self.server.tasks.debounce("review", cfg.debounce_ms / 1000, self._run)

    def settings_changed(self) -> None:
        """Turned off: forget what is shown (the checker's republish clears it). Turned on: review the open files."""
        self._seen.clear()
        if not self.server.config.review.enable:
            for uri in list(self.shown):
                self._forget(uri)
            return
        for uri in self.server.session.open_docs:
            project = self.server.session.project_for(uri)
            self.settled(project, [uri])

    def stop(self) -> None:
        self._stopped = True

    def _forget(self, uri: str) -> None:
        """Drop a document's reviews and report that (a new pull result id, or a push)."""
        shown = self.shown.pop(uri, None)
        if shown and any(s.findings for s in shown.values()) or uri in self._published:
            self._changed(self.server.session.project_for(uri), uri)

    def _hide_stale(self, project: Project, uri: str) -> None:
        """Drop reviews whose section text changed, and say so (a pull client would keep them)."""
        shown = self.shown.get(uri)
        if not shown:
            return
        bp = project.ws.docs.get(uri)
        current = {s.anchor: s.content_hash for s in bp.sections} if bp is not None else {}
        stale = [a for a, s in shown.items() if current.get(a) != s.content_hash]
        if stale:
            visible = any(shown[a].findings for a in stale)
            for a in stale:
                del shown[a]
            if visible:
                self._changed(project, uri)

    def _changed(self, project: Project, uri: str) -> None:
        if self._apart():
            self._publish(project, uri)
        else:
            self.server.extensions["checker"].extra_changed(project, uri)

    def _apart(self) -> bool:
        """A pull client that cannot be asked to pull again (Neovim 0.11) would only see a late
        review at its next edit: such a client gets the review pushed on its own instead
        (publishDiagnostics is always accepted, and it keeps pushed and pulled lists apart)."""
        return self.server.use_pull and not self.server.client.diagnostic_refresh

    def _publish(self, project: Project, uri: str) -> None:
        items = self.own(project, uri)
        if not items and uri not in self._published:
            return
        session = self.server.session
        params = lsp.PublishDiagnosticsParams(uri=session.client_uri(uri), diagnostics=items, version=session.version_of(uri))
        self.server.text_document_publish_diagnostics(params)
        if items:
            self._published.add(uri)
        else:
            self._published.discard(uri)

    # -- the run ----------------------------------------------------------------------------

    async def _run(self) -> None:
        if self._stopped or not self.server.config.review.enable:
            self.pending.clear()
            return
        host = self.server.extensions["model"]
        model = await host.chat_model()
        if model is None:
            self._report(state="unavailable")
            self.pending.clear()  # told once by the host; the next edit tries again
            return
        self.stats.runs += 1
        started = time.perf_counter()
        self._report(state="running")
        finished = False
        try:
            while self.pending and not self._stopped and self.server.config.review.enable:
                uri, project = next(iter(self.pending.items()))
                await self._review_document(project, uri, model.model_id)
                self.pending.pop(uri, None)
            finished = True
        except asyncio.CancelledError:
            self.stats.cancelled += 1  # a newer edit: its own run starts after the debounce
            raise
        finally:
            self.stats.last_seconds = round(time.perf_counter() - started, 2)
            self._report(state="idle" if finished else "stopped")

    async def _review_document(self, project: Project, uri: str, model_id: str) -> None:
        self.server.session.flush()
        ws = project.ws
        bp = ws.docs.get(uri)
        if bp is None or uri not in self.server.session.open_docs:
            return
        store = await self._store(project)
        max_tokens = self.server.config.review.max_tokens
        shown = self.shown.setdefault(uri, {})
        # Sections whose text changed since their last review first: what the user just wrote.
        firsts = {}
        for sec in bp.sections:  # a duplicate anchor (CLM004) is reviewed once: findings are keyed by anchor
            firsts.setdefault(sec.anchor, sec)
        items = [x for x in (review_input(ws, uri, s) for s in firsts.values()) if x is not None]
        items.sort(key=lambda x: (x.anchor in shown and shown[x.anchor].content_hash == x.content_hash))
        wanted = {x.anchor for x in items}
        gone = [a for a in shown if a not in wanted]
        if gone:
            visible = any(shown[a].findings for a in gone)
            for anchor in gone:
                del shown[anchor]
            if visible:
                self._changed(project, uri)
        for item in items:
            key = cache_key(item, model_id, max_tokens)
            findings = store.get(key)
            if findings is None:
                findings = await self._ask(item, max_tokens)
                if findings is None:
                    return  # no model (told once by the host)
                store.put(key, findings)
                self.stats.reviewed += 1
                self.stats.findings += len(findings)
            else:
                self.stats.cached += 1
            before = shown.get(item.anchor)
            shown[item.anchor] = Shown(item.content_hash, findings, item.references, model_id)
            if before is None or before.findings != findings or before.content_hash != item.content_hash:
                if findings or (before is not None and before.findings):
                    self._changed(project, uri)
        if store.dirty:
            data = store.snapshot()
            await asyncio.to_thread(store.save, data)

    async def _ask(self, item: Any, max_tokens: int) -> tuple[Finding, ...] | None:
        from clm_lsp.llm import GenerateOptions

        await self._yield_to_foreground()
        host = self.server.extensions["model"]
        reply = await host.generate(review_messages(item), GenerateOptions(max_tokens=max_tokens, temperature=0.0))
        if reply is None:
            return None
        findings = parse_review(reply, [r.number for r in item.references])
        log.debug("review of %s#%s: %d finding(s) from %d chars", item.entity, item.anchor, len(findings), len(reply))
        return findings

    async def _yield_to_foreground(self) -> None:
        """Wait while a synthesis the user asked for runs: it goes first on the one model thread."""
        synthesis = self.server.extensions.get("synthesis")
        while synthesis is not None and _busy(synthesis) and not self._stopped:
            await asyncio.sleep(YIELD_POLL_S)

    async def _store(self, project: Project) -> ReviewStore:
        key = project.root
        store = self.stores.get(key)
        if store is None:
            folder, base = self._folder(project)
            store = self.stores[key] = ReviewStore(folder, base)
        if not store.loaded:
            loaded = await asyncio.to_thread(store.load)
            log.info("reviews: %d cached review(s) loaded for %s", loaded, project.root)
        return store

    def _folder(self, project: Project) -> tuple[Path | None, Path | None]:
        """Where reviews.json lives: the index's folder (``clm.index.storeDir``, default ``<root>/.clm``)."""
        if project.root is None:
            return None, None  # loose files: memory only
        configured = self.server.config.index.store_dir
        if configured:
            path = Path(configured)
            return (path, None) if path.is_absolute() else (project.root / path, project.root)
        return project.root / ".clm", project.root

    def _report(self, state: str) -> None:
        self.stats.state, self.stats.queued = state, len(self.pending)
        host = self.server.extensions.get("model")
        if host is not None:
            host.report(review=self.stats.as_dict())


def _busy(synthesis: Any) -> bool:
    busy = getattr(synthesis, "busy", None)
    if busy is None:  # SynthesisController keeps the documents it is writing in ``_running``
        return bool(getattr(synthesis, "_running", ()))
    return bool(busy() if callable(busy) else busy)
