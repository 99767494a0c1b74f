"""`clm-lsp summarize` as a user runs it: a real subprocess, the real index and the
bundled SmolLM2 GGUF through llama.cpp, on a one-blueprint workspace in tmp_path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "server"))
from test_srv_indexing_units import DOC  # noqa: E402  (one small blueprint, shared)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "clm_lsp", "summarize", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "gull-quay.blueprint.md").write_text(DOC, encoding="utf-8")
    return tmp_path


@pytest.mark.slow
def test_summarize_writes_then_reuses_and_prints_a_target(ws: Path) -> None:
    first = run_cli(str(ws), "--json", "--max-tokens", "20", "--no-embed")
    assert first.returncode == 0, first.stderr
    stats = json.loads(first.stdout)
    assert stats["model"].startswith("SmolLM2-135M") and stats["planned"] == 3
    assert stats["written"] + stats["extractive"] == 3 and stats["reused"] == 0
    assert stats["per_level"] == {"0": 2, "1": 1} and stats["generations"] >= 3

    again = run_cli(str(ws), "gull-quay#forum", "--stats", "--max-tokens", "20", "--no-embed")
    assert again.returncode == 0, again.stderr
    assert "0 written, 3 reused" in again.stdout  # every key hits: nothing is generated
    assert "L0:gull-quay#forum [level 0]" in again.stdout and "per level: none written" in again.stdout


def test_bad_arguments_and_a_missing_model_say_why(ws: Path) -> None:
    missing = run_cli(str(ws / "nowhere"))
    assert missing.returncode == 2 and "is not a folder" in missing.stderr
    unknown = run_cli(str(ws), "no-such-entity", "--no-embed")
    assert unknown.returncode == 1 and "no blueprint has the id 'no-such-entity'" in unknown.stderr
    no_model = run_cli(str(ws), "--model-path", str(ws / "missing.gguf"), "--no-embed")
    assert no_model.returncode == 1 and "the model could not load" in no_model.stderr and "missing.gguf" in no_model.stderr
    assert "Traceback" not in missing.stderr + unknown.stderr + no_model.stderr
