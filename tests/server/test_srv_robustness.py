"""Bad input never kills the server: unknown documents, positions past the end,
malformed requests, bad settings (one warning each), files outside the folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from lsp_helpers import PROBE, SERVER, doc_id, open_doc, raw_request, start_session, wait_until
from pytest_lsp import ClientServerConfig, LanguageClient

BAD_OPTIONS = {"diagnostics": {"debounceMs": "soon", "pull": "sometimes"}, "completion": {"maxItems": -3}, "nonsense": 1, "index": {"enable": True}}


@pytest.fixture
def odd_workspace(workspace: Path, tmp_path: Path) -> Path:
    """The demo workspace plus a blueprint outside it, reachable only by a symlink and a ../ link."""
    root = workspace
    outside = tmp_path / "outside.blueprint.md"
    outside.write_text("---\nid: outsider\nscale: team\n---\n# Outsider\n## Vision\nSecret.\n", encoding="utf-8")
    if sys.platform != "win32":
        os.symlink(outside, root / "escape.blueprint.md")
    return root


@pytest_lsp.fixture(params=["neovim"], config=ClientServerConfig(server_command=SERVER))
async def odd_client(request: pytest.FixtureRequest, lsp_client: LanguageClient, odd_workspace: Path):
    lsp_client.root = odd_workspace  # type: ignore[attr-defined]
    log_file = odd_workspace.parent / "server.log"
    options = {**BAD_OPTIONS, "log": {"file": str(log_file), "level": "debug"}}
    lsp_client.log_file = log_file  # type: ignore[attr-defined]
    lsp_client.init_result = await start_session(lsp_client, odd_workspace, request.param, options)  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def test_bad_settings_warn_once_and_fall_back(odd_client: LanguageClient) -> None:
    warnings = [m.message for m in odd_client.messages if m.type == lsp.MessageType.Warning]
    assert any("clm.diagnostics.debounceMs: must be a whole number" in m for m in warnings)
    assert any("clm.completion.maxItems: must be between 1 and 5000" in m for m in warnings)
    assert any("clm.nonsense: unknown setting" in m for m in warnings)
    odd_client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings={"clm": BAD_OPTIONS}))
    status = await odd_client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="clm.status"))
    assert status["state"] == "ready"
    again = [m.message for m in odd_client.messages if m.type == lsp.MessageType.Warning]
    assert again == warnings, "each bad setting is shown once per session"
    assert status["diagnostics"] == "pull"  # 'sometimes' fell back to 'auto', and Neovim pulls


async def test_an_index_that_cannot_open_leaves_navigation_working(odd_client: LanguageClient) -> None:
    """The index was asked for; whatever becomes of it, requests are answered from memory."""
    await wait_until(lambda: any(s.get("index", {}).get("state") in ("ready", "failed", "unavailable") for s in odd_client.statuses), 120)  # type: ignore[attr-defined]
    state = odd_client.statuses[-1]["index"]["state"]  # type: ignore[attr-defined]
    if state in ("failed", "unavailable"):
        assert any("index" in m.message and "navigation works from memory" in m.message for m in odd_client.messages)
    probe = odd_client.root / "probe" / "probe-team.blueprint.md"  # type: ignore[attr-defined]
    uri, text = open_doc(odd_client, probe)
    at = lsp.Position(line=text.split("\n").index("## Work"), character=3)
    hover = await odd_client.text_document_hover_async(lsp.HoverParams(text_document=doc_id(uri), position=at))
    assert "Work" in hover.contents.value


async def test_files_outside_the_folder_are_never_read(odd_client: LanguageClient) -> None:
    status = await odd_client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="clm.status"))
    root = odd_client.root  # type: ignore[attr-defined]
    on_disk = [p for p in root.rglob("*.blueprint.md") if not p.is_symlink()]
    assert status["documents"] == len(on_disk)
    found = await odd_client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="outsider"))
    assert found == []
    probe = root / "probe" / "probe-team.blueprint.md"
    uri, _text = open_doc(odd_client, probe, PROBE.replace("Started.", "Started. [x](../../outside.blueprint.md)"))
    report = await odd_client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(text_document=doc_id(uri)))
    assert [d.code for d in report.items] == ["CLM018"]


async def test_requests_on_unknown_documents_and_far_positions(odd_client: LanguageClient) -> None:
    ghost = doc_id("file:///nowhere/ghost.blueprint.md")
    far = lsp.Position(line=10_000, character=10_000)
    assert await odd_client.text_document_hover_async(lsp.HoverParams(text_document=ghost, position=far)) is None
    assert await odd_client.text_document_definition_async(lsp.DefinitionParams(text_document=ghost, position=far)) is None
    assert await odd_client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=ghost)) is None
    probe = odd_client.root / "probe" / "probe-team.blueprint.md"  # type: ignore[attr-defined]
    uri, _text = open_doc(odd_client, probe)
    assert await odd_client.text_document_hover_async(lsp.HoverParams(text_document=doc_id(uri), position=far)) is None
    completion = await odd_client.text_document_completion_async(lsp.CompletionParams(text_document=doc_id(uri), position=far))
    assert len(completion.items) == 0
    # An edit to a document that was never opened is ignored.
    ident = lsp.VersionedTextDocumentIdentifier(uri="file:///nowhere/ghost.blueprint.md", version=3)
    change = lsp.TextDocumentContentChangePartial(range=lsp.Range(far, far), text="x")
    odd_client.text_document_did_change(lsp.DidChangeTextDocumentParams(text_document=ident, content_changes=[change]))
    syms = await odd_client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=doc_id(uri)))
    assert syms[0].name == "Probe Team 🚀 東京"


async def test_a_malformed_request_gets_an_error_and_the_server_stays(odd_client: LanguageClient) -> None:
    with pytest.raises(Exception):
        await raw_request(odd_client, "textDocument/hover", {"textDocument": {"uri": 5}, "position": "here"})
    with pytest.raises(Exception):
        await raw_request(odd_client, "textDocument/definition", {"textDocument": {"uri": "file:///x.blueprint.md"}, "position": {"line": -1}})
    assert await raw_request(odd_client, "clm/debugDocument", {"uri": ["not", "a", "string"]}) is None
    probe = odd_client.root / "probe" / "probe-team.blueprint.md"  # type: ignore[attr-defined]
    uri, text = open_doc(odd_client, probe)
    at = lsp.Position(line=text.split("\n").index("## Work"), character=3)
    hover = await odd_client.text_document_hover_async(lsp.HoverParams(text_document=doc_id(uri), position=at))
    assert "Work" in hover.contents.value


async def test_binary_and_huge_documents_get_a_diagnostic(odd_client: LanguageClient) -> None:
    probe = odd_client.root / "probe" / "probe-team.blueprint.md"  # type: ignore[attr-defined]
    uri, _text = open_doc(odd_client, probe, "\x00\x01 binary")
    report = await odd_client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(text_document=doc_id(uri)))
    assert [d.code for d in report.items] == ["CLM019"]


async def test_the_log_file_setting(odd_client: LanguageClient) -> None:
    log_file = odd_client.log_file  # type: ignore[attr-defined]
    await wait_until(lambda: log_file.exists() and "blueprints under" in log_file.read_text(encoding="utf-8"))
    assert "DEBUG" in log_file.read_text(encoding="utf-8") or "INFO" in log_file.read_text(encoding="utf-8")
