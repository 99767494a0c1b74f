"""The blueprint core stays pure: no service library and no other clm_lsp package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "clm_lsp" / "blueprint"
FORBIDDEN = ("pygls", "lsprotocol", "lancedb", "kuzu", "watchdog", "llama_cpp", "ollama")
ALLOWED_THIRD_PARTY = ("yaml", "markdown_it", "mdit_py_plugins")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: must stay inside clm_lsp.blueprint
                names.append("." * node.level + (node.module or ""))
            else:
                names.append(node.module or "")
    return names


def _modules() -> list[Path]:
    return sorted(PACKAGE.glob("*.py"))


def test_there_are_modules_to_check() -> None:
    assert len(_modules()) >= 10


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_module_imports_only_stdlib_and_allowed(path: Path) -> None:
    for name in _imports(path):
        top = name.split(".")[0]
        assert top not in FORBIDDEN, f"{path.name} imports {name}"
        if name.startswith(".."):
            pytest.fail(f"{path.name} imports {name}: outside clm_lsp.blueprint")
        if top == "clm_lsp":
            assert name == "clm_lsp.blueprint" or name.startswith("clm_lsp.blueprint."), f"{path.name} imports {name}"


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from __future__ import annotations\nimport pygls.server\nfrom ..index import graph\n")
    names = _imports(bad)
    assert "pygls.server" in names and "..index" in names
