"""The model layer: chat models and embedders behind one small interface.

Backends (llama.cpp in process, Ollama, OpenAI-compatible HTTP) live in their own
modules and are imported lazily by :mod:`clm_lsp.llm.registry`.
"""

from __future__ import annotations

from clm_lsp.llm import base
from clm_lsp.llm.base import *  # noqa: F403 - the interface, re-exported as base.__all__ names it
from clm_lsp.llm.config import ModelConfig
from clm_lsp.llm.registry import get_chat_model, get_embedder

__all__ = [*base.__all__, "ModelConfig", "get_chat_model", "get_embedder"]
