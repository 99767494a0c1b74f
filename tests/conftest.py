"""Fixtures every test folder may use: a copy of fixtures/commons (the demo workspace)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

COMMONS = Path(__file__).resolve().parents[1] / "fixtures" / "commons"


@pytest.fixture
def commons(tmp_path: Path) -> Path:
    """fixtures/commons copied to tmp_path/commons, so a test may edit it."""
    if not COMMONS.is_dir():
        pytest.skip("fixtures/commons is not there")
    dest = tmp_path / "commons"
    shutil.copytree(COMMONS, dest)
    return dest
