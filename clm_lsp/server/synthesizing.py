"""Synthesizer: writes one section with the local model and applies it with workspace/applyEdit.

Set as ``server.extensions["synthesis"]``. ``clm.synthesizeSection [uri, anchor, budget?]``
(features/synthesis.py) runs :meth:`Synthesizer.synthesize`:

1. the section is looked up in the current snapshot; its text and the document's
   version are remembered;
2. the context is assembled for it (clm_lsp.context.assemble, in a thread: the index's
   search when there is one, else BM25 over the snapshot; stored summaries when the
   summary controller has them);
3. the model streams the section under a cancellable ``$/progress``; the user's
   cancel (window/workDoneProgress/cancel) or a cancelled request stops the model
   within a token and nothing is applied;
4. the reply is cleaned (clm_lsp.context.synthesis.clean_reply) and must leave the
   outline of the document exactly as it was (same_structure);
5. if the document changed meanwhile (version or text), nothing is applied and the
   user is told; otherwise one edit replaces the section's own body, versioned when
   the client takes documentChanges (so the editor itself refuses a stale one);
6. the faithfulness guard (clm_lsp.context.faithfulness.invented) checks the text
   against its context: every invented name, number or date becomes a diagnostic on
   the inserted text (source ``clm-synthesis``), merged into the checker's reports
   (Checker.extra) and kept while the inserted text stands unchanged in that section.

One synthesis per document at a time; a second one is refused with a reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from clm_lsp.blueprint import Blueprint, LineIndex, Range
from clm_lsp.context.assemble import ContextError
from clm_lsp.context.faithfulness import Claim, invented
from clm_lsp.context.synthesis import Replacement, apply, clean_reply, locate, replacement, same_structure
from clm_lsp.context.synthesis_prompts import SYNTHESIS_VERSION, section_messages
from clm_lsp.context.zoom import ViewSpec

from . import convert
from .scanning import Progress

if TYPE_CHECKING:
    from clm_lsp.llm import CancelToken

    from .project import Project
    from .server import ClmLanguageServer

log = logging.getLogger(__name__)

SOURCE = "clm-synthesis"
CODES = {"name": "CLM-S001", "number": "CLM-S002", "date": "CLM-S003"}
"""Guard findings on synthesized text: an invented name, number or date."""
SEVERITY = {"name": lsp.DiagnosticSeverity.Information, "number": lsp.DiagnosticSeverity.Warning,
            "date": lsp.DiagnosticSeverity.Warning}
"""Names are Information: the guard also flags capitalised ordinary words. A figure or a
date the context never stated is a Warning: that is the invention that misleads."""
_REPORT_EVERY_S = 0.25


@dataclass(frozen=True)
class Finding:
    """Guard findings for one synthesized text, kept while that text stands in its section."""

    anchor: str
    text: str
    """The inserted text (document line endings)."""
    claims: tuple[Claim, ...]
    model_id: str
    before: int
    """hash() of the document's text before the edit: while the text is still that, the
    editor has not applied the edit yet (the finding waits; it is not stale)."""


class Synthesizer:
    def __init__(self, server: ClmLanguageServer) -> None:
        self.server = server
        self.findings: dict[str, list[Finding]] = {}
        """canonical uri -> findings on text synthesized into it."""
        self._running: set[str] = set()
        checker = server.extensions.get("checker")
        if checker is not None:
            checker.extra["synthesis"] = self.diagnostics
            prints = getattr(checker, "fingerprints", None)
            if prints is not None:  # a pull client learns of findings that appear or go with an edit
                prints["synthesis"] = self.fingerprint

    # -- the command ---------------------------------------------------------------------

    async def synthesize(self, uri: str, anchor: str, budget: int | None = None) -> dict[str, Any]:
        project, ws, canonical = self.server.session.snapshot(uri)
        bp = ws.docs.get(canonical)
        if bp is None:
            return _refused(f"{uri} is not a blueprint the server knows")
        section = bp.section_by_anchor(anchor)
        if section is None or not bp.entity.id:
            return _refused(f"no section #{anchor} in {canonical.rsplit('/', 1)[-1]}" if bp.entity.id else "the blueprint has no id")
        if canonical in self._running:
            return _refused("a synthesis is already running for this document")
        self._running.add(canonical)
        progress = _Progress(self.server, f"clm: synthesizing {section.title or anchor}")
        result: dict[str, Any] = _refused("failed: see the log")
        try:
            await progress.begin()
            result = await self._run(project, bp, anchor, budget, progress)
            return result
        except asyncio.CancelledError:
            result = _refused("cancelled: nothing applied")
            raise
        finally:
            progress.end("applied" if result["applied"] else f"not applied: {result['reason']}")
            self._running.discard(canonical)

    async def _run(self, project: Project, bp: Blueprint, anchor: str, budget: int | None, progress: _Progress) -> dict[str, Any]:
        started = time.perf_counter()
        cfg = self.server.config.synthesis
        version = self.server.session.version_of(bp.uri)
        section = bp.section_by_anchor(anchor)
        assert section is not None and bp.entity.id
        host = self.server.extensions["model"]
        model = await host.chat_model()
        if model is None:
            return _refused(f"no model: {host.message or 'it could not be loaded'}")
        focus = f"{bp.entity.id}#{anchor}"
        task = f"write the section {section.title}"
        progress.report("assembling the context")
        try:
            ctx = await self.server.extensions["contexts"].assemble_for(project, focus, task, budget or cfg.budget, model)
        except ContextError as exc:
            return _refused(str(exc))
        heading = "#" * section.level + " " + section.title
        messages = section_messages(bp.entity.id, heading, ctx.text, placeholder=section.placeholder or not section.text.strip())
        from clm_lsp.llm import GenerateOptions

        options = GenerateOptions(max_tokens=cfg.max_tokens, temperature=cfg.temperature, seed=0)
        chunks: list[str] = []
        last = 0.0
        progress.report("writing")
        try:
            async with contextlib.aclosing(host.stream(messages, options, progress.cancel)) as stream:
                async for piece in stream:
                    chunks.append(piece)
                    if progress.cancel.cancelled:
                        break
                    if self.server.session.version_of(bp.uri) != version:
                        break  # edited meanwhile: the text cannot be applied, stop paying for it
                    if time.perf_counter() - last > _REPORT_EVERY_S:
                        last = time.perf_counter()
                        progress.report(f"{len(chunks)} tokens")
        except Exception as exc:  # noqa: BLE001 - ModelError or a backend bug: nothing to apply, say why
            if not progress.cancel.cancelled:
                log.warning("synthesis of %s failed: %s", focus, exc)
                return _refused(f"the model failed: {exc}")
        seconds = round(time.perf_counter() - started, 2)
        base = {"tokens": len(chunks), "seconds": seconds, "model": host.model_id, "prompt": SYNTHESIS_VERSION,
                "context_tokens": ctx.tokens}
        if progress.cancel.cancelled:
            return {**base, **_refused("cancelled")}
        text = clean_reply("".join(chunks), section.title)
        if self.server.session.version_of(bp.uri) != version:
            return {**base, **self._stale(bp)}
        if not text:
            return {**base, **_refused("the model wrote nothing usable for this section")}
        return {**base, **await self._apply(project, bp, version, anchor, text, ctx.text, host.model_id)}

    async def _apply(self, project: Project, bp: Blueprint, version: int | None, anchor: str, text: str,
                     context_text: str, model_id: str) -> dict[str, Any]:
        _project, ws, _uri = self.server.session.snapshot(bp.uri)
        now = ws.docs.get(bp.uri)
        if now is None or now.text != bp.text or self.server.session.version_of(bp.uri) != version:
            return self._stale(bp)
        section = bp.section_by_anchor(anchor)
        assert section is not None
        rep = replacement(bp, section, text)
        if not same_structure(bp, apply(bp.text, rep.range, rep.new_text), project.settings.format):
            return _refused("the generated text would change the document's outline; nothing applied")
        inserted = rep.new_text[rep.inserted_at:].rstrip("\r\n")
        claims = tuple(invented(text, "\n".join((context_text, bp.entity.title or "", bp.entity.id or "", section.title))))
        finding = Finding(anchor, inserted, claims, model_id, hash(bp.text))
        edit = _workspace_edit(self.server, bp, rep, version)
        self._keep(bp.uri, finding)
        try:
            result = await self.server.workspace_apply_edit_async(
                lsp.ApplyWorkspaceEditParams(edit=edit, label=f"Synthesize section {section.title}"))
        except Exception as exc:  # noqa: BLE001 - a client that fails the request: nothing was applied
            self._drop(bp.uri, finding)
            return _refused(f"the editor did not apply the edit: {exc}")
        if not getattr(result, "applied", False):
            self._drop(bp.uri, finding)
            reason = getattr(result, "failure_reason", None) or "the editor refused the edit"
            return _refused(reason)
        self.server.extensions["checker"].extra_changed(project, bp.uri)
        return {"applied": True, "reason": "", "anchor": anchor, "text": inserted, "flagged": [{"kind": c.kind, "text": c.text} for c in claims],
                "range": _range_dict(rep.range)}

    def _stale(self, bp: Blueprint) -> dict[str, Any]:
        """The document changed since the command began: no stale edit; say so every time."""
        name = bp.uri.rsplit("/", 1)[-1]
        self.server.window_show_message(lsp.ShowMessageParams(
            type=lsp.MessageType.Warning,
            message=f"clm-lsp: {name} changed while the section was being written; the synthesis was not applied. Run it again."))
        return _refused("the document changed while the section was being written")

    # -- guard diagnostics ---------------------------------------------------------------

    def _keep(self, uri: str, finding: Finding) -> None:
        found = [f for f in self.findings.get(uri, []) if f.anchor != finding.anchor]
        if finding.claims:
            found.append(finding)
        if found:
            self.findings[uri] = found
        else:
            self.findings.pop(uri, None)

    def _drop(self, uri: str, finding: Finding) -> None:
        found = [f for f in self.findings.get(uri, []) if f is not finding]
        if found:
            self.findings[uri] = found
        else:
            self.findings.pop(uri, None)

    def diagnostics(self, project: Project, uri: str) -> list[lsp.Diagnostic]:
        """Checker.extra producer: findings whose synthesized text still stands in its section."""
        bp = project.ws.docs.get(uri)
        if bp is None:
            return []
        return [_diagnostic(bp, f, claim, rng, self.server.encoding) for f, located in self._current(bp) for claim, rng in located]

    def fingerprint(self, project: Project, uri: str) -> tuple[Any, ...]:
        """Checker fingerprint: where the findings are now (changes when they appear, move or go)."""
        bp = project.ws.docs.get(uri)
        if bp is None or uri not in self.findings:
            return ()
        return tuple((f.anchor, tuple(rng for _c, rng in located)) for f, located in self._current(bp))

    def _current(self, bp: Blueprint) -> list[tuple[Finding, list[tuple[Claim, Range]]]]:
        """The findings of ``bp`` located in its current text. A finding whose text was edited
        or whose section went is forgotten; one whose edit the editor has not applied yet waits."""
        found = self.findings.get(bp.uri)
        if not found:
            return []
        kept: list[Finding] = []
        out = []
        for f in found:
            located = _locate(bp, f)
            if located is not None:
                out.append((f, located))
            if located is not None or hash(bp.text) == f.before:
                kept.append(f)
        if kept:
            self.findings[bp.uri] = kept
        else:
            self.findings.pop(bp.uri, None)
        return out


def _locate(bp: Blueprint, f: Finding) -> list[tuple[Claim, Range]] | None:
    """Where each claim is in the document now; None when the text is no longer in its section."""
    section = bp.section_by_anchor(f.anchor)
    if section is None:
        return None
    index = LineIndex(bp.text)
    body_start = index.offset_at(section.body_range.start)
    body = bp.text[body_start:index.offset_at(section.body_range.end)]
    at = body.find(f.text)
    if at < 0:
        return None
    base = body_start + at
    out = []
    for claim in f.claims:
        offset = locate(f.text, claim.text)
        if offset < 0:
            offset, length = 0, len(f.text.split("\n", 1)[0])
        else:
            length = len(claim.text)
        out.append((claim, Range(index.position_at(base + offset), index.position_at(base + offset + length))))
    return out


def _diagnostic(bp: Blueprint, f: Finding, claim: Claim, rng: Range, enc: str) -> lsp.Diagnostic:
    return lsp.Diagnostic(
        range=convert.range_to_lsp(bp.text, rng, enc),
        message=f"Synthesized text ({f.model_id or 'model'}) states the {claim.kind} '{claim.text}', which its context does not: check it.",
        severity=SEVERITY[claim.kind],
        code=CODES[claim.kind],
        source=SOURCE,
        data={"anchor": f.anchor, "kind": claim.kind, "claim": claim.text},
    )


def _workspace_edit(server: ClmLanguageServer, bp: Blueprint, rep: Replacement, version: int | None) -> lsp.WorkspaceEdit:
    edit = lsp.TextEdit(convert.range_to_lsp(bp.text, rep.range, server.encoding), rep.new_text)
    client_uri = server.session.client_uri(bp.uri)
    if server.client.document_changes:
        ident = lsp.OptionalVersionedTextDocumentIdentifier(uri=client_uri, version=version)
        return lsp.WorkspaceEdit(document_changes=[lsp.TextDocumentEdit(text_document=ident, edits=[edit])])
    return lsp.WorkspaceEdit(changes={client_uri: [edit]})


def _range_dict(rng: Range) -> dict[str, Any]:
    return {"start": {"line": rng.start.line, "character": rng.start.character},
            "end": {"line": rng.end.line, "character": rng.end.character}}


def _refused(reason: str) -> dict[str, Any]:
    # "error" too: the editor clients show a command's {"error": ...} as a warning (editor-clients/).
    return {"applied": False, "reason": reason, "error": reason}


class _Progress(Progress):
    """A message-only progress tied to a CancelToken: the client's cancel stops the model."""

    def __init__(self, server: ClmLanguageServer, title: str) -> None:
        from clm_lsp.llm import CancelToken

        self.cancel: CancelToken = CancelToken()
        super().__init__(server, title, on_cancel=self.cancel.cancel, percentage=False)

    def report(self, message: str) -> None:  # type: ignore[override] - messages, not counts
        self.say(message)
