"""Anchor summaries follow a change of `clm.model` (workspace/didChangeConfiguration) at
once: a run that had finished for the old model id starts again for the new one, without
waiting for an edit. `clm-lsp serve` over stdio (pytest-lsp), the real Kuzu index, and an
OpenAI-compatible endpoint on 127.0.0.1 (fake_openai.py) answering both model ids."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_lsp
from fake_openai import FakeChat, fake_openai
from lsp_helpers import SERVER, doc_id, open_doc, position, start_session, wait_until
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient
from test_srv_indexing_units import DOC



@pytest.fixture
def chat():
    # Words of the source only, so the faithfulness guard keeps the reply.
    with fake_openai(lambda _user: "the quay stays open to fishers.") as fake:
        yield fake


def options(chat: FakeChat, model: str) -> dict[str, Any]:
    return {"index": {"enable": True}, "summaries": {"enable": True, "maxTokens": 16},
            "model": {"backend": "openai", "baseUrl": chat.base_url, "model": model, "embedModel": "hashed", "timeoutS": 10}}


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, tmp_path, chat: FakeChat):
    (tmp_path / "gull-quay.blueprint.md").write_text(DOC, encoding="utf-8")
    lsp_client.root = tmp_path  # type: ignore[attr-defined]
    lsp_client.init_result = await start_session(lsp_client, tmp_path, "neovim", options(chat, "model-one"))  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def summaries(client: LanguageClient) -> list[dict[str, Any]]:
    return [s["model"]["summaries"] for s in client.statuses if isinstance((s.get("model") or {}).get("summaries"), dict)]  # type: ignore[attr-defined]


def finished_after(states: list[dict[str, Any]]) -> bool:
    running = next((i for i, s in enumerate(states) if s["state"] == "running"), None)
    return running is not None and any(s["state"] == "idle" and s.get("written") for s in states[running:])


def models_asked(chat: FakeChat) -> set[str]:
    return {r.get("model") for r in chat.requests}


async def test_a_new_model_id_rewrites_the_summaries_without_an_edit(client: LanguageClient, chat: FakeChat) -> None:
    uri, text = open_doc(client, client.root / "gull-quay.blueprint.md")  # type: ignore[attr-defined]
    await wait_until(lambda: any(s["state"] == "idle" and s.get("written") for s in summaries(client)), 120)
    assert models_asked(chat) == {"model-one"}
    at = position(client, text, "## Vision", 4)
    hover = await client.text_document_hover_async(lsp.HoverParams(doc_id(uri), at))
    assert hover is not None and "Summary by model-one" in hover.contents.value, hover

    seen = len(summaries(client))
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings={"clm": options(chat, "model-two")}))
    # No edit: the settings change alone starts the run for the new model. (Every clm/status
    # repeats the last summaries state, so the new run's end is the idle after a running.)
    await wait_until(lambda: finished_after(summaries(client)[seen:]), 30)
    assert "model-two" in models_asked(chat)
    hover = await client.text_document_hover_async(lsp.HoverParams(doc_id(uri), at))
    assert hover is not None and "Summary by model-two" in hover.contents.value, hover.contents.value
