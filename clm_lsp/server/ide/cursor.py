"""What is under the cursor: a link (and which part of it), a heading, the title or a front matter field."""

from __future__ import annotations

import bisect
import enum
from dataclasses import dataclass

from clm_lsp.blueprint import Blueprint, Field, Link, Position, Range, Section, Workspace


class HitKind(str, enum.Enum):
    LINK = "link"
    HEADING = "heading"
    TITLE = "title"
    FIELD = "field"


class LinkPart(str, enum.Enum):
    ENTITY = "entity"
    ANCHOR = "anchor"
    OTHER = "other"
    """The brackets, the alias, or a Markdown link's path."""


@dataclass(frozen=True, slots=True)
class Hit:
    kind: HitKind
    link: Link | None = None
    part: LinkPart | None = None
    section: Section | None = None
    field: Field | None = None
    on_value: bool = False
    """For a field: the cursor is on the value (not the key)."""


def find_in(ws: Workspace, uri: str, pos: Position) -> tuple[Blueprint, Hit] | None:
    """The document at ``uri`` and the thing at ``pos`` in it: what hover, definition,
    references and rename start from. None for a document the workspace does not hold
    or for plain text."""
    bp = ws.docs.get(uri)
    hit = find(bp, pos) if bp is not None else None
    return (bp, hit) if bp is not None and hit is not None else None


def find(bp: Blueprint, pos: Position) -> Hit | None:
    """The thing at ``pos`` (a core position), or None for plain text."""
    if bp.skipped:
        return None
    link = link_at(bp, pos)
    if link is not None:
        return Hit(HitKind.LINK, link=link, part=_link_part(link, pos))
    fm = bp.front_matter
    if fm is not None and fm.range.contains(pos):
        return _field_hit(bp, pos)
    for section in bp.sections:
        if section.heading_range.contains(pos):
            return Hit(HitKind.HEADING, section=section)
        if section.heading_range.start.line > pos.line:
            break
    if bp.title_range is not None and bp.title_range.contains(pos):
        return Hit(HitKind.TITLE)
    return None


def link_at(bp: Blueprint, pos: Position) -> Link | None:
    """The link whose range holds ``pos``; with two adjacent links, the one starting there."""
    links = bp.links
    if not links:
        return None
    starts = _link_starts(bp)
    i = bisect.bisect_right(starts, pos) - 1
    for j in (i, i - 1):
        if 0 <= j < len(links) and links[j].range.contains(pos):
            return links[j]
    return None


_STARTS_CACHE: dict[int, tuple[Blueprint, list[Position]]] = {}


def _link_starts(bp: Blueprint) -> list[Position]:
    # Keyed by id() and checked by identity: a Blueprint is immutable, and the cache
    # keeps the blueprint alive, so the id cannot be reused while the entry exists.
    hit = _STARTS_CACHE.get(id(bp))
    if hit is not None and hit[0] is bp:
        return hit[1]
    if len(_STARTS_CACHE) > 64:
        _STARTS_CACHE.clear()
    starts = [link.range.start for link in bp.links]
    _STARTS_CACHE[id(bp)] = (bp, starts)
    return starts


def _link_part(link: Link, pos: Position) -> LinkPart:
    if link.anchor_range is not None and _touches(link.anchor_range, pos):
        return LinkPart.ANCHOR
    if link.entity_range is not None and _touches(link.entity_range, pos):
        return LinkPart.ENTITY
    return LinkPart.OTHER


def _touches(rng: Range, pos: Position) -> bool:
    return rng.start <= pos <= rng.end


def _field_hit(bp: Blueprint, pos: Position) -> Hit | None:
    fm = bp.front_matter
    assert fm is not None
    for f in fm.fields.values():
        if f.value_range.contains(pos) and f.value_range.start != f.value_range.end:
            return Hit(HitKind.FIELD, field=f, on_value=True)
        if f.key_range.contains(pos):
            return Hit(HitKind.FIELD, field=f, on_value=False)
    return None


def section_at(bp: Blueprint, pos: Position) -> Section | None:
    """The innermost section whose range holds ``pos`` (None before the first section)."""
    found = None
    for section in bp.sections:
        if section.range.start.line > pos.line:
            break
        if section.range.contains(pos):
            found = section
    return found
