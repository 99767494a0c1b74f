"""Plain rows the index stores, and their derivation from a parsed Blueprint (pure).

Identity: an entity is its front matter ``id``; a section is ``entity#anchor``
(the same name a link uses), so moving a file keeps every id, and a section whose
text did not change keeps its content hash, its vectors and its summaries. Paths
are workspace-relative POSIX paths, so a store can be moved with its folder.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from clm_lsp.blueprint import Blueprint, LinkKind, Section, SectionKind, estimate_tokens


@dataclass(frozen=True, slots=True)
class FileRow:
    path: str
    mtime_ns: int
    """-1 when the text came from an editor buffer, not from the disk."""
    size: int
    hash: str
    entity: str | None
    """The entity id this file claims (None: no valid id)."""
    ok: bool = True
    """False when the last text had broken front matter (its previous content is kept)."""


@dataclass(frozen=True, slots=True)
class EntityRow:
    id: str
    title: str
    scale: str
    status: str
    parent: str
    """'' when none."""
    tags: tuple[str, ...]
    path: str
    title_anchor: str


@dataclass(frozen=True, slots=True)
class SectionRow:
    id: str
    entity: str
    anchor: str
    title: str
    crumbs: str
    """Enclosing section titles and this one, joined by ' > '."""
    kind: str
    date: str
    """The timeslice date as written ('' for other sections)."""
    date_key: str
    """'YYYY-MM-DD' of the first day the date names: sorts timeslices."""
    level: int
    ord: int
    parent: str
    """Anchor of the enclosing section ('' at top level)."""
    start_line: int
    end_line: int
    body_start: int
    body_end: int
    hash: str
    tokens: int
    placeholder: bool
    text: str


@dataclass(frozen=True, slots=True)
class LinkRow:
    id: str
    file: str
    src: str
    """Section id the link sits in, or the entity id before the first section."""
    src_kind: str
    """'section' or 'entity'."""
    entity: str
    """Target entity id as written; '' for Markdown links (see ``path``)."""
    anchor: str
    path: str
    """Markdown links: the target file, workspace-relative; '' for wiki links."""
    raw: str
    line: int
    character: int
    end_line: int
    end_character: int


@dataclass(frozen=True, slots=True)
class Derived:
    """What one blueprint contributes to the graph."""

    entity: EntityRow
    sections: tuple[SectionRow, ...]
    links: tuple[LinkRow, ...]


@dataclass(frozen=True, slots=True)
class LinkHit:
    """A link as the graph knows it, for references and incoming-link queries."""

    link_id: str
    file: str
    src: str
    src_kind: str
    raw: str
    line: int
    character: int
    end_line: int
    end_character: int
    target_entity: str
    anchor: str
    resolved: bool


@dataclass(frozen=True, slots=True)
class SummaryRow:
    id: str
    level: int
    text: str
    model_id: str
    prompt_version: str
    source_hash: str
    stale: bool = False


def section_id(entity_id: str, anchor: str) -> str:
    return f"{entity_id}#{anchor}"


def derive(bp: Blueprint, path: str) -> Derived | None:
    """Rows for ``bp`` stored at workspace-relative ``path``; None without an entity id."""
    ent_id = bp.entity.id
    if not ent_id or bp.skipped:
        return None
    entity = EntityRow(
        id=ent_id,
        title=bp.entity.title or ent_id,
        scale=bp.entity.scale or "",
        status=bp.entity.status or "",
        parent=bp.entity.parent or "",
        tags=tuple(bp.entity.tags),
        path=path,
        title_anchor=str(bp.extra.get("title_anchor") or ""),
    )
    sections: list[SectionRow] = []
    taken: set[str] = set()
    src_of: dict[int, str] = {}
    for sec in bp.sections:
        sid = section_id(ent_id, sec.anchor)
        if sid in taken:
            # A colliding explicit anchor (CLM004): the first one wins, as in Workspace.
            continue
        taken.add(sid)
        src_of[sec.index] = sid
        sections.append(_section_row(bp, sec, ent_id, sid))
    links = tuple(_link_rows(bp, path, ent_id, src_of))
    return Derived(entity, tuple(sections), links)


def _section_row(bp: Blueprint, sec: Section, ent_id: str, sid: str) -> SectionRow:
    date_key = ""
    if sec.date is not None:
        y, m, d = sec.date.sort_key
        date_key = f"{y:04d}-{m:02d}-{d:02d}"
    parent = bp.sections[sec.parent] if sec.parent is not None and sec.parent < len(bp.sections) else None
    return SectionRow(
        id=sid,
        entity=ent_id,
        anchor=sec.anchor,
        title=sec.title,
        crumbs=" > ".join(_trail(bp, sec)),
        kind=sec.kind.value if isinstance(sec.kind, SectionKind) else str(sec.kind),
        date=sec.date.raw if sec.date is not None else "",
        date_key=date_key,
        level=sec.level,
        ord=sec.index,
        parent=parent.anchor if parent is not None else "",
        start_line=sec.range.start.line,
        end_line=sec.range.end.line,
        body_start=sec.body_range.start.line,
        body_end=sec.body_range.end.line,
        hash=sec.content_hash,
        tokens=estimate_tokens(sec.text),
        placeholder=sec.placeholder,
        text=sec.text,
    )


def _trail(bp: Blueprint, sec: Section) -> list[str]:
    titles: list[str] = []
    seen: set[int] = set()
    cur: Section | None = sec
    while cur is not None and cur.index not in seen:
        seen.add(cur.index)
        titles.append(cur.title)
        cur = bp.sections[cur.parent] if cur.parent is not None and cur.parent < len(bp.sections) else None
    return titles[::-1]


def _link_rows(bp: Blueprint, path: str, ent_id: str, src_of: dict[int, str]):
    for i, link in enumerate(bp.links):
        target_path = ""
        target_entity = link.entity or ""
        if link.kind is LinkKind.MARKDOWN and link.path is not None:
            target_path = resolve_relative(path, link.path) or ""
            if not target_path:
                continue  # leaves the workspace: never followed (CLM018 says so)
            target_entity = ""
        elif not target_entity:
            target_entity = ent_id  # [[#anchor]]: a section of this blueprint
        src = src_of.get(link.section) if link.section is not None else None
        yield LinkRow(
            id=f"{path}:{i}",
            file=path,
            src=src or ent_id,
            src_kind="section" if src else "entity",
            entity=target_entity,
            anchor=link.anchor or "",
            path=target_path,
            raw=link.raw,
            line=link.range.start.line,
            character=link.range.start.character,
            end_line=link.range.end.line,
            end_character=link.range.end.character,
        )


def resolve_relative(from_path: str, target: str) -> str | None:
    """Workspace-relative path a relative Markdown link names; None when it leaves the root."""
    target = target.split("#", 1)[0]  # the parser already unquoted it
    if not target or target.startswith("/") or "://" in target or target.lower().startswith("file:"):
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(from_path), target))
    if joined == ".." or joined.startswith("../") or joined.startswith("/"):
        return None
    return joined


@dataclass
class GraphPlan:
    """One change set for :meth:`Graph.apply`, computed by the indexer (see sync.py)."""

    files_upsert: list[FileRow]
    files_delete: list[str]
    entities_upsert: list[EntityRow]
    entities_delete: list[str]
    sections_put: list[SectionRow]
    """Every section of every upserted entity (line ranges move when text above changes)."""
    sections_new: set[str]
    sections_changed: set[str]
    """Existing sections whose content hash changed: their summaries become stale."""
    sections_delete: list[str]
    link_files: list[str]
    """Files whose Link nodes are replaced by ``links_new``."""
    links_new: list[LinkRow]
    touched: set[str]
    """Entities created, changed or deleted: links, parents and NEXT into them are redone."""
    touched_paths: set[str]
    next_pairs: list[tuple[str, str]]
    """(timeslice, following timeslice) of every touched entity."""
