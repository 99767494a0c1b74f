"""Full-text scoring (BM25) over a snapshot: the retrieval used without an index.

The CLI and the server use the Indexer's hybrid search when an index is open;
this keeps ``clm-lsp context`` and the needle benchmark working without one, and
gives a deterministic baseline. Built once per call of :func:`lexical_retriever`.
"""

from __future__ import annotations

import math
import re
from collections import Counter as Bag
from collections.abc import Callable

from clm_lsp.blueprint import Workspace

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_STOP = frozenset("a an and are as at be by for from has have in is it its of on or that the this to was were will with".split())

Retriever = Callable[[str, int], list[tuple[str, float]]]


def terms(text: str) -> list[str]:
    return [w for w in (m.group(0).lower() for m in _WORD.finditer(text)) if w not in _STOP]


def lexical_retriever(ws: Workspace, k1: float = 1.2, b: float = 0.75) -> Retriever:
    """retrieve(query, k) -> [(section id "entity#anchor", score)], best first (BM25)."""
    docs: list[tuple[str, Bag[str], int]] = []
    for bp in ws.docs.values():
        if not bp.entity.id:
            continue
        for s in bp.sections:
            bag = Bag(terms(f"{s.title} {s.text}"))
            docs.append((f"{bp.entity.id}#{s.anchor}", bag, sum(bag.values())))
    df: Bag[str] = Bag()
    for _sid, bag, _n in docs:
        df.update(bag.keys())
    avg = (sum(n for *_x, n in docs) / len(docs)) if docs else 1.0
    total = len(docs)

    def retrieve(query: str, k: int) -> list[tuple[str, float]]:
        q = set(terms(query))
        scored = []
        for sid, bag, n in docs:
            score = 0.0
            for t in q:
                tf = bag.get(t, 0)
                if tf:
                    idf = math.log(1 + (total - df[t] + 0.5) / (df[t] + 0.5))
                    score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * n / max(avg, 1.0)))
            if score > 0:
                scored.append((sid, score))
        scored.sort(key=lambda x: (-x[1], x[0]))
        return scored[:k]

    return retrieve
