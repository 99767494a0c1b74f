"""kill -9 of a server while the bundled model writes anchor summaries (default settings).

After each kill a server restarts on the same store and reconciles (summaries off,
so the comparison does not race with new writes) and shuts down; then the store
holds no summary that stands for nothing, everything derived from the files
equals a clean rebuild by `clm-lsp index`, and no source file changed. 1 round
in `make test`; CLM_SOAK=1 (`make soak`) makes it 50.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rawlsp import RawServer
from test_rel_crash_consistency import SOAK, snapshot, tree_hash

ROUNDS = 50 if SOAK else 1


def summaries_state(n: dict) -> str | None:
    if n.get("method") != "clm/status":
        return None
    return ((n["params"].get("model") or {}).get("summaries") or {}).get("state")


def index_state(n: dict) -> str | None:
    return (n["params"].get("index") or {}).get("state") if n.get("method") == "clm/status" else None


@pytest.mark.slow
def test_kill_9_while_summaries_are_written_leaves_a_consistent_index(commons: Path, tmp_path: Path) -> None:
    clean_store = tmp_path / "clean"
    subprocess.run([sys.executable, "-m", "clm_lsp", "index", str(commons), "--store", str(clean_store)],
                   check=True, capture_output=True, timeout=600)
    clean = {k: v for k, v in snapshot(commons, clean_store).items() if k != "summaries"}
    before = tree_hash(commons)
    rng = random.Random(5)
    killed_running = 0
    for i in range(ROUNDS):
        server = RawServer()
        try:
            server.initialize(commons, options={"summaries": {"enable": True}})
            server.wait_for(lambda n: summaries_state(n) == "running", timeout=300)
            time.sleep(rng.uniform(0.2, 3.0))  # somewhere in a generation or a write
            killed_running += summaries_state([n for n in server.notifications if summaries_state(n)][-1]) == "running"
        finally:
            server.proc.kill()  # SIGKILL: no shutdown, no exit
            server.proc.wait()
        again = RawServer()
        try:
            again.initialize(commons, options={"summaries": {"enable": False}})
            again.wait_for(lambda n: index_state(n) in ("ready", "failed", "unavailable"), timeout=300)
            states = [index_state(n) for n in again.notifications if index_state(n)]
        finally:
            assert again.close(timeout=60) == 0
        assert states[-1] == "ready", states
        got = snapshot(commons, commons / ".clm")
        for key in clean:
            assert got[key] == clean[key], f"after kill {i}: {key} differs from a clean rebuild"
        assert got["orphan_summaries"] == [], f"after kill {i}: summaries that stand for nothing"
        assert tree_hash(commons) == before, "a source file changed"
    print(f"\n{ROUNDS} kill -9 rounds while summaries were written ({killed_running} mid-run); "
          f"{got['summaries']} summaries stored, none orphaned; index equal to a clean rebuild after each")
    assert killed_running >= 1
