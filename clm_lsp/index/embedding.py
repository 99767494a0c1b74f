"""Keep the vector table in step with the entities a batch rewrote, embedding as little as possible.

For each rewritten entity: the chunks it should have are compared with the rows
it has. Rows that match (same text hash and metadata) are left alone. Rows to
write take their vector, in order of preference, from a stored row with the same
text hash (a moved or renamed section), from the donor store (the shared store,
when this one is private), and only then from the embedder.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .chunks import ChunkRow, section_chunks
from .records import Derived
from .stats import IndexStats
from .vectors import VectorStore

if TYPE_CHECKING:
    from .sync import EmbedderLike

EMBED_BATCH = 64
"""Texts per embed_batch call: large enough for throughput, small enough to stay responsive."""


class VectorSync:
    def __init__(self, vectors: VectorStore, embedder: EmbedderLike | None, donor: VectorStore | None = None) -> None:
        self.vectors = vectors
        self.embedder = embedder if vectors.dimensions > 0 else None
        self.donor = donor

    def sync(self, entities: dict[str, Derived | None], stats: IndexStats) -> None:
        if not entities:
            return
        t = time.perf_counter()
        desired: list[ChunkRow] = []
        for derived in entities.values():
            if derived is not None:
                for sec in derived.sections:
                    desired.extend(section_chunks(derived.entity, sec))
        existing = self.vectors.rows_meta(entities)
        wanted_ids = {c.chunk_id for c in desired}
        to_delete = [cid for cid in existing if cid not in wanted_ids]
        to_write = [c for c in desired if existing.get(c.chunk_id) != (c.section_id, c.entity_id, c.scale, c.kind, c.hash)]
        stats.vectors_s += time.perf_counter() - t
        vectors = self._vectors_for(to_write, stats) if self.embedder is not None else None
        t = time.perf_counter()
        self.vectors.upsert(to_write, vectors)
        self.vectors.delete_chunks(to_delete)
        stats.vectors_s += time.perf_counter() - t

    def _vectors_for(self, rows: list[ChunkRow], stats: IndexStats) -> list[list[float]]:
        if not rows:
            return []
        t = time.perf_counter()
        hashes = {r.hash for r in rows}
        known = self.vectors.vectors_by_hash(hashes)
        if self.donor is not None and hashes - known.keys():
            try:
                known.update(self.donor.vectors_by_hash(hashes - known.keys()))
            except Exception:  # noqa: BLE001 - the other process may be compacting: embed instead
                pass
        texts = {r.hash: r.text for r in rows if r.hash not in known}
        stats.vectors_s += time.perf_counter() - t
        t = time.perf_counter()
        pending = list(texts.items())
        assert self.embedder is not None
        for i in range(0, len(pending), EMBED_BATCH):
            part = pending[i : i + EMBED_BATCH]
            vecs = self.embedder.embed_batch([text for _, text in part])
            if len(vecs) != len(part):
                raise ValueError(f"the embedder returned {len(vecs)} vectors for {len(part)} texts")
            dims = self.vectors.dimensions
            if any(len(v) != dims for v in vecs):
                raise ValueError(f"the embedder {self.embedder.model_id!r} returned vectors that are not {dims}-dimensional")
            known.update((h, v) for (h, _), v in zip(part, vecs))
        stats.embedded += len(pending)
        stats.embed_s += time.perf_counter() - t
        return [known[r.hash] for r in rows]
