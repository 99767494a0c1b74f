"""Settings -> model: the one place that knows which class serves which backend.

Backend modules are imported lazily so that, e.g., a server configured for
Ollama never loads llama.cpp's shared library, and the default embedder (ONNX
MiniLM) never pays for any of them.
"""

from __future__ import annotations

from clm_lsp.llm.base import ChatModel, Embedder, ModelError
from clm_lsp.llm.config import ModelConfig


def get_chat_model(cfg: ModelConfig | None = None) -> ChatModel:
    """A ready chat model for ``cfg`` (the bundled GGUF by default).

    Loading a GGUF takes about a second for the bundled model and much longer
    for a large one: call this off the event loop. Raises ModelError.
    """
    cfg = cfg or ModelConfig()
    if cfg.backend == "bundled":
        from clm_lsp.llm.bundled import BUNDLED_MODEL_ID, require_bundled_gguf
        from clm_lsp.llm.llama_cpp import LlamaCppChatModel

        return LlamaCppChatModel.from_config(cfg, require_bundled_gguf(), BUNDLED_MODEL_ID)
    if cfg.backend == "llama_cpp":
        from clm_lsp.llm.llama_cpp import LlamaCppChatModel

        return LlamaCppChatModel.from_config(cfg, _required(cfg.model_path, "model_path"))
    if cfg.backend == "ollama":
        from clm_lsp.llm.ollama import OllamaChatModel

        return OllamaChatModel(cfg)
    if cfg.backend == "openai":
        from clm_lsp.llm.openai import OpenAIChatModel

        return OpenAIChatModel(cfg)
    raise ModelError(f"unknown model backend {cfg.backend!r}")


def get_embedder(cfg: ModelConfig | None = None) -> Embedder:
    """The embedder for ``cfg``: bundled ONNX MiniLM by default. Raises ModelError."""
    cfg = cfg or ModelConfig()
    if cfg.backend == "bundled":
        from clm_lsp.llm.minilm import MiniLMEmbedder

        return MiniLMEmbedder()
    if cfg.backend == "llama_cpp":
        from clm_lsp.llm.llama_cpp import LlamaCppEmbedder

        path = cfg.embed_model or _required(cfg.model_path, "model_path")
        return LlamaCppEmbedder(path, n_threads=cfg.n_threads, n_gpu_layers=cfg.n_gpu_layers)
    if cfg.backend == "ollama":
        from clm_lsp.llm.ollama import OllamaEmbedder

        return OllamaEmbedder(cfg)
    if cfg.backend == "openai":
        from clm_lsp.llm.openai import OpenAIEmbedder

        return OpenAIEmbedder(cfg)
    raise ModelError(f"unknown model backend {cfg.backend!r}")


def _required(value: str | None, name: str) -> str:
    if not value:
        raise ModelError(f"the model setting {name!r} is required for this backend")
    return value
