"""`clm-lsp index PATH [--json]` as a user runs it: a real process, the real default embedder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import pytest
from ix_helpers import REPO

KEYS = {"files", "entities", "sections", "links", "embedded", "reused", "deleted", "seconds"}


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "clm_lsp", "index", *args], capture_output=True, text=True, timeout=300, env=env)


def test_index_json_then_incremental_runs(commons):
    from clm_lsp.llm import ModelError
    from clm_lsp.llm.minilm import MiniLMEmbedder

    try:
        MiniLMEmbedder().close()
    except ModelError as exc:
        pytest.skip(f"default embedder not installed: {exc}")
    first = _run(str(commons), "--json")
    assert first.returncode == 0, first.stderr
    stats = json.loads(first.stdout)
    assert KEYS <= stats.keys()
    assert stats["files"] == 26 and stats["embedded"] == stats["chunks"] > 200 and stats["reused"] == 0
    second = json.loads(_run(str(commons), "--json").stdout)
    assert (second["embedded"], second["reused"], second["deleted"]) == (0, stats["chunks"], 0)
    path = commons / "rivermouth-region.blueprint.md"
    path.write_text(path.read_text(encoding="utf-8").replace("seven years", "eight years"), encoding="utf-8")
    third = json.loads(_run(str(commons), "--json").stdout)
    assert third["embedded"] == 1 and third["reused"] == stats["chunks"] - 1


def test_human_output_and_store_option(commons, tmp_path):
    store = tmp_path / "store"
    proc = _run(str(commons), "--store", str(store), "--no-embed")
    assert proc.returncode == 0, proc.stderr
    assert "26 files, 26 entities" in proc.stdout and "embedded 0" in proc.stdout
    assert (store / "graph.kuzu").exists() and not (commons / ".clm").exists()


def test_not_a_folder_is_exit_2_with_one_line(tmp_path):
    proc = _run(str(tmp_path / "missing"))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"clm-lsp index: {tmp_path / 'missing'} is not a folder"]
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    assert _run(str(afile)).returncode == 2
