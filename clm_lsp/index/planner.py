"""One batch of changed files -> the graph change set and the entities whose vectors to redo.

Ownership: several files may claim one entity id (CLM003). As in the in-memory
Workspace, the first by path owns it; the others contribute nothing. When the
owner goes away the next claimant is promoted (parsed from disk if it was not
part of the batch).

A file whose front matter breaks (a half-typed YAML line, saved) keeps its last
good content in the index instead of dropping the entity, its summaries and its
vectors, and getting them all back one save later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .graph import Graph
from .records import Derived, FileRow, GraphPlan, SectionRow


@dataclass(frozen=True, slots=True)
class Parsed:
    rel: str
    file: FileRow
    derived: Derived | None
    keep: bool = False
    """Broken front matter: the previous content of its entity stays in the index."""


@dataclass
class BatchPlan:
    graph: GraphPlan
    entities: dict[str, Derived | None] = field(default_factory=dict)
    """Entities rewritten by this batch (None: deleted): their vectors follow."""


def plan_batch(
    graph: Graph,
    parsed: list[Parsed],
    deleted: list[str],
    old_files: dict[str, FileRow],
    load_owner: Callable[[str], Derived | None],
) -> BatchPlan:
    batch_paths = {p.rel for p in parsed} | set(deleted)
    ids = {old_files[r].entity for r in batch_paths if r in old_files and old_files[r].entity}
    ids |= {p.file.entity for p in parsed if p.file.entity}
    claims = {ent: [r for r in paths if r not in batch_paths] for ent, paths in graph.claims(ids).items()}
    for p in parsed:
        if p.file.entity:
            claims.setdefault(p.file.entity, []).append(p.rel)
    current = graph.entity_paths(ids)
    by_rel = {p.rel: p for p in parsed}
    results: dict[str, Derived | None] = {}
    for ent in sorted(ids):
        outcome = _owner_content(ent, sorted(claims.get(ent, [])), by_rel, current, load_owner)
        if outcome is not _UNCHANGED and (outcome is not None or ent in current):
            results[ent] = outcome
    return BatchPlan(_graph_plan(graph, parsed, deleted, results, current), results)


_UNCHANGED = object()


def _owner_content(ent: str, owners: list[str], by_rel: dict[str, Parsed], current: dict[str, str], load_owner):
    """The new content of ``ent``: a Derived, None (no owner left) or _UNCHANGED."""
    for owner in owners:
        p = by_rel.get(owner)
        if p is not None and not p.keep and p.derived is not None:
            return p.derived
        if current.get(ent) == owner:
            return _UNCHANGED  # the owner is the file already indexed, and it did not change
        if p is None:
            derived = load_owner(owner)  # promoted from duplicate to owner
            if derived is not None and derived.entity.id == ent:
                return derived
    return None


def _graph_plan(graph: Graph, parsed: list[Parsed], deleted: list[str], results: dict[str, Derived | None], current: dict[str, str]) -> GraphPlan:
    old_sections = graph.section_hashes(results)
    plan = GraphPlan(
        files_upsert=[p.file for p in parsed], files_delete=list(deleted), entities_upsert=[], entities_delete=[],
        sections_put=[], sections_new=set(), sections_changed=set(), sections_delete=[],
        link_files=sorted({p.rel for p in parsed if not p.keep} | set(deleted)), links_new=[],
        touched=set(results), touched_paths=set(), next_pairs=[],
    )
    by_entity: dict[str, list[str]] = {}
    for sid, (ent, _hash) in old_sections.items():
        by_entity.setdefault(ent, []).append(sid)
    link_files = set(plan.link_files)
    for ent, derived in results.items():
        if ent in current:
            plan.touched_paths.add(current[ent])
            link_files.add(current[ent])
        if derived is None:
            plan.entities_delete.append(ent)
            plan.sections_delete.extend(by_entity.get(ent, []))
            continue
        plan.entities_upsert.append(derived.entity)
        plan.touched_paths.add(derived.entity.path)
        link_files.add(derived.entity.path)
        keep = set()
        for sec in derived.sections:
            keep.add(sec.id)
            old = old_sections.get(sec.id)
            if old is None:
                plan.sections_new.add(sec.id)
            elif old[1] != sec.hash:
                plan.sections_changed.add(sec.id)
        plan.sections_put.extend(derived.sections)
        plan.sections_delete.extend(sid for sid in by_entity.get(ent, []) if sid not in keep)
        plan.links_new.extend(derived.links)
        plan.next_pairs.extend(timeslice_pairs(derived.sections))
    plan.link_files = sorted(link_files)
    return plan


def timeslice_pairs(sections: tuple[SectionRow, ...] | list[SectionRow]) -> list[tuple[str, str]]:
    """(timeslice, the next one by date) pairs; document order breaks ties."""
    ordered = sorted((s for s in sections if s.kind == "timeslice"), key=lambda s: (s.date_key, s.ord))
    return [(a.id, b.id) for a, b in zip(ordered, ordered[1:])]
