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

    WIDE = 4_000
    """A query whose word-start range is wider than this is answered by the full pass (and remembered)."""

    def __init__(self, items: Iterable[T], keys: Callable[[T], tuple[str, ...]]) -> None:
        self.items: list[T] = list(items)
        self.keys: list[tuple[str, ...]] = [tuple(k.lower() for k in keys(item) if k) for item in self.items]
        entries: list[tuple[str, int]] = []
        lines: list[str] = []
        owners: list[int] = []
        for n, ks in enumerate(self.keys):
            for k in ks:
                entries.append((k, n))
                entries.extend((k[m.end() :], n) for m in _WORD_START.finditer(k))
                lines.append(k.replace("\n", " "))
                owners.append(n)
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
            found = self._fast(q, limit)
            if found is None:
                found = self._full(q, limit, enough)
            if len(self._memo) > 512:
                self._memo.clear()
            self._memo[memo_key] = found
        return list(found[0]), found[1]

    def _fast(self, q: str, limit: int) -> tuple[list[T], bool] | None:
        lo = bisect.bisect_left(self._suffixes, q)
        hi = bisect.bisect_left(self._suffixes, q + "\U0010ffff", lo)
        if hi - lo > self.WIDE:
            return None
        high: dict[int, int] = {}
        owners = self._suffix_owner
        for j in range(lo, hi):
            n = owners[j]
            if n in high:
                continue
            best = max((s for k in self.keys[n] if q in k and (s := score(q, k, lowered=True)) is not None), default=None)
            if best is not None and best >= _HIGH:
                high[n] = best
        if len(high) <= limit:
            return None  # lower bands could still fill the list: only the full pass knows
        top = heapq.nlargest(limit, high.items(), key=lambda t: (t[1], -t[0]))
        return [self.items[n] for n, _s in top], True

    def _full(self, q: str, limit: int, enough: int | None) -> tuple[list[T], bool]:
        # As rank: the items containing q first; only when they are few, the scattered ones too.
        hits = self._lines_with(q)
        if len(hits) < (limit + 1 if enough is None else enough):
            pattern = re.compile("^" + _subsequence_pattern(q, "\n"), re.MULTILINE)
            starts, owners = self._line_starts, self._line_owner
            hits |= {owners[bisect.bisect_right(starts, m.start()) - 1] for m in pattern.finditer(self._blob)}
        keys = self.keys
        # rank breaks ties by position: the hits keep the items' order, so the answer is the same.
        found, more = rank(q, sorted(hits), lambda n: keys[n], limit, keys_lowered=True, enough=enough)
        return [self.items[n] for n in found], more

    def _lines_with(self, q: str) -> set[int]:
        """The items with a key containing ``q`` (str.find over the joined keys, a line at a time)."""
        blob, starts, owners = self._blob, self._line_starts, self._line_owner
        hits: set[int] = set()
        at = blob.find(q)
        while at >= 0:
            line = bisect.bisect_right(starts, at) - 1
            hits.add(owners[line])
            nxt = starts[line + 1] if line + 1 < len(starts) else len(blob)
            at = blob.find(q, max(nxt, at + 1))
        return hits
