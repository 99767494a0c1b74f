"""Fuzzy matching for completion and workspace symbols: prefix > substring > subsequence.

The query's characters must appear in order in the candidate (case-insensitive).
Matches at word starts (after `-`, `_`, space, `#`, `/`) and runs of consecutive
characters score higher, so `hhc` finds `harbourside-housing-coop` first.
"""

from __future__ import annotations

import bisect
import heapq
import re
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

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
    search = re.compile(_subsequence_pattern(query, "")).search
    return lambda s: search(s) is not None


def _subsequence_pattern(query: str, stop: str) -> str:
    """``query``'s characters in order, each reached through a run of anything but itself (and
    ``stop``): one way to match, so no backtracking (`a.*?b.*?c` was exponential in the query's
    length on keys that nearly match: seconds for a 7-letter query on 2,000 titles)."""
    return "".join(f"[^{re.escape(ch)}{stop}]*{re.escape(ch)}" for ch in query)


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


_WORD_START = re.compile(r"[-_ #/.](?=.)", re.DOTALL)
"""A position right after a separator: where ``score`` counts a match as at a word start."""
_HIGH = 4_000
"""Scores from here up need ``query`` at a word start of some key: prefix (10,000 - len) or a
first occurrence right after a separator (6,000 - i - len). Every other match scores below."""


class Index(Generic[T]):
    """Items and their lowercase keys, prepared once (per snapshot) so that a query does not
    walk every item: ``rank`` gives exactly what the module's ``rank`` would.

    How: every key's word starts (its start, and each position after a separator) go into one
    sorted list of suffixes, so the items where the query begins a word are one bisect away.
    When more than ``limit`` of them score in the top bands (prefix, word start), no other item
    can reach the top ``limit`` and the answer comes from those alone. Otherwise (a rare or
    mid-word query, or a one-letter query matching thousands) a C-level regex over all keys
    joined picks the items the query is a subsequence of, and ``rank`` orders just those.
    Answers are remembered per query (the index lives as long as the ids and titles do).
    """

    CAP = 1_000
    """Most keys one query looks at. An index of at most this many keys always answers exactly
    as ``rank``; a bigger one (10,000 entities and their titles) stops at this many matching keys
    (taken evenly across the word-start range, else the first in item order) and says more
    matched, so the list is incomplete and the client asks again as the user narrows it."""

    def __init__(self, items: Iterable[T], keys: Callable[[T], tuple[str, ...]], *, word_starts: bool = True, keys_lowered: bool = False) -> None:
        """``word_starts`` False: no suffix list (built in a third of the time; every query takes
        the full pass, still mostly in C): for big, short-lived pools like workspace/symbol's."""
        self.items: list[T] = list(items)
        if keys_lowered:
            self.keys: list[tuple[str, ...]] = [tuple(k for k in keys(item) if k) for item in self.items]
        else:
            self.keys = [tuple(k.lower() for k in keys(item) if k) for item in self.items]
        entries: list[tuple[str, int]] = []
        lines: list[str] = []
        owners: list[int] = []
        for n, ks in enumerate(self.keys):
            for k in ks:
                if word_starts:
                    entries.append((k, n))
                    entries.extend((k[m.end() :], n) for m in _WORD_START.finditer(k))
                lines.append(k.replace("\n", " "))
                owners.append(n)
        self._word_starts = word_starts
        entries.sort()
        self._suffixes = [s for s, _n in entries]
        self._suffix_owner = [n for _s, n in entries]
        self._blob = "\n".join(lines)
        self._line_starts: list[int] = []
        at = 0
        for line in lines:
            self._line_starts.append(at)
            at += len(line) + 1
        self._line_owner = owners
        self._keyed = [n for n, ks in enumerate(self.keys) if ks]
        self._memo: dict[tuple[str, int, int | None], tuple[list[T], bool]] = {}

    def rank(self, query: str, limit: int, enough: int | None = None) -> tuple[list[T], bool]:
        """As ``rank(query, items, keys, limit, keys_lowered=True, enough=enough)``."""
        q = query.lower()
        if not q:
            top = [self.items[n] for n in self._keyed[:limit]]
            return top, len(self._keyed) >= (limit + 1 if enough is None else enough) or len(self._keyed) > limit
        memo_key = (q, limit, enough)
        found = self._memo.get(memo_key)
        if found is None:
            found = self._fast(q, limit) if self._word_starts else None
            if found is None:
                found = self._full(q, limit, enough)
            if len(self._memo) > 512:
                self._memo.clear()
            self._memo[memo_key] = found
        return list(found[0]), found[1]

    def _fast(self, q: str, limit: int) -> tuple[list[T], bool] | None:
        lo = bisect.bisect_left(self._suffixes, q)
        hi = bisect.bisect_left(self._suffixes, q + "\U0010ffff", lo)
        step = 1
        if hi - lo > self.CAP:
            if len(self._line_owner) <= self.CAP:
                return None  # small enough for the exact full pass
            step = -(-(hi - lo) // self.CAP)  # a one-letter query on 10,000 entities: a spread sample
        high: dict[int, int] = {}
        owners, keys = self._suffix_owner, self.keys
        for j in range(lo, hi, step):
            n = owners[j]
            if n in high:
                continue
            best = max((s for k in keys[n] if q in k and (s := score(q, k, lowered=True)) is not None), default=None)
            if best is not None and best >= _HIGH:
                high[n] = best
        if len(high) <= limit:
            return None  # lower bands could still fill the list: only the full pass knows
        top = heapq.nlargest(limit, high.items(), key=lambda t: (t[1], -t[0]))
        return [self.items[n] for n, _s in top], True

    def _full(self, q: str, limit: int, enough: int | None) -> tuple[list[T], bool]:
        # As rank: the items containing q first; only when they are few, the scattered ones too.
        cap = max(self.CAP, 4 * limit)
        hits, capped = self._matching(re.escape(q), cap)
        if not capped and len(hits) < (limit + 1 if enough is None else enough):
            # The subsequence pattern starts with q's first character, so the regex engine jumps
            # from one occurrence of it to the next (a pattern led by `[^x]*` or anchored with
            # `^` tries every position of the joined keys: tens of ms at 20,000 keys).
            more_hits, capped = self._matching(re.escape(q[0]) + _subsequence_pattern(q[1:], "\n"), cap)
            hits |= more_hits
        keys = self.keys
        # rank breaks ties by position: the hits keep the items' order, so the answer is the same.
        found, more = rank(q, sorted(hits), lambda n: keys[n], limit, keys_lowered=True, enough=enough)
        return [self.items[n] for n in found], more or capped

    def _matching(self, pattern: str, cap: int) -> tuple[set[int], bool]:
        """The items with a key (a line of the joined keys) matching ``pattern`` (which cannot
        cross a line), at most ``cap`` keys' worth; True when it stopped there."""
        search = re.compile(pattern).search
        blob, starts, owners = self._blob, self._line_starts, self._line_owner
        hits: set[int] = set()
        m = search(blob)
        for _ in range(cap):
            if m is None:
                return hits, False
            line = bisect.bisect_right(starts, m.start()) - 1
            hits.add(owners[line])
            m = search(blob, starts[line + 1]) if line + 1 < len(starts) else None
        return hits, m is not None
