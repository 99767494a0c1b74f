"""Anchor summaries end to end: `clm-lsp serve` over stdio (pytest-lsp), the real Kuzu
index, the bundled SmolLM2 GGUF through llama.cpp, on a copy of two fixtures/commons
blueprints in tmp_path (a small workspace keeps the model's work to seconds).

Checked: hover shows the model's summary (and says who wrote it) after the worker ran;
an edit regenerates exactly the edited section's chain (section, entity, parent tree)
and reuses everything else; the graph holds each summary with SUMMARIZES edges to what
it was made from; a model that cannot load leaves hover extractive with one message.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsp_helpers import COMMONS, SERVER, change_doc, doc_id, open_doc, position, start_session, wait_until
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

pytestmark = pytest.mark.slow

HARBOUR = "kestrel-bay/kestrel-bay-harbour.blueprint.md"
TOWN = "kestrel-bay/kestrel-bay.blueprint.md"
OPTIONS = {"index": {"enable": True}, "summaries": {"enable": True, "maxTokens": 24}}
MODEL_ID = "SmolLM2-135M-Instruct-Q4_1"
CHAIN = ["L0:kestrel-bay-harbour#forum", "L1:kestrel-bay-harbour", "T:kestrel-bay"]


@pytest.fixture
def small(tmp_path: Path) -> Path:
    if not COMMONS.is_dir():
        pytest.skip("fixtures/commons is not there")
    root = tmp_path / "ws"
    for rel in (HARBOUR, TOWN):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(_first_sections((COMMONS / rel).read_text(encoding="utf-8"), 3), encoding="utf-8")
    shutil.copy(COMMONS / "clm.toml", root / "clm.toml")
    return root


def _first_sections(text: str, keep: int) -> str:
    """The blueprint up to its ``keep``-th `## ` section: the model's work stays a few seconds."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith("## ")]
    return "".join(lines[: starts[keep]] if len(starts) > keep else lines)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, small: Path):
    lsp_client.root = small  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def _summaries(client: LanguageClient) -> list[dict[str, Any]]:
    """The summaries states in order. clm/status carries the last one in every status (an
    index or model change re-sends it), so a repeat is dropped: it is not a new run."""
    out: list[dict[str, Any]] = []
    for status in client.statuses:  # type: ignore[attr-defined]
        state = status.get("model", {}).get("summaries")
        if isinstance(state, dict) and (not out or state != out[-1]):
            out.append(state)
    return out


async def _run_finished(client: LanguageClient, after: int, timeout: float = 600) -> dict[str, Any]:
    """The first summary run that ended (idle) after the ``after``-th summaries status."""
    await wait_until(lambda: any(s["state"] == "idle" for s in _summaries(client)[after:]), timeout)
    return next(s for s in _summaries(client)[after:] if s["state"] == "idle")


async def _hover(client: LanguageClient, uri: str, text: str, needle: str) -> str:
    hover = await client.text_document_hover_async(lsp.HoverParams(doc_id(uri), position(client, text, needle, 4)))
    assert hover is not None
    return hover.contents.value


async def test_hover_summary_edit_chain_and_graph(client: LanguageClient, small: Path) -> None:
    client.init_result = await start_session(client, small, "visual_studio_code", OPTIONS)  # type: ignore[attr-defined]
    harbour = small / HARBOUR
    uri, text = open_doc(client, harbour)
    first = await _hover(client, uri, text, "## Forum")  # answered at once, long before any summary exists
    assert "Formed in 2022" in first

    done = await _run_finished(client, 0)
    assert done["total"] >= 7 and done["written"] + done["extractive"] + done["reused"] == done["total"]
    card = await _hover(client, uri, text, "## Forum")
    assert f"Summary by {MODEL_ID} (anchor summary)" in card or "extractive fallback" in card
    assert "pending" not in card

    # Edit one section and save: exactly its chain (section, entity, parent tree) is written again.
    before = len(_summaries(client))
    at = text.index("Six-member steering")
    new_text = text[:at] + "Eight-member steering" + text[at + len("Six-member steering"):]
    change_doc(client, uri, 2, text, position(client, text, "Six-member"), position(client, text, "Six-member", 10), "Eight-member")
    harbour.write_text(new_text, encoding="utf-8")
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(doc_id(uri), text=new_text))
    try:
        await wait_until(lambda: _settled(client, before), 600)
    except AssertionError:
        raise AssertionError(f"no settled run after the edit: {_summaries(client)[before:]}") from None
    runs = [s for s in _summaries(client)[before:] if s["state"] in ("idle", "stopped") and "written" in s]
    rewritten = [key for s in runs for key in s["written_keys"]]
    # Exactly the chain from the edited section up, in order (higher levels are keyed by
    # their inputs' keys, so each level is rewritten even if a new summary reads the same).
    assert rewritten == CHAIN, runs
    last = runs[-1]
    assert last["state"] == "idle" and last["reused"] + len(last["written_keys"]) == last["total"], runs
    await client.shutdown_session()
    client.shutdown_session = _noop  # type: ignore[method-assign]
    _check_graph(small, new_text)


def _settled(client: LanguageClient, before: int) -> bool:
    """A run that wrote something finished (idle: it did every target) after the edit."""
    return any(s["state"] == "idle" and s.get("written_keys") for s in _summaries(client)[before:])


async def _noop() -> None:
    return None


def _shown(client: LanguageClient) -> list[str]:
    """window/showMessage texts (pytest-lsp records them on client.messages)."""
    return [m.message for m in client.messages]


def _check_graph(root: Path, harbour_text: str) -> None:
    from clm_lsp.blueprint import parse
    from clm_lsp.index.graph import Graph

    bp, _ = parse(harbour_text, (root / HARBOUR).as_uri())
    forum = bp.section_by_anchor("forum")
    graph = Graph(root / ".clm" / "graph.kuzu")
    try:
        (l0,) = [r for r in graph.summaries_of("kestrel-bay-harbour#forum") if r.model_id == MODEL_ID]
        assert l0.source_hash == forum.content_hash and l0.level == 0 and not l0.stale
        (l1,) = graph.summaries_of(l0.id)
        assert l1.id.startswith("L1:kestrel-bay-harbour|") and l1.level == 1
        sources = graph.sources_of(l1.id)
        assert all(kind == "summary" for kind, _ in sources) and (("summary", l0.id) in sources)
        (tree,) = graph.summaries_of(l1.id)
        assert tree.id.startswith("T:kestrel-bay|") and tree.level == 2
        assert {sid for _k, sid in graph.sources_of(tree.id)} == {l1.id, f"L1:kestrel-bay|{MODEL_ID}|s1"}
    finally:
        graph.close()


async def test_a_model_that_cannot_load_leaves_hover_extractive(client: LanguageClient, small: Path) -> None:
    options = {**OPTIONS, "model": {"backend": "llama_cpp", "modelPath": str(small / "missing.gguf")}}
    client.init_result = await start_session(client, small, "neovim", options)  # type: ignore[attr-defined]
    uri, text = open_doc(client, small / HARBOUR)
    statuses = client.statuses  # type: ignore[attr-defined]
    await wait_until(lambda: any(s["model"].get("state") == "failed" for s in statuses), 60)
    failed = next(s for s in statuses if s["model"].get("state") == "failed")
    assert "missing.gguf" in failed["model"]["message"]
    await wait_until(lambda: any("missing.gguf" in m and "could not load" in m for m in _shown(client)), 30)  # type: ignore[attr-defined]
    card = await _hover(client, uri, text, "## Forum")
    assert "Formed in 2022" in card and "anchor summaries unavailable" in card
    # The index still opened (without vectors: the embedder is the same missing file).
    await wait_until(lambda: any(s["index"].get("state") == "ready" for s in statuses), 60)
    messages = [m for m in _shown(client) if "missing.gguf" in m]
    assert len(messages) == len(set(messages)) == 2  # once for the embedder, once for the chat model


def test_model_and_summaries_settings_map_onto_model_config() -> None:
    from clm_lsp.server.config import load_config, model_config

    cfg, warnings = load_config({"model": {"backend": "llama_cpp", "modelPath": "/m.gguf", "nThreads": 2, "timeoutS": 5},
                                 "summaries": {"maxTokens": 30}}, None)
    mc, warning = model_config(cfg.model)
    assert warnings == [] and warning is None
    assert (mc.backend, mc.model_path, mc.n_threads, mc.timeout_s) == ("llama_cpp", "/m.gguf", 2, 5)
    assert cfg.summaries.enable and cfg.summaries.max_tokens == 30 and cfg.index.enable
    cfg, warnings = load_config({"model": {"backend": "ollama", "nThreads": 0}}, None)
    mc, warning = model_config(cfg.model)
    assert warnings == ["clm.model.nThreads: must be between 1 and 1024, got 0; using None"]
    assert mc.backend == "bundled" and warning is not None and "needs model" in warning
