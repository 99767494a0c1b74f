"""Shared by the context-assembly tests: a real tokenizer and the workspaces to run over."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COMMONS = REPO / "fixtures" / "commons"
K8S = REPO.parent / "shared" / "corpora" / "k8s-community"


@functools.lru_cache(maxsize=1)
def bundled_counter() -> Callable[[str], int]:
    """Token counts by the bundled SmolLM2 GGUF's own tokenizer (vocabulary only: no weights loaded)."""
    import llama_cpp

    from clm_lsp.llm.bundled import require_bundled_gguf

    llm = llama_cpp.Llama(str(require_bundled_gguf()), vocab_only=True, verbose=False)
    return lambda text: len(llm.tokenize(text.encode("utf-8"), add_bos=False)) if text else 0


def no_summaries(_target: str) -> None:
    return None
