"""The benchmark harness end to end on a tiny workspace: one Node client drives VS Code's
Markdown language server and clm-lsp over stdio, both answer, and compare.py writes its table.

Skips only when node or npm is missing; installs bench/peers (npm ci) when it is not yet there.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load_compare():
    spec = importlib.util.spec_from_file_location("clm_bench_compare", REPO / "bench" / "compare.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


compare = _load_compare()

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="node and npm are needed to run VS Code's Markdown language server (the benchmark peer)",
)
TOKENS = 6_000


@pytest.fixture(scope="module")
def peers() -> None:
    if not (REPO / "bench" / "peers" / "node_modules" / "vscode-markdown-languageserver").is_dir():
        done = subprocess.run([str(REPO / "scripts" / "setup-bench-peers.sh")], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    generate = compare.load("gen_workspace").generate
    root = tmp_path_factory.mktemp("bench") / "ws"
    generate(root, TOKENS, seed=3, link_style="markdown")
    return root


@pytest.mark.parametrize("server", ["peer", "ours"])
def test_each_server_answers_right(peers: None, workspace: Path, server: str) -> None:
    raw = compare.peer_compare.run_client(server, workspace, samples=6, seed=1)
    checks = raw["checks"]
    # Definition on a relative Markdown link lands on the heading its fragment names.
    assert checks["definition"]["of"] >= 6
    assert checks["definition"]["right"] == checks["definition"]["of"], checks["definition"]
    # References on a linked heading find every link to it in the workspace.
    assert checks["references"]["expected_total"] > 0
    assert checks["references"]["complete"] == checks["references"]["of"], checks["references"]
    assert raw["cold"]["complete_ms"] is not None and raw["cold"]["got"] >= raw["cold"]["expected"]
    # A broken link typed into a file shows up in its pulled diagnostics and goes when removed.
    diags = checks["diagnostics"]
    assert all(w == wo + 1 for w, wo in zip(diags["with_broken_link"], diags["without"], strict=True)), diags
    assert checks["documentSymbol"]["symbols"] >= checks["documentSymbol"]["headings"] > 0
    assert all(len(v) > 0 for v in raw["timings"].values())
    assert raw["server_process"]["peak_rss_mb"] > 0
    # The peer leans on its client to parse (as VS Code's extension host does); clm-lsp does not.
    parsed = raw["host_requests"]["parse"] + raw["host_requests"]["parseCached"]
    assert (parsed > 0) if server == "peer" else (parsed == 0)


def test_compare_writes_one_table(peers: None, tmp_path: Path) -> None:
    results = compare.main(["--only", "peers,parse", "--sizes", str(TOKENS), "--samples", "3", "--out", str(tmp_path)])
    size = results["peers"]["sizes"][0]
    assert size["ratio"]["definition"]["median"] > 0
    assert size["memory"]["ours_server"] > 0 and size["memory"]["peer_server"] > 0
    assert results["parse"]["markdown_it_s"] > 0
    saved = json.loads((tmp_path / "latest.json").read_text())
    assert saved["machine"]["cores"] >= 1 and saved["machine"]["node_packages"]["vscode-markdown-languageserver"].startswith("0.5.")
    measures = [row["measure"] for row in saved["table"]]
    assert "definition" in measures and "parse rate" in measures
    assert "| definition | " in (tmp_path / "latest.md").read_text()
    assert len(list(tmp_path.glob("*.md"))) == 2  # latest and the dated copy


def test_a_server_that_does_not_start_is_reported(peers: None, workspace: Path, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="did not start"):
        compare.peer_compare.run_client("ours", workspace, samples=2, timeout_s=60, ours_cmd=tmp_path / "no-such-server")
