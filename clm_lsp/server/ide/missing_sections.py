""""Synthesize missing sections": the sections a blueprint's scale template expects but the
file lacks, inserted as ``<!-- synthesize -->`` placeholders.

The template is the workspace's own (`.clm/templates/<scale>.blueprint.md`) or the
built-in one (templates.py), parsed like any blueprint, so a custom template's
sections count too. Only level-2 sections other than the Vision (which has its own
quick fix, CLM014) and timeslices are expected. A section counts as present when a
section of the file has the same title (case and spacing ignored).

Inserting placeholders needs no model and writes nothing the author did not see: each
placeholder is then a synthesis target of its own (one code action each, so each
generation is reviewed before the next; see docs/synthesis.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from clm_lsp.blueprint import Blueprint, Position, Range, SectionKind, parse
from clm_lsp.context.synthesis import PLACEHOLDER_MARK, line_ending

from .templates import render, template_for
from .textutil import document_end
from .types import TextEdit


def _norm(title: str) -> str:
    return " ".join(title.lower().split())


def expected_sections(bp: Blueprint, templates: Mapping[str, str]) -> list[str]:
    """The level-2 section titles the scale's template has (besides Vision and timeslices)."""
    scale = bp.entity.scale
    if not scale or bp.skipped:
        return []
    text = render(template_for(scale, templates), bp.entity.id or "x", bp.entity.title or "", scale, bp.entity.parent)
    template, _problems = parse(text, "file:///template.blueprint.md")
    return [s.title for s in template.sections if s.level == 2 and s.kind is SectionKind.OTHER and s.title]


def missing_sections(bp: Blueprint, templates: Mapping[str, str]) -> list[str]:
    have = {_norm(s.title) for s in bp.sections}
    out: list[str] = []
    for title in expected_sections(bp, templates):
        if _norm(title) not in have and _norm(title) not in {_norm(t) for t in out}:
            out.append(title)
    return out


def missing_sections_edit(bp: Blueprint, titles: list[str]) -> TextEdit | None:
    """One insertion: before the first level-2 timeslice (the history stays last), else at the end."""
    if not titles:
        return None
    eol = line_ending(bp.text)
    blocks = [f"## {t}{eol}{PLACEHOLDER_MARK}{eol}" for t in titles]
    first_slice = next((s for s in bp.sections if s.kind is SectionKind.TIMESLICE and s.level == 2), None)
    if first_slice is not None:
        at = Position(first_slice.heading_range.start.line, 0)
        return TextEdit(bp.uri, Range(at, at), eol.join(blocks) + eol)
    end = document_end(bp)
    lead = "" if not bp.text or bp.text.endswith(("\n", "\r")) else eol
    return TextEdit(bp.uri, Range(end, end), lead + "".join(eol + b for b in blocks))


def on_front_matter_or_title(bp: Blueprint, line: int) -> bool:
    """The cursor is where an author looks at the whole blueprint: front matter or title."""
    fm = bp.front_matter
    if fm is not None and fm.range.start.line <= line <= fm.range.end.line:
        return True
    return bp.title_range is not None and bp.title_range.start.line <= line <= bp.title_range.end.line
