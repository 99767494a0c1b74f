"""Reliability tests: a raw server (the copy of fixtures/commons, `commons`, is tests/conftest.py's)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rawlsp import RawServer


@pytest.fixture
def raw():
    """A server process not yet initialized; closed (and checked to exit 0) at the end."""
    server = RawServer()
    yield server
    assert server.close() == 0, "".join(server.stderr_lines[-30:])
