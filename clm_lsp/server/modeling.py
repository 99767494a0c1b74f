"""ModelHost: the server's one chat model, loaded lazily off the event loop.

Set as ``server.extensions["model"]`` by ``setup.create_server``. Startup never
touches the model: the first caller that needs it (the summary worker, later
synthesis and review) pays for loading, in the host's own thread.

API (all coroutines run on the event loop; none blocks it):

``await host.chat_model() -> ChatModel | None``
    The model for the current ``clm.model`` settings, loaded on first use and
    cached; reloaded when the settings changed since it was loaded. None when it
    cannot load (missing or corrupt GGUF, dead endpoint, bad settings): the user
    is told once (showMessage + log) and clm/status says ``failed`` with the
    reason. A failed load (or generation) is retried after the settings change,
    or after a delay that doubles from ``RETRY_AFTER_S`` (60 s) up to an hour with
    each failure in a row (an endpoint that comes back); a success resets it.

``await host.generate(messages, options=None, cancel=None) -> str | None``
    The whole reply, or None when there is no model or it failed mid-way.
    Cancelling the awaiting task cancels ``cancel`` (or an internal token), so
    the model stops within a token; the task then sees CancelledError.

``host.stream(messages, options=None, cancel=None) -> AsyncIterator[str]``
    The same, chunk by chunk: the model runs in the host's thread and each
    chunk hops to the loop. Raises ModelError on a backend failure.

``host.model_id`` / ``host.backend``: of the loaded model ("" before).
``host.state``: "off" (not loaded yet) | "loading" | "ready" | "failed".
``host.report(**fields)``: add fields (summary counts, say) to the model part
    of clm/status. ``host.close()``: at shutdown: cancel every generation in
    flight (llama.cpp stops within a token), release the model, and refuse to
    load one again (``chat_model()`` is then None).

Generations run one at a time on one thread: a local model already uses every
core it is given, and llama.cpp's context is not thread-safe anyway.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import time
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from .config import model_config

if TYPE_CHECKING:
    from clm_lsp.llm import CancelToken, ChatModel, GenerateOptions, Message, ModelConfig

    from .server import ClmLanguageServer

log = logging.getLogger(__name__)

RETRY_AFTER_S = float(os.environ.get("CLM_LSP_MODEL_RETRY_S", "60"))
"""First retry after a failure (the environment variable lets tests wait less)."""
RETRY_MAX_S = 3600.0
_POLL_S = 0.05
_END = object()


class ModelHost:
    def __init__(self, server: ClmLanguageServer) -> None:
        self.server = server
        self.state = "off"
        self.message = ""
        self.tokens_per_s: float | None = None
        self._model: ChatModel | None = None
        self._cfg: ModelConfig | None = None
        self._failed_at: float | None = None
        self._retry_s = RETRY_AFTER_S
        """The wait before the next try: doubles with each failure in a row."""
        self._lock: asyncio.Lock | None = None
        self._thread: concurrent.futures.ThreadPoolExecutor | None = None
        self._extra: dict[str, Any] = {}
        self._active: set[CancelToken] = set()
        """The tokens of the generations in flight: close() cancels them."""
        self._closed = False
        board = server.extensions.get("status")
        if board is not None:  # the first clm/status already says "off", not the board's placeholder
            board.model = self.status()

    # -- the model -------------------------------------------------------------------

    @property
    def model_id(self) -> str:
        return self._model.model_id if self._model is not None else ""

    @property
    def backend(self) -> str:
        return self._model.backend if self._model is not None else ""

    def current_config(self) -> ModelConfig:
        cfg, warning = model_config(self.server.config.model)
        if warning:
            self.server.show_once(warning)
        return cfg

    async def chat_model(self) -> ChatModel | None:
        """The loaded model for the current settings (loading it if needed), or None."""
        if self._closed:
            return None
        cfg = self.current_config()
        if self._model is not None and cfg == self._cfg:
            return self._model
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if cfg != self._cfg:
                await self._unload()
                self._cfg, self._failed_at, self._retry_s = cfg, None, RETRY_AFTER_S
            if self._model is None and self._may_try() and not self._closed:
                await self._load(cfg)
        if self._closed:  # shut down while it loaded: release it at once
            self.close()
            return None
        return self._model

    def _may_try(self) -> bool:
        return self._failed_at is None or time.monotonic() - self._failed_at >= self._retry_s

    async def _load(self, cfg: ModelConfig) -> None:
        from clm_lsp.llm import ModelError, get_chat_model

        self._set_state("loading", "")
        started = time.perf_counter()
        try:
            model = await self._run(get_chat_model, cfg)
        except ModelError as exc:
            self._fail(f"the model could not load: {exc}. Hover shows extractive summaries.")
            return
        except Exception as exc:  # noqa: BLE001 - a library bug must not take the server down
            log.exception("loading the model failed")
            self._fail(f"the model could not load ({type(exc).__name__}: {exc}). Hover shows extractive summaries.")
            return
        self._model = model
        log.info("model %s (%s) loaded in %.1f s", model.model_id, model.backend, time.perf_counter() - started)
        self._set_state("ready", "")

    async def _unload(self) -> None:
        model, self._model = self._model, None
        if model is not None:
            await self._run(_close_quietly, model)
            self._set_state("off", "settings changed")

    def _fail(self, message: str) -> None:
        if self._failed_at is not None:  # failed again after a retry: wait longer next time
            self._retry_s = min(RETRY_MAX_S, self._retry_s * 2)
        self._failed_at = time.monotonic()
        log.info("the model is tried again in %g s at the earliest", self._retry_s)
        self._set_state("failed", message)
        self.server.show_once(message)

    # -- generating ------------------------------------------------------------------

    async def generate(
        self, messages: Sequence[Message], options: GenerateOptions | None = None, cancel: CancelToken | None = None
    ) -> str | None:
        """The whole reply, or None when no model is available or it failed (told once)."""
        chunks: list[str] = []
        try:
            async for piece in self.stream(messages, options, cancel):
                chunks.append(piece)
        except _NoModel:
            return None
        except Exception as exc:  # noqa: BLE001 - ModelError or a backend bug: fall back, say why
            await self._generation_failed(exc)
            return None
        self._failed_at, self._retry_s = None, RETRY_AFTER_S  # it works (again): the next failure waits the least
        return "".join(chunks)

    async def stream(
        self, messages: Sequence[Message], options: GenerateOptions | None = None, cancel: CancelToken | None = None
    ) -> AsyncIterator[str]:
        """Chunks of the reply as the model writes them; raises ModelError on a backend failure."""
        model = await self.chat_model()
        if model is None:
            raise _NoModel
        token = _linked_token(cancel)
        self._active.add(token)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        started = time.perf_counter()

        def produce() -> int:
            # The host's thread: pull chunks, hand each to the loop; count tokens at the end.
            text: list[str] = []
            try:
                for piece in model.stream(messages, options, token):
                    text.append(piece)
                    loop.call_soon_threadsafe(queue.put_nowait, piece)
            except BaseException as exc:  # noqa: BLE001 - re-raised on the loop
                loop.call_soon_threadsafe(queue.put_nowait, _Failure(exc))
                return 0
            loop.call_soon_threadsafe(queue.put_nowait, _END)
            return model.count_tokens("".join(text))

        future = loop.run_in_executor(self._executor(), produce)
        finished = False
        try:
            while (item := await queue.get()) is not _END:
                if isinstance(item, _Failure):
                    raise item.exc
                yield item
            finished = True
        finally:
            self._active.discard(token)
            if not finished:
                token.cancel()  # the consumer left early (cancelled, break, error): stop the model
        tokens = await future
        self._note_speed(tokens, time.perf_counter() - started)

    async def _generation_failed(self, exc: BaseException) -> None:
        from clm_lsp.llm import ModelError

        if not isinstance(exc, ModelError):
            log.error("the model failed", exc_info=(type(exc), exc, exc.__traceback__))
        reason = str(exc) if isinstance(exc, ModelError) else f"{type(exc).__name__}: {exc}"
        # Drop the model: the next use reloads it (an endpoint that came back) after the pause.
        await self._unload()
        self._fail(f"the model failed: {reason}. Hover shows extractive summaries.")

    def _note_speed(self, tokens: int, seconds: float) -> None:
        if tokens > 0 and seconds > 0:
            speed = tokens / seconds
            # Smoothed, so one short reply does not swing the status bar.
            self.tokens_per_s = speed if self.tokens_per_s is None else 0.7 * self.tokens_per_s + 0.3 * speed
            self._send()

    # -- plumbing --------------------------------------------------------------------

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._thread is None:
            self._thread = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="clm-model")
        return self._thread

    async def _run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor(), fn, *args)

    def report(self, **fields: Any) -> None:
        """Add (or replace) fields of the model part of clm/status and send it."""
        self._extra.update(fields)
        self._send()

    def _set_state(self, state: str, message: str) -> None:
        self.state, self.message = state, message
        self._send()

    def status(self) -> dict[str, Any]:
        cfg = self._cfg
        out: dict[str, Any] = {
            "state": self.state,
            "id": self.model_id or None,
            "backend": self.backend or (cfg.backend if cfg is not None else None),
            "message": self.message,
            "tokens_per_s": round(self.tokens_per_s, 1) if self.tokens_per_s is not None else None,
        }
        out.update(self._extra)
        return out

    def _send(self) -> None:
        board = self.server.extensions.get("status")
        if board is not None:
            board.update(model=self.status())

    def close(self) -> None:
        """Stop every generation, release the model and the thread (shutdown). Safe to call twice.

        Never waits: a generation in flight sees its token cancelled and stops within a
        token (llama.cpp) or a read timeout (HTTP backends) on its own thread."""
        self._closed = True
        for token in list(self._active):
            token.cancel()
        self._active.clear()
        model, self._model = self._model, None
        thread, self._thread = self._thread, None
        if thread is not None:
            if model is not None:
                thread.submit(_close_quietly, model)
            thread.shutdown(wait=False, cancel_futures=False)
        elif model is not None:
            _close_quietly(model)


class _NoModel(Exception):
    """No model could be had (already told to the user)."""


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _linked_token(parent: CancelToken | None) -> CancelToken:
    """A token of our own (so leaving early never cancels the caller's), also cancelled by ``parent``."""
    from clm_lsp.llm import CancelToken

    class Linked(CancelToken):
        @property
        def cancelled(self) -> bool:
            return super().cancelled or (parent is not None and parent.cancelled)

        def check(self) -> None:
            if self.cancelled:
                super().cancel()
            super().check()

        def wait(self, timeout: float | None = None) -> bool:
            # Our own event, but also the parent's: poll it (a backend waits at most a token).
            deadline = None if timeout is None else time.monotonic() + timeout
            while not self.cancelled:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                super().wait(_POLL_S if left is None else min(_POLL_S, left))
            return True

    return Linked()


def _close_quietly(model: Any) -> None:
    try:
        model.close()
    except Exception:  # noqa: BLE001 - closing is best effort
        log.exception("the model did not close cleanly")
