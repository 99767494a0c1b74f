"""Reliability tests: a copy of fixtures/commons per test, and a raw server on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rawlsp import COMMONS, RawServer


@pytest.fixture
def commons(tmp_path: Path) -> Path:
    if not COMMONS.is_dir():
        pytest.skip("fixtures/commons is not there")
    dest = tmp_path / "commons"
    shutil.copytree(COMMONS, dest)
    return dest


@pytest.fixture
def raw():
    """A server process not yet initialized; closed (and checked to exit 0) at the end."""
    server = RawServer()
    yield server
    assert server.close() == 0, "".join(server.stderr_lines[-30:])
