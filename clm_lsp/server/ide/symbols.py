"""Outline (document symbols), workspace symbols, folding ranges and per-section lenses."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from clm_lsp.blueprint import Blueprint, Range, Section, SectionKind, Workspace, display_title, estimate_tokens

from . import fuzzy
from .textutil import document_end, line_index, section_full_text


@dataclass(frozen=True, slots=True)
class Symbol:
    name: str
    detail: str
    kind: str
    """entity | vision | timeslice | section"""
    range: Range
    selection_range: Range
    children: tuple[Symbol, ...] = field(default_factory=tuple)


def document_symbols(bp: Blueprint) -> list[Symbol]:
    """One root for the entity with its sections nested under it (timeslices included)."""
    if bp.skipped:
        return []
    built: dict[int, Symbol] = {}
    for section in reversed(bp.sections):  # children before parents
        kids = tuple(built.pop(c) for c in section.children if c in built)
        built[section.index] = _section_symbol(section, kids)
    top = tuple(built[s.index] for s in bp.sections if s.parent is None and s.index in built)
    whole = Range(Range.of(0, 0).start, document_end(bp))
    select = bp.title_range or _id_range(bp) or Range.of(0, 0)
    detail = " · ".join(x for x in (bp.entity.id, bp.entity.scale) if x)
    return [Symbol(display_title(bp), detail, "entity", whole, select, top)]


def _section_symbol(section: Section, kids: tuple[Symbol, ...]) -> Symbol:
    kind = {SectionKind.VISION: "vision", SectionKind.TIMESLICE: "timeslice"}.get(section.kind, "section")
    return Symbol(section.title or section.anchor, f"#{section.anchor}", kind, section.range, section.heading_range, kids)


def _id_range(bp: Blueprint) -> Range | None:
    fm = bp.front_matter
    f = fm.fields.get("id") if fm is not None else None
    return f.value_range if f is not None else None


@dataclass(frozen=True, slots=True)
class WorkspaceSymbol:
    name: str
    kind: str
    uri: str
    range: Range
    container: str
    keys: tuple[str, ...]
    """What the query is matched against (lowercase): id, title, anchor."""


def symbol_entries(bp: Blueprint) -> list[WorkspaceSymbol]:
    """The entries one document contributes to workspace/symbol (cache them per Blueprint)."""
    if bp.skipped:
        return []
    name = display_title(bp)
    ent_id = bp.entity.id or ""
    out = [WorkspaceSymbol(name, "entity", bp.uri, bp.title_range or Range.of(0, 0), bp.entity.scale or "", (ent_id.lower(), name.lower()))]
    for s in bp.sections:
        kind = {SectionKind.VISION: "vision", SectionKind.TIMESLICE: "timeslice"}.get(s.kind, "section")
        label = f"{ent_id}#{s.anchor}" if ent_id else f"#{s.anchor}"
        keys = (s.anchor.lower(), s.title.lower(), label.lower())
        out.append(WorkspaceSymbol(s.title or s.anchor, kind, bp.uri, s.heading_range, label, keys))
    return out


def symbol_index(entries: list[WorkspaceSymbol]) -> fuzzy.Index[WorkspaceSymbol]:
    """The search index over a pool of entries (build once per snapshot, query many times)."""
    return fuzzy.Index(entries, lambda e: e.keys, word_starts=False, keys_lowered=True)


def workspace_symbols(entries: list[WorkspaceSymbol] | fuzzy.Index[WorkspaceSymbol], query: str, limit: int) -> list[WorkspaceSymbol]:
    """The best ``limit`` entries for ``query`` (the same answer from a list or its index)."""
    if isinstance(entries, fuzzy.Index):
        return entries.rank(query.strip(), limit)[0]
    found, _ = fuzzy.rank(query.strip(), entries, lambda e: e.keys, limit, keys_lowered=True)
    return found


@dataclass(frozen=True, slots=True)
class Fold:
    start_line: int
    end_line: int
    kind: str
    """region | comment"""


def folding_ranges(bp: Blueprint) -> list[Fold]:
    """The front matter and every section (trailing blank lines stay visible)."""
    if bp.skipped:
        return []
    index = line_index(bp.text)
    out: list[Fold] = []
    fm = bp.front_matter
    if fm is not None and fm.range.end.line > fm.range.start.line:
        out.append(Fold(fm.range.start.line, fm.range.end.line, "region"))
    for s in bp.sections:
        end = s.range.end.line
        while end > s.range.start.line and not index.line(end).strip():
            end -= 1
        if end > s.range.start.line:
            out.append(Fold(s.range.start.line, end, "region"))
    return out


@dataclass(frozen=True, slots=True)
class Lens:
    range: Range
    title: str
    anchor: str


def section_lenses(ws: Workspace, uri: str) -> list[Lens]:
    """Per section: its size in tokens and how many links point at it."""
    bp = ws.docs.get(uri)
    if bp is None or bp.skipped:
        return []
    counts: Counter[str | None] = Counter()
    if bp.entity.id and ws.entity(bp.entity.id) is bp:
        counts.update(link.anchor for _src, link in ws.incoming(bp.entity.id))
    else:
        counts.update(link.anchor for link in bp.links if link.entity is None and link.path is None)
    out = []
    for s in bp.sections:
        tokens = estimate_tokens(section_full_text(bp, s))
        n = counts.get(s.anchor, 0)
        out.append(Lens(s.heading_range, f"{tokens:,} tokens · {n} incoming link{'s' if n != 1 else ''}", s.anchor))
    return out
