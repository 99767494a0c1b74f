"""The fuzz suite drives a real `clm-lsp serve` through tests/reliability/rawlsp.py."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))

from rawlsp import COMMONS, RawServer  # noqa: E402


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory):
    """One server for a module's thousands of cases (a process per case would be all start-up)."""
    if not COMMONS.is_dir():
        pytest.skip("fixtures/commons is not there")
    root = tmp_path_factory.mktemp("fuzz") / "commons"
    shutil.copytree(COMMONS, root)
    (root / "fuzz").mkdir()
    server = RawServer()
    server.initialize(root)
    server.root = root  # type: ignore[attr-defined]
    yield server
    assert server.close() == 0
