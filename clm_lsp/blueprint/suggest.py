"""Did-you-mean lists for ids, anchors, scales and keys.

difflib over every id of a large workspace costs 10-20 ms per unknown word
(measured with 700 similar ids), too slow for a check that runs after each
keystroke. So candidates are first ranked by shared character bigrams (a set
intersection per id, in C), and difflib only orders the best few.
"""

from __future__ import annotations

import difflib
import heapq
from collections.abc import Iterable

_SHORTLIST = 12
_bigram_cache: dict[str, frozenset[str]] = {}


def _bigrams(word: str) -> frozenset[str]:
    found = _bigram_cache.get(word)
    if found is None:
        if len(_bigram_cache) > 200_000:  # bound the memory of a long-running server
            _bigram_cache.clear()
        padded = f" {word.lower()} "
        found = _bigram_cache[word] = frozenset(padded[i : i + 2] for i in range(len(padded) - 1))
    return found


def closest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` likely intended choices for a misspelt or shortened ``word``.

    difflib alone misses abbreviations ('gov' for 'governance' scores 0.46), so
    choices that start with the word (or that the word starts with) come first,
    shortest first, then difflib's close matches among the bigram shortlist.
    """
    if not word:
        return []
    pool = [c for c in choices if c != word]
    low = word.lower()
    prefixed = sorted(
        (c for c in pool if c.lower().startswith(low) or low.startswith(c.lower())),
        key=lambda c: (abs(len(c) - len(word)), c),
    )
    out = prefixed[:n]
    if len(pool) > _SHORTLIST:
        grams = _bigrams(word)
        pool = heapq.nlargest(_SHORTLIST, pool, key=lambda c: len(grams & _bigrams(c)))
    for c in difflib.get_close_matches(word, pool, n=n, cutoff=0.6):
        if c not in out and len(out) < n:
            out.append(c)
    return out
