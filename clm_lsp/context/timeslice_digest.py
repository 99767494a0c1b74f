""""Compress older timeslices": an anchor-summary section for the timeslices older than a
date, written into the file for authors who want the compression visible.

The section is ``## Earlier timeslices {#earlier-timeslices}`` and holds one line per
older timeslice, ``- [[entity#anchor|date]]: summary``: the link is the zoom-in to the
original. The originals stay where they are: they are the record the summaries stand
for (links, review and context assembly read them), a summary can be wrong, and
deleting text is the author's decision, not a code action's. Running it again
rewrites the digest's own body (its heading and any subsections stay).

Which timeslices: the dated level-2 timeslices older than ``before`` when given, else
all but the newest ``keep`` (default 2 in the server's settings: the newest ones are
the ones the context assembly shows in full anyway). Undated timeslices are left out.
Pure: the summary of each section comes from the caller (stored model summary, else
the extractive one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from clm_lsp.blueprint import Blueprint, Position, Range, Section, SectionKind, TimesliceDate

from .synthesis import line_ending, replacement

DIGEST_ANCHOR = "earlier-timeslices"
DIGEST_TITLE = "Earlier timeslices"


@dataclass(frozen=True, slots=True)
class Digest:
    range: Range
    new_text: str
    sections: tuple[Section, ...]
    """The timeslices summarised, oldest first."""
    updates: bool
    """True when an existing digest section's body is rewritten."""


def dated_timeslices(bp: Blueprint) -> list[Section]:
    out = [s for s in bp.sections if s.kind is SectionKind.TIMESLICE and s.level == 2 and s.date is not None]
    return sorted(out, key=lambda s: (s.date.sort_key if s.date else (0, 0, 0), s.index))


def older_timeslices(bp: Blueprint, keep: int, before: TimesliceDate | None = None) -> list[Section]:
    slices = dated_timeslices(bp)
    if before is not None:
        return [s for s in slices if s.date is not None and s.date.sort_key < before.sort_key]
    return slices[: max(0, len(slices) - max(0, keep))]


def digest_body(entity_id: str, sections: list[Section], summary_of: Callable[[Section], str], eol: str) -> str:
    lines = [f"Summaries of {len(sections)} earlier timeslice{'s' if len(sections) != 1 else ''}; each link opens the original."]
    lines.append("")
    for s in sections:
        label = s.date.raw if s.date is not None else s.title
        summary = " ".join(summary_of(s).split()) or "(no text)"
        lines.append(f"- [[{entity_id}#{s.anchor}|{label}]]: {summary}")
    return eol.join(lines)


def digest(bp: Blueprint, keep: int, summary_of: Callable[[Section], str], before: TimesliceDate | None = None) -> Digest | None:
    """The edit that writes (or rewrites) the digest section, or None when nothing is older."""
    eid = bp.entity.id
    older = older_timeslices(bp, keep, before)
    if not eid or not older:
        return None
    eol = line_ending(bp.text)
    body = digest_body(eid, older, summary_of, eol)
    existing = bp.section_by_anchor(DIGEST_ANCHOR)
    if existing is not None:
        rep = replacement(bp, existing, body.replace(eol, "\n"))
        return Digest(rep.range, rep.new_text, tuple(older), True)
    first = min((s for s in bp.sections if s.kind is SectionKind.TIMESLICE and s.level == 2), key=lambda s: s.index)
    at = Position(first.heading_range.start.line, 0)
    text = f"## {DIGEST_TITLE} {{#{DIGEST_ANCHOR}}}{eol}{body}{eol}{eol}"
    return Digest(Range(at, at), text, tuple(older), False)
