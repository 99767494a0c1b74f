"""Small text helpers shared by the ide modules: cached line indexes, section text, titles."""

from __future__ import annotations

import re
from functools import lru_cache

from clm_lsp.blueprint import Blueprint, LineIndex, Position, Range, Section, github_slug, parse_date

_TIMESLICE_ANCHOR = re.compile(r"timeslice-(\d{4}(?:-q[1-4]|-\d{2}(?:-\d{2})?)?)")


@lru_cache(maxsize=256)
def line_index(text: str) -> LineIndex:
    """The LineIndex of a text. Cached: a str caches its hash, so a hit costs an
    identity check, and the snapshot hands out the same str objects until a file changes."""
    return LineIndex(text)


def text_of(bp: Blueprint, rng: Range) -> str:
    index = line_index(bp.text)
    return bp.text[index.offset_at(rng.start) : index.offset_at(rng.end)]


def section_full_text(bp: Blueprint, section: Section) -> str:
    """Heading, body and subsections: what a reader gets when they open the section."""
    return text_of(bp, section.range)


def document_end(bp: Blueprint) -> Position:
    return line_index(bp.text).end()


def title_from_id(entity_id: str) -> str:
    """`harbourside-bakery` -> `Harbourside Bakery` (a first guess the author edits)."""
    return " ".join(w[:1].upper() + w[1:] for w in entity_id.split("-") if w) or entity_id


def heading_for_anchor(anchor: str) -> str:
    """The heading text to create for an anchor; adds `{#anchor}` when the slug would differ.

    `participatory-budget` -> `Participatory budget`; `timeslice-2021-06` ->
    `Timeslice 2021-06` (so the new section is a real, dated timeslice).
    """
    m = _TIMESLICE_ANCHOR.fullmatch(anchor)
    if m and parse_date(m.group(1).upper()) is not None:
        title = f"Timeslice {m.group(1).upper()}"
    else:
        words = anchor.replace("-", " ").replace("_", " ").strip()
        title = words[:1].upper() + words[1:] if words else anchor
    if github_slug(title) == anchor:
        return title
    return f"{title} {{#{anchor}}}"
