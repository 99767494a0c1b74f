"""The store as derived data: corrupt, outdated, deleted, locked by another process, or on a full disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from ix_helpers import REPO, HashEmbedder

from clm_lsp.index import StoreError


def test_truncated_graph_is_rebuilt_with_one_message(commons, open_indexer, caplog):
    ix = open_indexer(commons)
    built = ix.reconcile()
    ix.close()
    graph = commons / ".clm" / "graph.kuzu"
    with open(graph, "r+b") as f:
        f.truncate(graph.stat().st_size // 3)
    again = open_indexer(commons)
    assert len(again.messages) == 1 and "unreadable" in again.messages[0] and "rebuilding" in again.messages[0]
    stats = again.reconcile()
    assert (stats.entities, stats.sections, stats.resolved_links) == (built.entities, built.sections, built.resolved_links)
    assert stats.embedded == 0  # the vectors were intact: nothing is re-embedded


def test_garbage_vector_store_is_rebuilt(commons, open_indexer):
    ix = open_indexer(commons)
    built = ix.reconcile()
    ix.close()
    for path in (commons / ".clm" / "vectors").rglob("*"):
        if path.is_file():
            path.write_bytes(b"not lance")
    again = open_indexer(commons)
    assert any("vectors" in m and "rebuilding" in m for m in again.messages)
    stats = again.reconcile()
    assert stats.chunks == built.chunks and stats.embedded == built.chunks


def test_schema_version_mismatch_rebuilds(commons, open_indexer):
    ix = open_indexer(commons)
    ix.reconcile()
    ix.close()
    manifest = commons / ".clm" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["schema"] = "g0.v0.c0"
    manifest.write_text(json.dumps(data))
    emb = HashEmbedder()
    again = open_indexer(commons, emb=emb)
    assert len(again.messages) == 1 and "another format" in again.messages[0]
    stats = again.reconcile()
    assert stats.parsed == 26 and stats.embedded == stats.chunks > 0


def test_a_new_embedding_model_reembeds_but_keeps_the_graph(commons, open_indexer):
    from clm_lsp.index import SummaryRow

    ix = open_indexer(commons)
    ix.reconcile()
    ix.graph.put_summary(SummaryRow("s1", 1, "text", "m", "p", "h"), ["rivermouth-region#vision"])
    ix.close()

    class Other(HashEmbedder):
        model_id = "another-model"
        dimensions = 48

    again = open_indexer(commons, emb=Other())
    assert any("embedding model changed" in m for m in again.messages)
    stats = again.reconcile()
    assert stats.parsed == 0 and stats.embedded == stats.chunks > 0
    assert again.graph.summary("s1") is not None  # summaries are the chat model's work: kept
    assert len(again.search("assembly", k=3)) == 3


def test_store_dir_is_configurable_and_gets_a_gitignore(commons, tmp_path, open_indexer):
    ix = open_indexer(commons, store_dir=tmp_path / "elsewhere")
    ix.reconcile()
    assert (tmp_path / "elsewhere" / "graph.kuzu").exists() and not (commons / ".clm").exists()
    assert (tmp_path / "elsewhere" / ".gitignore").read_text().strip().endswith("*")
    relative = open_indexer(commons, store_dir=Path("build/index"))
    relative.reconcile()
    assert (commons / "build" / "index" / "graph.kuzu").exists()


def test_store_deleted_while_running_is_rebuilt(commons, open_indexer):
    import shutil

    ix = open_indexer(commons)
    built = ix.reconcile()
    shutil.rmtree(commons / ".clm")
    stats = ix.apply([(commons / "rivermouth-region.blueprint.md", None)])
    assert any("removed while in use" in m for m in ix.messages)
    assert (stats.entities, stats.chunks) == (built.entities, built.chunks)
    assert (commons / ".clm" / "graph.kuzu").exists()


def test_unwritable_store_location_is_a_clear_error(commons):
    from clm_lsp.blueprint import DEFAULT_CONFIG
    from clm_lsp.index import Indexer

    blocker = commons / "a-file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the index folder"):
        Indexer(commons, HashEmbedder(), DEFAULT_CONFIG, store_dir=blocker / "store")


_SECOND = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, {helpers!r})
    from pathlib import Path
    from ix_helpers import HashEmbedder
    from clm_lsp.blueprint import DEFAULT_CONFIG
    from clm_lsp.index import Indexer
    emb = HashEmbedder()
    ix = Indexer(Path({root!r}), emb, DEFAULT_CONFIG)
    stats = ix.reconcile()
    hits = ix.search("washland", k=3)
    out = dict(private=ix.private, store=str(ix.store_dir), messages=ix.messages, embedded=stats.embedded,
               entities=stats.entities, hits=[h.section_id for h in hits])
    ix.close()
    out["store_removed"] = not Path(out["store"]).exists()
    print(json.dumps(out))
    """
)


def test_second_process_gets_a_private_copy_and_the_shared_store_survives(commons, open_indexer):
    first = open_indexer(commons)
    built = first.reconcile()
    script = _SECOND.format(helpers=str(Path(__file__).parent), root=str(commons))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["private"] and out["store"] != str(commons / ".clm")
    assert "in use by process" in out["messages"][0] and str(os.getpid()) in out["messages"][0]
    assert out["entities"] == built.entities and "rivermouth-region#watershed" in out["hits"]
    assert out["embedded"] == 0  # every vector was taken from the shared store, by text hash
    assert out["store_removed"]
    # The first process's store is untouched and still works.
    assert first.reconcile().parsed == 0
    first.close()
    third = open_indexer(commons)
    assert not third.private and third.reconcile().entities == built.entities


def _tmpfs(path: Path, size: str) -> bool:
    path.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True).returncode == 0


_FULL_DISK = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {helpers!r})
    from pathlib import Path
    from ix_helpers import HashEmbedder
    from clm_lsp.blueprint import DEFAULT_CONFIG
    from clm_lsp.index import Indexer, StoreError
    for min_free in (64, 0):
        ix = Indexer(Path({root!r}), HashEmbedder(), DEFAULT_CONFIG, store_dir=Path({store!r}) / str(min_free), min_free_mb=min_free)
        for attempt in range(2):
            try:
                ix.reconcile()
                print("indexed")
            except StoreError as exc:
                print("StoreError:", exc)
        ix.close()
    print("alive")
    """
)


def test_full_disk_gives_a_clear_error_and_no_crash(commons, tmp_path):
    """A 3 MB tmpfs for the store: the space guard refuses cleanly; without the guard Kuzu's
    failed checkpoint is contained (the process neither raises raw errors nor aborts)."""
    disk = tmp_path / "tiny"
    if not _tmpfs(disk, "3m"):
        pytest.skip("mounting a tmpfs needs root on Linux")
    try:
        script = _FULL_DISK.format(helpers=str(Path(__file__).parent), root=str(commons), store=str(disk))
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=240, env=env)
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[-1] == "alive"
    guarded, unguarded = lines[0:2], lines[2:4]
    assert all(line.startswith("StoreError: only") and "MB free" in line for line in guarded)
    assert all(line.startswith("StoreError:") for line in unguarded), unguarded
