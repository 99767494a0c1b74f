"""What to summarise and in which order (pure: a Workspace in, targets out).

Targets, each keyed by a string that names what it stands for:

- ``L0:<entity>#<anchor>``: a section, from its own body text (level 0);
- ``L1:<entity>``: an entity, from the level-0 summaries of its sections (level 1);
- ``T:<entity>``: an entity with child entities (``parent:`` in their front matter),
  from its own level-1 summary and each child's top summary (level 2 and up: a
  city from its districts, a region from its cities).

The order is a dependency order: every input comes before what is made from it.
Priority entities (hovered, then open) come first with their own levels 0 and 1;
the trees come last, lowest first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from clm_lsp.blueprint import Blueprint, Workspace

from .prompts import EXTRACTIVE_SUFFIX, PROMPT_VERSION


@dataclass(frozen=True, slots=True)
class Target:
    key: str
    level: int
    """0 section, 1 entity, 2+ entity tree (1 + the highest level among its inputs)."""
    entity: str
    anchor: str | None
    uri: str
    title: str
    """The section's title (level 0) or the entity's."""
    entity_title: str
    text: str = ""
    """Level 0: the section's own body. Higher levels: empty (their inputs are summaries)."""
    content_hash: str = ""
    """Level 0: the section's content hash (its key). Higher levels: empty (see input_digest)."""
    inputs: tuple[str, ...] = ()
    """Keys of the summaries this one is made from (higher levels)."""

    @property
    def section_id(self) -> str:
        return f"{self.entity}#{self.anchor}"


def node_id(key: str, model_id: str) -> str:
    """The graph id of a target's summary by one model: one slot per (target, model, prompt version)."""
    return f"{key}|{model_id}|{PROMPT_VERSION}"


def key_of(node: str) -> str:
    return node.split("|", 1)[0]


def base_version(prompt_version: str) -> str:
    return prompt_version.removesuffix(EXTRACTIVE_SUFFIX)


def input_digest(target: Target, inputs: Sequence[tuple[str, str, str]]) -> str:
    """The key of a higher-level summary: its target and the keys of what it was made from,
    ``inputs`` = (source hash, model id, prompt version) of each input summary. Keys, not
    texts: an edit then invalidates its whole chain upwards even when a regenerated
    summary happens to read the same, and a model change reaches every level."""
    h = hashlib.sha256(target.key.encode())
    h.update(b"\0" + target.entity_title.encode())
    for key, (source_hash, model_id, version) in zip(target.inputs, inputs, strict=True):
        h.update(f"\0{key}\0{source_hash}\0{model_id}\0{version}".encode())
    return h.hexdigest()[:16]


def plan(ws: Workspace, priority: Iterable[str] = (), only: set[str] | None = None) -> list[Target]:
    """Every target of ``ws`` in dependency order; ``priority`` holds entity ids to do first.

    ``only`` restricts the plan to these entity ids (their sections and level 1; trees
    only of entities in ``only``), for ``clm-lsp summarize PATH ENTITY``.
    """
    docs = _entities(ws)
    per_entity = {eid: _entity_targets(bp) for eid, bp in docs.items()}
    first = [e for e in dict.fromkeys(priority) if e in per_entity]
    order = first + [e for e in per_entity if e not in set(first)]
    out: list[Target] = []
    for eid in order:
        if only is None or eid in only:
            out.extend(per_entity[eid])
    out.extend(t for t in _trees(ws, docs, per_entity) if only is None or t.entity in only)
    return out


def _entities(ws: Workspace) -> dict[str, Blueprint]:
    """entity id -> the blueprint that owns it (the first claimant), in workspace order."""
    out: dict[str, Blueprint] = {}
    for bp in ws.docs.values():
        eid = bp.entity.id
        if eid and not bp.skipped and eid not in out and ws.entity(eid) is bp:
            out[eid] = bp
    return out


_MEMO: dict[str, tuple[Blueprint, list[Target]]] = {}
_MEMO_MAX = 50_000


def _entity_targets(bp: Blueprint) -> list[Target]:
    """One blueprint's section targets and its entity target, remembered for the latest
    blueprint object of each URI: a blueprint is immutable and an unchanged document keeps
    its object from snapshot to snapshot, so planning a large workspace again after one
    edit redoes one file. One entry per URI (never one per keystroke): memory stays bounded."""
    hit = _MEMO.get(bp.uri)
    if hit is not None and hit[0] is bp:
        return hit[1]
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    targets = _make_entity_targets(bp)
    _MEMO[bp.uri] = (bp, targets)
    return targets


def _make_entity_targets(bp: Blueprint) -> list[Target]:
    eid = bp.entity.id or ""
    title = bp.entity.title or eid
    sections: list[Target] = []
    seen: set[str] = set()
    for sec in bp.sections:
        if sec.anchor in seen:
            continue  # a colliding anchor: the first wins, as in the index
        seen.add(sec.anchor)
        if sec.placeholder or not sec.text.strip():
            continue
        sections.append(Target(
            key=f"L0:{eid}#{sec.anchor}", level=0, entity=eid, anchor=sec.anchor, uri=bp.uri,
            title=sec.title, entity_title=title, text=sec.text, content_hash=sec.content_hash,
        ))
    if not sections:
        return []
    top = Target(key=f"L1:{eid}", level=1, entity=eid, anchor=None, uri=bp.uri, title=title,
                 entity_title=title, inputs=tuple(t.key for t in sections))
    return [*sections, top]


def _trees(ws: Workspace, docs: dict[str, Blueprint], per_entity: dict[str, list[Target]]) -> list[Target]:
    """Tree targets, children before parents; entities in a parent cycle get none."""
    top: dict[str, Target] = {eid: ts[-1] for eid, ts in per_entity.items() if ts}
    kids = {eid: [c.entity.id for c in ws.children(eid) if c.entity.id in docs and c.entity.id != eid] for eid in docs}
    out: list[Target] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(eid: str) -> None:
        if state.get(eid):
            return
        state[eid] = 1
        for child in kids.get(eid, []):
            visit(child)
        state[eid] = 2
        inputs = [top[c] for c in kids.get(eid, []) if c in top and state.get(c) == 2]
        if not inputs:
            return
        own = [top[eid]] if eid in top and top[eid].level == 1 else []
        bp = docs[eid]
        title = bp.entity.title or eid
        level = 1 + max(t.level for t in [*own, *inputs])
        tree = Target(key=f"T:{eid}", level=level, entity=eid, anchor=None, uri=bp.uri, title=title,
                      entity_title=title, inputs=tuple(t.key for t in [*own, *inputs]))
        top[eid] = tree
        out.append(tree)

    for eid in docs:
        visit(eid)
    return out


def closure(targets: dict[str, Target], key: str) -> list[str]:
    """``key`` and everything it is made from, inputs first."""
    out: list[str] = []
    seen: set[str] = set()

    def walk(k: str) -> None:
        if k in seen or k not in targets:
            return
        seen.add(k)
        for child in targets[k].inputs:
            walk(child)
        out.append(k)

    walk(key)
    return out
