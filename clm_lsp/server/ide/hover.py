"""Hover: a target's title, breadcrumbs, size, incoming links and summary, as Markdown.

Hover never waits: the summary comes from ``summaries`` (anchor summaries the
model wrote ahead of time, read from an in-memory cache) or else is extractive
(the section's lead sentences), computed here in microseconds. A line under the
summary says which it is: "Summary by <model> (anchor summary)", the extractive
fallback the faithfulness guard chose, or "anchor summary pending".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from clm_lsp.blueprint import Blueprint, Position, Range, Section, SectionKind, Workspace, estimate_tokens, extractive_summary

from .cursor import HitKind, LinkPart, find_in
from .navigation import Subject, incoming_links
from .textutil import section_full_text

@dataclass(frozen=True, slots=True)
class StoredSummary:
    text: str
    """The anchor summary; empty while it is pending (the extractive one is shown)."""
    note: str
    """Who wrote it, e.g. "Summary by SmolLM2 (anchor summary)", or why it is not there yet."""


SummaryLookup = Callable[[str, "str | None", str], "StoredSummary | str | None"]
"""(uri, anchor or None for the whole entity, content hash) -> a stored summary, or None."""


@dataclass(frozen=True, slots=True)
class HoverText:
    markdown: str
    range: Range


def hover(ws: Workspace, uri: str, pos: Position, summaries: SummaryLookup | None = None, max_chars: int = 280) -> HoverText | None:
    found = find_in(ws, uri, pos)
    if found is None:
        return None
    bp, hit = found
    if hit.kind is HitKind.LINK and hit.link is not None:
        link = hit.link
        doc = ws.target_document(link, uri)
        if doc is None:
            what = link.entity or link.path or "?"
            return HoverText(f"**Unknown entity** `{what}`: no blueprint in the workspace has this id.", link.range)
        anchor = None if hit.part is LinkPart.ENTITY else link.anchor
        if anchor is not None and ws.section(doc.uri, anchor) is None:
            return HoverText(f"**Unknown section** `{anchor}` in {_name(doc)}.", link.range)
        return HoverText(card(ws, Subject(doc.entity.id, doc.uri, anchor), summaries, max_chars), link.range)
    if hit.kind is HitKind.HEADING and hit.section is not None:
        return HoverText(card(ws, Subject(bp.entity.id, uri, hit.section.anchor), summaries, max_chars), hit.section.heading_range)
    if hit.kind is HitKind.TITLE and bp.title_range is not None:
        return HoverText(card(ws, Subject(bp.entity.id, uri), summaries, max_chars), bp.title_range)
    if hit.kind is HitKind.FIELD and hit.field is not None and hit.field.key == "parent" and isinstance(hit.field.value, str):
        parent = ws.entity(hit.field.value)
        if parent is None:
            return HoverText(f"**Unknown parent** `{hit.field.value}`.", hit.field.value_range)
        return HoverText(card(ws, Subject(parent.entity.id, parent.uri), summaries, max_chars), hit.field.value_range)
    return None


def card(ws: Workspace, subject: Subject, summaries: SummaryLookup | None, max_chars: int) -> str:
    """The hover text for an entity or one of its sections."""
    bp = ws.docs[subject.uri]
    section = ws.section(bp.uri, subject.anchor) if subject.anchor is not None else None
    crumbs = ws.breadcrumbs(bp.uri, section)
    title = f"{_name(bp)} › {section.title}" if section is not None else _name(bp)
    text = section_full_text(bp, section) if section is not None else bp.text
    facts = [f"{estimate_tokens(text):,} tokens", _incoming_fact(ws, subject)]
    if section is None and bp.entity.scale:
        facts.insert(0, bp.entity.scale)
    lines = [f"**{title}**", "", " › ".join(crumbs), "", " · ".join(facts)]
    summary = _summary(bp, section, summaries, max_chars)
    if summary:
        lines += ["", "---", "", summary]
    return "\n".join(lines)


BUILD_ON_HOVER = 2_000
"""Up to this many documents a hover may build the reverse link index itself (a few ms);
past it the scan's warm-up builds it in a thread, and a hover before that says so."""


def _incoming_fact(ws: Workspace, subject: Subject) -> str:
    if not ws.incoming_ready() and len(ws.docs) > BUILD_ON_HOVER:
        return "incoming links: still counting"
    incoming = len(incoming_links(ws, subject))
    return f"{incoming} incoming link{'s' if incoming != 1 else ''}"


def _summary(bp: Blueprint, section: Section | None, summaries: SummaryLookup | None, max_chars: int) -> str:
    source = section if section is not None else next((s for s in bp.sections if s.kind is SectionKind.VISION), None)
    stored = summaries(bp.uri, section.anchor if section else None, source.content_hash if source else "") if summaries else None
    if isinstance(stored, str) and stored:
        return stored
    if isinstance(stored, StoredSummary) and stored.text:
        return f"{stored.text}\n\n_{stored.note}_"
    text = (source.text or _first_child_text(bp, source)) if source is not None else ""
    extractive = extractive_summary(text, max_chars) if text else ""
    if isinstance(stored, StoredSummary) and extractive:
        return f"{extractive}\n\n_{stored.note}_"
    return extractive


def _first_child_text(bp: Blueprint, section: Section) -> str:
    """A heading with no own text (a timeslice with only `### Decisions`, say): use its first subsection."""
    for child in section.children:
        if child < len(bp.sections) and bp.sections[child].text:
            return bp.sections[child].text
    return ""


def _name(bp: Blueprint) -> str:
    return bp.entity.title or bp.entity.id or bp.uri.rsplit("/", 1)[-1]
