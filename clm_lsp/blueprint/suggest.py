"""Did-you-mean lists for ids, anchors, scales and keys.

difflib over every id of a large workspace costs 10-20 ms per unknown word
(measured with 700 similar ids), too slow for a check that runs after each
keystroke. So a ``NameIndex`` (built once per set of names) ranks candidates
by shared character bigrams with C-level set operations, and difflib only
orders the best dozen.
"""

from __future__ import annotations

import bisect
import difflib
import heapq
from collections import Counter
from collections.abc import Iterable
from itertools import chain

_SHORTLIST = 12
_PREFIX_SCAN = 64


def _bigrams(word: str) -> frozenset[str]:
    padded = f" {word.lower()} "
    return frozenset(padded[i : i + 2] for i in range(len(padded) - 1))


class NameIndex:
    """A fixed set of names, prepared for fast did-you-mean queries."""

    __slots__ = ("_names", "_postings", "_by_lower", "_lower_keys")

    def __init__(self, names: Iterable[str]) -> None:
        self._names = sorted(set(names))
        # bigram -> indices of the names that have it: a query counts shared bigrams over the
        # few names that share any, not by intersecting 10,000 sets (40 ms a query there,
        # and a checkout that breaks a thousand links asks a thousand).
        postings: dict[str, list[int]] = {}
        for i, name in enumerate(self._names):
            for gram in _bigrams(name):
                postings.setdefault(gram, []).append(i)
        self._postings = postings
        self._by_lower = sorted((n.lower(), n) for n in self._names)
        self._lower_keys = [low for low, _ in self._by_lower]

    def __len__(self) -> int:
        return len(self._names)

    def closest(self, word: str, n: int = 3) -> list[str]:
        """Up to ``n`` likely intended names for a misspelt or shortened ``word``.

        difflib alone misses abbreviations ('gov' for 'governance' scores 0.46), so
        names that start with the word (or that the word starts with) come first,
        shortest first, then difflib's close matches among the bigram shortlist.
        """
        if not word:
            return []
        out = self._prefixed(word)[:n]
        pool = self._names
        if len(pool) > _SHORTLIST:
            pool = [self._names[i] for i in self._shortlist(_bigrams(word))]
        for c in difflib.get_close_matches(word, pool, n=n + 1, cutoff=0.6):
            if c != word and c not in out and len(out) < n:
                out.append(c)
        return out

    def _shortlist(self, grams: frozenset[str]) -> list[int]:
        """The _SHORTLIST names sharing the most bigrams with the word, ties to the later name
        (as ``heapq.nlargest`` over (shared, index) for every name would pick them)."""
        shared = Counter(chain.from_iterable(self._postings.get(g, ()) for g in grams))
        best = heapq.nlargest(_SHORTLIST, ((n, i) for i, n in shared.items()))
        i = len(self._names) - 1
        while len(best) < _SHORTLIST and i >= 0:  # fewer names share any bigram: the last ones, as nlargest would
            if i not in shared:
                best.append((0, i))
            i -= 1
        return [i for _, i in best]

    def _prefixed(self, word: str) -> list[str]:
        low = word.lower()
        found = []
        start = bisect.bisect_left(self._lower_keys, low)
        for key, name in self._by_lower[start : start + _PREFIX_SCAN]:
            if not key.startswith(low):
                break
            if name != word:
                found.append(name)
        for k in range(1, len(low)):  # names the word starts with ('governance-x' -> 'governance')
            i = bisect.bisect_left(self._lower_keys, low[:k])
            if i < len(self._lower_keys) and self._lower_keys[i] == low[:k]:
                found.append(self._by_lower[i][1])
        return sorted(set(found), key=lambda c: (abs(len(c) - len(word)), c))


def closest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """One-off did-you-mean over ``choices`` (build a NameIndex to ask many times)."""
    return NameIndex(choices).closest(word, n)
