"""Section chunks, their vectors and a full-text index in LanceDB: the only lancedb importer.

One row per chunk (chunk id, section id, entity id, scale, kind, text, text hash,
vector). Rows are upserted by chunk id with ``merge_insert`` and deleted by id
or entity. Search is hybrid: a cosine vector search and LanceDB's native BM25
full-text search, each filtered by entity or scale when asked, fused by
reciprocal rank (:mod:`.fusion`). Without an embedder the table has no vector
column and search is full-text only.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

# Lance logs from Rust straight to stderr; keep it to errors unless the user asked.
os.environ.setdefault("LANCEDB_LOG", "error")

import lancedb  # noqa: E402
import pyarrow as pa  # noqa: E402
from lancedb.index import FTS  # noqa: E402

from .chunks import ChunkRow  # noqa: E402
from .fusion import reciprocal_rank_fusion  # noqa: E402

log = logging.getLogger(__name__)

TABLE = "chunks"
_META = ("chunk_id", "section_id", "entity_id", "scale", "kind", "hash")
_IN_BATCH = 500
"""Ids per SQL IN (...) list: long filters cost more to parse than a few queries."""


@dataclass(frozen=True, slots=True)
class ChunkHit:
    chunk_id: str
    section_id: str
    entity_id: str
    scale: str
    kind: str
    text: str
    score: float
    """Fused score (higher is better)."""
    vector_rank: int | None
    text_rank: int | None


def _schema(dimensions: int) -> pa.Schema:
    fields = [pa.field(name, pa.string(), nullable=False) for name in _META]
    fields.insert(5, pa.field("text", pa.string(), nullable=False))
    if dimensions > 0:
        fields.append(pa.field("vector", pa.list_(pa.float32(), dimensions), nullable=False))
    return pa.schema(fields)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _in(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(_quote(v) for v in values)})"


def _batches(values: Iterable[str]) -> Iterable[list[str]]:
    items = list(values)
    for i in range(0, len(items), _IN_BATCH):
        yield items[i : i + _IN_BATCH]


class VectorStore:
    """The ``chunks`` table of one LanceDB folder. ``dimensions`` 0: no vectors."""

    def __init__(self, path: Path, dimensions: int, *, create: bool = True) -> None:
        self.path = path
        self.dimensions = dimensions
        self._db = lancedb.connect(str(path))
        if self._has_table():
            self._tbl = self._db.open_table(TABLE)
            have = self._tbl.schema
            if have != _schema(dimensions):
                raise ValueError(f"vector table schema {have} does not match {dimensions} dimensions")
        elif create:
            self._tbl = self._db.create_table(TABLE, schema=_schema(dimensions))
        else:
            raise FileNotFoundError(f"no {TABLE} table in {path}")
        self._writes_since_optimize = 0

    def _has_table(self) -> bool:
        listing = self._db.list_tables()
        names = getattr(listing, "tables", listing)  # a response object in lancedb >= 0.30
        return TABLE in list(names)

    def close(self) -> None:
        self._tbl = None  # LanceDB holds no open handles worth closing: files are opened per read.

    # -- reads -------------------------------------------------------------------------

    def count(self) -> int:
        return int(self._tbl.count_rows())

    def _select(self, where: str | None, columns: list[str]) -> pa.Table:
        n = self.count()
        if n == 0:
            return pa.table({c: pa.array([], pa.string()) for c in columns})
        query = self._tbl.search()
        if where:
            query = query.where(where)
        return query.select(columns).limit(n).to_arrow()

    def entity_ids(self) -> set[str]:
        return set(self._select(None, ["entity_id"]).column("entity_id").to_pylist())

    def rows_meta(self, entity_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """chunk id -> (section id, entity id, scale, kind, hash) for the given entities."""
        out: dict[str, tuple[str, ...]] = {}
        for batch in _batches(entity_ids):
            table = self._select(_in("entity_id", batch), list(_META)).to_pydict()
            for i, cid in enumerate(table["chunk_id"]):
                out[cid] = tuple(table[c][i] for c in _META[1:])
        return out

    def vectors_by_hash(self, hashes: Iterable[str]) -> dict[str, list[float]]:
        """Stored vectors for texts with these hashes (a moved or copied text is not re-embedded)."""
        if self.dimensions <= 0:
            return {}
        out: dict[str, list[float]] = {}
        for batch in _batches(set(hashes)):
            table = self._select(_in("hash", batch), ["hash", "vector"]).to_pydict()
            out.update(zip(table["hash"], table["vector"]))
        return out

    # -- writes ------------------------------------------------------------------------

    def upsert(self, rows: list[ChunkRow], vectors: list[list[float]] | None) -> None:
        if not rows:
            return
        data: dict[str, list[Any]] = {c: [getattr(r, c) for r in rows] for c in (*_META[:5], "text", "hash")}
        if self.dimensions > 0:
            assert vectors is not None and len(vectors) == len(rows)
            data["vector"] = vectors
        table = pa.table(data, schema=_schema(self.dimensions))
        self._tbl.merge_insert("chunk_id").when_matched_update_all().when_not_matched_insert_all().execute(table)
        self._writes_since_optimize += 1

    def delete_chunks(self, chunk_ids: Iterable[str]) -> None:
        for batch in _batches(chunk_ids):
            self._tbl.delete(_in("chunk_id", batch))
            self._writes_since_optimize += 1

    def delete_entities(self, entity_ids: Iterable[str]) -> None:
        for batch in _batches(entity_ids):
            self._tbl.delete(_in("entity_id", batch))
            self._writes_since_optimize += 1

    def maintain(self, force: bool = False) -> None:
        """Build the full-text index once, then fold new rows into it and compact now and then.

        Rows added since the last call are still found (LanceDB scans the unindexed
        part), so this only bounds search cost and the number of small files.
        """
        has_fts = any(getattr(ix, "index_type", "") == "FTS" for ix in self._tbl.list_indices())
        if not has_fts:
            if self.count():
                self._tbl.create_index("text", config=FTS(), replace=True)
            self._writes_since_optimize = 0
            return
        if force or self._writes_since_optimize >= 50:
            # Old versions are kept a little while for readers still on them (another process).
            self._tbl.optimize(cleanup_older_than=timedelta(minutes=2))
            self._writes_since_optimize = 0

    # -- search ------------------------------------------------------------------------

    def search(
        self,
        text: str,
        vector: list[float] | None,
        k: int = 10,
        *,
        entity: str | None = None,
        scale: str | None = None,
        mode: str = "hybrid",
    ) -> list[ChunkHit]:
        """Best chunks for a query. ``mode``: 'hybrid', 'vector' or 'text'."""
        if self.count() == 0:
            return []
        where = " AND ".join(f"{col} = {_quote(val)}" for col, val in (("entity_id", entity), ("scale", scale)) if val)
        pool = max(k * 4, 20)
        rows: dict[str, dict[str, Any]] = {}
        by_vector: list[str] = []
        by_text: list[str] = []
        if mode in ("hybrid", "vector") and vector is not None and self.dimensions > 0:
            by_vector = self._ranked(self._tbl.search(vector, vector_column_name="vector").distance_type("cosine"), where, pool, rows)
        if mode in ("hybrid", "text") and text.strip():
            by_text = self._ranked(self._tbl.search(text, query_type="fts"), where, pool, rows)
        fused = reciprocal_rank_fusion([r for r in (by_vector, by_text) if r])
        vec_rank = {cid: i for i, cid in enumerate(by_vector, 1)}
        txt_rank = {cid: i for i, cid in enumerate(by_text, 1)}
        cols = ("chunk_id", "section_id", "entity_id", "scale", "kind", "text")
        return [
            ChunkHit(**{c: rows[cid][c] for c in cols}, score=score, vector_rank=vec_rank.get(cid), text_rank=txt_rank.get(cid))
            for cid, score in fused[:k]
        ]

    def _ranked(self, query: Any, where: str, limit: int, rows: dict[str, dict[str, Any]]) -> list[str]:
        if where:
            query = query.where(where, prefilter=True)
        try:
            found = query.select(["chunk_id", "section_id", "entity_id", "scale", "kind", "text"]).limit(limit).to_list()
        except Exception as exc:  # noqa: BLE001 - a damaged index must not break a search request
            log.warning("index search failed (%s); continuing without it", exc)
            return []
        ranking = []
        for row in found:
            rows.setdefault(row["chunk_id"], row)
            ranking.append(row["chunk_id"])
        return ranking
