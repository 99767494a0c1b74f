"""Model review of one section: what it is compared with, and where findings land.

Pure: everything comes from the workspace snapshot. For one section the review
context is at most three *references*, each a section elsewhere:

1. the entity's Vision (unless the section is the Vision);
2. the parent entity's Vision (its extractive summary when it has none);
3. the previous timeslice, when the section is a timeslice.

The model is asked for contradictions and gaps against those references
(:mod:`.review_prompt`); its reply is parsed into :class:`Finding` values that
hold quotes, not positions, so a cached review still lands on the right lines
after edits elsewhere in the file. :func:`to_problems` turns findings into
diagnostics against the current snapshot: the quote's range in the section (else
the heading), and related information pointing at the reference section.

Small on purpose: a 135M model loses track of a long prompt, and a bigger model
gets the same short, focused comparison (the spec's "vision, parent entity,
previous timeslice").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from clm_lsp.blueprint import Blueprint, LineIndex, Problem, Range, Related, Section, SectionKind, Severity, Workspace
from clm_lsp.blueprint.summary import extractive_summary

from .review_locate import locate

MAX_SECTION_CHARS = 2400
"""Longest section text given to the model (the rest is cut with a marker)."""
MAX_REFERENCE_CHARS = 1200
"""Longest reference text; a Vision is usually well under this."""

CONTRADICTION = "review-contradiction"
GAP = "review-gap"


@dataclass(frozen=True, slots=True)
class Reference:
    number: int
    """As the prompt shows it: [1], [2], [3]."""
    role: str
    """"vision", "parent vision", "parent summary" or "previous timeslice"."""
    entity: str
    anchor: str
    uri: str
    title: str
    text: str

    @property
    def label(self) -> str:
        return f"§{self.entity}#{self.anchor}"


@dataclass(frozen=True, slots=True)
class ReviewInput:
    uri: str
    entity: str
    anchor: str
    title: str
    text: str
    """The section's own text as the model sees it (cut to MAX_SECTION_CHARS)."""
    content_hash: str
    references: tuple[Reference, ...]

    @property
    def context_hash(self) -> str:
        h = hashlib.sha256()
        for ref in self.references:
            h.update(f"{ref.number}\0{ref.role}\0{ref.label}\0{ref.title}\0{ref.text}\0".encode("utf-8", "surrogatepass"))
        return h.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    """"contradiction" or "gap"."""
    quote: str
    """Words of the reviewed section the finding is about ("" for most gaps)."""
    reference: int | None
    """The reference number the model named (None: it did not say)."""
    reason: str
    other_quote: str = ""
    """Words of the reference that conflict, when the model quoted them."""

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "quote": self.quote, "reference": self.reference, "reason": self.reason, "other_quote": self.other_quote}

    @classmethod
    def from_dict(cls, raw: object) -> Finding | None:
        """The cached form back; None for anything malformed (a cache file is not trusted)."""
        if not isinstance(raw, dict):
            return None
        kind, ref = raw.get("kind"), raw.get("reference")
        texts = [raw.get(k, "") for k in ("quote", "reason", "other_quote")]
        if kind not in ("contradiction", "gap") or not all(isinstance(t, str) for t in texts):
            return None
        if ref is not None and (not isinstance(ref, int) or isinstance(ref, bool)):
            return None
        return cls(kind, texts[0], ref, texts[1], texts[2])


def reviewable(section: Section) -> bool:
    """Sections with something to review: not a placeholder, not empty."""
    return not section.placeholder and bool(section.text.strip())


def review_input(ws: Workspace, uri: str, section: Section) -> ReviewInput | None:
    """The review of ``section`` of ``uri``, or None when there is nothing to compare it with."""
    bp = ws.docs.get(uri)
    if bp is None or not bp.entity.id or not reviewable(section):
        return None
    refs: list[Reference] = []
    vision = _vision(bp)
    if vision is not None and vision.anchor != section.anchor:
        refs.append(_ref(len(refs) + 1, "vision", bp, vision, vision.text))
    parent = ws.entity(bp.entity.parent) if bp.entity.parent else None
    if parent is not None and parent.entity.id and parent.uri != bp.uri:
        pvision = _vision(parent)
        if pvision is not None and pvision.text.strip():
            refs.append(_ref(len(refs) + 1, "parent vision", parent, pvision, pvision.text))
        elif parent.sections:
            first = parent.sections[0]
            text = extractive_summary(" ".join(s.text for s in parent.sections), MAX_REFERENCE_CHARS)
            refs.append(_ref(len(refs) + 1, "parent summary", parent, first, text))
    if section.kind is SectionKind.TIMESLICE:
        prev = previous_timeslice(bp, section)
        if prev is not None:
            refs.append(_ref(len(refs) + 1, "previous timeslice", bp, prev, prev.text))
    refs = [r for r in refs if r.text.strip()]
    if not refs:
        return None
    refs = [Reference(n, r.role, r.entity, r.anchor, r.uri, r.title, r.text) for n, r in enumerate(refs, 1)]
    return ReviewInput(uri, bp.entity.id, section.anchor, section.title, _cut(section.text, MAX_SECTION_CHARS),
                       section.content_hash, tuple(refs))


def previous_timeslice(bp: Blueprint, section: Section) -> Section | None:
    """The timeslice just before ``section`` by date (document order breaks ties and undated ones)."""
    slices = [s for s in bp.sections if s.kind is SectionKind.TIMESLICE and s.index != section.index]
    if section.date is not None:
        key = section.date.sort_key
        earlier = [s for s in slices if s.date is not None and s.date.sort_key < key]
        if earlier:
            return max(earlier, key=lambda s: (s.date.sort_key, s.index))  # type: ignore[union-attr]
        return None
    before = [s for s in slices if s.index < section.index]
    return before[-1] if before else None


def _vision(bp: Blueprint) -> Section | None:
    return next((s for s in bp.sections if s.kind is SectionKind.VISION), None)


def _ref(number: int, role: str, bp: Blueprint, section: Section, text: str) -> Reference:
    title = f"{bp.entity.title or bp.entity.id} › {section.title}"
    return Reference(number, role, bp.entity.id or "", section.anchor, bp.uri, title, _cut(text.strip(), MAX_REFERENCE_CHARS))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + " […]"


# -- findings -> problems ----------------------------------------------------------------


def to_problems(ws: Workspace, uri: str, anchor: str, content_hash: str, findings: tuple[Finding, ...],
                references: tuple[Reference, ...], model_id: str) -> list[Problem]:
    """Diagnostics for a stored review of ``uri#anchor``; none when the section changed since."""
    bp = ws.docs.get(uri)
    section = bp.section_by_anchor(anchor) if bp is not None else None
    if bp is None or section is None or section.content_hash != content_hash:
        return []
    index = LineIndex(bp.text)
    out: list[Problem] = []
    for f in findings:
        rng = _range_in(index, section.body_range, f.quote) or section.heading_range
        ref = next((r for r in references if r.number == f.reference), None)
        related = _related(ws, ref, f)
        contradiction = f.kind == "contradiction"
        where = f" with {ref.label} ({ref.role})" if ref is not None else ""
        head = f"Possible contradiction{where}" if contradiction else f"Possible gap{where}"
        reason = f.reason or (f"“{f.quote}”" if f.quote else "no reason given")
        message = f"{head}: {reason} (review by {model_id})"
        out.append(Problem(CONTRADICTION if contradiction else GAP,
                           Severity.INFORMATION if contradiction else Severity.HINT,
                           rng, message, related, {"model": model_id, "kind": f.kind}))
    return out


def _related(ws: Workspace, ref: Reference | None, f: Finding) -> tuple[Related, ...]:
    if ref is None:
        return ()
    bp = ws.docs.get(ref.uri)
    section = bp.section_by_anchor(ref.anchor) if bp is not None else None
    if bp is None or section is None:
        return ()
    index = LineIndex(bp.text)
    rng = None
    for quote in (f.other_quote, f.reason, f.quote):
        rng = _range_in(index, section.body_range, quote) if quote else None
        if rng is not None:
            break
    return (Related(ref.uri, rng or section.heading_range, f"{ref.title} ({ref.role})"),)


def _range_in(index: LineIndex, body: Range, quote: str) -> Range | None:
    start = index.offset_at(body.start)
    end = index.offset_at(body.end)
    found = locate(index.text[start:end], quote)
    if found is None:
        return None
    return Range(index.position_at(start + found[0]), index.position_at(start + found[1]))
