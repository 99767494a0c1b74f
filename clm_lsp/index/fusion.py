"""Reciprocal rank fusion: one ranking from several, by rank rather than by score (pure).

Vector distances and BM25 scores live on unrelated scales; RRF (Cormack et al.,
2009) only uses each list's ranks: score(d) = sum over lists of 1 / (k + rank).
k = 60 is the value from the paper and the default of most search engines.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

RRF_K = 60


def reciprocal_rank_fusion(rankings: Sequence[Sequence[Hashable]], k: int = RRF_K, weights: Sequence[float] | None = None) -> list[tuple[Hashable, float]]:
    """Keys by fused score, best first; ties keep the order of first appearance."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[Hashable, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    order = {key: i for i, key in enumerate(scores)}
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))
