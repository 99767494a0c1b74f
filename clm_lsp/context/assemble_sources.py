"""What might go into a context, in priority order, with a relevance score each.

Relevance drives the final order (see order.py); the order of this list drives
who gets the budget first. Scores are fixed tiers so that the result is
predictable and explainable: the focus 1.0, zoomed-in parts 0.97, Vision 0.9,
directly linked sections 0.88, newest timeslices from 0.85 down, parents from
0.7 down, retrieval 0.3 to 0.75 by score, the entity's other sections 0.55,
neighbouring entities 0.3 to 0.4.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from clm_lsp.blueprint import Blueprint, Section, SectionKind, Workspace

from .assemble_parts import Candidate

MAX_NEIGHBOURS = 40
"""Linked, linking and child entities considered (a hub entity can have hundreds)."""
RETRIEVE_K = 12


def resolve_focus(ws: Workspace, focus: str) -> tuple[Blueprint, Section] | str:
    """The focus blueprint and section, or a message saying why there is none."""
    raw = focus.strip().strip("[]").lstrip("§")
    entity, _, anchor = raw.partition("#")
    if not entity:
        return f"no entity in focus {focus!r}: write ENTITY#ANCHOR or ENTITY"
    bp = ws.entity(entity)
    if bp is None:
        return f"unknown entity {entity!r}"
    if not bp.sections:
        return f"entity {entity!r} has no sections"
    if anchor:
        section = ws.section(bp.uri, anchor)
        if section is None:
            known = ", ".join(s.anchor for s in bp.sections[:12])
            return f"entity {entity!r} has no section {anchor!r} (it has: {known})"
        return bp, section
    vision = next((s for s in bp.sections if s.kind is SectionKind.VISION), None)
    return bp, vision or bp.sections[0]


def candidates(
    ws: Workspace,
    bp: Blueprint,
    focus: Section,
    task: str,
    expand: Sequence[tuple[str, str | None]],
    retrieve: Callable[[str, int], list[tuple[str, float]]] | None,
) -> Iterator[Candidate]:
    eid = bp.entity.id or ""
    yield from _expanded(ws, expand)
    for s in bp.sections:
        if s.kind is SectionKind.VISION and s.index != focus.index:
            yield Candidate(eid, s.anchor, "vision", 0.9, True)
    yield from _linked(ws, bp, focus)
    yield from _timeslices(eid, bp, focus)
    for i, up in enumerate(ws.ancestors(eid)):
        yield Candidate(up.entity.id or "", None, "parent", max(0.5, 0.7 - 0.05 * i), False)
    if retrieve is not None:
        yield from _retrieved(retrieve, task, bp, focus)
    for s in bp.sections:
        if s.kind is SectionKind.OTHER and s.index != focus.index:
            yield Candidate(eid, s.anchor, "section", 0.55, False)
    yield from _neighbours(ws, bp)


def _expanded(ws: Workspace, expand: Sequence[tuple[str, str | None]]) -> Iterator[Candidate]:
    for entity, anchor in expand:
        if anchor is not None:
            yield Candidate(entity, anchor, "expand", 0.97, True)
            continue
        target = ws.entity(entity)  # an entity label: all its sections, in full while they fit
        for s in target.sections if target is not None else ():
            yield Candidate(entity, s.anchor, "expand", 0.96, True)


def _linked(ws: Workspace, bp: Blueprint, focus: Section) -> Iterator[Candidate]:
    for link in bp.links:
        if link.section != focus.index:
            continue
        target = ws.resolve(link, bp.uri)
        if target is None or not target.blueprint.entity.id:
            continue
        tid = target.blueprint.entity.id
        if target.section is not None:
            yield Candidate(tid, target.section.anchor, "linked", 0.88, True, "linked")
        else:
            yield Candidate(tid, None, "linked", 0.7, False)


def _timeslices(eid: str, bp: Blueprint, focus: Section) -> Iterator[Candidate]:
    slices = [s for s in bp.timeslices if s.index != focus.index]
    slices.sort(key=lambda s: s.date.sort_key if s.date else (0, 0, 0), reverse=True)
    for i, s in enumerate(slices):
        # Newest in full while the share lasts; the rest fall back to summaries.
        yield Candidate(eid, s.anchor, "timeslice", max(0.45, 0.85 - 0.03 * i), True, "timeslices")


def _retrieved(retrieve: Callable[[str, int], list[tuple[str, float]]], task: str, bp: Blueprint, focus: Section) -> Iterator[Candidate]:
    hits = retrieve(retrieval_query(bp, focus, task), RETRIEVE_K)
    top = max((score for _sid, score in hits), default=0.0) or 1.0
    for sid, score in hits:
        entity, _, anchor = sid.partition("#")
        if entity and anchor and not (entity == bp.entity.id and anchor == focus.anchor):
            yield Candidate(entity, anchor, "retrieved", 0.3 + 0.45 * max(0.0, score) / top, True, "retrieval")


def retrieval_query(bp: Blueprint, focus: Section, task: str) -> str:
    """What retrieval is asked: the task, then the focus section's and entity's titles.

    Public so that a caller whose search is asynchronous (the server's index) can run
    it first and hand ``assemble`` a retriever over the precomputed hits."""
    return " ".join(x for x in (task, focus.title, bp.entity.title or "") if x)


def _neighbours(ws: Workspace, bp: Blueprint) -> Iterator[Candidate]:
    eid = bp.entity.id or ""
    seen = {eid, *(a.entity.id for a in ws.ancestors(eid))}
    found: list[tuple[str, float]] = []
    for link in bp.links:
        target = ws.target_document(link, bp.uri)
        if target is not None and target.entity.id:
            found.append((target.entity.id, 0.4))
    for uri, _link in ws.incoming(eid):
        src = ws.docs.get(uri)
        if src is not None and src.entity.id:
            found.append((src.entity.id, 0.35))
    found.extend((c.entity.id, 0.3) for c in ws.children(eid) if c.entity.id)
    for other, rel in found:
        if other not in seen and len(seen) < MAX_NEIGHBOURS:
            seen.add(other)
            yield Candidate(other, None, "entity", rel, False)
