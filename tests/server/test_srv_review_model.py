"""Model review with the real bundled model (SmolLM2-135M-Instruct) through the server.

The tiny model rarely spots a contradiction (bench/review_eval.py measures it:
see docs/context.md), so this test asserts the plumbing, not the verdict: every
reviewable section went to the model, the run finished, whatever came back was
parsed without an error, and any diagnostic it produced is well formed. The
exact replies are checked with crafted ones in test_srv_review.py.
"""

from __future__ import annotations

import asyncio

import pytest
from lsp_helpers import client_on_files, open_doc
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient
from test_srv_review import COOP as REVIEWED_COOP
from test_srv_review import REGION

# test_srv_review's coop up to its Vision, then a timeslice that contradicts it.
COOP = REVIEWED_COOP.split("## Governance")[0] + "## Timeslice 2024\nThe board now sets the rents every month.\n"
REVIEWABLE = 2  # the Vision (against the parent's) and the planted timeslice

pytestmark = pytest.mark.slow

OPTIONS = {"index": {"enable": False}, "summaries": {"enable": False}, "review": {"enable": True, "debounceMs": 0, "maxTokens": 48}}


client = client_on_files({"riverside-region.blueprint.md": REGION, "riverside-coop.blueprint.md": COOP}, OPTIONS)


async def test_the_bundled_model_reviews_every_section_and_the_reply_is_handled(client: LanguageClient) -> None:
    uri, _text = open_doc(client, client.root / "riverside-coop.blueprint.md")  # type: ignore[attr-defined]
    deadline = asyncio.get_running_loop().time() + 120
    while True:
        stats = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="clm.reviewStats", arguments=[]))
        if stats["reviewed"] >= REVIEWABLE and stats["state"] == "idle":
            break
        assert stats["state"] != "unavailable", "the bundled model did not load"
        assert asyncio.get_running_loop().time() < deadline, f"no finished review in time: {stats}"
        await asyncio.sleep(0.25)
    assert stats["reviewed"] == REVIEWABLE and stats["runs"] >= 1
    status = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="clm.status", arguments=[]))
    assert "SmolLM2" in str(status)
    # Whatever the model said became zero or more well-formed diagnostics (and no server error).
    pulled = await client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri)))
    items = [d for d in list(pulled.items) + list(client.diagnostics.get(uri, [])) if d.source == "clm-model"]
    for d in items:
        assert d.code in ("review-contradiction", "review-gap")
        assert "SmolLM2" in d.message
        assert d.severity in (lsp.DiagnosticSeverity.Information, lsp.DiagnosticSeverity.Hint)
    assert not [m for m in client.log_messages if m.type == lsp.MessageType.Error]
