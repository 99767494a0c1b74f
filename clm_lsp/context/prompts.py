"""Prompt texts for anchor summaries, and their version.

``PROMPT_VERSION`` is part of every summary's key: change any text here and
bump it, and every summary is written again (the old ones stay until replaced).
Prompts are short on purpose: a 135M model follows a short instruction better
than a long one, and every prompt token costs time on a laptop.
"""

from __future__ import annotations

from collections.abc import Sequence

from clm_lsp.llm import Message

PROMPT_VERSION = "s1"
"""Bump when any prompt below changes."""

EXTRACTIVE_SUFFIX = "/extractive"
"""Appended to the prompt version of a summary the guard replaced by the extractive one."""

SECTION_SYSTEM = (
    "You summarise one section of a planning document. Write one or two short sentences. "
    "Use only facts stated in the text. Never add numbers, dates or names that the text does not contain."
)
ENTITY_SYSTEM = (
    "You summarise a planning document from the summaries of its sections. Write two short sentences "
    "about the whole. Use only facts stated in the summaries. Never add numbers, dates or names."
)
TREE_SYSTEM = (
    "You summarise a place or organisation from its own summary and the summaries of its parts. "
    "Write two short sentences about the whole. Use only facts stated below. Never add numbers, dates or names."
)
STRICT_ADDENDUM = (
    " Your last answer contained facts that are not in the text: {claims}. Do not use them. "
    "Copy every number, date and name exactly as the text writes it, or leave it out."
)


def section_messages(entity_title: str, section_title: str, text: str, strict: Sequence[str] = ()) -> list[Message]:
    """Level 0: one section's own text."""
    user = f"Document: {entity_title}\nSection: {section_title}\n\nText:\n{text.strip()}\n\nSummary of this section:"
    return [Message("system", _system(SECTION_SYSTEM, strict)), Message("user", user)]


def entity_messages(entity_title: str, parts: Sequence[tuple[str, str]], strict: Sequence[str] = ()) -> list[Message]:
    """Level 1: an entity from its section summaries, ``parts`` = (section title, summary)."""
    lines = "\n".join(f"- {title}: {summary}" for title, summary in parts)
    user = f"Document: {entity_title}\n\nSection summaries:\n{lines}\n\nSummary of the whole document:"
    return [Message("system", _system(ENTITY_SYSTEM, strict)), Message("user", user)]


def tree_messages(entity_title: str, own: str, parts: Sequence[tuple[str, str]], strict: Sequence[str] = ()) -> list[Message]:
    """Level 2+: an entity from its own summary and its children's (a city from its districts)."""
    lines = "\n".join(f"- {title}: {summary}" for title, summary in parts)
    user = f"{entity_title}: {own}\n\nIts parts:\n{lines}\n\nSummary of {entity_title} with its parts:"
    return [Message("system", _system(TREE_SYSTEM, strict)), Message("user", user)]


def _system(base: str, strict: Sequence[str]) -> str:
    if not strict:
        return base
    return base + STRICT_ADDENDUM.format(claims=", ".join(f'"{c}"' for c in strict[:8]))
