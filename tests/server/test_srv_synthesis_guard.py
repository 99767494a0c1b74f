"""The faithfulness guard on synthesized text, with a crafted model reply: the server talks to
a tiny OpenAI-compatible endpoint on 127.0.0.1 (tests/server/fake_openai.py) through its
real `openai` backend, so everything from the prompt to the diagnostics is the production
path; only the model's words are chosen. The reply invents a number and a name the context
never states; both become `clm-synthesis` diagnostics on the inserted text (pushed to a
Neovim-like client, pulled by a VS Code-like one), and they go once the section is edited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from fake_openai import fake_openai
from lsp_helpers import SERVER, change_doc, encoding_of, offset_of, open_doc, position, start_session
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient
from test_srv_synthesis import _apply, _body_span, _record_edits, kitchen, synthesis_diagnostics, wait_for  # noqa: F401 - kitchen is a fixture

REPLY = "## Governance\nThe Shared Kitchen has 47 members. Marguerite Olsen chairs the weekly table.\n"


@pytest_lsp.fixture(params=["visual_studio_code", "neovim"], config=ClientServerConfig(server_command=SERVER))
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient, kitchen: Path):  # noqa: F811
    with fake_openai(lambda _user: REPLY) as chat:
        options: dict[str, Any] = {
            "index": {"enable": False}, "summaries": {"enable": False},
            "model": {"backend": "openai", "baseUrl": chat.base_url, "model": "fake-writer", "timeoutS": 10},
        }
        lsp_client.root = kitchen  # type: ignore[attr-defined]
        lsp_client.chat = chat  # type: ignore[attr-defined]
        lsp_client.edits = _record_edits(lsp_client)  # type: ignore[attr-defined]
        lsp_client.init_result = await start_session(lsp_client, kitchen, request.param, options)  # type: ignore[attr-defined]
        yield
        await lsp_client.shutdown_session()


async def test_invented_facts_are_flagged_on_the_inserted_text(client: LanguageClient) -> None:
    uri, text = open_doc(client, client.root / "shared-kitchen.blueprint.md")  # type: ignore[attr-defined]
    result = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="clm.synthesizeSection", arguments=[uri, "governance"]))
    assert result["applied"] is True, result
    assert result["text"] == "The Shared Kitchen has 47 members. Marguerite Olsen chairs the weekly table."
    flagged = {(f["kind"], f["text"]) for f in result["flagged"]}
    assert {("number", "47"), ("name", "Marguerite"), ("name", "Olsen")} <= flagged
    assert not any(f["text"] in ("Shared", "Kitchen") for f in result["flagged"])  # stated by the context
    prompt = client.chat.user_messages()[-1]  # type: ignore[attr-defined]
    assert 'Write the body of the section "## Governance" of [[shared-kitchen]]' in prompt and "Members own it together." in prompt

    # The editor applies the edit and reports the change.
    (params,) = client.edits  # type: ignore[attr-defined]
    new_text, _rng = _apply(client, text, params.edit, uri)
    change_doc(client, uri, 2, text, lsp.Position(0, 0), position(client, text, "", len(text)), new_text)
    found: list[lsp.Diagnostic] = []

    async def poll() -> bool:
        found[:] = await synthesis_diagnostics(client, uri)
        return len(found) >= 3

    await wait_for(poll)
    enc = encoding_of(client)
    start, end = _body_span(new_text, "governance")
    by_text = {new_text[offset_of(new_text, d.range.start, enc):offset_of(new_text, d.range.end, enc)]: d for d in found}
    assert by_text["47"].code == "CLM-S002" and by_text["47"].severity == lsp.DiagnosticSeverity.Warning
    assert by_text["Marguerite"].code == "CLM-S001" and by_text["Marguerite"].severity == lsp.DiagnosticSeverity.Information
    for d in found:
        assert start <= offset_of(new_text, d.range.start, enc) < end
        assert "fake-writer" in d.message

    # Lines added above move the findings with the text; editing the text drops them.
    at = position(client, new_text, "Cooks and guests")
    shifted = new_text.replace("Cooks and guests", "A line more.\nCooks and guests")
    change_doc(client, uri, 3, new_text, at, at, "A line more.\n")
    await wait_for(lambda: _located(client, uri, shifted, "47"))
    at = position(client, shifted, "47 members")
    change_doc(client, uri, 4, shifted, at, position(client, shifted, "47 members", 2), "about 4")
    await wait_for(lambda: _none_left(client, uri))


async def _located(client: LanguageClient, uri: str, text: str, needle: str) -> bool:
    enc = encoding_of(client)
    return any(text[offset_of(text, d.range.start, enc):offset_of(text, d.range.end, enc)] == needle for d in await synthesis_diagnostics(client, uri))


async def _none_left(client: LanguageClient, uri: str) -> bool:
    return not await synthesis_diagnostics(client, uri)
