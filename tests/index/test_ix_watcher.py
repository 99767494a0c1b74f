"""The watchdog fallback: real file writes, real inotify (or the platform's) events, real threads."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
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


# -- lost events: the kernel's inotify queue overflowed ------------------------------------------


def _disk(root: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in root.rglob("*.blueprint.md") if ".clm" not in p.parts}


def _follow(snapshot: dict[Path, str], batches: list[list[Path]]) -> dict[Path, str]:
    """What a consumer that re-reads every reported path ends up holding."""
    out = dict(snapshot)
    for path in (p for batch in batches for p in batch):
        if path.exists():
            out[path] = path.read_text(encoding="utf-8")
        else:
            out.pop(path, None)
    return out


def test_lost_events_are_recovered_by_comparing_the_folder_with_the_disk(tmp_path):
    """Events really are lost (the observer stops watching), then watchdog's overflow
    warning arrives through its own logger: the batch names exactly what differs."""
    import logging

    for name in ("keep", "edit", "gone"):
        (tmp_path / f"{name}.blueprint.md").write_text(blueprint(name))
    before = _disk(tmp_path)
    watcher, got = _watch(tmp_path, debounce=0.2)
    try:
        watcher._observer.unschedule_all()  # from here on the kernel's events never reach us
        (tmp_path / "edit.blueprint.md").write_text(blueprint("edit", body="## Notes\nlonger now\n"))
        (tmp_path / "gone.blueprint.md").unlink()
        (tmp_path / "sub").mkdir()
        (tmp_path / "sub" / "new.blueprint.md").write_text(blueprint("new"))
        (tmp_path / ".clm").mkdir()
        (tmp_path / ".clm" / "x.blueprint.md").write_text("the store's own files")
        time.sleep(0.5)
        assert got.batches == []
        logging.getLogger("watchdog.observers.inotify_c").warning("Inotify queue overflowed; filesystem events were lost")
        batches = got.wait()
    finally:
        watcher.stop()
    root = tmp_path.resolve()
    assert batches == [[root / "edit.blueprint.md", root / "gone.blueprint.md", root / "sub" / "new.blueprint.md"]]
    assert watcher.rescans == 1
    assert _follow({p.resolve(): t for p, t in before.items()}, batches) == {p.resolve(): t for p, t in _disk(tmp_path).items()}


CHILD = r"""
import json, sys, time
from pathlib import Path
from clm_lsp.index import Watcher
def on_batch(paths):
    print(json.dumps([str(p) for p in paths]), flush=True)
w = Watcher(Path(sys.argv[1]), on_batch, debounce_s=0.5)
w.start()
print("ready", flush=True)
for line in sys.stdin:
    print(json.dumps({"rescans": w.rescans}), flush=True)
    break
w.stop()
"""


@pytest.mark.skipif(not Path("/proc/sys/fs/inotify/max_queued_events").exists(), reason="inotify only")
def test_a_real_inotify_overflow_misses_no_file(tmp_path):
    """A watcher process is paused (SIGSTOP) while a file is rewritten until the kernel's queue
    is full; the blueprint changes made after that are really lost by the kernel. Once
    resumed, every one of them is reported."""
    import json
    import os
    import selectors
    import signal
    import subprocess
    import sys

    queue = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
    if queue > 200_000:
        pytest.skip(f"max_queued_events is {queue}: too many events to overflow it here")
    root = tmp_path / "ws"
    root.mkdir()
    (root / "old.blueprint.md").write_text(blueprint("old"))
    (root / "edit.blueprint.md").write_text(blueprint("edit"))
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            for i in range(queue // 3 + 100):  # open, modify, close: 3 events a write, none merged
                (root / "notes.txt").write_text(str(i))
            for i in range(50):
                (root / f"f{i:05d}.blueprint.md").write_text(blueprint(f"f{i:05d}"))
            (root / "old.blueprint.md").unlink()
            (root / "edit.blueprint.md").write_text(blueprint("edit", body="## Notes\nchanged\n"))
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        want = {str((root / f"f{i:05d}.blueprint.md").resolve()) for i in range(50)}
        want |= {str((root / "old.blueprint.md").resolve()), str((root / "edit.blueprint.md").resolve())}
        seen: set[str] = set()
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        while seen != want and time.monotonic() < deadline:
            if sel.select(timeout=1):
                seen.update(json.loads(proc.stdout.readline()))
        proc.stdin.write("done\n")
        proc.stdin.flush()
        while not (line := proc.stdout.readline()).startswith('{"rescans"'):
            assert line, "the watcher process ended without its count"
    finally:
        proc.kill()
        proc.wait()
    assert seen == want, f"{len(want - seen)} of {len(want)} files never reported"
    rescans = json.loads(line)["rescans"]
    assert rescans >= 1, "the kernel queue did not overflow: the test proves nothing here"


def test_a_checkout_hands_the_index_its_parsed_blueprints(commons, open_indexer, monkeypatch):
    """After a burst the server has parsed every file for its snapshot: the index takes those
    Blueprints as they are (no second parse on the writer thread) and stores the same rows."""
    from clm_lsp.blueprint import parse
    from clm_lsp.index import sync

    ix = open_indexer(commons)
    ix.reconcile()
    path = commons / "rivermouth-region.blueprint.md"
    path.write_text(path.read_text(encoding="utf-8").replace("seven years", "ten years"), encoding="utf-8")
    bp = parse(path.read_bytes(), path.as_uri(), ix.config)[0]

    def no_parse(*_a, **_k):
        raise AssertionError("parsed again")

    monkeypatch.setattr(sync, "parse", no_parse)
    stats = ix.apply([(path, bp)])
    assert stats.parsed == 1 and stats.embedded == 1
    assert "ten years" in ix.graph.section("rivermouth-region#watershed").text
    monkeypatch.undo()
    assert ix.reconcile().parsed == 0, "the stored file row differs from the disk"


def test_what_changed_between_the_read_and_the_watch_is_in_the_first_batch(tmp_path):
    """The server reads the folder, then starts the watcher (watchdog loads in a thread): a
    file created, rewritten or deleted in between makes no event. The first batch has them,
    and only them: an older file the reader saw is not handed on again."""
    import os

    for name in ("kept", "rewritten", "deleted"):
        (tmp_path / f"{name}.blueprint.md").write_text(blueprint(name))
    old = time.time_ns() - 10_000_000_000
    for path in tmp_path.iterdir():
        os.utime(path, ns=(old, old))  # written long before the reading began
    root = tmp_path.resolve()
    baseline = [str(root / f"{name}.blueprint.md") for name in ("kept", "rewritten", "deleted")]
    since = time.time_ns()  # the reading begins (and sees the three files)
    time.sleep(0.2)
    (tmp_path / "rewritten.blueprint.md").write_text(blueprint("rewritten", body="## Notes\nchanged\n"))
    (tmp_path / "created.blueprint.md").write_text(blueprint("created"))
    (tmp_path / "deleted.blueprint.md").unlink()
    got = Batches()
    watcher = Watcher(tmp_path, got, debounce_s=0.2)
    watcher.start(baseline=baseline, since_ns=since)
    try:
        batches = got.wait(quiet=0.6)
    finally:
        watcher.stop()
    assert [sorted(p.name for p in b) for b in batches] == [["created.blueprint.md", "deleted.blueprint.md", "rewritten.blueprint.md"]]
