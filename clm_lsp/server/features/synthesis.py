"""Synthesis: the `clm.synthesizeSection` command and the code actions that lead to it.

Code actions (kind ``refactor.rewrite``, answered with the quick fixes by editing.py):

- "Synthesize section with the local model" on a placeholder, an empty section, or
  the heading line of any section. It carries the command
  ``clm.synthesizeSection [uri, anchor]``, not an edit: the text does not exist
  until the model writes it (the server then sends workspace/applyEdit).
- "Add missing sections (...)" on the front matter or the title: the sections the
  scale's template expects, as ``<!-- synthesize -->`` placeholders (an edit).
- "Compress older timeslices" on a timeslice heading (or in the digest section): an
  anchor-summary section linking to the originals (an edit).

clm.compressTimeslices ``[uri, before?, keep?]``: the digest of the timeslices older than
``before`` (a timeslice date), else all but the newest ``keep``, sent with
workspace/applyEdit; replies ``{"applied", "reason", "summarised": [anchors], "updated"}``.

clm.synthesizeSection arguments: ``[uri, anchor, budget?]``; it replies
``{"applied": bool, "reason": str, "tokens", "seconds", ...}``; a refusal also carries
``"error"`` (the same reason), which the editor clients show as a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lsprotocol import types as lsp

from clm_lsp.blueprint import Blueprint, Range, Section, SectionKind, extractive_summary, parse_date
from clm_lsp.context.synthesis import target_at
from clm_lsp.context.timeslice_digest import DIGEST_ANCHOR, digest

from .. import convert
from ..ide.missing_sections import missing_sections, missing_sections_edit, on_front_matter_or_title
from ..ide.types import EditPlan, TextEdit
from ..project import Project
from ..server import ClmLanguageServer

COMMAND = "clm.synthesizeSection"
COMPRESS_COMMAND = "clm.compressTimeslices"
KIND = lsp.CodeActionKind.RefactorRewrite
SYNTHESIZE_TITLE = "Synthesize section with the local model"


def register(server: ClmLanguageServer) -> None:
    @server.command(COMMAND)
    async def synthesize_section(ls: ClmLanguageServer, *args: Any) -> dict[str, Any]:
        """async: assemble, stream the model under $/progress, then workspace/applyEdit."""
        if len(args) < 2 or not isinstance(args[0], str) or not isinstance(args[1], str):
            reason = f"{COMMAND} takes [uri, anchor, budget?]"
            return {"applied": False, "reason": reason, "error": reason}
        budget = args[2] if len(args) > 2 else None
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 64):
            reason = f"budget must be a whole number of tokens (64 or more), not {budget!r}"
            return {"applied": False, "reason": reason, "error": reason}
        return await ls.extensions["synthesis"].synthesize(args[0], args[1], budget)


    @server.command(COMPRESS_COMMAND)
    async def compress_timeslices(ls: ClmLanguageServer, *args: Any) -> dict[str, Any]:
        """async: the digest of the timeslices before a chosen date (or all but the newest
        ``keep``), sent with workspace/applyEdit (the code action's edit, for a date of your own)."""
        return await _compress(ls, list(args))


async def _compress(ls: ClmLanguageServer, args: list[Any]) -> dict[str, Any]:
    def refused(reason: str) -> dict[str, Any]:
        return {"applied": False, "reason": reason, "error": reason}

    if not args or not isinstance(args[0], str):
        return refused(f"{COMPRESS_COMMAND} takes [uri, before?, keep?]")
    before = args[1] if len(args) > 1 else None
    keep = args[2] if len(args) > 2 else ls.config.synthesis.keep_timeslices
    date = parse_date(before) if isinstance(before, str) else None
    if before is not None and date is None:
        return refused(f"before must be a timeslice date (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-Qn), not {before!r}")
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
        return refused(f"keep must be a whole number of timeslices, not {keep!r}")
    _project, ws, uri = ls.session.snapshot(args[0])
    bp = ws.docs.get(uri)
    if bp is None:
        return refused(f"{args[0]} is not a blueprint the server knows")
    found = digest(bp, keep, lambda s: _summary_of(ls, bp, s), date)
    if found is None:
        return refused("no dated timeslice is older than that")
    edit = _edit(ls, bp, TextEdit(bp.uri, found.range, found.new_text))
    try:
        result = await ls.workspace_apply_edit_async(lsp.ApplyWorkspaceEditParams(edit=edit, label="Compress older timeslices"))
    except Exception as exc:  # noqa: BLE001 - a client that fails the request: nothing was applied
        return refused(f"the editor did not apply the edit: {exc}")
    if not getattr(result, "applied", False):
        return refused(getattr(result, "failure_reason", None) or "the editor refused the edit")
    return {"applied": True, "reason": "", "summarised": [s.anchor for s in found.sections], "updated": found.updates}


def wanted(kind: str, only: Sequence[Any] | None) -> bool:
    """LSP's rule: a kind is asked for when ``only`` is absent or holds it or a prefix of it."""
    if not only:
        return True
    for k in only:
        base = str(getattr(k, "value", k))
        if kind == base or kind.startswith(base + "."):
            return True
    return False


def code_actions(ls: ClmLanguageServer, project: Project, bp: Blueprint, rng: Range, only: Sequence[Any] | None) -> list[lsp.CodeAction]:
    """loop: the synthesis actions at ``rng`` (cheap: no model, no disk)."""
    if not wanted(KIND.value, only) or bp.skipped:
        return []
    out: list[lsp.CodeAction] = []
    client_uri = ls.session.client_uri(bp.uri)
    target = target_at(bp, rng.start)
    if target is not None and bp.entity.id:
        title = SYNTHESIZE_TITLE + (" (replaces its text)" if target.has_text else "")
        command = lsp.Command(title=title, command=COMMAND, arguments=[client_uri, target.anchor])
        out.append(lsp.CodeAction(title=title, kind=KIND, command=command))
    if on_front_matter_or_title(bp, rng.start.line):
        missing = missing_sections(bp, project.templates)
        edit = missing_sections_edit(bp, missing)
        if edit is not None:
            title = f"Synthesize missing sections: add {', '.join(missing)} as placeholders"
            out.append(lsp.CodeAction(title=title, kind=KIND, edit=_edit(ls, bp, edit)))
    section = _section_at(bp, rng.start.line)
    on_heading = section is not None and section.heading_range.start.line <= rng.start.line <= section.heading_range.end.line
    # Offered on a timeslice's heading (not on every line of its text: VS Code asks on each
    # cursor move and would show a light bulb all through the history), or in the digest.
    if section is not None and ((on_heading and section.kind is SectionKind.TIMESLICE) or section.anchor == DIGEST_ANCHOR):
        found = digest(bp, ls.config.synthesis.keep_timeslices, lambda s: _summary_of(ls, bp, s))
        if found is not None:
            newest = found.sections[-1].date.raw if found.sections[-1].date else ""
            verb = "Update" if found.updates else "Compress"
            title = f"{verb} older timeslices: summarise {len(found.sections)} up to {newest} in an 'Earlier timeslices' section"
            out.append(lsp.CodeAction(title=title, kind=KIND, edit=_edit(ls, bp, TextEdit(bp.uri, found.range, found.new_text))))
    return out


def _section_at(bp: Blueprint, line: int) -> Section | None:
    """The innermost section whose heading or body holds ``line``."""
    found = None
    for s in bp.sections:
        if s.range.start.line <= line <= s.range.end.line:
            found = s
    return found


def _summary_of(ls: ClmLanguageServer, bp: Blueprint, section: Section) -> str:
    """The stored anchor summary when the summary controller has one, else the extractive one."""
    controller = ls.extensions.get("summaries")
    stored = None
    if controller is not None and ls.config.summaries.enable:
        try:
            stored = controller(bp.uri, section.anchor, section.content_hash)
        except Exception:  # noqa: BLE001 - a summary lookup must never cost the code action
            stored = None
    text = getattr(stored, "text", "") if stored is not None else ""
    return text or extractive_summary(section.text, 200)


def _edit(ls: ClmLanguageServer, bp: Blueprint, edit: TextEdit) -> lsp.WorkspaceEdit:
    return convert.workspace_edit(EditPlan((edit,)), lambda u: bp.text if u == bp.uri else None, ls.encoding, ls.client.document_changes, ls.session.version_of)
