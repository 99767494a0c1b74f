"""Rename an entity id or a section anchor, and every link to it, in one edit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clm_lsp.blueprint import Blueprint, Field, LinkKind, Position, Range, Section, Workspace, parse

from .cursor import HitKind, LinkPart, find_in
from .navigation import Subject, incoming_links
from .textutil import line_index, text_of
from .types import EditPlan, Refusal, TextEdit

ID_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
# Characters that would end or break the anchor inside `[[id#anchor|alias]]`, `{#anchor}` or a URL.
ANCHOR_RE = re.compile(r"[^\s#|\[\]{}()<>]+")


@dataclass(frozen=True, slots=True)
class RenameSpot:
    range: Range
    """The text under the cursor that names the subject (in the requesting document)."""
    placeholder: str
    subject: Subject


def prepare(ws: Workspace, uri: str, pos: Position) -> RenameSpot | Refusal | None:
    """What a rename at ``pos`` would rename; None where there is nothing renamable."""
    found = find_in(ws, uri, pos)
    if found is None:
        return None
    bp, hit = found
    if hit.kind is HitKind.LINK and hit.link is not None:
        link = hit.link
        if hit.part is LinkPart.ANCHOR and link.anchor_range is not None and link.anchor:
            doc = ws.target_document(link, uri)
            if doc is None or ws.section(doc.uri, link.anchor) is None:
                return Refusal(f"The section '{link.anchor}' does not exist, so there is nothing to rename.")
            return RenameSpot(link.anchor_range, link.anchor, Subject(doc.entity.id, doc.uri, link.anchor))
        if link.kind is LinkKind.WIKI and link.entity and link.entity_range is not None:
            return _entity_spot(ws, link.entity, link.entity_range)
        return None
    if hit.kind is HitKind.HEADING and hit.section is not None:
        s = hit.section
        return RenameSpot(s.anchor_range or s.heading_range, s.anchor, Subject(bp.entity.id, uri, s.anchor))
    if hit.kind is HitKind.TITLE and bp.entity.id and bp.title_range is not None:
        return _entity_spot(ws, bp.entity.id, bp.title_range)
    if hit.kind is HitKind.FIELD and hit.field is not None and hit.field.key in ("id", "parent"):
        value = hit.field.value
        if isinstance(value, str) and value:
            return _entity_spot(ws, value, _value_range(bp, hit.field, value))
    return None


def _entity_spot(ws: Workspace, entity_id: str, rng: Range) -> RenameSpot | Refusal:
    uris = ws.uris_for_id(entity_id)
    if not uris:
        return Refusal(f"'{entity_id}' is not an entity of the workspace, so there is nothing to rename.")
    if len(uris) > 1:
        return Refusal(f"The id '{entity_id}' is used by {len(uris)} files; make it unique before renaming it.")
    return RenameSpot(rng, entity_id, Subject(entity_id, uris[0]))


def rename(ws: Workspace, uri: str, pos: Position, new_name: str) -> EditPlan | Refusal:
    spot = prepare(ws, uri, pos)
    if spot is None:
        return Refusal("Nothing to rename here: place the cursor on a link, a heading, the title, `id:` or `parent:`.")
    if isinstance(spot, Refusal):
        return spot
    new_name = new_name.strip()
    if spot.subject.anchor is not None:
        return _rename_anchor(ws, spot.subject, new_name)
    return _rename_entity(ws, spot.subject, new_name)


def _rename_entity(ws: Workspace, subject: Subject, new: str) -> EditPlan | Refusal:
    old = subject.entity or ""
    if not ID_RE.fullmatch(new):
        return Refusal(f"'{new}' is not a valid id: use lowercase letters, digits and '-', starting with a letter or digit.")
    if new == old:
        return EditPlan(())
    if ws.uris_for_id(new):
        return Refusal(f"The id '{new}' is already used by {_names(ws.uris_for_id(new))}; choose another.")
    owner = ws.docs[subject.uri]
    edits: list[TextEdit] = []
    id_field = owner.front_matter.fields.get("id") if owner.front_matter else None
    if id_field is not None:
        edits.append(TextEdit(owner.uri, _value_range(owner, id_field, old), new))
    for src, link in ws.incoming(old):
        if link.kind is LinkKind.WIKI and link.entity == old and link.entity_range is not None:
            edits.append(TextEdit(src, link.entity_range, new))
    for child in ws.children(old):
        parent_field = child.front_matter.fields.get("parent") if child.front_matter else None
        if parent_field is not None:
            edits.append(TextEdit(child.uri, _value_range(child, parent_field, old), new))
    return EditPlan(tuple(edits))


def _rename_anchor(ws: Workspace, subject: Subject, new: str) -> EditPlan | Refusal:
    old = subject.anchor or ""
    if not ANCHOR_RE.fullmatch(new):
        return Refusal(f"'{new}' is not a valid anchor: no spaces and none of # | [ ] {{ }} ( ) < >.")
    if new == old:
        return EditPlan(())
    bp = ws.docs[subject.uri]
    if ws.section(bp.uri, new) is not None:
        return Refusal(f"This blueprint already has a section with the anchor '{new}'; choose another.")
    section = ws.section(bp.uri, old)
    if section is None:
        return Refusal(f"The section '{old}' does not exist, so there is nothing to rename.")
    heading_edit = _anchor_edit(bp, section, new)
    if section.anchor_range is None and _shifts_other_anchors(ws, bp, section, heading_edit):
        return Refusal(
            f"Pinning '{new}' on this heading would change the generated anchors of the headings "
            "that repeat its title; give those headings explicit {#anchors} first."
        )
    edits = [heading_edit]
    for src, link in incoming_links(ws, subject):
        if link.anchor_range is not None:
            edits.append(TextEdit(src, link.anchor_range, new))
    return EditPlan(tuple(edits))


def _anchor_edit(bp: Blueprint, section: Section, new: str) -> TextEdit:
    """Rewrite an explicit `{#anchor}`, or pin a generated one by adding `{#new}` to the heading."""
    if section.anchor_range is not None:
        return TextEdit(bp.uri, section.anchor_range, new)
    line = section.heading_range.start.line
    end = Position(line, len(line_index(bp.text).line(line).rstrip()))
    return TextEdit(bp.uri, Range(end, end), f" {{#{new}}}")


def _shifts_other_anchors(ws: Workspace, bp: Blueprint, section: Section, edit: TextEdit) -> bool:
    """True when the edit changes another section's anchor (repeated titles get -1, -2 suffixes)."""
    index = line_index(bp.text)
    at = index.offset_at(edit.range.start)
    after, _ = parse(bp.text[:at] + edit.new_text + bp.text[at:], bp.uri, ws.config)
    before = [s.anchor for s in bp.sections if s.index != section.index]
    now = [s.anchor for s in after.sections if s.index != section.index]
    return before != now


def _value_range(bp: Blueprint, field: Field, value: str) -> Range:
    """The id inside a field's value range (which includes quotes when the YAML quotes it)."""
    text = text_of(bp, field.value_range)
    i = text.find(value)
    if i < 0:
        return field.value_range
    index = line_index(bp.text)
    start = index.offset_at(field.value_range.start) + i
    return Range(index.position_at(start), index.position_at(start + len(value)))


def _names(uris: tuple[str, ...]) -> str:
    return ", ".join(u.rsplit("/", 1)[-1] for u in uris)
