"""Rewriting the graph into a fresh file: Kuzu 0.11.3 never reuses the space its updates free.

Found with bench/load.py's churn (docs/reliability.md, "Load"): every update of a
stored row leaves its old bytes behind. A deleted node or edge keeps its slot, a
SET of a string column appends the new string to the column's dictionary, and a
checkpoint rewrites a changed column chunk out of place (SET of 2,600 section
texts grew the Section table by ~6 MB per checkpoint, about 5x the text written).
Kuzu has no VACUUM (kuzudb/kuzu#4798). So graph.kuzu grew 49 -> 159 MB in 7
batches of 200 edited files on a 1,000-file index, with the rows unchanged, and
around 3,500 file updates Kuzu's 256 MB buffer pool no longer held what an update
needed ("Buffer manager exception: Unable to allocate memory! The buffer pool is
full"); reopening did not help, since the waste is in the file.

No write pattern avoids it (each only changes the rate), so when the file has
grown well past what its rows took when last written fresh, or a write fails for
want of buffer pool, every row of every table (summaries included) is copied into
a new file, which then replaces the old one (graph.py ``Graph.compact``). This
module holds the copy; it uses only the two connections it is given, so graph.py
stays the only module that imports the engine.
"""

from __future__ import annotations

from typing import Any

GROWTH_LIMIT = 3.0
"""Compact when the file is this many times what its rows took in a fresh file."""
MIN_COMPACT_BYTES = 64 * 1024 * 1024
"""Never compact a file smaller than this: a small graph's waste costs nothing, a rewrite does."""
COPY_POOL_BYTES = 256 * 1024 * 1024
"""Buffer pool of the database the rows are copied into (while it is written), at least."""
BASELINE_KEY = "fresh_bytes_per_row"
"""Meta key: bytes per row (nodes and edges) of the file when it was last written fresh."""


def is_pool_full(exc: BaseException) -> bool:
    """Kuzu's "the buffer pool is full" (a RuntimeError from any statement, COMMIT included)."""
    text = str(exc).lower()
    return "buffer pool is full" in text or "unable to allocate memory" in text


def _rows(conn: Any, query: str) -> list[list[Any]]:
    return conn.execute(query).get_all()


def tables(conn: Any) -> tuple[list[str], list[str]]:
    """(node tables, rel tables) of the graph behind ``conn``."""
    nodes, rels = [], []
    for _id, name, kind, *_rest in _rows(conn, "CALL show_tables() RETURN *"):
        (nodes if kind == "NODE" else rels if kind == "REL" else []).append(name)
    return sorted(nodes), sorted(rels)


def row_count(conn: Any) -> int:
    """Every node and edge of the graph: what a fresh file's size is proportional to."""
    nodes, rels = tables(conn)
    total = 0
    for name in nodes:
        total += int(_rows(conn, f"MATCH (n:{name}) RETURN count(*)")[0][0])
    for name in rels:
        total += int(_rows(conn, f"MATCH ()-[r:{name}]->() RETURN count(*)")[0][0])
    return total


COPY_SLICE_ROWS = 16_384
"""Rows per COPY: a COPY holds its whole input in the buffer pool (130,000 sections at once
would not fit a small pool; 2,600 did not fit 24 MB)."""


def _copy(dst: Any, statement: str, table: Any) -> None:
    for offset in range(0, table.num_rows, COPY_SLICE_ROWS):
        dst.execute(statement, {"t": table.slice(offset, COPY_SLICE_ROWS)})


def copy_graph(src: Any, dst: Any) -> dict[str, int]:
    """Copy every row of ``src``'s tables into the same, empty tables of ``dst`` (its schema
    already made); rows copied per table. Nodes first (edges need their ends), by COPY from
    Arrow: no row is written twice, so the new file holds no waste."""
    nodes, rels = tables(src)
    have_nodes, have_rels = tables(dst)
    copied: dict[str, int] = {}
    primary: dict[str, str] = {}
    for name in nodes:
        cols = [(r[1], bool(r[4])) for r in _rows(src, f"CALL table_info('{name}') RETURN *")]
        primary[name] = next((c for c, pk in cols if pk), cols[0][0])
        if name not in have_nodes:
            continue
        ret = ", ".join(f"n.`{c}` AS `{c}`" for c, _pk in cols)
        table = src.execute(f"MATCH (n:{name}) RETURN {ret}").get_as_arrow(chunk_size=100_000)
        _copy(dst, f"COPY {name} FROM $t", table)
        copied[name] = table.num_rows
    for name in rels:
        if name not in have_rels:
            continue
        props = [r[1] for r in _rows(src, f"CALL table_info('{name}') RETURN *")]
        copied[name] = 0
        for pair in _rows(src, f"CALL show_connection('{name}') RETURN *"):
            a, b = pair[0], pair[1]
            ret = ", ".join([f"a.`{primary[a]}` AS `from`", f"b.`{primary[b]}` AS `to`", *(f"r.`{p}` AS `{p}`" for p in props)])
            table = src.execute(f"MATCH (a:{a})-[r:{name}]->(b:{b}) RETURN {ret}").get_as_arrow(chunk_size=100_000)
            _copy(dst, f"COPY {name} FROM $t (from='{a}', to='{b}')", table)
            copied[name] += table.num_rows
    return copied
