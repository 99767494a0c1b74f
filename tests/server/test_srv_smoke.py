"""Start, read the demo workspace, answer a hover: the server comes up under both clients."""

from __future__ import annotations

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient


async def test_initialize_advertises_features(client: LanguageClient) -> None:
    caps = client.init_result.capabilities  # type: ignore[attr-defined]
    assert caps.hover_provider and caps.definition_provider and caps.references_provider
    assert caps.completion_provider is not None and caps.completion_provider.resolve_provider
    assert caps.rename_provider is not None
    assert caps.document_symbol_provider and caps.workspace_symbol_provider
    assert caps.folding_range_provider and caps.document_link_provider is not None
    assert caps.code_lens_provider is not None and caps.code_action_provider is not None
    assert caps.text_document_sync.change == lsp.TextDocumentSyncKind.Incremental
    # Unimplemented features are not advertised.
    assert caps.semantic_tokens_provider is None and caps.document_formatting_provider is None
    if client.editor == "neovim":  # type: ignore[attr-defined]
        assert caps.position_encoding == "utf-8"  # neovim lists utf-8 first
        assert caps.diagnostic_provider is not None  # and can pull diagnostics
    else:
        assert caps.position_encoding in (None, "utf-16")
        assert caps.diagnostic_provider is None


async def test_file_watcher_registered_when_the_client_can(client: LanguageClient) -> None:
    can = client.capabilities.workspace.did_change_watched_files  # type: ignore[union-attr]
    registered = [r.method for r in client.registrations]  # type: ignore[attr-defined]
    assert ("workspace/didChangeWatchedFiles" in registered) == bool(can and can.dynamic_registration)


async def test_adding_a_workspace_folder(client: LanguageClient, tmp_path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "solo.blueprint.md").write_text("---\nid: solo\nscale: team\n---\n# Solo\n## Vision\nAlone.\n[[probe-target]]\n", encoding="utf-8")
    before = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="clm.status"))
    event = lsp.WorkspaceFoldersChangeEvent(added=[lsp.WorkspaceFolder(uri=extra.as_uri(), name="extra")], removed=[])
    client.workspace_did_change_workspace_folders(lsp.DidChangeWorkspaceFoldersParams(event=event))
    for _ in range(200):
        status = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="clm.status"))
        if status["documents"] == before["documents"] + 1:
            break
    assert status["documents"] == before["documents"] + 1 and len(status["folders"]) == 2
    found = await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="solo"))
    assert found and found[0].location.uri == (extra / "solo.blueprint.md").as_uri()
