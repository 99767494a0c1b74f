"""The Ollama backend through the official client, over real HTTP, against a
loopback server that speaks Ollama's wire protocol and generates with the bundled
model (ollama_stub_server.py); and against a real daemon when OLLAMA_HOST answers."""

from __future__ import annotations

import os
import time
import urllib.request
from collections.abc import Iterator

import ollama
import pytest

from clm_lsp.llm.base import GenerateOptions, Message, ModelError
from clm_lsp.llm.cancel import CancelToken
from clm_lsp.llm.config import ModelConfig
from clm_lsp.llm.ollama import OllamaChatModel, OllamaEmbedder
from clm_lsp.llm.registry import get_chat_model, get_embedder
from ollama_stub_server import OllamaStub, serve_ollama

RIVERS = [Message("system", "Answer in plain prose."), Message("user", "Write three sentences about rivers.")]
GREEDY = GenerateOptions(max_tokens=24, temperature=0.0, seed=0)


@pytest.fixture(scope="module")
def stub(chat_model, embedder) -> OllamaStub:
    return OllamaStub(chat_model, embedder)


@pytest.fixture(scope="module")
def host(stub) -> Iterator[str]:
    with serve_ollama(stub) as url:
        yield url


@pytest.fixture()
def cfg(host, stub) -> ModelConfig:
    return ModelConfig(backend="ollama", host=host, model=stub.model, timeout_s=30, keep_alive="7m", n_ctx=2048)


def test_the_stub_speaks_ollama_to_the_official_client(host, stub):
    client = ollama.Client(host=host)
    assert [m.model for m in client.list().models] == [stub.model]
    reply = client.chat(model=stub.model, messages=[{"role": "user", "content": "Say hi."}],
                        stream=False, options={"num_predict": 4, "temperature": 0})
    assert reply.done and reply.message.content.strip()


def test_streams_the_models_own_reply(cfg, chat_model):
    model = get_chat_model(cfg)
    assert isinstance(model, OllamaChatModel)
    pieces = list(model.stream(RIVERS, GREEDY))
    assert len(pieces) > 3
    # Same model behind the wire, same options: the same text.
    assert "".join(pieces) == chat_model.generate(RIVERS, GREEDY)


def test_options_and_keep_alive_reach_ollama(cfg, stub):
    model = OllamaChatModel(cfg)
    options = GenerateOptions(max_tokens=5, temperature=0.3, top_p=0.8, stop=("\n\n",), seed=42)
    pieces = list(model.stream(RIVERS, options))
    assert 1 <= len(pieces) <= 5
    path, body = stub.requests[-1]
    assert path == "/api/chat"
    assert body["stream"] is True
    assert body["keep_alive"] == "7m"
    assert body["messages"] == [{"role": m.role, "content": m.content} for m in RIVERS]
    assert body["options"] == {"num_predict": 5, "temperature": 0.3, "top_p": 0.8,
                               "num_ctx": 2048, "stop": ["\n\n"], "seed": 42}


def test_cancel_closes_the_stream_and_ollama_stops(cfg, stub):
    before = stub.cancelled_streams
    cancel = CancelToken()
    received = []
    for piece in OllamaChatModel(cfg).stream(RIVERS, GenerateOptions(max_tokens=400), cancel):
        received.append(piece)
        if len(received) == 3:
            cancel.cancel()
    assert len(received) == 3
    deadline = time.monotonic() + 10
    while stub.cancelled_streams == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stub.cancelled_streams == before + 1  # the server saw the hang-up


def test_embeds_through_api_embed(cfg, embedder):
    remote = get_embedder(cfg)
    assert isinstance(remote, OllamaEmbedder)
    texts = ["The harbour district floods every spring.", "Quarterly tax report"]
    vectors = remote.embed_batch(texts)
    assert remote.dimensions == embedder.dimensions
    local = embedder.embed_batch(texts)
    for a, b in zip(vectors, local):
        assert max(abs(x - y) for x, y in zip(a, b)) < 1e-6


def test_unknown_model_says_how_to_get_it(cfg):
    from dataclasses import replace

    missing = OllamaChatModel(replace(cfg, model="qwen2.5:32b-instruct-q4_K_M"))
    with pytest.raises(ModelError, match="no model 'qwen2.5:32b-instruct-q4_K_M'.*ollama pull"):
        missing.generate(RIVERS, GREEDY)
    with pytest.raises(ModelError, match="HTTP 404"):
        OllamaEmbedder(replace(cfg, model="nope", embed_model=None)).embed("x")


def test_count_tokens_is_an_estimate(cfg):
    model = OllamaChatModel(cfg)
    assert model.count_tokens("") == 0
    assert model.count_tokens("one two three four") >= 4
    assert model.context_length == 2048


def _real_ollama() -> str | None:
    host = os.environ.get("OLLAMA_HOST")
    if not host:
        return None
    url = host if host.startswith("http") else f"http://{host}"
    try:
        with urllib.request.urlopen(f"{url}/api/tags", timeout=2):
            return url
    except OSError:
        return None


@pytest.mark.skipif(_real_ollama() is None, reason="no Ollama daemon answers at $OLLAMA_HOST")
def test_against_a_real_ollama_daemon():
    host = _real_ollama()
    models = ollama.Client(host=host).list().models
    if not models:
        pytest.skip("the Ollama daemon has no model pulled")
    name = os.environ.get("OLLAMA_TEST_MODEL") or models[0].model
    model = OllamaChatModel(ModelConfig(backend="ollama", host=host, model=name))
    assert model.generate([Message("user", "Say hello.")], GenerateOptions(max_tokens=8)).strip()
