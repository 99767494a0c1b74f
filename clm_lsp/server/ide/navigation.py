"""Definition, references and document links."""

from __future__ import annotations

from dataclasses import dataclass

from clm_lsp.blueprint import Blueprint, Link, Position, Range, Section, Workspace, display_title

from .cursor import Hit, HitKind, LinkPart, find_in
from .types import Location


def entity_location(bp: Blueprint) -> Location:
    """Where to land for a whole blueprint: its `# Title` heading, else the top of the file."""
    return Location(bp.uri, bp.title_range or Range.of(0, 0))


def section_location(uri: str, section: Section) -> Location:
    return Location(uri, section.heading_range)


def definition(ws: Workspace, uri: str, pos: Position) -> list[Location]:
    """A link's target section (or file), or the blueprint a `parent:` value names."""
    found = find_in(ws, uri, pos)
    if found is None:
        return []
    _bp, hit = found
    if hit.kind is HitKind.LINK and hit.link is not None:
        return _link_definition(ws, uri, hit.link)
    if hit.kind is HitKind.FIELD and hit.field is not None and hit.field.key == "parent" and isinstance(hit.field.value, str):
        parent = ws.entity(hit.field.value)
        return [entity_location(parent)] if parent is not None else []
    return []


def _link_definition(ws: Workspace, uri: str, link: Link) -> list[Location]:
    target = ws.resolve(link, uri)
    if target is not None:
        if target.section is not None:
            return [section_location(target.uri, target.section)]
        return [entity_location(target.blueprint)]
    # The anchor is unknown but the file exists: the file is still the best answer.
    doc = ws.target_document(link, uri)
    return [entity_location(doc)] if doc is not None else []


@dataclass(frozen=True, slots=True)
class Subject:
    """What references and rename act on: an entity, or one section of it."""

    entity: str | None
    """None for a document without an id (its own links can still name its sections)."""
    uri: str
    """The blueprint that defines the entity or section."""
    anchor: str | None = None


def subject_at(ws: Workspace, uri: str, pos: Position) -> Subject | None:
    """The entity or section the cursor names: via a link, a heading, the title, `id:` or `parent:`."""
    found = find_in(ws, uri, pos)
    if found is None:
        return None
    bp, hit = found
    if hit.kind is HitKind.LINK and hit.link is not None:
        return _link_subject(ws, uri, hit)
    if hit.kind is HitKind.HEADING and hit.section is not None:
        return Subject(bp.entity.id, uri, hit.section.anchor)
    if hit.kind is HitKind.TITLE:
        return Subject(bp.entity.id, uri) if bp.entity.id else None
    if hit.kind is HitKind.FIELD and hit.field is not None:
        if hit.field.key == "id" and bp.entity.id:
            return Subject(bp.entity.id, uri)
        if hit.field.key == "parent" and isinstance(hit.field.value, str):
            parent = ws.entity(hit.field.value)
            return Subject(hit.field.value, parent.uri) if parent is not None else None
    return None


def _link_subject(ws: Workspace, uri: str, hit: Hit) -> Subject | None:
    link = hit.link
    assert link is not None
    doc = ws.target_document(link, uri)
    if doc is None:
        return None
    # On the entity part, the subject is the whole entity even if the link names a section.
    anchor = None if hit.part is LinkPart.ENTITY else link.anchor
    return Subject(doc.entity.id, doc.uri, anchor)


def incoming_links(ws: Workspace, subject: Subject) -> list[tuple[str, Link]]:
    """Every link to the subject, across the workspace (same-document links included)."""
    owner = ws.entity(subject.entity) if subject.entity is not None else None
    if owner is not None and owner.uri == subject.uri:
        return ws.incoming(owner.entity.id or "", subject.anchor)
    # No id (or a duplicate id that names another file): only the document's own links can reach it.
    bp = ws.docs.get(subject.uri)
    if bp is None:
        return []
    own = [(bp.uri, link) for link in bp.links if link.entity is None and link.path is None]
    return [(u, link) for u, link in own if subject.anchor is None or link.anchor == subject.anchor]


def references(ws: Workspace, uri: str, pos: Position, include_declaration: bool) -> list[Location]:
    subject = subject_at(ws, uri, pos)
    if subject is None:
        return []
    found = [Location(u, link.range) for u, link in incoming_links(ws, subject)]
    if include_declaration:
        decl = declaration(ws, subject)
        if decl is not None:
            found.insert(0, decl)
    return found


def declaration(ws: Workspace, subject: Subject) -> Location | None:
    bp = ws.docs.get(subject.uri)
    if bp is None:
        return None
    if subject.anchor is None:
        return entity_location(bp)
    section = ws.section(bp.uri, subject.anchor)
    return section_location(bp.uri, section) if section is not None else None


@dataclass(frozen=True, slots=True)
class DocLink:
    range: Range
    target_uri: str
    target_line: int | None
    tooltip: str


def document_links(ws: Workspace, uri: str) -> list[DocLink]:
    """Every resolved link of a document, with where it lands (broken links are diagnostics instead)."""
    bp = ws.docs.get(uri)
    if bp is None:
        return []
    out: list[DocLink] = []
    for link in bp.links:
        target = ws.resolve(link, uri)
        if target is None:
            continue
        if target.section is not None:
            line = target.section.heading_range.start.line
            tip = f"{display_title(target.blueprint)} › {target.section.title}"
        else:
            line = target.blueprint.title_range.start.line if target.blueprint.title_range else None
            tip = display_title(target.blueprint)
        out.append(DocLink(link.target_range, target.uri, line, tip))
    return out
