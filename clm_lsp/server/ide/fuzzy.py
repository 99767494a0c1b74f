"""Fuzzy matching for completion and workspace symbols: prefix > substring > subsequence.

The query's characters must appear in order in the candidate (case-insensitive).
Matches at word starts (after `-`, `_`, space, `#`, `/`) and runs of consecutive
characters score higher, so `hhc` finds `harbourside-housing-coop` first.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
_SEPARATORS = frozenset("-_ #/.")


def score(query: str, candidate: str, lowered: bool = False) -> int | None:
    """Higher is better; None when ``query`` is not a subsequence of ``candidate``.

    ``lowered``: both are lowercase already (rank lowers each key once).
    """
    if not query:
        return 0
    q, c = (query, candidate) if lowered else (query.lower(), candidate.lower())
    if c.startswith(q):
        return 10_000 - len(c)
    i = c.find(q)
    if i >= 0:
        at_word = c[i - 1] in _SEPARATORS
        return (6_000 if at_word else 4_000) - i - len(c)
    # Jumping ahead to word starts can skip letters a later query character needs:
    # then the plain greedy pass (which succeeds for any subsequence) decides.
    points = _subsequence_points(q, c, prefer_words=True)
    if points is None:
        points = _subsequence_points(q, c, prefer_words=False)
    return None if points is None else points * 10 - len(c)


def _subsequence_points(q: str, c: str, prefer_words: bool) -> int | None:
    total, start, prev = 0, 0, -2
    for ch in q:
        j = c.find(ch, start)
        if j < 0:
            return None
        if prefer_words:
            k = _word_start_from(c, ch, start)
            if k is not None and k - j < 24:
                j = k
        points = 1
        if j == 0 or c[j - 1] in _SEPARATORS:
            points += 8
        if j == prev + 1:
            points += 5
        total += points
        prev, start = j, j + 1
    return total


def _word_start_from(c: str, ch: str, start: int) -> int | None:
    j = c.find(ch, start)
    while j >= 0:
        if j == 0 or c[j - 1] in _SEPARATORS:
            return j
        j = c.find(ch, j + 1)
    return None


def prefilter(query: str) -> Callable[[str], bool]:
    """A fast C-level test that lowercase ``query`` is a subsequence of a lowercase string."""
    if not query:
        return lambda _s: True
    search = re.compile(".*?".join(map(re.escape, query)), re.DOTALL).search
    return lambda s: search(s) is not None


def rank(
    query: str,
    items: Iterable[T],
    keys: Callable[[T], tuple[str, ...]],
    limit: int,
    keys_lowered: bool = False,
    enough: int | None = None,
) -> tuple[list[T], bool]:
    """The best ``limit`` items by their best-scoring key, and whether more matched.

    ``keys_lowered``: the keys are lowercase already (precomputed once, not per query).
    Prefix and substring matches always outrank scattered ones, so once there are
    ``enough`` of them (default: more than ``limit``) the slower subsequence scoring
    is skipped and the answer says more matched (a completion list is then incomplete,
    and the client asks again as the user types).
    """
    q = query.lower()
    direct: list[tuple[int, int, T]] = []
    rest: list[tuple[int, T, list[str]]] = []
    for n, item in enumerate(items):
        ks = [k if keys_lowered else k.lower() for k in keys(item) if k]
        best = None
        for k in ks:
            if q in k:
                s = score(q, k, lowered=True)
                if s is not None and (best is None or s > best):
                    best = s
        if best is not None:
            direct.append((best, -n, item))
        else:
            rest.append((n, item, ks))
    scored = direct
    skipped = len(direct) >= (limit + 1 if enough is None else enough)
    if not skipped and q:
        test = prefilter(q)
        for n, item, ks in rest:
            found = [s for k in ks if test(k) and (s := score(q, k, lowered=True)) is not None]
            if found:
                scored.append((max(found), -n, item))
    top = heapq.nlargest(limit, scored, key=lambda t: (t[0], t[1]))
    return [item for _s, _n, item in top], skipped or len(scored) > limit
