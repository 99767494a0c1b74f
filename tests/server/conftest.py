"""Fixtures: the demo workspace copied to a temp folder, and a pytest-lsp client running
`python -m clm_lsp serve` as a subprocess, once per real editor's capabilities."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsp_helpers import CLIENTS, SERVER, add_probes, start_session
from pytest_lsp import ClientServerConfig, LanguageClient


@pytest.fixture
def workspace(commons: Path) -> Path:
    """fixtures/commons copied (tests/conftest.py), so tests may edit files freely, plus the probes."""
    add_probes(commons)
    return commons


@pytest_lsp.fixture(params=CLIENTS, config=ClientServerConfig(server_command=SERVER))
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient, workspace: Path):
    lsp_client.editor = request.param  # type: ignore[attr-defined]
    lsp_client.root = workspace  # type: ignore[attr-defined]
    lsp_client.init_result = await start_session(lsp_client, workspace, request.param)  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A reply that breaks the LSP spec for the client's capabilities fails the test."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here:
            item.add_marker(pytest.mark.filterwarnings("error::pytest_lsp.checks.LspSpecificationWarning"))
