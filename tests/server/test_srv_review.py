"""Model review diagnostics end to end, with crafted model replies.

The server runs over stdio with its real ``openai`` backend pointed at a fake
endpoint on 127.0.0.1 (fake_openai.py) that answers with words the test chose:
prompt, HTTP, streaming, parsing, caching, placing and reporting (pushed for
Neovim, pulled with a refresh for VS Code) are the production code. The real
bundled model is exercised in test_srv_review_model.py.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from fake_openai import FakeChat, fake_openai, section_of
from lsp_helpers import SERVER, change_doc, doc_id, open_doc, position, range_text, record_statuses, wait_ready
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

EDITORS = ["visual_studio_code", "neovim", "neovim+refresh"]
"""VS Code 1.65's capabilities: push. Neovim 0.11's: pull without refresh (the review is
pushed apart). With refresh support: pull, and the server asks for a pull when a review lands."""

REGION = """---
id: riverside-region
title: Riverside Region
scale: region
---
# Riverside Region

## Vision
The region's assembly meets four times a year and publishes every budget.
"""

COOP = """---
id: riverside-coop
title: Riverside Coop
scale: organization
parent: riverside-region
---
# Riverside Coop

## Vision
Members own the coop. The general meeting sets the rents once a year.

## Governance {#gov}
A board of seven is elected for two years.

## Timeslice 2023
Founded with twelve homes.

## Timeslice 2024
The board now sets the rents every month.
"""

PLANTED = "The board now sets the rents every month"
OTHER = "the general meeting sets the rents once a year"
REVIEWABLE = 4  # Vision, Governance and both timeslices: each has a reference


def planted_reply(user: str) -> str:
    section = section_of(user)
    if "every month" in section:
        return f"CONTRADICTION | {PLANTED} | 1 | {OTHER}\n"
    if "every week" in section:
        return f"CONTRADICTION | sets the rents every week | [1] | {OTHER}\n"
    return "NONE"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "riverside-region.blueprint.md").write_text(REGION, encoding="utf-8")
    (tmp_path / "riverside-coop.blueprint.md").write_text(COOP, encoding="utf-8")
    return tmp_path


@pytest.fixture
def chat():
    with fake_openai(planted_reply) as fake:
        yield fake


@pytest_lsp.fixture(params=EDITORS, config=ClientServerConfig(server_command=SERVER))
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient, root: Path):
    lsp_client.editor = request.param  # type: ignore[attr-defined]
    lsp_client.root = root  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def one_client(lsp_client: LanguageClient, root: Path):
    """For what does not depend on the editor: Neovim's capabilities only."""
    lsp_client.editor = "neovim"  # type: ignore[attr-defined]
    lsp_client.root = root  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def options(chat: FakeChat, enable: bool = True) -> dict[str, Any]:
    return {
        "index": {"enable": False}, "summaries": {"enable": False},
        "review": {"enable": enable, "debounceMs": 100},
        "model": {"backend": "openai", "baseUrl": chat.base_url, "model": "fake-reviewer", "timeoutS": 10},
    }


async def start(client: LanguageClient, chat: FakeChat, enable: bool = True) -> tuple[str, str]:
    editor = client.editor  # type: ignore[attr-defined]
    caps = client_capabilities(editor.split("+")[0])
    if editor.endswith("+refresh"):
        caps.workspace.diagnostics = lsp.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    record_statuses(client)
    root = client.root  # type: ignore[attr-defined]
    params = lsp.InitializeParams(capabilities=caps, root_uri=root.as_uri(), initialization_options=options(chat, enable),
                                  workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="w")])
    client.init_result = await client.initialize_session(params)  # type: ignore[attr-defined]
    await wait_ready(client)
    return open_doc(client, client.root / "riverside-coop.blueprint.md")  # type: ignore[attr-defined]


def pulls(client: LanguageClient) -> bool:
    return client.init_result.capabilities.diagnostic_provider is not None  # type: ignore[attr-defined]


async def diagnostics(client: LanguageClient, uri: str) -> list[lsp.Diagnostic]:
    """What the editor shows: the pulled report (pull clients, sending the previous result id
    as editors do, so a stale id shows up as stale diagnostics) and the pushed list."""
    pushed = list(client.diagnostics.get(uri, []))
    if not pulls(client):
        return pushed
    held = client.__dict__.setdefault("pulled", {})
    previous = held.get(uri)
    params = lsp.DocumentDiagnosticParams(text_document=doc_id(uri), previous_result_id=previous[0] if previous else None)
    report = await client.text_document_diagnostic_async(params)
    if isinstance(report, lsp.UnchangedDocumentDiagnosticReport) or getattr(report, "kind", None) == "unchanged":
        assert previous is not None
        return previous[1] + pushed
    held[uri] = (report.result_id, list(report.items))
    return list(report.items) + pushed


def from_model(items: list[lsp.Diagnostic]) -> list[lsp.Diagnostic]:
    return [d for d in items if d.source == "clm-model"]


async def stats(client: LanguageClient) -> dict[str, Any]:
    return await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="clm.reviewStats", arguments=[]))


async def eventually(probe, timeout: float = 20.0, step: float = 0.1) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the server")
        await asyncio.sleep(step)


async def settled(client: LanguageClient, reviewed: int) -> dict[str, Any]:
    """Wait until the server reviewed ``reviewed`` sections in all and has nothing queued."""
    async def probe():
        s = await stats(client)
        done = s["reviewed"] + s["cached"] >= reviewed and s["state"] != "running" and s["queued"] == 0
        return s if done else None
    return await eventually(probe)


async def test_a_planted_contradiction_becomes_a_model_diagnostic(client: LanguageClient, chat: FakeChat) -> None:
    refreshes = client.diagnostic_refresh_count
    uri, text = await start(client, chat)

    async def found():
        return from_model(await diagnostics(client, uri))

    items = await eventually(found)
    assert len(items) == 1
    d = items[0]
    assert d.code == "review-contradiction"
    assert d.severity == lsp.DiagnosticSeverity.Information
    assert "fake-reviewer" in d.message and OTHER in d.message
    assert range_text(client, text, d.range) == PLANTED
    [rel] = d.related_information or []
    assert rel.location.uri == uri
    assert range_text(client, text, rel.location.range) == "The general meeting sets the rents once a year"
    if client.editor.endswith("+refresh"):  # type: ignore[attr-defined]
        assert client.diagnostic_refresh_count > refreshes  # the late result was announced
    s = await settled(client, REVIEWABLE)
    assert s["reviewed"] == REVIEWABLE and len(chat.requests) == REVIEWABLE
    # The checker's own report is still there beside the model's (no CLM problem in this file).
    assert [x for x in await diagnostics(client, uri) if x.source == "clm"] == []

    # An edit undone within the debounce: the same text, so nothing goes to the model again.
    # When the server reads both changes before its check (they often arrive in one read) the
    # document is unchanged and nothing is queued; when a check ran between them, every
    # section of the re-review is a cache hit.
    at = position(client, text, "A board of seven")
    change_doc(client, uri, 2, text, at, at, "X")
    change_doc(client, uri, 3, text, at, lsp.Position(at.line, at.character + 1), "")
    await asyncio.sleep(1.0)  # 100x the check's debounce, 10x the review's: a review would be queued by now
    s = await settled(client, REVIEWABLE)
    assert s["cached"] == 0 or s["cached"] >= REVIEWABLE, s
    assert s["reviewed"] == REVIEWABLE
    assert len(chat.requests) == REVIEWABLE, "unchanged sections must not be sent to the model again"
    assert len(from_model(await diagnostics(client, uri))) == 1

    stored = json.loads((client.root / ".clm" / "reviews.json").read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    assert len(stored["rows"]) == REVIEWABLE

    # Editing the planted sentence away hides the finding at once (before any new review).
    start_at = position(client, text, PLANTED)
    change_doc(client, uri, 4, text, start_at, lsp.Position(start_at.line, start_at.character + len(PLANTED)), "Rents did not change.")

    async def gone():
        return not from_model(await diagnostics(client, uri))

    await eventually(gone)


async def test_review_off_sends_nothing_and_can_be_turned_on_and_off(client: LanguageClient, chat: FakeChat) -> None:
    uri, _text = await start(client, chat, enable=False)

    async def checked():
        return pulls(client) or uri in client.diagnostics

    await eventually(checked)
    await asyncio.sleep(0.8)  # well past the 100 ms debounce
    assert chat.requests == []
    assert from_model(await diagnostics(client, uri)) == []

    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings={"clm": options(chat, True)}))

    async def found():
        return from_model(await diagnostics(client, uri))

    assert len(await eventually(found)) == 1
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings={"clm": options(chat, False)}))

    async def gone():
        return not from_model(await diagnostics(client, uri))

    await eventually(gone)
    requests = len(chat.requests)
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings={"clm": options(chat, True)}))
    assert len(await eventually(found)) == 1
    assert len(chat.requests) == requests, "turned on again: the cached reviews serve"
    # Closing the file drops its review (it is about the buffer being edited).
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(doc_id(uri)))
    await eventually(gone)


GARBAGE = [
    "}{ ||| CONTRA\x00DICTION ||| 🚀🚀 \ufffd" * 50,
    "CONTRADICTION\nGAP | | |\nCONTRADICTION | words copied from the section | reference number | short reason",
    "x" * 30_000,
    '{"kind": "contradiction", "quote": 12, "ref": [1]}\n{"kind":',
]


async def test_garbage_replies_give_no_diagnostics_and_the_server_keeps_answering(one_client: LanguageClient, chat: FakeChat) -> None:
    client = one_client
    chat.reply = lambda _user: GARBAGE[(len(chat.requests) - 1) % len(GARBAGE)]  # one kind per section
    uri, text = await start(client, chat)
    s = await settled(client, REVIEWABLE)
    assert s["reviewed"] == REVIEWABLE == len(GARBAGE) and s["findings"] == 0
    assert from_model(await diagnostics(client, uri)) == []
    hover = await client.text_document_hover_async(lsp.HoverParams(doc_id(uri), position(client, text, "## Governance", 4)))
    assert hover is not None and "Governance" in str(hover.contents)


async def test_an_edit_cancels_the_running_review_and_the_new_text_is_reviewed(one_client: LanguageClient, chat: FakeChat) -> None:
    client = one_client
    long_tail = " | " + "because " * 40
    chat.reply = lambda user: planted_reply(user).rstrip("\n") + (long_tail if "every month" in section_of(user) else "")
    chat.delay_s = 0.05  # ~30 pieces: the planted section's review takes about 1.5 s
    uri, text = await start(client, chat)

    async def reviewing_planted():
        return any("every month" in section_of(u) for u in chat.user_messages())

    await eventually(reviewing_planted)
    at = position(client, text, "every month")
    change_doc(client, uri, 2, text, at, lsp.Position(at.line, at.character + len("every month")), "every week")
    new_text = text.replace("every month", "every week")

    async def found():
        items = from_model(await diagnostics(client, uri))
        return items if items and "week" in range_text(client, new_text, items[0].range) else None

    items = await eventually(found)
    assert [range_text(client, new_text, d.range) for d in items] == ["sets the rents every week"]
    s = await settled(client, REVIEWABLE + 1)
    assert s["cancelled"] >= 1
    # The index is off in these sessions: clm.reindex says so in words.
    answer = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="clm.reindex", arguments=[]))
    assert "clm.index.enable" in answer["error"]
