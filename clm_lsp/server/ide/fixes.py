"""Quick fixes for the problems under the cursor, as edits in core positions."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from clm_lsp.blueprint import Blueprint, Position, Problem, Range, SectionKind, Workspace, codes

from .cursor import link_at
from .rename import ID_RE
from .templates import render, template_for
from .textutil import document_end, heading_for_anchor, line_index, title_from_id
from .types import EditPlan, Fix, TextEdit

_REPLACEABLE = {codes.BROKEN_ENTITY, codes.BROKEN_ANCHOR, codes.UNKNOWN_PARENT, codes.UNKNOWN_SCALE, codes.BAD_FIELD}


@dataclass(frozen=True, slots=True)
class FixContext:
    """What fixes need beyond the snapshot, supplied by the server."""

    templates: Mapping[str, str]
    """scale -> a workspace's own template text (empty: the built-in ones)."""
    exists: Callable[[str], bool]
    """Whether a file URI already exists (so a new blueprint never overwrites one)."""
    can_create_files: bool
    """The client applies CreateFile operations."""


def fixes(ws: Workspace, uri: str, problems: list[Problem], rng: Range, ctx: FixContext) -> list[Fix]:
    bp = ws.docs.get(uri)
    if bp is None or bp.skipped:
        return []
    out: list[Fix] = []
    reordered = False
    for p in problems:
        if not _overlaps(p.range, rng):
            continue
        if p.code == codes.BROKEN_ANCHOR:
            out += _create_section(ws, bp, p)
        elif p.code == codes.BROKEN_ENTITY and ctx.can_create_files:
            out += _create_blueprints(ws, bp, p, ctx)
        elif p.code == codes.MISSING_VISION:
            out.append(Fix("Add a `## Vision` section", EditPlan((_vision_edit(bp),)), p, preferred=True))
        elif p.code == codes.TIMESLICE_ORDER and not reordered:
            reordered = True
            edit = reorder_timeslices(bp)
            if edit is not None:
                out.append(Fix("Reorder timeslices by date", EditPlan((edit,)), p, preferred=True))
        if p.code in _REPLACEABLE:
            out += _replacements(bp, p)
    return out


def _overlaps(a: Range, b: Range) -> bool:
    return a.start <= b.end and b.start <= a.end


def _suggestions(p: Problem) -> list[str]:
    data = p.data if isinstance(p.data, dict) else {}
    found = data.get("suggestions") or []
    return [s for s in found if isinstance(s, str)]


def _replacements(bp: Blueprint, p: Problem) -> list[Fix]:
    out = []
    for n, suggestion in enumerate(_suggestions(p)):
        plan = EditPlan((TextEdit(bp.uri, p.range, suggestion),))
        out.append(Fix(f"Replace with '{suggestion}'", plan, p, preferred=n == 0 and p.code != codes.BROKEN_ANCHOR))
    return out


def _create_section(ws: Workspace, bp: Blueprint, p: Problem) -> list[Fix]:
    link = link_at(bp, p.range.start)
    target = ws.target_document(link, bp.uri) if link is not None else None
    anchor = link.anchor if link is not None else None
    if target is None or not anchor:
        return []
    end = document_end(target)
    lead = "" if target.text.endswith("\n") else "\n"
    text = f"{lead}\n## {heading_for_anchor(anchor)}\n<!-- synthesize -->\n"
    where = "this blueprint" if target.uri == bp.uri else (target.entity.id or target.uri.rsplit("/", 1)[-1])
    return [Fix(f"Create section '{anchor}' in {where}", EditPlan((TextEdit(target.uri, Range(end, end), text),)), p, preferred=True)]


def _create_blueprints(ws: Workspace, bp: Blueprint, p: Problem, ctx: FixContext) -> list[Fix]:
    data = p.data if isinstance(p.data, dict) else {}
    new_id = data.get("entity")
    if not isinstance(new_id, str) or not ID_RE.fullmatch(new_id):
        return []
    new_uri = posixpath.join(posixpath.dirname(bp.uri), f"{new_id}.blueprint.md")
    if new_uri in ws.docs or ctx.exists(new_uri):
        return []
    scales = ws.config.scales
    rank = ws.config.scale_rank(bp.entity.scale)
    options: list[tuple[str, str | None, str]] = []
    if rank is not None and rank > 0 and bp.entity.id:
        options.append((scales[rank - 1], bp.entity.id, f"part of {bp.entity.id}"))
    if rank is not None:
        beside = f"beside {bp.entity.id}" if bp.entity.id else "same scale"
        options.append((scales[rank], bp.entity.parent, beside))
    if not options:
        options.append((scales[0], bp.entity.id, "smallest scale"))
    out = []
    for scale, parent, why in options:
        text = render(template_for(scale, ctx.templates), new_id, title_from_id(new_id), scale, parent)
        plan = EditPlan((TextEdit(new_uri, Range.of(0, 0), text),), creates=(new_uri,))
        out.append(Fix(f"Create blueprint '{new_id}' ({scale}, {why})", plan, p))
    return out


def _vision_edit(bp: Blueprint) -> TextEdit:
    index = line_index(bp.text)
    if bp.title_range is not None:
        after = bp.title_range.end.line
    elif bp.front_matter is not None:
        after = bp.front_matter.range.end.line
    else:
        return TextEdit(bp.uri, Range.of(0, 0), "## Vision\n<!-- synthesize -->\n\n")
    if after + 1 < index.line_count:
        at = Position(after + 1, 0)
        return TextEdit(bp.uri, Range(at, at), "\n## Vision\n<!-- synthesize -->\n")
    end = Position(after, len(index.line(after)))
    return TextEdit(bp.uri, Range(end, end), "\n\n## Vision\n<!-- synthesize -->\n")


def reorder_timeslices(bp: Blueprint) -> TextEdit | None:
    """One edit that puts the dated timeslices (with their subsections) in date order.

    Each timeslice keeps the blank lines that followed it in its slot, so the
    spacing of the document stays as it was; undated timeslices and other
    sections between them do not move.
    """
    index = line_index(bp.text)
    slots = [s for s in bp.sections if s.kind is SectionKind.TIMESLICE and s.date is not None and s.parent is None]
    if len(slots) < 2:
        return None
    blocks = []
    for s in slots:
        first, last = s.range.start.line, s.range.end.line
        while last > first and not index.line(last).strip():
            last -= 1
        blocks.append((first, last, s.range.end.line))
    order = sorted(range(len(slots)), key=lambda i: slots[i].date.sort_key)  # type: ignore[union-attr]
    if order == list(range(len(slots))):
        return None
    newline = "\r\n" if "\r\n" in bp.text else "\n"
    start, end = blocks[0][0], blocks[-1][2]
    out: list[str] = []
    line, slot = start, 0
    while line <= end:
        if slot < len(blocks) and line == blocks[slot][0]:
            src_first, src_last, _ = blocks[order[slot]]
            out += [index.line(n) for n in range(src_first, src_last + 1)]
            out += [index.line(n) for n in range(blocks[slot][1] + 1, blocks[slot][2] + 1)]
            line = blocks[slot][2] + 1
            slot += 1
            continue
        out.append(index.line(line))
        line += 1
    rng = Range(Position(start, 0), Position(end, len(index.line(end))))
    return TextEdit(bp.uri, rng, newline.join(out))
