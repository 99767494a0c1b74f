"""llama-cpp-python in process: any GGUF, the model's own chat template.

One :class:`~clm_lsp.llm.worker.ModelWorker` thread owns each ``Llama`` (llama.cpp
is not thread-safe per context). Every generation starts from an empty KV cache
(``llm.reset()``, no ``LlamaCache``): llama-cpp-python otherwise reuses a matching
prompt prefix, and the continuation can then differ from a cold run, which breaks
"same seed + temperature 0 = same text".
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llama_cpp

from clm_lsp.llm.base import ChatModel, Embedder, GenerateOptions, Message, ModelError
from clm_lsp.llm.cancel import CancelToken
from clm_lsp.llm.config import ModelConfig
from clm_lsp.llm.gguf_check import check_gguf
from clm_lsp.llm.worker import ModelWorker

_KV_TYPES = {
    "f16": llama_cpp.GGML_TYPE_F16,
    "q8_0": llama_cpp.GGML_TYPE_Q8_0,
    "q4_0": llama_cpp.GGML_TYPE_Q4_0,
}
# Texts longer than this many tokens are truncated before embedding.
EMBED_BATCH_TOKENS = 512


@dataclass
class Usage:
    """What the last generation did (for tests, benches and status lines)."""

    pieces: int = 0
    finish_reason: str = ""
    """"stop" (end of turn or stop string), "length" (max_tokens) or "cancelled"."""


class LlamaCppChatModel(ChatModel):
    backend = "llama_cpp"

    def __init__(
        self,
        model_path: str | Path,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_gpu_layers: int = 0,
        kv_cache_type: str = "f16",
        model_id: str | None = None,
    ) -> None:
        path = check_gguf(model_path, n_gpu_layers=n_gpu_layers)
        if kv_cache_type not in _KV_TYPES:
            raise ModelError(f"unknown KV cache type {kv_cache_type!r} (f16, q8_0, q4_0)")
        self.model_path = path
        self.model_id = model_id or path.stem
        self.last_usage = Usage()
        kwargs = _llama_kwargs(path, n_ctx, n_threads, n_gpu_layers, kv_cache_type)
        self._worker: ModelWorker[llama_cpp.Llama] = ModelWorker(
            lambda: llama_cpp.Llama(**kwargs),
            name=f"llama-cpp-chat:{path.name}",
            describe_error=lambda exc: describe_llama_error(exc, path, n_ctx),
        )
        self._llm: llama_cpp.Llama = self._worker.call(lambda llm: llm)
        self._n_ctx = int(self._llm.n_ctx())
        # Guards tokenize() against close(): tokenizing only reads the vocabulary,
        # which llama.cpp allows from any thread, but not after the model is freed.
        self._tokenize_lock = threading.Lock()
        self._closed = False

    @classmethod
    def from_config(cls, cfg: ModelConfig, model_path: str | Path, model_id: str | None = None) -> LlamaCppChatModel:
        return cls(
            model_path, n_ctx=cfg.n_ctx, n_threads=cfg.n_threads,
            n_gpu_layers=cfg.n_gpu_layers, kv_cache_type=cfg.kv_cache_type,
            model_id=model_id,
        )

    def stream(
        self,
        messages: Sequence[Message],
        options: GenerateOptions | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[str]:
        usage = Usage()
        self.last_usage = usage
        job = _chat_job([_message_dict(m) for m in messages], options or GenerateOptions(), usage)
        yield from self._worker.stream(job, cancel)
        if cancel is not None and cancel.cancelled:
            usage.finish_reason = "cancelled"

    def count_tokens(self, text: str) -> int:
        """Tokens by the model's own tokenizer (no BOS, special tokens as text)."""
        with self._tokenize_lock:
            if self._closed:
                raise ModelError("the model was closed")
            return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False))

    @property
    def context_length(self) -> int:
        return self._n_ctx

    def close(self) -> None:
        with self._tokenize_lock:
            self._closed = True
        self._worker.close()


class LlamaCppEmbedder(Embedder):
    """Mean-pooled, L2-normalised embeddings from any GGUF, in process."""

    def __init__(
        self,
        model_path: str | Path,
        *,
        n_threads: int | None = None,
        n_gpu_layers: int = 0,
        model_id: str | None = None,
    ) -> None:
        path = check_gguf(model_path, n_gpu_layers=n_gpu_layers)
        self.model_path = path
        self.model_id = model_id or path.stem
        kwargs: dict[str, Any] = dict(
            model_path=str(path), embedding=True, verbose=False,
            pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN,
            # Non-causal embedding models need a whole sequence in one micro-batch.
            n_ctx=EMBED_BATCH_TOKENS, n_batch=EMBED_BATCH_TOKENS,
            n_ubatch=EMBED_BATCH_TOKENS, n_gpu_layers=n_gpu_layers,
        )
        if n_threads is not None:
            kwargs.update(n_threads=n_threads, n_threads_batch=n_threads)
        self._worker: ModelWorker[llama_cpp.Llama] = ModelWorker(
            lambda: llama_cpp.Llama(**kwargs),
            name=f"llama-cpp-embed:{path.name}",
            describe_error=lambda exc: describe_llama_error(exc, path, EMBED_BATCH_TOKENS),
        )
        self.dimensions = int(self._worker.call(lambda llm: llm.n_embd()))

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        # A text with no tokens (a model without BOS, an empty string) cannot be
        # decoded; a single space embeds as "nothing much" instead.
        safe = [text if text.strip() else " " for text in texts]
        vectors = self._worker.call(lambda llm: llm.embed(safe, normalize=True, truncate=True))
        return [[float(x) for x in vector] for vector in vectors]

    def close(self) -> None:
        self._worker.close()


def _llama_kwargs(path: Path, n_ctx: int, n_threads: int | None, n_gpu_layers: int, kv: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = dict(
        model_path=str(path), n_ctx=n_ctx, n_gpu_layers=n_gpu_layers,
        type_k=_KV_TYPES[kv], type_v=_KV_TYPES[kv], verbose=False,
        # llama.cpp only quantizes the V cache with flash attention on.
        flash_attn=kv != "f16",
    )
    if n_threads is not None:
        kwargs.update(n_threads=n_threads, n_threads_batch=n_threads)
    return kwargs


def _message_dict(message: Message) -> dict[str, str]:
    return {"role": message.role, "content": message.content}


def _chat_job(messages: list[dict[str, str]], options: GenerateOptions, usage: Usage):
    def job(llm: llama_cpp.Llama, stop: threading.Event) -> Iterator[str]:
        llm.reset()  # cold start every time: see the module docstring
        chunks = llm.create_chat_completion(
            messages=messages, stream=True, max_tokens=options.max_tokens,
            temperature=options.temperature, top_p=options.top_p,
            stop=list(options.stop) or None, seed=options.seed,
        )
        try:
            for chunk in chunks:
                if stop.is_set():
                    usage.finish_reason = "cancelled"
                    return
                choice = chunk["choices"][0]
                piece = choice.get("delta", {}).get("content")
                if choice.get("finish_reason"):
                    usage.finish_reason = choice["finish_reason"]
                if piece:
                    usage.pieces += 1
                    yield piece
        finally:
            chunks.close()

    return job


def describe_llama_error(exc: BaseException, path: Path, n_ctx: int) -> ModelError:
    """One user-facing line for a llama.cpp failure."""
    text = str(exc)
    if "Failed to load model" in text:
        return ModelError(f"llama.cpp could not load {path}: the file is corrupt, truncated or not a supported GGUF model")
    if "Failed to create llama_context" in text:
        return ModelError(f"llama.cpp could not create a {n_ctx}-token context for {path.name}: not enough memory? try a smaller n_ctx")
    if "exceed context window" in text:
        return ModelError(f"the prompt is too long for {path.name}: {text}")
    return ModelError(f"llama.cpp failed on {path.name}: {type(exc).__name__}: {text}")
