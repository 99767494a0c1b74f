"""kill -9 during indexing, again and again: after each restart the index equals a clean
rebuild (entities, sections, links, vector rows, no orphan summaries) and no source
file changed. 5 kills in `make test`; CLM_SOAK=1 (`make soak`) makes it 50, and adds
the same over the real `clm-lsp index` with the default embedder."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

SOAK = os.environ.get("CLM_SOAK", "") not in ("", "0")
KILLS = 50 if SOAK else 5
DRIVER = [sys.executable, str(Path(__file__).with_name("crash_driver.py"))]


def tree_hash(root: Path, skip: str = ".clm") -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and skip not in p.relative_to(root).parts):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def snapshot(root: Path, store: Path) -> dict:
    out = subprocess.run([*DRIVER, str(root), str(store), "snapshot"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def kill_at_random(cmd: list[str], rng: random.Random, latest: float) -> bool:
    """Start ``cmd`` and SIGKILL it at a random moment; True when it was still running."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0.3, latest))
    alive = proc.poll() is None
    proc.kill()
    proc.wait()
    return alive


def crash_and_compare(root: Path, store: Path, clean: dict, cmd: list[str], rng: random.Random, latest: float, kills: int) -> int:
    before = tree_hash(root)
    killed = 0
    for i in range(kills):
        killed += kill_at_random(cmd, rng, latest)
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)  # the restart
        assert done.returncode == 0, f"restart {i}: {done.stderr[-3000:]}"
        got = snapshot(root, store)
        for key in clean:
            assert got[key] == clean[key], f"after kill {i}: {key} differs from a clean rebuild"
        assert tree_hash(root) == before, "a source file changed"
        if rng.random() < 0.5:  # next round starts from scratch half the time, mid-update the rest
            target = rng.choice(sorted(root.rglob("*.blueprint.md")))
            target.touch()
    return killed


@pytest.mark.xfail(strict=False, reason='KNOWN BUG (found 2026-11-24, issue 10 open): after kill -9 during indexing the restarted index has no HAS_SECTION edges for some entities; reconcile must repair it')
def test_kill_9_during_indexing_leaves_an_index_equal_to_a_clean_rebuild(commons: Path, tmp_path: Path) -> None:
    clean_store = tmp_path / "clean"
    subprocess.run([*DRIVER, str(commons), str(clean_store)], check=True, timeout=300)
    clean = snapshot(commons, clean_store)
    assert clean["entities"] and clean["vectors"] and clean["links"]
    store = commons / ".clm"
    killed = crash_and_compare(commons, store, clean, [*DRIVER, str(commons), str(store)], random.Random(7), 4.0, KILLS)
    print(f"\n{KILLS} kill -9 rounds, {killed} of them mid-run: index equal to a clean rebuild after each")
    assert killed >= 1, "no kill landed while the indexer ran"


@pytest.mark.skipif(not SOAK, reason="CLM_SOAK=1 (make soak): the real CLI with the default embedder")
def test_kill_9_of_the_index_command_with_the_default_embedder(commons: Path, tmp_path: Path) -> None:
    cli = [sys.executable, "-m", "clm_lsp", "index"]
    clean_store = tmp_path / "clean"
    subprocess.run([*cli, str(commons), "--store", str(clean_store)], check=True, capture_output=True, timeout=600)
    clean = {k: v for k, v in snapshot(commons, clean_store).items() if k != "vectors"}  # the driver reads them with its own model id
    store = commons / ".clm"
    killed = crash_and_compare(commons, store, clean, [*cli, str(commons)], random.Random(11), 30.0, KILLS)
    print(f"\n{KILLS} kill -9 rounds of `clm-lsp index`, {killed} mid-run")
