"""The graph's own consistency check, run by every reconcile (mixed into Graph, like graph_write).

Every write is one transaction, but the edges a change set makes are derived
from node properties that later batches only look at when a file changes:
HAS_SECTION is created only for a section that is new, so a section node that
exists without its edge (found after kill -9 during indexing, issue 10) was never
repaired, and every later reconcile kept the hole. Rather than trust that no
interruption (or engine bug) can ever leave such a state, each reconcile compares
the derived edges with what the nodes say they should be, and fixes the
difference in one transaction:

- HAS_SECTION: exactly one edge from ``Section.entity`` to each section; sections
  of an entity that does not exist are deleted;
- CHILD_OF: exactly one edge to ``Entity.parent`` when that entity exists;
- NEXT: the timeslice order of each entity (planner.timeslice_pairs);
- LINKS_TO: exactly one edge per resolved ``Link`` and none for the others (a
  mismatch is re-resolved through graph_write's own resolution);
- summaries that stand for nothing are deleted.

Reads are plain column scans (about 20 ms for 10,000 sections); nothing is
written when the graph is consistent.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .records import LinkRow

_LINK_COLS = tuple(LinkRow.__slots__)


def _diff(expected: set[tuple[str, str]], actual: Counter[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(pairs whose edges to drop, pairs to create): a duplicated or unexpected pair is dropped
    whole, and created again once when it is expected."""
    drop = [pair for pair, n in actual.items() if pair not in expected or n > 1]
    create = [pair for pair in expected if actual.get(pair, 0) != 1]
    return drop, create


class GraphRepair:
    """Needs from its host: ``_write()``, ``_copy_rel()``, ``transaction()``, and graph_write's
    ``_targets()``, ``_create_link_edges()`` and ``_delete_orphan_summaries()``."""

    def repair(self) -> dict[str, int]:
        """Make the derived edges agree with the nodes; the number of fixes by kind (empty: none)."""
        if self._looks_consistent():
            return {}
        w = self._write  # type: ignore[attr-defined]
        fixed: dict[str, int] = {}
        with self.transaction():  # type: ignore[attr-defined]
            entities = {r[0] for r in w("MATCH (e:Entity) RETURN e.id")}
            sections = {r[0]: (r[1], r[2], r[3] or "", r[4]) for r in w("MATCH (s:Section) RETURN s.id, s.entity, s.kind, s.date_key, s.ord")}
            orphans = [sid for sid, (ent, *_rest) in sections.items() if ent not in entities]
            if orphans:
                w("UNWIND $ids AS i MATCH (s:Section {id: i}) DETACH DELETE s", {"ids": orphans})
                fixed["sections without an entity"] = len(orphans)
                for sid in orphans:
                    del sections[sid]

            has = Counter((r[0], r[1]) for r in w("MATCH (e:Entity)-[:HAS_SECTION]->(s:Section) RETURN e.id, s.id"))
            n = self._fix_pairs("HAS_SECTION", "Entity", "Section", {(ent, sid) for sid, (ent, *_r) in sections.items()}, has)
            if n:
                fixed["HAS_SECTION"] = n

            parents = {(r[0], r[1]) for r in w("MATCH (a:Entity) WHERE a.parent <> '' RETURN a.id, a.parent") if r[1] in entities and r[0] != r[1]}
            child = Counter((r[0], r[1]) for r in w("MATCH (a:Entity)-[:CHILD_OF]->(b:Entity) RETURN a.id, b.id"))
            n = self._fix_pairs("CHILD_OF", "Entity", "Entity", parents, child)
            if n:
                fixed["CHILD_OF"] = n

            n = self._fix_pairs("NEXT", "Section", "Section", _timeslice_order(sections),
                                Counter((r[0], r[1]) for r in w("MATCH (a:Section)-[:NEXT]->(b:Section) RETURN a.id, b.id")))
            if n:
                fixed["NEXT"] = n

            n = self._fix_links()
            if n:
                fixed["LINKS_TO"] = n

            n = self._delete_orphan_summaries()  # type: ignore[attr-defined]
            if n:
                fixed["orphan summaries"] = n
        return fixed

    def _arrow(self, query: str) -> Any:
        return self._w.execute(query).get_as_arrow()  # type: ignore[attr-defined]

    def _looks_consistent(self) -> bool:
        """The fast path, in Arrow (no Python object per row): the expected and the actual
        edges of each relation, sorted and compared column by column. About 0.1 s per
        10,000 sections; only a difference pays for the full repair below."""
        if not _same_pairs(self._arrow("MATCH (s:Section) RETURN s.entity AS a, s.id AS b"),
                           self._arrow("MATCH (e:Entity)-[:HAS_SECTION]->(s:Section) RETURN e.id AS a, s.id AS b")):
            return False
        if not _same_pairs(self._arrow("MATCH (a:Entity), (b:Entity) WHERE b.id = a.parent AND a.id <> b.id RETURN a.id AS a, b.id AS b"),
                           self._arrow("MATCH (a:Entity)-[:CHILD_OF]->(b:Entity) RETURN a.id AS a, b.id AS b")):
            return False
        slices = self._arrow("MATCH (s:Section) WHERE s.kind = 'timeslice' RETURN s.entity AS e, s.date_key AS d, s.ord AS o, s.id AS i")
        if not _same_pairs(_next_pairs(slices), self._arrow("MATCH (a:Section)-[:NEXT]->(b:Section) RETURN a.id AS a, b.id AS b")):
            return False
        resolved = self._arrow("MATCH (l:Link) WHERE l.resolved RETURN l.id AS a, '' AS b")
        edges = self._arrow("MATCH ()-[r:LINKS_TO]->() RETURN r.link AS a, '' AS b")
        if not _same_pairs(resolved, edges):
            return False
        w = self._write  # type: ignore[attr-defined]
        return int(w("MATCH (u:Summary) RETURN count(*)")[0][0]) == 0 or int(
            w("MATCH (u:Summary) WHERE NOT EXISTS { MATCH (u)-[:SUMMARIZES]->() } RETURN count(*)")[0][0]) == 0

    def _fix_pairs(self, rel: str, src: str, dst: str, expected: set[tuple[str, str]], actual: Counter[tuple[str, str]]) -> int:
        drop, create = _diff(expected, actual)
        if drop:
            self._write(  # type: ignore[attr-defined]
                f"UNWIND $rows AS r MATCH (a:{src} {{id: r.a}})-[x:{rel}]->(b:{dst} {{id: r.b}}) DELETE x",
                {"rows": [{"a": a, "b": b} for a, b in drop]},
            )
            create = sorted(set(create) | {pair for pair in drop if pair in expected})
        if create:
            self._copy_rel(rel, src, dst, {"from": [a for a, _ in create], "to": [b for _, b in create]})  # type: ignore[attr-defined]
        return len(drop) + len(create)

    def _fix_links(self) -> int:
        """Links whose LINKS_TO edges do not match their ``resolved`` flag: resolved again."""
        w = self._write  # type: ignore[attr-defined]
        edges = Counter(r[0] for r in w("MATCH ()-[r:LINKS_TO]->() RETURN r.link"))
        links = {r[0]: bool(r[1]) for r in w("MATCH (l:Link) RETURN l.id, l.resolved")}
        bad = sorted({i for i, ok in links.items() if edges.get(i, 0) != (1 if ok else 0)} | (set(edges) - set(links)))
        if not bad:
            return 0
        w("UNWIND $ids AS i MATCH ()-[r:LINKS_TO]->() WHERE r.link = i DELETE r", {"ids": bad})
        cols = ", ".join(f"l.{c}" for c in _LINK_COLS)
        rows = [LinkRow(*r) for r in w(f"UNWIND $ids AS i MATCH (l:Link {{id: i}}) RETURN {cols}", {"ids": bad})]
        if rows:
            targets = self._targets(rows)  # type: ignore[attr-defined]
            data = [{"id": r.id, **targets.columns(r)} for r in rows]
            w("UNWIND $rows AS r MATCH (l:Link {id: r.id}) SET l.target_entity = r.target_entity, l.resolved = r.resolved", {"rows": data})
            self._create_link_edges(rows, targets)  # type: ignore[attr-defined]
        return len(bad)


def _same_pairs(expected: Any, actual: Any) -> bool:
    """Two Arrow tables of (a, b) string pairs hold the same multiset of rows."""
    if expected.num_rows != actual.num_rows:
        return False
    keys = [("a", "ascending"), ("b", "ascending")]
    e, x = expected.sort_by(keys), actual.sort_by(keys)
    return all(e.column(c).cast("string").fill_null("").equals(x.column(c).cast("string").fill_null("")) for c in ("a", "b"))


def _next_pairs(slices: Any) -> Any:
    """The NEXT pairs timeslice rows (e, d, o, i) call for, as an Arrow table (a, b)."""
    import pyarrow as pa

    if slices.num_rows < 2:
        return pa.table({"a": pa.array([], pa.string()), "b": pa.array([], pa.string())})
    t = slices.set_column(1, "d", slices.column("d").cast("string").fill_null(""))
    t = t.sort_by([("e", "ascending"), ("d", "ascending"), ("o", "ascending")])
    ents, ids = t.column("e").to_numpy(zero_copy_only=False), t.column("i").to_numpy(zero_copy_only=False)
    same = ents[:-1] == ents[1:]
    return pa.table({"a": pa.array(ids[:-1][same], pa.string()), "b": pa.array(ids[1:][same], pa.string())})


def _timeslice_order(sections: dict[str, tuple[str, Any, str, Any]]) -> set[tuple[str, str]]:
    """NEXT pairs as planner.timeslice_pairs makes them: by date key, document order breaking ties."""
    by_entity: dict[str, list[tuple[str, Any, str]]] = {}
    for sid, (ent, kind, date_key, ord_) in sections.items():
        if kind == "timeslice":
            by_entity.setdefault(ent, []).append((date_key, ord_, sid))
    pairs: set[tuple[str, str]] = set()
    for items in by_entity.values():
        items.sort()
        pairs.update((a[2], b[2]) for a, b in zip(items, items[1:]))
    return pairs
