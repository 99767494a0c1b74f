"""Remote backends facing broken endpoints: refused, hanging, garbage, non-UTF-8,
HTTP errors and streams that never end. Every case is a ModelError (or a bounded
reply), quickly, never a hang or a foreign exception."""

from __future__ import annotations

import json
import time

import pytest

from clm_lsp.llm.base import GenerateOptions, Message, ModelError
from clm_lsp.llm.cancel import CancelToken
from clm_lsp.llm.config import ModelConfig
from clm_lsp.llm.ollama import OllamaChatModel, OllamaEmbedder
from clm_lsp.llm.openai import OpenAIChatModel, OpenAIEmbedder
from llm_fault_servers import endless, free_port, raw_server, reply

HELLO = [Message("user", "hello")]
BACKENDS = ["ollama", "openai"]


def _cfg(backend: str, url: str, timeout_s: float = 1.0) -> ModelConfig:
    if backend == "ollama":
        return ModelConfig(backend="ollama", host=url, model="m", timeout_s=timeout_s, connect_timeout_s=1.0)
    return ModelConfig(backend="openai", base_url=url + "/v1", model="m", timeout_s=timeout_s, connect_timeout_s=1.0)


def _chat(backend: str, url: str, timeout_s: float = 1.0):
    cls = OllamaChatModel if backend == "ollama" else OpenAIChatModel
    return cls(_cfg(backend, url, timeout_s))


def _embedder(backend: str, url: str, timeout_s: float = 1.0):
    cls = OllamaEmbedder if backend == "ollama" else OpenAIEmbedder
    return cls(_cfg(backend, url, timeout_s))


def _chunk(backend: str, text: str) -> bytes:
    if backend == "ollama":
        return json.dumps({"model": "m", "created_at": "2026-01-01T00:00:00Z",
                           "message": {"role": "assistant", "content": text}, "done": False}).encode() + b"\n"
    return b"data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": text}}]}).encode() + b"\n\n"


def _stream_type(backend: str) -> str:
    return "application/x-ndjson" if backend == "ollama" else "text/event-stream"


@pytest.mark.parametrize("backend", BACKENDS)
def test_refused_connection(backend):
    url = f"http://127.0.0.1:{free_port()}"
    start = time.monotonic()
    with pytest.raises(ModelError, match=r"is not answering \(connection refused\)"):
        _chat(backend, url).generate(HELLO)
    with pytest.raises(ModelError, match="connection refused"):
        _embedder(backend, url).embed("x")
    assert time.monotonic() - start < 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_hanging_endpoint_times_out(backend):
    with raw_server(None) as url:  # accepts, never answers
        start = time.monotonic()
        with pytest.raises(ModelError, match="timeout"):
            _chat(backend, url, timeout_s=0.5).generate(HELLO)
        assert time.monotonic() - start < 3
        start = time.monotonic()
        with pytest.raises(ModelError, match="timeout"):
            _embedder(backend, url, timeout_s=0.5).embed("x")
        assert time.monotonic() - start < 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_stream_that_stalls_midway_times_out(backend):
    def stall(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: " + _stream_type(backend).encode()
                     + b"\r\nConnection: close\r\n\r\n" + _chunk(backend, "Hi"))
        time.sleep(5)

    with raw_server(stall) as url:
        received = []
        start = time.monotonic()
        with pytest.raises(ModelError, match="timeout"):
            for piece in _chat(backend, url, timeout_s=0.5).stream(HELLO):
                received.append(piece)
        assert received == ["Hi"]
        assert time.monotonic() - start < 3


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("body", [b"<html>Bad gateway</html>", b"{\"choices\": 12}\n", b"data: {not json\n\n"])
def test_garbage_response(backend, body):
    with raw_server(reply("200 OK", _stream_type(backend), body)) as url:
        with pytest.raises(ModelError) as info:
            _chat(backend, url).generate(HELLO)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("backend", BACKENDS)
def test_garbage_embeddings_reply(backend):
    with raw_server(reply("200 OK", "application/json", b"{\"data\": \"nonsense\"}")) as url:
        with pytest.raises(ModelError):
            _embedder(backend, url).embed("x")


def test_non_utf8_bytes_openai():
    body = _chunk("openai", "ok").replace(b"ok", b"\xff\xfe\xfd")
    with raw_server(reply("200 OK", "text/event-stream", body)) as url:
        with pytest.raises(ModelError, match="not UTF-8"):
            _chat("openai", url).generate(HELLO)


def test_non_utf8_bytes_ollama_become_replacement_characters():
    # The official client decodes leniently (as Ollama's Go server encodes):
    # the reply survives with U+FFFD, no exception escapes.
    done = json.dumps({"model": "m", "created_at": "2026-01-01T00:00:00Z",
                       "message": {"role": "assistant", "content": ""}, "done": True}).encode() + b"\n"
    body = _chunk("ollama", "ok").replace(b"ok", b"a\xffb") + done
    with raw_server(reply("200 OK", "application/x-ndjson", body)) as url:
        assert _chat("ollama", url).generate(HELLO) == "a\ufffdb"


@pytest.mark.parametrize("backend", BACKENDS)
def test_stream_cut_short_is_an_error(backend):
    body = _chunk(backend, "Hello")  # no final chunk / [DONE]: the connection dropped
    with raw_server(reply("200 OK", _stream_type(backend), body)) as url:
        with pytest.raises(ModelError, match="connection dropped"):
            _chat(backend, url).generate(HELLO)


@pytest.mark.parametrize("backend", BACKENDS)
def test_http_error_carries_the_servers_message(backend):
    body = json.dumps({"error": {"message": "the GPU caught fire"}} if backend == "openai"
                      else {"error": "the GPU caught fire"}).encode()
    with raw_server(reply("500 Internal Server Error", "application/json", body)) as url:
        with pytest.raises(ModelError, match="HTTP 500.*GPU caught fire"):
            _chat(backend, url).generate(HELLO)


@pytest.mark.parametrize("backend", BACKENDS)
def test_endless_stream_is_bounded_by_max_tokens(backend):
    with raw_server(endless(_stream_type(backend), _chunk(backend, "la "))) as url:
        pieces = list(_chat(backend, url).stream(HELLO, GenerateOptions(max_tokens=20)))
    assert pieces == ["la "] * 20


@pytest.mark.parametrize("backend", BACKENDS)
def test_endless_stream_of_empty_chunks_ends(backend):
    with raw_server(endless(_stream_type(backend), _chunk(backend, ""), delay_s=0.0005)) as url:
        start = time.monotonic()
        assert list(_chat(backend, url).stream(HELLO, GenerateOptions(max_tokens=10))) == []
        assert time.monotonic() - start < 5


@pytest.mark.parametrize("backend", BACKENDS)
def test_endless_stream_is_bounded_by_cancel(backend):
    cancel = CancelToken()
    received = []
    with raw_server(endless(_stream_type(backend), _chunk(backend, "la "))) as url:
        for piece in _chat(backend, url).stream(HELLO, GenerateOptions(max_tokens=100_000), cancel):
            received.append(piece)
            if len(received) == 7:
                cancel.cancel()
    assert len(received) == 7


def test_openai_event_with_an_error_object():
    body = b"data: " + json.dumps({"error": {"message": "context length exceeded"}}).encode() + b"\n\n"
    with raw_server(reply("200 OK", "text/event-stream", body)) as url:
        with pytest.raises(ModelError, match="context length exceeded"):
            _chat("openai", url).generate(HELLO)


def test_ollama_stream_with_an_error_line():
    body = _chunk("ollama", "Hi") + json.dumps({"error": "model crashed"}).encode() + b"\n"
    with raw_server(reply("200 OK", "application/x-ndjson", body)) as url:
        with pytest.raises(ModelError, match="model crashed"):
            _chat("ollama", url).generate(HELLO)
