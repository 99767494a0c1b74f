"""The pieces of an assembled context and the picker that fits them to the budget."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from clm_lsp.blueprint import Blueprint, Position, Range, Section, Workspace, display_title, extractive_summary

from .budget import Budget, Shares
from .render import full_block, label_of, summary_line


@dataclass(frozen=True, slots=True)
class ZoomEntry:
    uri: str
    """The blueprint holding the full text."""
    range: Range
    """The section's whole range (an entity: the whole document), code points."""
    section_id: str
    """"entity#anchor", or "entity" for an entity summary."""
    mode: str
    """"full" or "summary"."""
    level: int
    """0: a section (in full or its own summary); 1: an entity; 2+: an entity tree."""

    def as_dict(self) -> dict[str, object]:
        r = self.range
        return {"uri": self.uri, "section": self.section_id, "mode": self.mode, "level": self.level,
                "range": {"start": {"line": r.start.line, "character": r.start.character},
                          "end": {"line": r.end.line, "character": r.end.character}}}


@dataclass(frozen=True, slots=True)
class Part:
    label: str
    """``§entity#anchor`` or ``§entity`` (no brackets)."""
    role: str
    """focus, expand, vision, linked, timeslice, parent, retrieved, section, entity."""
    mode: str
    level: int
    relevance: float
    text: str
    tokens: int
    source: str
    """"text" for full parts; the model id or "extractive" for summaries."""
    zoom: ZoomEntry

    def as_dict(self) -> dict[str, object]:
        return {"label": self.label, "role": self.role, "mode": self.mode, "level": self.level,
                "relevance": round(self.relevance, 3), "tokens": self.tokens, "source": self.source}


@dataclass(frozen=True, slots=True)
class Candidate:
    """Something worth including: a section (``anchor`` set) or an entity summary."""

    entity: str
    anchor: str | None
    role: str
    relevance: float
    full: bool
    """Try the full text first (else go straight to summaries)."""
    share: str | None = None
    """The budget share that caps it in full (see budget.Shares)."""


def parse_label(text: str) -> tuple[str, str | None] | None:
    """"[§e#a]", "§e#a", "e#a", "§e" or "e" -> (entity, anchor or None); None when empty."""
    raw = text.strip().strip("[]").lstrip("§").strip()
    if not raw:
        return None
    entity, _, anchor = raw.partition("#")
    return (entity, anchor or None) if entity else None


def doc_range(bp: Blueprint) -> Range:
    return Range(Position(0, 0), Position(max(bp.line_count, 1), 0))


def heading_of(bp: Blueprint, section: Section | None) -> str:
    name = display_title(bp)
    return f"{name} › {section.title}" if section is not None else name


class Picker:
    """Adds parts in the order it is given them, each in the finest form that fits."""

    def __init__(self, ws: Workspace, budget: Budget, summary_for: Callable[[str], "tuple[str, int, str] | None"], shares: Shares) -> None:
        self.ws = ws
        self.budget = budget
        self.summary_for = summary_for
        self.shares = shares
        self.parts: list[Part] = []
        self.dropped: list[str] = []
        self._shown: dict[str, str] = {}  # label -> mode

    def focus_part(self, bp: Blueprint, section: Section) -> Part | None:
        part = self._full(bp, section, "focus", 1.0, None)
        return part

    def add(self, cand: Candidate) -> None:
        bp = self.ws.entity(cand.entity)
        if bp is None:
            return
        section = self.ws.section(bp.uri, cand.anchor) if cand.anchor else None
        if cand.anchor and section is None:
            return
        label = label_of(cand.entity, cand.anchor)
        if self._shown.get(label) == "full" or (label in self._shown and not cand.full):
            return
        if cand.full and section is not None:
            if label in self._shown:  # a summary is there already: a zoom-in replaces it
                self._remove(label)
            if self._full(bp, section, cand.role, cand.relevance, cand.share) is not None:
                return
        if label in self._shown:
            return
        if not self._summary(bp, section, cand.role, cand.relevance):
            self.dropped.append(label)

    # -- forms ---------------------------------------------------------------------------

    def _full(self, bp: Blueprint, section: Section, role: str, rel: float, share: str | None) -> Part | None:
        label = label_of(bp.entity.id or "", section.anchor)
        text = full_block(label, heading_of(bp, section), section.text)
        tokens = self.budget.count(text + "\n")
        cap = int(getattr(self.shares, share) * self.budget.limit) if share else None
        if not self.budget.take(tokens, share, cap):
            return None
        zoom = ZoomEntry(bp.uri, section.range, label[1:], "full", 0)
        return self._keep(Part(label, role, "full", 0, rel, text, tokens, "text", zoom))

    def _summary(self, bp: Blueprint, section: Section | None, role: str, rel: float) -> bool:
        """The section's summary, else its entity's, else each ancestor's: the first that fits."""
        chain: list[tuple[Blueprint, Section | None]] = []
        if section is not None:
            chain.append((bp, section))
        chain.append((bp, None))
        chain.extend((up, None) for up in self.ws.ancestors(bp.entity.id or ""))
        for owner, sec in chain:
            label = label_of(owner.entity.id or "", sec.anchor if sec else None)
            if label in self._shown:
                return True  # already stands in the context at this level
            text, level, source = self._summary_text(owner, sec)
            if not text:
                continue
            line = summary_line(label, heading_of(owner, sec), level, text, source)
            tokens = self.budget.count(line + "\n")
            if self.budget.take(tokens):
                rng = sec.range if sec is not None else doc_range(owner)
                zoom = ZoomEntry(owner.uri, rng, label[1:], "summary", level)
                self._keep(Part(label, role, "summary", level, rel, line, tokens, source, zoom))
                return True
        return False

    def _summary_text(self, bp: Blueprint, section: Section | None) -> tuple[str, int, str]:
        eid = bp.entity.id or ""
        stored = self.summary_for(f"{eid}#{section.anchor}" if section is not None else eid)
        if stored is not None and stored[0].strip():
            return stored[0], stored[1], stored[2]
        chars = self.shares.summary_chars
        if section is not None:
            return extractive_summary(section.text, chars), 0, "extractive"
        lead = next((s for s in bp.sections if s.kind.value == "vision" and s.text.strip()), None)
        lead = lead or next((s for s in bp.sections if extractive_summary(s.text, 40)), None)
        return (extractive_summary(lead.text, chars) if lead else ""), 1, "extractive"

    def _keep(self, part: Part) -> Part:
        self.parts.append(part)
        self._shown[part.label] = part.mode
        return part

    def _remove(self, label: str) -> None:
        for p in self.parts:
            if p.label == label:
                self.budget.give_back(p.tokens)
        self.parts = [p for p in self.parts if p.label != label]
        self._shown.pop(label, None)
