"""The OpenAI-compatible backend against a REAL server: ``python -m llama_cpp.server``
serving the bundled GGUF on 127.0.0.1, started and killed by the fixture."""

from __future__ import annotations

import math
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from clm_lsp.llm.base import GenerateOptions, Message, ModelError
from clm_lsp.llm.cancel import CancelToken
from clm_lsp.llm.config import ModelConfig
from clm_lsp.llm.openai import OpenAIChatModel, OpenAIEmbedder
from clm_lsp.llm.registry import get_chat_model, get_embedder
from llm_fault_servers import free_port

pytest.importorskip("llama_cpp.server", reason="needs llama-cpp-python[server] (the dev extra)")

RIVERS = [Message("user", "Write three sentences about rivers.")]


@pytest.fixture(scope="module")
def server_url(bundled_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = (tmp_path_factory.mktemp("llama-server") / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_gguf),
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
         "--embedding", "true", "--n_threads", "1"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_up(base, proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def _wait_until_up(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/models", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("llama_cpp.server did not start within 90 s")


@pytest.fixture(scope="module")
def cfg(server_url: str) -> ModelConfig:
    return ModelConfig(backend="openai", base_url=server_url, model="smollm2", timeout_s=30)


def test_streams_a_chat_reply(cfg):
    model = get_chat_model(cfg)
    assert isinstance(model, OpenAIChatModel)
    pieces = list(model.stream(RIVERS, GenerateOptions(max_tokens=24)))
    assert len(pieces) > 3
    assert "".join(pieces).strip()


def test_seed_and_temperature_reach_the_server(cfg):
    # Sampled text repeats only if the seed is sent; greedy text differs from it.
    model = OpenAIChatModel(cfg)
    sampled = GenerateOptions(max_tokens=24, temperature=1.5, seed=7)
    first = model.generate(RIVERS, sampled)
    assert model.generate(RIVERS, sampled) == first
    assert model.generate(RIVERS, GenerateOptions(max_tokens=24, temperature=1.5, seed=8)) != first


def test_max_tokens_and_stop_reach_the_server(cfg):
    model = OpenAIChatModel(cfg)
    assert 1 <= len(list(model.stream(RIVERS, GenerateOptions(max_tokens=3)))) <= 3
    assert " " not in model.generate(RIVERS, GenerateOptions(max_tokens=30, stop=(" ",)))


def test_cancel_stops_the_stream(cfg):
    cancel = CancelToken()
    received = []
    for piece in OpenAIChatModel(cfg).stream(RIVERS, GenerateOptions(max_tokens=300), cancel):
        received.append(piece)
        if len(received) == 3:
            cancel.cancel()
    assert len(received) == 3


def test_embeds_a_batch(cfg, embedder):
    remote = get_embedder(cfg)
    assert isinstance(remote, OpenAIEmbedder)
    texts = ["The harbour district floods every spring.", "Quarterly tax report"]
    vectors = remote.embed_batch(texts)
    assert remote.dimensions == 576
    assert [len(v) for v in vectors] == [576, 576]
    for vector in vectors:
        assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, rel_tol=1e-4)
    # The server returns per-token vectors; mean-pooled here, they match the
    # in-process embedder's (same GGUF, same pooling) up to float noise. The
    # second text checks the one-text-per-request workaround for the server's
    # batch bug (see OpenAIEmbedder.embed_batch).
    local = embedder.embed_batch(texts)
    for a, b in zip(vectors, local):
        assert sum(x * y for x, y in zip(a, b)) > 0.99


def test_dead_port_is_a_quick_model_error():
    dead = ModelConfig(backend="openai", base_url=f"http://127.0.0.1:{free_port()}/v1")
    start = time.monotonic()
    with pytest.raises(ModelError, match="not answering \\(connection refused\\)"):
        OpenAIChatModel(dead).generate(RIVERS)
    with pytest.raises(ModelError, match="connection refused"):
        OpenAIEmbedder(dead).embed("x")
    assert time.monotonic() - start < 2


def test_wrong_path_is_an_http_model_error(server_url):
    wrong = ModelConfig(backend="openai", base_url=server_url.removesuffix("/v1") + "/nope")
    with pytest.raises(ModelError, match="HTTP 404"):
        OpenAIChatModel(wrong).generate(RIVERS)


def test_api_key_comes_from_the_named_environment_variable(cfg, monkeypatch):
    from dataclasses import replace

    keyed = replace(cfg, api_key_env="CLM_TEST_KEY")
    monkeypatch.delenv("CLM_TEST_KEY", raising=False)
    with pytest.raises(ModelError, match="CLM_TEST_KEY"):
        OpenAIChatModel(keyed)
    monkeypatch.setenv("CLM_TEST_KEY", "sk-test")
    model = OpenAIChatModel(keyed)
    assert ("Authorization", "Bearer sk-test") in model.endpoint.headers
    assert model.generate(RIVERS, GenerateOptions(max_tokens=2))
