"""Ollama through its official client: ``/api/chat`` streaming and ``/api/embed``.

Ollama has no tokenize endpoint, so :meth:`OllamaChatModel.count_tokens` is the
base class's estimate (about four characters a token); callers that budget a
prompt should keep a margin. Every failure of the client (httpx, pydantic, JSON,
``ollama.ResponseError``) becomes one :class:`ModelError` line naming the host.
Bytes that are not UTF-8 are decoded by the client as U+FFFD, as Ollama's own
server does when it encodes JSON, so such a reply is kept, not refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import ollama

from clm_lsp.llm.base import ChatModel, Embedder, GenerateOptions, Message, ModelError, ProbedDimensions
from clm_lsp.llm.cancel import CancelToken
from clm_lsp.llm.config import ModelConfig
from clm_lsp.llm.stream_bounds import bounded_pieces


class OllamaChatModel(ChatModel):
    backend = "ollama"

    def __init__(self, cfg: ModelConfig, model: str | None = None) -> None:
        self.model_id = model or cfg.model or ""
        if not self.model_id:
            raise ModelError("the ollama backend needs a model tag (setting 'model')")
        self.host = cfg.host
        self._cfg = cfg
        self._client = _client(cfg)

    def stream(
        self,
        messages: Sequence[Message],
        options: GenerateOptions | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        opts = options or GenerateOptions()
        with _errors(self.host, self._cfg.timeout_s, self.model_id):
            chunks = self._client.chat(
                model=self.model_id,
                messages=[{"role": m.role, "content": m.content} for m in messages],
                stream=True, options=_options(opts, self._cfg.n_ctx),
                keep_alive=self._cfg.keep_alive,
            )
            try:
                if not (yield from bounded_pieces(chunks, _chunk_text, opts.max_tokens, cancel)):
                    raise ModelError(f"Ollama at {self.host} ended the reply before it was done (connection dropped?)")
            finally:
                chunks.close()  # closes the HTTP stream, so Ollama stops generating

    @property
    def context_length(self) -> int:
        return self._cfg.n_ctx  # sent as options.num_ctx on every call

    def close(self) -> None:
        self._client.close()


class OllamaEmbedder(ProbedDimensions, Embedder):
    def __init__(self, cfg: ModelConfig, model: str | None = None) -> None:
        self.model_id = model or cfg.embed_model or cfg.model or ""
        if not self.model_id:
            raise ModelError("the ollama backend needs an embedding model (setting 'embed_model')")
        self.host = cfg.host
        self._cfg = cfg
        self._client = _client(cfg)
        self._dimensions: int | None = None

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with _errors(self.host, self._cfg.timeout_s, self.model_id):
            response = self._client.embed(
                model=self.model_id, input=list(texts), keep_alive=self._cfg.keep_alive
            )
            vectors = [[float(x) for x in v] for v in response.embeddings]
        if len(vectors) != len(texts) or len({len(v) for v in vectors}) > 1:
            raise ModelError(
                f"Ollama at {self.host} returned {len(vectors)} embeddings for {len(texts)} texts"
            )
        self._dimensions = len(vectors[0])
        return vectors

    def close(self) -> None:
        self._client.close()


def _client(cfg: ModelConfig) -> ollama.Client:
    timeout = httpx.Timeout(cfg.timeout_s, connect=cfg.connect_timeout_s)
    return ollama.Client(host=cfg.host, timeout=timeout)


def _options(opts: GenerateOptions, n_ctx: int) -> dict[str, Any]:
    return {
        "num_predict": opts.max_tokens, "temperature": opts.temperature,
        "top_p": opts.top_p, "num_ctx": n_ctx, **opts.stop_and_seed(),
    }


def _chunk_text(chunk: ollama.ChatResponse) -> tuple[str, bool]:
    return chunk.message.content or "", bool(chunk.done)


class _errors:
    """Context manager mapping every client failure to one ModelError line."""

    def __init__(self, host: str, timeout_s: float, model: str) -> None:
        self.host, self.timeout_s, self.model = host, timeout_s, model

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: Any) -> bool:
        if exc is None or isinstance(exc, (ModelError, GeneratorExit)):
            return False
        if not isinstance(exc, Exception):
            return False
        raise describe_ollama_error(exc, self.host, self.timeout_s, self.model) from None


def describe_ollama_error(exc: Exception, host: str, timeout_s: float, model: str) -> ModelError:
    where = f"Ollama at {host}"
    if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
        return ModelError(f"{where} did not answer within {timeout_s:g} s (timeout)")
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, ConnectionError)):
        return ModelError(f"{where} is not answering ({_connect_reason(exc)})")
    if isinstance(exc, ollama.ResponseError):
        detail = " ".join(str(exc.error).split())[:200]
        if exc.status_code == 404:
            return ModelError(f"{where} has no model {model!r} (HTTP 404: {detail}); try `ollama pull {model}`")
        return ModelError(f"{where} answered HTTP {exc.status_code}: {detail}")
    if isinstance(exc, (ValueError, TypeError, KeyError, UnicodeError)):
        # json.JSONDecodeError and pydantic's ValidationError are ValueErrors.
        return ModelError(f"{where} sent a response that is not Ollama's protocol ({type(exc).__name__})")
    if isinstance(exc, httpx.HTTPError):
        return ModelError(f"{where} failed: {type(exc).__name__}: {exc}")
    return ModelError(f"{where} failed: {type(exc).__name__}: {exc}")


def _connect_reason(exc: BaseException) -> str:
    # ollama re-raises httpx.ConnectError as a generic ConnectionError "from None";
    # the original, with the OS reason, is still its __context__.
    cause = exc.__context__ if isinstance(exc, ConnectionError) and exc.__context__ else exc
    text = str(cause).lower()
    if "refused" in text:
        return "connection refused"
    if isinstance(cause, httpx.ConnectTimeout) or "timed out" in text:
        return "connection timed out"
    if "name or service" in text or "nodename" in text or "getaddrinfo" in text:
        return "unknown host name"
    return f"cannot connect: {cause}" if str(cause) else "cannot connect"
