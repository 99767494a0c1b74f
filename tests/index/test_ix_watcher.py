"""The watchdog fallback: real file writes, real inotify (or the platform's) events, real threads."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from ix_helpers import blueprint

from clm_lsp.index import Watcher


class Batches:
    def __init__(self) -> None:
        self.batches: list[list[Path]] = []
        self.threads: set[str] = set()
        self._event = threading.Event()

    def __call__(self, paths: list[Path]) -> None:
        self.batches.append(paths)
        self.threads.add(threading.current_thread().name)
        self._event.set()

    def wait(self, timeout: float = 10.0, quiet: float = 1.0) -> list[list[Path]]:
        """Wait for a first batch, then until no new one came for ``quiet`` seconds."""
        assert self._event.wait(timeout), "no batch arrived"
        seen = -1
        while seen != len(self.batches):
            seen = len(self.batches)
            time.sleep(quiet)
        return self.batches


def _watch(root: Path, debounce: float = 0.3) -> tuple[Watcher, Batches]:
    got = Batches()
    watcher = Watcher(root, got, debounce_s=debounce)
    watcher.start()
    return watcher, got


def test_an_outside_write_arrives_as_one_batch(tmp_path):
    (tmp_path / "a.blueprint.md").write_text(blueprint("a"))
    watcher, got = _watch(tmp_path)
    try:
        (tmp_path / "a.blueprint.md").write_text(blueprint("a", body="## Notes\nchanged\n"))
        (tmp_path / "notes.md").write_text("not a blueprint")
        (tmp_path / ".clm").mkdir()
        (tmp_path / ".clm" / "x.blueprint.md").write_text("the store's own files")
        batches = got.wait()
    finally:
        watcher.stop()
    assert batches == [[tmp_path.resolve() / "a.blueprint.md"]]
    assert got.threads == {"clm-watch-flush"}


def test_a_burst_of_a_thousand_events_is_one_batch(tmp_path):
    watcher, got = _watch(tmp_path)
    try:
        for i in range(1000):
            (tmp_path / f"f{i:04d}.blueprint.md").write_text(blueprint(f"f{i:04d}"))
        batches = got.wait()
    finally:
        watcher.stop()
    assert len(batches) == 1 and len(batches[0]) == 1000


def test_deletes_moves_and_vanished_folders(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    for name in ("x", "y"):
        (sub / f"{name}.blueprint.md").write_text(blueprint(name))
    (tmp_path / "m.blueprint.md").write_text(blueprint("m"))
    watcher, got = _watch(tmp_path)
    try:
        (tmp_path / "m.blueprint.md").rename(tmp_path / "n.blueprint.md")
        shutil.move(str(sub), str(tmp_path.parent / f"{tmp_path.name}-gone"))  # a folder leaves the tree
        batches = got.wait()
    finally:
        watcher.stop()
    seen = {p.name for batch in batches for p in batch}
    assert seen == {"m.blueprint.md", "n.blueprint.md", "x.blueprint.md", "y.blueprint.md"}


def test_watcher_feeds_the_indexer(commons, open_indexer):
    ix = open_indexer(commons)
    ix.reconcile()
    got = Batches()
    watcher = Watcher(commons, got, debounce_s=0.2)
    watcher.start()
    try:
        path = commons / "rivermouth-region.blueprint.md"
        path.write_text(path.read_text(encoding="utf-8").replace("seven years", "ten years"), encoding="utf-8")
        batches = got.wait()
    finally:
        watcher.stop()
    stats = ix.apply([(p, None) for batch in batches for p in batch])
    assert stats.embedded == 1 and "ten years" in ix.graph.section("rivermouth-region#watershed").text


def test_stop_is_prompt_and_idempotent(tmp_path):
    watcher, _ = _watch(tmp_path)
    start = time.perf_counter()
    watcher.stop()
    watcher.stop()
    assert time.perf_counter() - start < 5
