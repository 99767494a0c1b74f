"""Any OpenAI-compatible endpoint (llama.cpp's llama-server, vLLM, LM Studio).

Stdlib HTTP only (see :mod:`clm_lsp.llm.http_json`): ``POST /chat/completions``
with ``"stream": true`` read as server-sent events, and ``POST /embeddings``.
The API key, when one is needed, comes from the environment variable NAMED in
``api_key_env``, so no key is ever written in a settings file.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from typing import Any

from clm_lsp.llm.base import ChatModel, Embedder, GenerateOptions, Message, ModelError, ProbedDimensions
from clm_lsp.llm.cancel import CancelToken
from clm_lsp.llm.config import ModelConfig
from clm_lsp.llm.http_json import Endpoint, post_json, post_sse
from clm_lsp.llm.stream_bounds import bounded_pieces


def endpoint_from_config(cfg: ModelConfig) -> Endpoint:
    if not cfg.base_url:
        raise ModelError("the openai backend needs base_url (e.g. http://127.0.0.1:8000/v1)")
    headers: tuple[tuple[str, str], ...] = ()
    if cfg.api_key_env:
        key = os.environ.get(cfg.api_key_env)
        if not key:
            raise ModelError(f"environment variable {cfg.api_key_env} (api_key_env) is not set")
        headers = (("Authorization", f"Bearer {key}"),)
    return Endpoint(cfg.base_url, cfg.connect_timeout_s, cfg.timeout_s, headers)


class OpenAIChatModel(ChatModel):
    backend = "openai"

    def __init__(self, cfg: ModelConfig, model: str | None = None) -> None:
        self.endpoint = endpoint_from_config(cfg)
        # Single-model servers (llama-server) accept any name; keep one for logs.
        self.model_id = model or cfg.model or "default"
        self._n_ctx = cfg.n_ctx

    def stream(
        self,
        messages: Sequence[Message],
        options: GenerateOptions | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        opts = options or GenerateOptions()
        events = post_sse(self.endpoint, "/chat/completions", self._body(messages, opts))
        try:
            # A stream that ends without finish_reason keeps what came (as before the bound).
            yield from bounded_pieces(events, lambda event: _delta(self.endpoint, event), opts.max_tokens, cancel)
        finally:
            events.close()

    def _body(self, messages: Sequence[Message], opts: GenerateOptions) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model_id,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True, "max_tokens": opts.max_tokens,
            "temperature": opts.temperature, "top_p": opts.top_p, **opts.stop_and_seed(),
        }
        return body

    @property
    def context_length(self) -> int:
        return self._n_ctx  # the endpoint does not say; the setting is our budget


class OpenAIEmbedder(ProbedDimensions, Embedder):
    def __init__(self, cfg: ModelConfig, model: str | None = None) -> None:
        self.endpoint = endpoint_from_config(cfg)
        self.model_id = model or cfg.embed_model or cfg.model or "default"
        self._dimensions: int | None = None
        self._one_text_per_request = False

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        if self._one_text_per_request and len(texts) > 1:
            return [vector for text in texts for vector in self.embed_batch([text])]
        reply = post_json(self.endpoint, "/embeddings", {"model": self.model_id, "input": list(texts)})
        if len(texts) > 1 and _is_token_level(reply):
            # llama_cpp.server (0.3.x) slices per-token vectors of the 2nd and later
            # texts of a batch at the wrong offset (tokens, not floats), so their
            # vectors are wrong. Only the first text is right: ask one at a time.
            self._one_text_per_request = True
            return self.embed_batch(texts)
        vectors = _vectors(self.endpoint, reply, len(texts))
        self._dimensions = len(vectors[0])
        return vectors


def _is_token_level(reply: Any) -> bool:
    try:
        return isinstance(reply["data"][0]["embedding"][0], list)
    except (KeyError, IndexError, TypeError):
        return False


def _delta(endpoint: Endpoint, event: Any) -> tuple[str, bool]:
    """(text piece, finished?) of one chat.completion.chunk event."""
    if isinstance(event, dict) and "error" in event:
        error = event["error"]
        message = error.get("message", error) if isinstance(error, dict) else error
        raise ModelError(f"{endpoint.label} reported an error: {' '.join(str(message).split())[:200]}")
    try:
        choice = event["choices"][0] if event["choices"] else {}
        content = (choice.get("delta") or {}).get("content") or ""
        finished = bool(choice.get("finish_reason"))
    except (KeyError, IndexError, TypeError, AttributeError):
        raise ModelError(f"{endpoint.label} sent an event that is not a chat completion chunk") from None
    if not isinstance(content, str):
        raise ModelError(f"{endpoint.label} sent non-text content in a chat completion chunk")
    return content, finished


def _vectors(endpoint: Endpoint, reply: Any, expected: int) -> list[list[float]]:
    try:
        rows = sorted(reply["data"], key=lambda row: row.get("index", 0))
        vectors = [_one_vector(row["embedding"]) for row in rows]
    except (KeyError, TypeError, ValueError, AttributeError, ZeroDivisionError):
        raise ModelError(f"{endpoint.label} sent a reply that is not an embeddings list") from None
    if len(vectors) != expected or not vectors or len({len(v) for v in vectors}) != 1:
        raise ModelError(f"{endpoint.label} returned {len(vectors)} embeddings for {expected} texts")
    return vectors


def _one_vector(embedding: Any) -> list[float]:
    """The text's vector; per-token vectors are mean-pooled and L2-normalised.

    llama_cpp.server (and llama-server without --pooling) answer a model that has
    no pooling of its own, such as a chat GGUF, with one vector per token. Mean
    pooling is what LlamaCppEmbedder does in process, so both agree.
    """
    if embedding and isinstance(embedding[0], list):
        width = len(embedding[0])
        sums = [0.0] * width
        for token in embedding:
            if len(token) != width:
                raise ValueError("ragged token embeddings")
            for i, x in enumerate(token):
                sums[i] += float(x)
        norm = math.sqrt(sum(x * x for x in sums)) or 1.0
        return [x / norm for x in sums]
    return [float(x) for x in embedding]
