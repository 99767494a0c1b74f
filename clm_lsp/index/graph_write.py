"""The indexer's write path into the graph: one change set, one transaction (mixed into Graph).

Kept apart from graph.py only for size: graph.py owns the engine (the one kuzu
import), the schema and the reads; this module holds the Cypher of
:meth:`GraphWriter.apply` and imports no engine. See graph.py for why every list
filter is written ``UNWIND $ids AS i MATCH (n {id: i})``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .graph_compact import is_pool_full
from .records import EntityRow, FileRow, GraphPlan, LinkRow, SectionRow, SummaryRow, section_id

ENTITY_COLS = tuple(EntityRow.__slots__)
SECTION_COLS = tuple(SectionRow.__slots__)
LINK_COLS = tuple(LinkRow.__slots__)
SUMMARY_COLS = tuple(SummaryRow.__slots__)


def returns(var: str, cols: Iterable[str]) -> str:
    return ", ".join(f"{var}.{c}" for c in cols)


def assigns(var: str, cols: Iterable[str], skip: str = "id") -> str:
    return ", ".join(f"{var}.{c} = r.{c}" for c in cols if c != skip)


def entity_from_row(row: list[Any]) -> EntityRow:
    values = dict(zip(ENTITY_COLS, row))
    values["tags"] = tuple(values["tags"] or ())
    return EntityRow(**values)


class GraphWriter:
    """Needs from its host: ``transaction()``, ``_write()``, ``_copy_rel()``, ``mark_stale()``,
    ``_delete_orphan_summaries()``, ``compact()``, ``maybe_compact()`` and ``broken``."""

    def apply(self, plan: GraphPlan) -> int:
        """Apply one change set atomically; returns the number of links (re)resolved.

        Kuzu never reuses the space an update frees (graph_compact.py): the file is
        rewritten fresh when it has grown too far past its rows, and a change set that
        fails for want of buffer pool is retried once on a freshly written file."""
        try:
            resolved = self._apply(plan)
        except RuntimeError as exc:
            if not is_pool_full(exc):
                raise
            at_commit = self.broken is not None  # type: ignore[attr-defined]
            if not self.compact("a write found the buffer pool full" + (" at its commit" if at_commit else "")):  # type: ignore[attr-defined]
                raise
            # A failed COMMIT had landed (Kuzu checkpoints after the commit record): not again.
            resolved = len(plan.links_new) if at_commit and self._landed(plan) else self._apply(plan)
        self.maybe_compact()  # type: ignore[attr-defined]
        return resolved

    def _landed(self, plan: GraphPlan) -> bool:
        """The change set's File rows are in the graph as it wrote them (one transaction: all or none)."""
        want = {f.path: f.hash for f in plan.files_upsert}
        have = dict(self._write("UNWIND $ps AS p MATCH (f:File {path: p}) RETURN f.path, f.hash", {"ps": sorted(want)}))
        gone = self._write("UNWIND $ps AS p MATCH (f:File {path: p}) RETURN f.path", {"ps": list(plan.files_delete)})
        return have == want and not gone

    def _apply(self, plan: GraphPlan) -> int:
        with self.transaction():
            self.mark_stale([*plan.sections_changed, *plan.sections_delete])
            self._drop_links_of_files(plan.link_files)
            if plan.sections_delete:
                self._write("UNWIND $ids AS i MATCH (s:Section {id: i}) DETACH DELETE s", {"ids": list(plan.sections_delete)})
            if plan.entities_delete:
                self._write("UNWIND $ids AS i MATCH (e:Entity {id: i}) DETACH DELETE e", {"ids": list(plan.entities_delete)})
            self._put_entities(plan.entities_upsert)
            self._put_sections(plan.sections_put, plan.sections_new, plan.sections_changed)
            if plan.sections_delete:
                self._delete_orphan_summaries()
            self._relink_next(plan.touched, plan.next_pairs)
            self._relink_children(plan.touched)
            self._put_files(plan.files_upsert, plan.files_delete)
            return self._relink(plan)

    def _put_entities(self, rows: list[EntityRow]) -> None:
        if not rows:
            return
        data = [{c: (list(r.tags) if c == "tags" else getattr(r, c)) for c in ENTITY_COLS} for r in rows]
        stored = self._stored("Entity", "id", ENTITY_COLS, [d["id"] for d in data])
        self._create("Entity", ENTITY_COLS, [d for d in data if d["id"] not in stored])
        # Kuzu writes every SET anew and never reclaims the old copy (graph_compact.py): an
        # entity whose row is as stored (a checkout rewrites files whose front matter stays) is
        # left alone.
        changed = [d for d in data if d["id"] in stored and stored[d["id"]] != [d[c] for c in ENTITY_COLS]]
        if changed:
            self._write(f"UNWIND $rows AS r MATCH (e:Entity {{id: r.id}}) SET {assigns('e', ENTITY_COLS)}", {"rows": changed})

    def _create(self, table: str, cols: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
        """New nodes (their keys checked absent): CREATE costs ~40% of MERGE ... SET (2,600
        sections: 0.6 vs 1.6 s). COPY from Arrow is faster still, but holds a whole node
        group's columns in the buffer pool: a 16 MB pool (test_ix_churn.py) no longer fits."""
        if rows:
            self._write(f"UNWIND $rows AS r CREATE (n:{table} {{" + ", ".join(f"{c}: r.{c}" for c in cols) + "})", {"rows": rows})

    def _stored(self, table: str, key: str, cols: tuple[str, ...] | list[str], ids: list[str]) -> dict[str, list[Any]]:
        """key -> the stored values of ``cols`` (key first among them) of the rows that exist."""
        rows = self._write(f"UNWIND $ids AS i MATCH (n:{table} {{{key}: i}}) RETURN {returns('n', cols)}", {"ids": ids})
        return {r[0]: r for r in rows}

    def _put_sections(self, rows: list[SectionRow], new: set[str], changed: set[str]) -> None:
        if not rows:
            return
        # A section whose content hash is unchanged keeps its stored text, and one whose other
        # columns are as stored too is not written at all: Kuzu writes every SET string anew
        # and does not reclaim the old copy, so rewriting the text of every section of an
        # edited file grew graph.kuzu ~3x in 1,600 updates (bench/load.py churn), and the SETs
        # of a checkout's unchanged sections were its largest statement.
        fresh = [{c: getattr(r, c) for c in SECTION_COLS} for r in rows if r.id in new]
        left = self._stored("Section", "id", ["id"], [d["id"] for d in fresh])  # by an interrupted write
        self._create("Section", SECTION_COLS, [d for d in fresh if d["id"] not in left])
        written = [{c: getattr(r, c) for c in SECTION_COLS} for r in rows if r.id in changed or r.id in left]
        if written:
            self._write(f"UNWIND $rows AS r MATCH (s:Section {{id: r.id}}) SET {assigns('s', SECTION_COLS)}", {"rows": written})
        cols = [c for c in SECTION_COLS if c != "text"]
        kept = [{c: getattr(r, c) for c in cols} for r in rows if r.id not in new and r.id not in changed]
        stored = self._stored("Section", "id", cols, [d["id"] for d in kept])
        moved = [d for d in kept if stored.get(d["id"]) != [d[c] for c in cols]]
        if moved:
            self._write(f"UNWIND $rows AS r MATCH (s:Section {{id: r.id}}) SET {assigns('s', cols)}", {"rows": moved})
        self._copy_rel("HAS_SECTION", "Entity", "Section", {"from": [d["entity"] for d in fresh], "to": [d["id"] for d in fresh]})

    def _relink_next(self, touched: set[str], pairs: list[tuple[str, str]]) -> None:
        if touched:
            self._write("UNWIND $ids AS i MATCH (a:Section)-[r:NEXT]->(:Section) WHERE a.entity = i DELETE r", {"ids": list(touched)})
        self._copy_rel("NEXT", "Section", "Section", {"from": [a for a, _ in pairs], "to": [b for _, b in pairs]})

    def _relink_children(self, touched: set[str]) -> None:
        if not touched:
            return
        ids = list(touched)
        self._write("UNWIND $ids AS i MATCH (:Entity {id: i})-[r:CHILD_OF]->(:Entity) DELETE r", {"ids": ids})
        self._write("UNWIND $ids AS i MATCH (:Entity)-[r:CHILD_OF]->(:Entity {id: i}) DELETE r", {"ids": ids})
        pairs = {tuple(r) for r in self._write("UNWIND $ids AS i MATCH (a:Entity) WHERE a.parent = i RETURN a.id, a.parent", {"ids": ids})}
        pairs |= {tuple(r) for r in self._write(
            "UNWIND $ids AS i MATCH (a:Entity {id: i}) WHERE a.parent <> '' RETURN a.id, a.parent", {"ids": ids})}
        parents = {r[0] for r in self._write("UNWIND $ids AS i MATCH (b:Entity {id: i}) RETURN b.id", {"ids": sorted({p for _, p in pairs})})}
        keep = sorted((a, p) for a, p in pairs if p in parents and a != p)
        self._copy_rel("CHILD_OF", "Entity", "Entity", {"from": [a for a, _ in keep], "to": [p for _, p in keep]})

    def _put_files(self, upsert: list[FileRow], delete: list[str]) -> None:
        if delete:
            self._write("UNWIND $paths AS p MATCH (f:File {path: p}) DELETE f", {"paths": list(delete)})
        if upsert:
            data = [{"path": f.path, "mtime_ns": f.mtime_ns, "size": f.size, "hash": f.hash, "entity": f.entity or "", "ok": f.ok} for f in upsert]
            self._write(
                "UNWIND $rows AS r MERGE (f:File {path: r.path}) SET f.mtime_ns = r.mtime_ns, f.size = r.size,"
                " f.hash = r.hash, f.entity = r.entity, f.ok = r.ok",
                {"rows": data},
            )

    def _drop_links_of_files(self, files: Iterable[str]) -> None:
        paths = list(files)
        if paths:
            self._write("UNWIND $p AS p MATCH ()-[r:LINKS_TO]->() WHERE r.file = p DELETE r", {"p": paths})
            self._write("UNWIND $p AS p MATCH (l:Link) WHERE l.file = p DELETE l", {"p": paths})

    def _relink(self, plan: GraphPlan) -> int:
        """(Re)resolve the new links and every stored link that targets a touched entity or file."""
        cols = (*LINK_COLS, "target_entity", "resolved")
        old = self._write(f"UNWIND $ids AS i MATCH (l:Link) WHERE l.entity = i RETURN {returns('l', cols)}", {"ids": list(plan.touched)})
        old += self._write(f"UNWIND $ps AS p MATCH (l:Link) WHERE l.path = p RETURN {returns('l', cols)}", {"ps": list(plan.touched_paths)})
        was = {r[0]: (r[-2], r[-1]) for r in old}
        old_rows = list({r[0]: LinkRow(*r[: len(LINK_COLS)]) for r in old}.values())
        if old_rows:
            self._write("UNWIND $ids AS i MATCH ()-[r:LINKS_TO]->() WHERE r.link = i DELETE r", {"ids": [r.id for r in old_rows]})
        targets = self._targets([*old_rows, *plan.links_new])
        if plan.links_new:
            data = [{**{c: getattr(r, c) for c in LINK_COLS}, **targets.columns(r)} for r in plan.links_new]
            left = self._stored("Link", "id", ["id"], [d["id"] for d in data])  # by an interrupted write
            self._create("Link", cols, [d for d in data if d["id"] not in left])
            again = [d for d in data if d["id"] in left]
            if again:
                self._write(f"UNWIND $rows AS r MATCH (l:Link {{id: r.id}}) SET {assigns('l', cols)}", {"rows": again})
        if old_rows:
            # Only the links whose target changed are written (Kuzu never reclaims an update's space).
            data = [{"id": r.id, **targets.columns(r)} for r in old_rows]
            data = [d for d in data if was[d["id"]] != (d["target_entity"], d["resolved"])]
            if data:
                self._write("UNWIND $rows AS r MATCH (l:Link {id: r.id}) SET l.target_entity = r.target_entity, l.resolved = r.resolved", {"rows": data})
        self._create_link_edges([*old_rows, *plan.links_new], targets)
        return len(old_rows) + len(plan.links_new)

    def _targets(self, links: list[LinkRow]) -> _Targets:
        paths = sorted({r.path for r in links if r.path})
        by_path = dict(self._write("UNWIND $ps AS p MATCH (e:Entity) WHERE e.path = p RETURN e.path, e.id", {"ps": paths}))
        ents = sorted({r.entity for r in links if r.entity} | set(by_path.values()))
        title_anchor = dict(self._write("UNWIND $ids AS i MATCH (e:Entity {id: i}) RETURN e.id, e.title_anchor", {"ids": ents}))
        wanted = sorted({section_id(by_path.get(r.path, r.entity), r.anchor) for r in links if r.anchor})
        found = {row[0] for row in self._write("UNWIND $ids AS i MATCH (s:Section {id: i}) RETURN s.id", {"ids": wanted})}
        return _Targets(by_path, title_anchor, found)

    def _create_link_edges(self, links: list[LinkRow], targets: _Targets) -> None:
        groups: dict[tuple[str, str], dict[str, list[Any]]] = {}
        for r in links:
            target = targets.node(r)
            if target is None:
                continue
            src_label = "Section" if r.src_kind == "section" else "Entity"
            cols = groups.setdefault((src_label, target[0]), {k: [] for k in ("from", "to", "link", "file", "line", "character", "end_line", "end_character")})
            for key, value in (("from", r.src), ("to", target[1]), ("link", r.id), ("file", r.file), ("line", r.line),
                               ("character", r.character), ("end_line", r.end_line), ("end_character", r.end_character)):
                cols[key].append(value)
        for (src_label, dst_label), cols in groups.items():
            self._copy_rel("LINKS_TO", src_label, dst_label, cols)


class _Targets:
    """Where links point, given the entities and sections that exist now."""

    def __init__(self, by_path: dict[str, str], title_anchor: dict[str, str], sections: set[str]) -> None:
        self.by_path, self.title_anchor, self.sections = by_path, title_anchor, sections

    def entity_of(self, r: LinkRow) -> str:
        return self.by_path.get(r.path, "") if r.path else r.entity

    def node(self, r: LinkRow) -> tuple[str, str] | None:
        ent = self.entity_of(r)
        if not ent or ent not in self.title_anchor:
            return None
        if not r.anchor or r.anchor == self.title_anchor[ent]:
            return ("Entity", ent)
        sid = section_id(ent, r.anchor)
        return ("Section", sid) if sid in self.sections else None

    def columns(self, r: LinkRow) -> dict[str, Any]:
        return {"target_entity": self.entity_of(r), "resolved": self.node(r) is not None}
