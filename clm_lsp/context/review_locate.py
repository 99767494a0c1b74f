"""Find a model's quote in the text it quoted: exact, then loosely, else not at all.

Models re-case, re-space and re-quote what they copy (curly for straight quotes,
one space for a line break, a dropped ``**``), and small models cut quotes
short or paraphrase. :func:`locate` tries, in order: the exact quote; the quote
normalised the same way as the text (case, whitespace runs, quote marks,
Markdown emphasis); then the first and the last few words of a long quote.
It returns code-point offsets into the original text, or None. It never
raises, on any input.
"""

from __future__ import annotations

import re

MIN_CHARS = 3
"""Shorter quotes ("a", "is") would match anywhere: not located."""
MAX_QUOTE_CHARS = 1000
PARTIAL_WORDS = 5
"""A long quote not found whole is tried by its first and last this many words."""

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "`": "'", "–": "-", "—": "-"})
_TRIM = " \t\r\n\"'`“”‘’«»*_.…,;:"


def clean_quote(quote: str) -> str:
    """The quote without the wrapping a model adds (quote marks, ellipses, emphasis)."""
    q = quote.strip()[:MAX_QUOTE_CHARS]
    q = re.sub(r"^(\.\.\.|…)|(\.\.\.|…)$", "", q.strip())
    return q.strip(_TRIM)


def locate(text: str, quote: str) -> tuple[int, int] | None:
    """(start, end) of ``quote`` in ``text`` (code points), or None."""
    try:
        return _locate(text, quote)
    except Exception:  # noqa: BLE001 - a finding without a range falls back to the heading
        return None


def _locate(text: str, quote: str) -> tuple[int, int] | None:
    q = clean_quote(quote)
    if len(q) < MIN_CHARS or not text:
        return None
    at = text.find(q)
    if at >= 0:
        return at, at + len(q)
    norm_text, where = _normalise(text)
    norm_q, _ = _normalise(q)
    norm_q = norm_q.strip()
    if len(norm_q) < MIN_CHARS:
        return None
    found = _find_norm(norm_text, where, norm_q)
    if found is not None:
        return found
    words = norm_q.split(" ")
    if len(words) >= 2 * PARTIAL_WORDS:
        for part in (" ".join(words[:PARTIAL_WORDS]), " ".join(words[-PARTIAL_WORDS:])):
            found = _find_norm(norm_text, where, part)
            if found is not None:
                return found
    return None


def _find_norm(norm_text: str, where: list[int], norm_q: str) -> tuple[int, int] | None:
    at = norm_text.find(norm_q)
    if at < 0:
        return None
    return where[at], where[at + len(norm_q) - 1] + 1


def _normalise(text: str) -> tuple[str, list[int]]:
    """Lower-cased, one space per whitespace run, plain quote marks, no ``*``/``_`` emphasis;
    with, for each output character, the offset of the input character it came from."""
    out: list[str] = []
    where: list[int] = []
    space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            if not space and out:
                out.append(" ")
                where.append(i)
            space = True
            continue
        if ch in "*_":
            continue
        space = False
        low = ch.translate(_QUOTES).lower()
        if len(low) != 1:  # "İ".lower() is two code points: keep one per input character
            low = ch
        out.append(low)
        where.append(i)
    return "".join(out), where
