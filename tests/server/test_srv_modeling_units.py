"""ModelHost's plumbing: lazy loading off the loop, reload on new settings, one message on
failure, chunks hopping to the loop, cancellation reaching the model, status fields.

A real ChatModel subclass stands in for the model (the host is under test, not the
model); tests/server/test_srv_summaries.py runs the host with the bundled GGUF.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

import clm_lsp.llm as llm
from clm_lsp.llm import CancelToken, ChatModel, GenerateOptions, Message, ModelError
from clm_lsp.server.config import load_config
from clm_lsp.server.modeling import ModelHost


class Board:
    def __init__(self) -> None:
        self.model: dict[str, Any] = {}
        self.sent: list[dict[str, Any]] = []

    def update(self, model: dict[str, Any]) -> None:
        self.model = model
        self.sent.append(model)


class FakeServer:
    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        self.config = load_config(settings)[0]
        self.extensions: dict[str, Any] = {"status": Board()}
        self.shown: list[str] = []

    def show_once(self, message: str, *_args: Any) -> None:
        if message not in self.shown:
            self.shown.append(message)


class Words(ChatModel):
    """Yields its words one by one from whatever thread calls it; can fail or dawdle."""

    backend = "test"

    def __init__(self, model_id: str, words: str = "one two three", fail_after: int | None = None, delay: float = 0.0) -> None:
        self.model_id, self.words, self.fail_after, self.delay = model_id, words.split(), fail_after, delay
        self.threads: set[str] = set()
        self.closed = False
        self.saw_cancel = threading.Event()

    def stream(self, messages: Sequence[Message], options: GenerateOptions | None = None, cancel: CancelToken | None = None) -> Iterator[str]:
        self.threads.add(threading.current_thread().name)
        for i, word in enumerate(self.words):
            if cancel is not None and cancel.wait(self.delay):
                self.saw_cancel.set()
                return
            if self.fail_after is not None and i >= self.fail_after:
                raise ModelError("the endpoint went away")
            yield word + " "

    def close(self) -> None:
        self.closed = True


class Calls(list):
    make: Any = None


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """Every get_chat_model call's config; the model it returns comes from ``loads.make``."""
    calls = Calls()

    def fake(cfg: Any) -> ChatModel:
        calls.append(cfg)
        return calls.make(cfg)  # type: ignore[attr-defined]

    calls.make = lambda cfg: Words(f"m{len(calls)}")  # type: ignore[attr-defined]
    monkeypatch.setattr(llm, "get_chat_model", fake)
    return calls


MSG = [Message("user", "hi")]


def test_lazy_load_cache_reload_and_status(loads: Calls) -> None:
    server = FakeServer()
    host = ModelHost(server)
    board = server.extensions["status"]
    assert host.state == "off" and loads == [] and board.model["state"] == "off"

    async def scenario() -> None:
        first = await host.chat_model()
        assert first is not None and await host.chat_model() is first and len(loads) == 1
        assert await host.generate(MSG) == "one two three "
        assert first.threads and all(t.startswith("clm-model") for t in first.threads)  # never the loop's
        server.config = load_config({"model": {"nCtx": 2048}})[0]
        second = await host.chat_model()
        assert second is not first and first.closed and loads[-1].n_ctx == 2048

    asyncio.run(scenario())
    states = [m["state"] for m in board.sent]
    assert states[:2] == ["loading", "ready"] and "off" in states[2:]
    assert board.model["state"] == "ready" and board.model["id"] == "m2" and board.model["tokens_per_s"] > 0
    host.close()


def test_a_model_that_cannot_load_is_told_once_and_not_retried_at_once(loads: Calls) -> None:
    def broken(cfg: Any) -> ChatModel:
        raise ModelError("model file /x.gguf does not exist")

    loads.make = broken  # type: ignore[attr-defined]
    server = FakeServer()
    host = ModelHost(server)

    async def scenario() -> None:
        assert await host.chat_model() is None
        assert await host.generate(MSG) is None
        assert await host.chat_model() is None

    asyncio.run(scenario())
    assert len(loads) == 1 and host.state == "failed"
    assert server.shown == ["the model could not load: model file /x.gguf does not exist. Hover shows extractive summaries."]
    assert "/x.gguf" in server.extensions["status"].model["message"]


def test_a_failure_mid_generation_drops_the_model_and_says_why(loads: Calls) -> None:
    loads.make = lambda cfg: Words("flaky", fail_after=1)  # type: ignore[attr-defined]
    server = FakeServer()
    host = ModelHost(server)
    assert asyncio.run(host.generate(MSG)) is None
    assert host.state == "failed" and any("the endpoint went away" in m for m in server.shown)


def test_streaming_chunks_and_cancelling_the_task_stops_the_model(loads: Calls) -> None:
    slow = Words("slow", words="a b c d e f g h", delay=0.2)
    loads.make = lambda cfg: slow  # type: ignore[attr-defined]
    host = ModelHost(FakeServer())

    async def scenario() -> list[str]:
        got: list[str] = []

        async def consume() -> None:
            async for piece in host.stream(MSG):
                got.append(piece)

        task = asyncio.create_task(consume())
        while len(got) < 2:
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return got

    got = asyncio.run(scenario())
    assert got[:2] == ["a ", "b "] and len(got) < 8
    assert slow.saw_cancel.wait(5)  # the model saw the token within one word


def test_a_callers_cancel_token_reaches_the_model(loads: Calls) -> None:
    slow = Words("slow", words="a b c d e f", delay=0.2)
    loads.make = lambda cfg: slow  # type: ignore[attr-defined]
    host = ModelHost(FakeServer())
    token = CancelToken()

    async def scenario() -> str | None:
        asyncio.get_running_loop().call_later(0.3, token.cancel)
        return await host.generate(MSG, GenerateOptions(max_tokens=8), token)

    text = asyncio.run(scenario())
    assert text is not None and len(text.split()) < 6 and slow.saw_cancel.is_set()
