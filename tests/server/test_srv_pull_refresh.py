"""Pull mode: when an edit changes the problems of other files, the server asks the
client to pull again (workspace/diagnostic/refresh), once per re-check."""

from __future__ import annotations

from pathlib import Path

import pytest_lsp
from lsprotocol import types as lsp
from lsp_helpers import SERVER, change_doc, doc_id, open_doc, position, record_statuses, wait_ready, wait_until
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def refreshing_client(lsp_client: LanguageClient, workspace: Path):
    root = workspace  # conftest.py: fixtures/commons copied, with the probes
    caps = client_capabilities("neovim")
    caps.workspace.diagnostics = lsp.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    record_statuses(lsp_client)
    params = lsp.InitializeParams(capabilities=caps, root_uri=root.as_uri(), workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="c")])
    lsp_client.init_result = await lsp_client.initialize_session(params)  # type: ignore[attr-defined]
    lsp_client.root = root  # type: ignore[attr-defined]
    await wait_ready(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def test_refresh_after_an_edit_that_breaks_links_elsewhere(refreshing_client: LanguageClient) -> None:
    client = refreshing_client
    target = client.root / "probe-target.blueprint.md"  # type: ignore[attr-defined]
    probe_uri = (client.root / "probe" / "probe-team.blueprint.md").as_uri()  # type: ignore[attr-defined]
    uri, text = open_doc(client, target)
    report = await client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(text_document=doc_id(probe_uri)))
    assert len(report.items) == 0
    before = client.diagnostic_refresh_count
    at = position(client, text, "{#gov}", 2)
    change_doc(client, uri, 2, text, at, lsp.Position(at.line, at.character + 3), "gover")
    await wait_until(lambda: client.diagnostic_refresh_count > before)
    report = await client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(text_document=doc_id(probe_uri)))
    assert [d.code for d in report.items] == ["CLM002"]
    assert client.diagnostic_refresh_count == before + 1
