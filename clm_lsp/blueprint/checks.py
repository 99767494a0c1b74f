"""Deterministic checks of one document against the workspace snapshot.

``check_document`` runs after each keystroke, so everything here is a dict
lookup on the snapshot's indexes: no scan over all documents per link. The
did-you-mean lists (prefix and difflib matches over every id) are cached on the snapshot.
"""

from __future__ import annotations

import logging
import posixpath
from typing import Any

from . import codes
from .model import Blueprint, Link, LinkKind, Problem, Range, Related, SectionKind
from .suggest import NameIndex, closest
from .workspace import Workspace, display_title

log = logging.getLogger(__name__)


def _problem(code: str, rng: Range, message: str, related: tuple[Related, ...] = (), data: Any = None) -> Problem:
    return Problem(code, codes.severity(code), rng, message, related=related, data=data)


def check_document(ws: Workspace, uri: str) -> list[Problem]:
    """The document's parse problems plus the ones that depend on the workspace."""
    bp = ws.docs.get(uri)
    if bp is None:
        return []
    problems = list(bp.problems)
    if bp.skipped:
        return problems
    try:
        problems += _link_problems(ws, bp)
        problems += _identity_problems(ws, bp)
        problems += _structure_problems(bp)
    except Exception as exc:  # noqa: BLE001 - a bug in one check must not take the server down
        log.exception("checks failed on %s", uri)
        msg = f"Internal error while checking this file ({type(exc).__name__}: {exc}); please report it."
        problems.append(_problem(codes.INTERNAL_ERROR, Range.of(0, 0), msg))
    problems.sort(key=lambda p: (p.range.start, p.code))
    return problems


def check_workspace(ws: Workspace) -> dict[str, list[Problem]]:
    """Problems of every document (an empty list for a clean one)."""
    return {uri: check_document(ws, uri) for uri in sorted(ws.docs)}


def _similar_ids(ws: Workspace, word: str) -> list[str]:
    """Did-you-mean ids; the index and the answers are cached while the set of ids is unchanged."""
    cache = ws.suggestions_cache()
    found = cache.get(("id", word))
    if found is None:
        index = cache.get(("index",))
        if index is None:
            index = cache[("index",)] = NameIndex(ws.entity_ids())  # type: ignore[assignment]
        found = cache[("id", word)] = index.closest(word)  # type: ignore[union-attr]
    return found


def warm_suggestions(ws: Workspace) -> int:
    """Fill ``ws``'s did-you-mean cache for every unknown entity a check will name (links and
    parents); returns how many. Each costs milliseconds at 10,000 ids and a checkout can break
    a thousand links: meant for a worker thread, so the re-check on the event loop finds them
    ready (docs/reliability.md, Load)."""
    words: set[str] = set()
    for bp in list(ws.docs.values()):
        parent = bp.entity.parent
        if parent and ws.entity(parent) is None:
            words.add(parent)
        for link in bp.links:
            if link.kind is not LinkKind.MARKDOWN and link.entity and ws.entity(link.entity) is None:
                words.add(link.entity)
    for word in sorted(words):
        _similar_ids(ws, word)
    return len(words)


def _hint(suggestions: list[str]) -> str:
    return f"; did you mean '{suggestions[0]}'?" if suggestions else "."


# -- links ------------------------------------------------------------------------


def _link_problems(ws: Workspace, bp: Blueprint) -> list[Problem]:
    out: list[Problem] = []
    for link in bp.links:
        if ws.link_leaves_workspace(link, bp.uri):
            msg = f"This link points outside the workspace ('{link.path}'); link only to blueprints inside it, with relative paths."
            out.append(_problem(codes.LINK_LEAVES_WORKSPACE, link.target_range, msg))
            continue
        target = ws.target_document(link, bp.uri)
        if target is None:
            out.append(_unknown_entity(ws, link))
            continue
        if link.anchor is not None and ws.resolve(link, bp.uri) is None:
            out.append(_unknown_anchor(ws, link, target, same=target.uri == bp.uri))
    return out


def _unknown_entity(ws: Workspace, link: Link) -> Problem:
    if link.kind is LinkKind.MARKDOWN:
        msg = f"No blueprint at '{link.path}' in the workspace."
        return _problem(codes.BROKEN_ENTITY, link.target_range, msg, data={"path": link.path, "suggestions": []})
    name = link.entity or ""
    suggestions = _similar_ids(ws, name)
    msg = f"Unknown entity '{name}'{_hint(suggestions)}"
    rng = link.entity_range or link.target_range
    return _problem(codes.BROKEN_ENTITY, rng, msg, data={"entity": name, "suggestions": suggestions})


def _unknown_anchor(ws: Workspace, link: Link, target: Blueprint, same: bool) -> Problem:
    anchor = link.anchor or ""
    anchors = tuple(s.anchor for s in target.sections)
    # The target's anchors are part of the key, so the answer stays right when that file changes.
    cache = ws.suggestions_cache()
    suggestions = cache.get(("anchor", anchor, *anchors))
    if suggestions is None:
        suggestions = cache[("anchor", anchor, *anchors)] = closest(anchor, anchors)
    where = "this blueprint" if same else (target.entity.id or display_title(target))
    msg = f"Unknown section '{anchor}' in {where}{_hint(suggestions)}"
    data = {"entity": target.entity.id, "anchor": anchor, "suggestions": suggestions}
    return _problem(codes.BROKEN_ANCHOR, link.anchor_range or link.target_range, msg, data=data)


# -- identity and hierarchy ----------------------------------------------------------


def _field_range(bp: Blueprint, key: str) -> Range:
    fm = bp.front_matter
    if fm is not None and key in fm.fields:
        return fm.fields[key].value_range
    return fm.range if fm is not None else Range.of(0, 0)


def _identity_problems(ws: Workspace, bp: Blueprint) -> list[Problem]:
    out: list[Problem] = []
    ent_id = bp.entity.id
    if ent_id is not None:
        others = [u for u in ws.uris_for_id(ent_id) if u != bp.uri]
        if others:
            related = tuple(Related(u, _field_range(ws.docs[u], "id"), f"The id '{ent_id}' is also used here") for u in others)
            names = ", ".join(posixpath.basename(u) for u in others)
            msg = f"The id '{ent_id}' is also used by {names}; ids must be unique in the workspace."
            out.append(_problem(codes.DUPLICATE_ID, _field_range(bp, "id"), msg, related))
    parent_id = bp.entity.parent
    if parent_id is None:
        return out
    parent = ws.entity(parent_id)
    rng = _field_range(bp, "parent")
    if parent is None:
        suggestions = _similar_ids(ws, parent_id)
        msg = f"Unknown parent '{parent_id}'{_hint(suggestions)}"
        out.append(_problem(codes.UNKNOWN_PARENT, rng, msg, data={"entity": parent_id, "suggestions": suggestions}))
        return out
    cycle = _cycle(ws, bp)
    if cycle:
        msg = f"The parent chain loops back to this entity: {' -> '.join(cycle)}."
        out.append(_problem(codes.PARENT_CYCLE, rng, msg))
        return out
    out += _scale_problem(ws, bp, parent)
    return out


def _cycle(ws: Workspace, bp: Blueprint) -> list[str]:
    """The id chain from this entity back to itself, or [] when its ancestry does not loop to it."""
    own = bp.entity.id
    if own is None:
        return []
    chain = [own]
    current = bp.entity.parent
    seen: set[str] = set()
    while current is not None and current not in seen:
        chain.append(current)
        if current == own:
            return chain
        seen.add(current)
        up = ws.entity(current)
        current = up.entity.parent if up is not None else None
    return []


def _scale_problem(ws: Workspace, bp: Blueprint, parent: Blueprint) -> list[Problem]:
    mine = ws.config.scale_rank(bp.entity.scale)
    theirs = ws.config.scale_rank(parent.entity.scale)
    if mine is None or theirs is None or mine <= theirs:
        return []
    msg = (
        f"Scale '{bp.entity.scale}' is larger than the scale '{parent.entity.scale}' of the parent "
        f"'{parent.entity.id}'; a part cannot be larger than the whole it belongs to."
    )
    related = (Related(parent.uri, _field_range(parent, "scale"), "the parent's scale"),)
    return [_problem(codes.SCALE_ABOVE_PARENT, _field_range(bp, "scale"), msg, related)]


# -- structure ----------------------------------------------------------------------


def _structure_problems(bp: Blueprint) -> list[Problem]:
    out: list[Problem] = []
    visions = [s for s in bp.sections if s.kind is SectionKind.VISION]
    if not visions:
        rng = bp.title_range or Range.of(0, 0)
        out.append(_problem(codes.MISSING_VISION, rng, "No `## Vision` section: add one that says what this entity is for."))
    for extra in visions[1:]:
        related = (Related(bp.uri, visions[0].heading_range, "the first Vision"),)
        msg = "A second `## Vision` section: a blueprint has one active vision; merge them or rename this one."
        out.append(_problem(codes.DUPLICATE_VISION, extra.heading_range, msg, related))
    latest = None
    for s in bp.timeslices:
        if s.date is None:
            continue
        if latest is not None and s.date.sort_key < latest.date.sort_key:
            msg = f"Timeslice {s.date.raw} comes after Timeslice {latest.date.raw}; keep timeslices oldest first."
            related = (Related(bp.uri, latest.heading_range, "the later timeslice above"),)
            out.append(_problem(codes.TIMESLICE_ORDER, s.heading_range, msg, related))
        else:
            latest = s
    return out
