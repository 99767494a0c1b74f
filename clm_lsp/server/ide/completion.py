"""Completion: entity ids after `[[`, anchors after `#`, and front matter values and keys."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clm_lsp.blueprint import Blueprint, Position, Range, SectionKind, Workspace, display_title
from clm_lsp.blueprint.workspace import ENTITY_DERIVED

from . import fuzzy
from .textutil import line_index
from .types import Candidate

STATUSES = ("draft", "active", "archived")
FRONT_MATTER_KEYS = ("id", "title", "scale", "parent", "status", "tags")
_VALUE_LINE = re.compile(r"^(parent|scale|status)[ \t]*:[ \t]*(['\"]?)([^'\"\s]*)$")
_KEY_LINE = re.compile(r"^([A-Za-z_]*)$")
_WORD_TAIL = re.compile(r"[^\]\[|#\s]*")
_VALUE_TAIL = re.compile(r"[^'\"\s]*")


@dataclass(frozen=True, slots=True)
class Completions:
    items: list[Candidate]
    incomplete: bool
    """True when more candidates matched than were sent: the client asks again as the user types."""


EMPTY = Completions([], False)


def complete(ws: Workspace, uri: str, pos: Position, limit: int = 200) -> Completions:
    bp = ws.docs.get(uri)
    if bp is None or bp.skipped:
        return EMPTY
    line = line_index(bp.text).line(pos.line)
    before = line[: pos.character]
    if _in_front_matter(bp, pos):
        return _front_matter(ws, bp, pos, line, before, limit)
    opened = before.rfind("[[")
    if opened < 0 or "]]" in before[opened:]:
        return EMPTY
    typed = before[opened + 2 :]
    if "|" in typed or "[" in typed:
        return EMPTY  # after `|` comes free text: nothing to offer
    if "#" in typed:
        entity, partial = typed.split("#", 1)
        return _anchors(ws, bp, entity.strip(), partial, _replace(line, pos, len(partial)), limit)
    return _entities(ws, typed, _replace(line, pos, len(typed)), line, limit)


def _in_front_matter(bp: Blueprint, pos: Position) -> bool:
    fm = bp.front_matter
    return fm is not None and 0 < pos.line < fm.range.end.line


def _replace(line: str, pos: Position, typed_len: int) -> Range:
    """From the start of what was typed to the end of the word the cursor is in."""
    tail = _WORD_TAIL.match(line, pos.character)
    end = tail.end() if tail else pos.character
    return Range.of(pos.line, pos.character - typed_len, pos.line, end)


def _closing(line: str, rng: Range, stops: str) -> str:
    """`]]` to append unless the link is already closed (or continues with `#` / `|`)."""
    rest = line[rng.end.character :]
    return "" if rest[:1] and rest[0] in stops else "]]"


def _entities(ws: Workspace, typed: str, rng: Range, line: str, limit: int) -> Completions:
    close = _closing(line, rng, "]#|")
    # A screenful of prefix/substring matches is plenty while typing: scattered matches only
    # come in when those are few (the list is marked incomplete, so narrowing asks again).
    found, more = entity_index(ws).rank(typed.strip(), limit, enough=min(limit, 20))
    items = []
    for n, entity_id in enumerate(found):
        bp = ws.entity(entity_id)
        if bp is None:
            continue
        detail = " · ".join(x for x in (display_title(bp), bp.entity.scale) if x)
        items.append(Candidate(entity_id, "entity", detail, entity_id + close, rng, f"{n:05d}", entity_id, {"id": entity_id}))
    return Completions(items, more)


_ENTITIES = ENTITY_DERIVED + "completion"
_PARENTS = ENTITY_DERIVED + "parents"


def entity_index(ws: Workspace) -> fuzzy.Index[str]:
    """Every id, searched by id and title: built once per snapshot and kept across edits that
    leave the ids and titles alone (tens of ms at 10,000 files; a query then takes well under 1 ms)."""
    return ws.derived(_ENTITIES, _build_entity_index)


def indexes_missing(ws: Workspace) -> bool:
    """True when a completion on ``ws`` would first build the entity indexes (after a read or a
    burst before the warm-up thread got there, or after an id or title changed): 0.4 s at 10,000
    entities under load. The server builds them in a thread (``prepare``) before answering."""
    return not (ws.has_derived(_ENTITIES) and ws.has_derived(_PARENTS))


def prepare(ws: Workspace) -> None:
    """Build what ``complete`` needs from the whole workspace (a worker thread may call this:
    the snapshot is immutable and a derived value built twice is harmless)."""
    entity_index(ws)
    _parent_index(ws)


def _build_entity_index(ws: Workspace) -> fuzzy.Index[str]:
    def keys(entity_id: str) -> tuple[str, ...]:
        bp = ws.entity(entity_id)
        return (entity_id, (bp.entity.title or "") if bp is not None else "")

    return fuzzy.Index(ws.entity_ids(), keys)


def _parent_index(ws: Workspace) -> fuzzy.Index[str]:
    """Every id, searched by id alone (a `parent:` value is an id)."""
    return ws.derived(_PARENTS, lambda w: fuzzy.Index(w.entity_ids(), lambda i: (i,)))


def _anchors(ws: Workspace, bp: Blueprint, entity: str, partial: str, rng: Range, limit: int) -> Completions:
    target = bp if not entity else ws.entity(entity)
    if target is None:
        return EMPTY
    line = line_index(bp.text).line(rng.start.line)
    close = _closing(line, rng, "]|")
    found, more = fuzzy.rank(partial, target.sections, lambda s: (s.anchor, s.title), limit)
    items = []
    for n, s in enumerate(found):
        kind = {SectionKind.TIMESLICE: "timeslice", SectionKind.VISION: "vision"}.get(s.kind, "section")
        detail = f"{'#' * s.level} {s.title} ({kind})"
        data = {"id": target.entity.id, "anchor": s.anchor} if target.entity.id else {"uri": target.uri, "anchor": s.anchor}
        items.append(Candidate(s.anchor, "anchor", detail, s.anchor + close, rng, f"{n:05d}", s.anchor, data))
    return Completions(items, more)


def _front_matter(ws: Workspace, bp: Blueprint, pos: Position, line: str, before: str, limit: int) -> Completions:
    m = _VALUE_LINE.match(before)
    if m is not None:
        key, typed = m.group(1), m.group(3)
        tail = _VALUE_TAIL.match(line, pos.character)
        rng = Range.of(pos.line, pos.character - len(typed), pos.line, tail.end() if tail else pos.character)
        if key == "parent":
            return _parents(ws, bp, typed, rng, limit)
        values = ws.config.scales if key == "scale" else STATUSES
        return _words(values, typed, rng, key)
    k = _KEY_LINE.match(before)
    if k is None or pos.character != len(before):
        return EMPTY
    present = set(bp.front_matter.fields) if bp.front_matter else set()
    keys = [key for key in FRONT_MATTER_KEYS if key not in present]
    rng = Range.of(pos.line, 0, pos.line, len(line) if line.strip() == before.strip() else pos.character)
    found, more = fuzzy.rank(k.group(1), keys, lambda s: (s,), limit)
    items = [Candidate(key, "key", "front matter field", f"{key}: ", rng, f"{n:05d}", key) for n, key in enumerate(found)]
    return Completions(items, more)


def _parents(ws: Workspace, bp: Blueprint, typed: str, rng: Range, limit: int) -> Completions:
    own_rank = ws.config.scale_rank(bp.entity.scale)
    # One more than asked for: the document's own id may be among them, and is left out.
    found, more = _parent_index(ws).rank(typed, limit + 1)
    if bp.entity.id in found:
        found.remove(bp.entity.id)
    else:
        more = more or len(found) > limit
    found = found[:limit]

    def fits(entity_id: str) -> bool:
        parent = ws.entity(entity_id)
        theirs = ws.config.scale_rank(parent.entity.scale) if parent else None
        return own_rank is None or theirs is None or theirs >= own_rank

    # Parents that can hold this entity's scale come first; the fuzzy order is kept within each group.
    ordered = sorted(found, key=lambda i: not fits(i)) if not typed else found
    items = []
    for n, entity_id in enumerate(ordered):
        parent = ws.entity(entity_id)
        detail = " · ".join(x for x in (display_title(parent), parent.entity.scale) if x) if parent else ""
        data = {"id": entity_id} if parent else {}
        items.append(Candidate(entity_id, "entity", detail, entity_id, rng, f"{n:05d}", entity_id, data))
    return Completions(items, more)


def _words(values: tuple[str, ...], typed: str, rng: Range, key: str) -> Completions:
    found, _ = fuzzy.rank(typed, values, lambda s: (s,), len(values))
    # Scales keep their small-to-large order when nothing is typed: the order carries meaning.
    ordered = found if typed else list(values)
    detail = "scale" if key == "scale" else "status"
    items = [Candidate(v, key, f"{detail} {values.index(v) + 1}/{len(values)}", v, rng, f"{n:05d}", v) for n, v in enumerate(ordered)]
    return Completions(items, False)


def resolve_documentation(ws: Workspace, data: dict, max_lines: int = 8, max_chars: int = 600) -> str | None:
    """Markdown for a completion item: the target's title and its first lines."""
    if not isinstance(data, dict):
        return None
    uri, entity_id = data.get("uri"), data.get("id")
    bp = ws.entity(entity_id) if isinstance(entity_id, str) else ws.docs.get(uri) if isinstance(uri, str) else None
    if bp is None:
        return None
    anchor = data.get("anchor")
    section = ws.section(bp.uri, anchor) if isinstance(anchor, str) else None
    if section is None and anchor is None:
        section = next((s for s in bp.sections if s.kind is SectionKind.VISION), None)
    heading = f"**{display_title(bp)}**" + (f" › {section.title}" if section is not None and anchor else "")
    body = section.text if section is not None else ""
    lines = [ln for ln in body.split("\n") if ln.strip() and not ln.lstrip().startswith("<!--")][:max_lines]
    text = "\n".join(lines)
    if len(text) > max_chars:
        text = text[: max_chars - 1].rstrip() + "…"
    return f"{heading}\n\n{text}" if text else heading
