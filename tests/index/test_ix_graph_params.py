"""Long UNWIND parameter lists run in pieces (index/graph_params.py): the same rows come
back, statements over the whole list are not split, and a real Kuzu write in one
transaction sees every piece."""

from __future__ import annotations

from pathlib import Path

import kuzu

from clm_lsp.index.graph_params import PIECE_ROWS, in_pieces


def test_a_long_list_runs_in_pieces_and_the_rows_are_joined_in_order():
    calls: list[dict] = []

    def run(params):
        calls.append(params)
        return [[x] for x in params["ids"]]

    ids = list(range(2 * PIECE_ROWS + 5))
    out = in_pieces(run, "UNWIND $ids AS i MATCH (n {id: i}) RETURN n.id", {"ids": ids, "other": 7})
    assert out == [[x] for x in ids]
    assert [len(c["ids"]) for c in calls] == [PIECE_ROWS, PIECE_ROWS, 5]
    assert all(c["other"] == 7 for c in calls)


def test_short_lists_and_whole_list_statements_run_once():
    for query, n in [("UNWIND $ids AS i MATCH (n {id: i}) RETURN n.id", PIECE_ROWS),
                     ("UNWIND $ids AS i MATCH (s:S) WHERE s.e = i RETURN s.id ORDER BY s.ord", 3 * PIECE_ROWS),
                     ("UNWIND $ids AS i MATCH (n {id: i}) RETURN count(n)", 3 * PIECE_ROWS),
                     ("MATCH (n) RETURN n.id", 0)]:
        calls: list[dict] = []
        in_pieces(lambda p: calls.append(p) or [], query, {"ids": list(range(n))})
        assert len(calls) == 1, query


def test_pieces_inside_one_kuzu_transaction_write_every_row(tmp_path: Path):
    db = kuzu.Database(str(tmp_path / "g.kuzu"))
    conn = kuzu.Connection(db)
    conn.execute("CREATE NODE TABLE T(id INT64, v STRING, PRIMARY KEY(id))")
    rows = [{"id": i, "v": f"v{i}"} for i in range(3 * PIECE_ROWS + 1)]
    conn.execute("BEGIN TRANSACTION")
    in_pieces(lambda p: conn.execute("UNWIND $rows AS r CREATE (:T {id: r.id, v: r.v})", p).get_all(),
              "UNWIND $rows AS r CREATE (:T {id: r.id, v: r.v})", {"rows": rows})
    conn.execute("COMMIT")
    got = in_pieces(lambda p: conn.execute("UNWIND $ids AS i MATCH (t:T {id: i}) RETURN t.id, t.v", p).get_all(),
                    "UNWIND $ids AS i MATCH (t:T {id: i}) RETURN t.id, t.v", {"ids": [r["id"] for r in rows]})
    assert got == [[r["id"], r["v"]] for r in rows]
