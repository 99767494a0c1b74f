"""Incremental indexing against real Kuzu and LanceDB: what a change costs, and what it leaves."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ix_helpers import HashEmbedder, blueprint

REGION = "rivermouth-region.blueprint.md"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _rows(ix, entity: str) -> dict[str, int]:
    """Everything stored for one entity, anywhere in either store."""
    g = ix.graph.query
    return {
        "entity": g("MATCH (e:Entity {id: $e}) RETURN count(*)", {"e": entity})[0][0],
        "sections": g("MATCH (s:Section) WHERE s.entity = $e RETURN count(*)", {"e": entity})[0][0],
        "links_from": g("MATCH (l:Link) WHERE l.src STARTS WITH $p RETURN count(*)", {"p": entity + "#"})[0][0],
        "edges_in": g("MATCH ()-[r:LINKS_TO]->(t) WHERE t.id = $e OR t.id STARTS WITH $p RETURN count(*)", {"e": entity, "p": entity + "#"})[0][0],
        "chunks": len(ix.vectors.rows_meta([entity])),
    }


def test_first_run_indexes_everything_and_second_run_embeds_nothing(commons, open_indexer, embedder):
    ix = open_indexer(commons)
    first = ix.reconcile()
    assert first.files == 26 and first.entities == 26
    assert first.sections > 200 and first.links > 100 and first.resolved_links == first.links
    assert first.embedded == first.chunks > 0
    assert first.parsed == 26
    second = ix.reconcile()
    assert (second.parsed, second.embedded, second.deleted) == (0, 0, 0)
    assert second.reused == first.chunks
    assert (commons / ".clm" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_one_section_edit_embeds_exactly_that_section(commons, open_indexer, embedder):
    ix = open_indexer(commons)
    before = ix.reconcile()
    watershed = ix.graph.section("rivermouth-region#watershed")
    vision_hash = ix.graph.section("rivermouth-region#vision").hash
    embedder.texts.clear()
    _edit(commons / REGION, "roughly once every seven years", "roughly once every five years")
    after = ix.reconcile()
    assert after.parsed == 1
    assert after.embedded == 1
    assert "five years" in embedder.texts[0] and "Watershed plan" in embedder.texts[0]
    assert after.chunks == before.chunks and after.deleted == 0
    assert ix.graph.section("rivermouth-region#watershed").hash != watershed.hash
    assert ix.graph.section("rivermouth-region#vision").hash == vision_hash


def test_adding_lines_above_moves_ranges_without_reembedding(commons, open_indexer, embedder):
    ix = open_indexer(commons)
    ix.reconcile()
    line = ix.graph.section("rivermouth-region#risks").start_line
    _edit(commons / REGION, "## Land policy {#land-policy}\n", "## Land policy {#land-policy}\n\n\n")
    stats = ix.reconcile()
    assert stats.embedded == 0  # blank lines: same content hash everywhere
    assert ix.graph.section("rivermouth-region#risks").start_line == line + 2


def test_restart_does_no_work_for_unchanged_files(commons, open_indexer):
    ix = open_indexer(commons)
    ix.reconcile()
    ix.close()
    fresh = HashEmbedder()
    again = open_indexer(commons, emb=fresh)
    stats = again.reconcile()
    assert (stats.parsed, stats.embedded, fresh.calls) == (0, 0, 0)
    # A touch changes the mtime, not the bytes: the hash decides, nothing is parsed.
    os.utime(commons / REGION, ns=(1, 1))
    stats = again.reconcile()
    assert (stats.parsed, stats.embedded) == (0, 0)
    assert again.reconcile().parsed == 0  # and the new mtime was recorded


def test_deleting_a_file_leaves_no_rows_or_nodes(commons, open_indexer):
    ix = open_indexer(commons)
    ix.reconcile()
    victim = "rivermouth-land-trust"
    assert all(v > 0 for v in _rows(ix, victim).values())
    [path] = [p for p in commons.rglob("*.blueprint.md") if p.name.startswith(victim)]
    n_sections = _rows(ix, victim)["sections"]
    path.unlink()
    stats = ix.reconcile()
    assert stats.files_deleted == 1 and stats.deleted == n_sections
    assert _rows(ix, victim) == {"entity": 0, "sections": 0, "links_from": 0, "edges_in": 0, "chunks": 0}
    assert ix.graph.query("MATCH (f:File) WHERE f.path ENDS WITH $n RETURN count(*)", {"n": path.name})[0][0] == 0
    # Links into it stay as written, now unresolved; no vector of any unknown entity remains.
    assert ix.graph.incoming(victim) and not any(h.resolved for h in ix.graph.incoming(victim))
    assert ix.vectors.entity_ids() <= ix.graph.entity_ids()


def test_deleted_then_restored_file_resolves_links_again(commons, open_indexer):
    ix = open_indexer(commons)
    full = ix.reconcile()
    [path] = [p for p in commons.rglob("rivermouth-land-trust.blueprint.md")]
    saved = path.read_bytes()
    path.unlink()
    assert ix.reconcile().resolved_links < full.resolved_links
    path.write_bytes(saved)
    stats = ix.reconcile()
    assert stats.resolved_links == full.resolved_links == stats.links


def test_moving_a_file_keeps_its_sections_and_vectors(commons, open_indexer):
    ix = open_indexer(commons)
    ix.reconcile()
    (commons / "moved").mkdir()
    shutil.move(commons / REGION, commons / "moved" / REGION)
    stats = ix.reconcile()
    assert stats.embedded == 0 and stats.deleted == 0
    assert ix.graph.entity("rivermouth-region").path == f"moved/{REGION}"
    assert stats.resolved_links == stats.links  # path links were re-resolved, none lost


def test_duplicate_id_is_promoted_when_the_owner_goes(tmp_path, open_indexer):
    (tmp_path / "a.blueprint.md").write_text(blueprint("same", body="## Notes\nfrom a\n"))
    (tmp_path / "b.blueprint.md").write_text(blueprint("same", body="## Notes\nfrom b\n"))
    ix = open_indexer(tmp_path)
    ix.reconcile()
    assert ix.graph.entity("same").path == "a.blueprint.md"
    assert "from a" in ix.graph.section("same#notes").text
    (tmp_path / "a.blueprint.md").unlink()
    stats = ix.reconcile()
    assert ix.graph.entity("same").path == "b.blueprint.md"
    assert "from b" in ix.graph.section("same#notes").text
    assert stats.embedded == 1  # only the Notes text differs


def test_apply_buffer_overlay_then_reconcile_reads_the_disk_again(commons, open_indexer, embedder):
    ix = open_indexer(commons)
    ix.reconcile()
    path = commons / REGION
    unsaved = path.read_text(encoding="utf-8").replace("roughly once every seven years", "every spring")
    stats = ix.apply([(path, unsaved)])
    assert stats.embedded == 1 and "every spring" in ix.graph.section("rivermouth-region#watershed").text
    # Not saved: on the next start the disk wins again.
    stats = ix.reconcile()
    assert stats.parsed == 1 and "seven years" in ix.graph.section("rivermouth-region#watershed").text
    # apply with None reads the disk; a deleted path deletes; foreign paths are ignored.
    path.unlink()
    assert ix.apply([(path, None), (commons / "README.md", None), ("/etc/passwd", None)]).files_deleted == 1
    assert ix.graph.entity("rivermouth-region") is None


def test_apply_of_a_vanished_folder_deletes_what_was_below(commons, open_indexer):
    ix = open_indexer(commons)
    ix.reconcile()
    below = len(list((commons / "kestrel-bay").rglob("*.blueprint.md")))
    shutil.rmtree(commons / "kestrel-bay")
    stats = ix.apply([(commons / "kestrel-bay", None)])
    assert stats.files_deleted == below
    assert ix.graph.entity("kestrel-bay") is None


def test_cancel_stops_between_files_and_the_next_run_finishes(commons, open_indexer):
    import threading

    ix = open_indexer(commons)
    cancel = threading.Event()
    seen = []

    def progress(done, total, rel):
        seen.append(rel)
        if len(seen) == 3:
            cancel.set()

    stats = ix.reconcile(progress=progress, cancel=cancel)
    assert stats.cancelled and 0 < stats.files < 26
    stats = ix.reconcile()
    assert stats.files == 26 and not stats.cancelled and stats.parsed == 26 - 3
