"""`clm-lsp doctor` end to end, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hw_helpers import MIB, llama_report

from clm_lsp.llm.bundled import bundled_gguf_path

REPO = Path(__file__).resolve().parents[2]
BUNDLED = bundled_gguf_path()


def doctor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clm_lsp", "doctor", *args], capture_output=True, text=True, timeout=120, cwd=REPO, check=False)


@pytest.mark.skipif(BUNDLED is None, reason="the bundled model is not installed")
def test_bundled_model_figures_match_llama_cpp() -> None:
    done = doctor("--json", "--context", "4096", "--vram", "8")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["model"]["layers"] == 30 and data["model"]["source"].startswith("GGUF header")
    reported = llama_report(BUNDLED, 4096, "q8_0")
    row = {r["kv_type"]: r for r in data["kv_types"]}
    assert round(row["q8_0"]["kv_bytes"] / MIB, 2) == reported["caches"][0][0]
    assert row["f16"]["kv_bytes"] == 4096 * 2 * 30 * 3 * 64 * 2
    assert data["plan"]["fits"] and data["verdict"].startswith("fits")


def test_spec_model_over_the_boundary_exits_1_with_advice() -> None:
    done = doctor("--model-name", "qwen2.5-32b", "--vram", "24", "--context", "40960")
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "over the memory boundary" in out and "Tier 1 (Prosumer)" in out
    assert "quantize the KV cache to q4_0" in out and "YaRN" in out
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith(("f16 ", "q8_0 ", "q4_0 "))}
    assert lines["f16"][-2] == "no" and lines["q4_0"][-2] == "yes"


def test_workspace_check_lists_blueprints() -> None:
    done = doctor("--model-name", "mistral-small", "--vram", "24", "--workspace", "fixtures/commons", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert len(data["blueprints"]) >= 20 and all(b["state"] == "fits" for b in data["blueprints"])
    assert data["context"] == max(b["context"] for b in data["blueprints"])


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--model-name", "llama-9000"), "unknown model"),
        (("--model", "README.md"), "not a GGUF file"),
        (("--model", "no/such.gguf"), "does not exist"),
        (("--model-name", "qwen2.5-32b", "--vram", "-3"), "--vram must be"),
        (("--model-name", "qwen2.5-32b", "--quant", "Q1_X"), "unknown quantization"),
        (("--workspace", "no-such-folder", "--vram", "8"), "is not a folder"),
    ],
)
def test_bad_input_is_one_message_and_exit_2(args: tuple[str, ...], words: str) -> None:
    done = doctor(*args)
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr
