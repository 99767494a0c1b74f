"""The index's embedder, guarded: any failure of it is one EmbedderFailed, and a backoff for retrying.

An embedder is a model (MiniLM in process, or an Ollama / OpenAI-compatible
endpoint): it can refuse, hang until its timeout, answer garbage, or return the
wrong number of vectors. Inside the indexer such a failure would look like any
other error (and fail the whole index). Wrapped here, it is recognisable, so
IndexController can fall back to a full-text index (no vectors), tell the user
once, and try the embedder again later with :class:`Backoff`.
"""

from __future__ import annotations

import os
from typing import Any

RETRY_FIRST_S = float(os.environ.get("CLM_LSP_EMBED_RETRY_S", "60"))
"""First retry of a failed embedder; the environment variable lets tests wait less."""
RETRY_MAX_S = 3600.0


class EmbedderFailed(Exception):
    """The embedder failed; the message is one line fit for a status bar.

    Deliberately not a RuntimeError/OSError: the indexer turns those into StoreError
    ("the index could not be written"), which this is not."""


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


class GuardedEmbedder:
    """Has the embedder interface the indexer needs; raises only EmbedderFailed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_id = str(getattr(inner, "model_id", "embedder"))
        self._dims: int | None = None

    @property
    def dimensions(self) -> int:
        if self._dims is None:
            try:
                dims = int(self.inner.dimensions)  # a remote embedder asks its endpoint once
            except Exception as exc:  # noqa: BLE001 - every failure of a model is the same to the index
                raise EmbedderFailed(_reason(exc)) from exc
            if dims <= 0:
                raise EmbedderFailed(f"the embedder {self.model_id!r} reports {dims} dimensions")
            self._dims = dims
        return self._dims

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        dims = self.dimensions
        try:
            vectors = self.inner.embed_batch(texts)
        except Exception as exc:  # noqa: BLE001 - see dimensions
            raise EmbedderFailed(_reason(exc)) from exc
        if not isinstance(vectors, list) or len(vectors) != len(texts):
            raise EmbedderFailed(f"the embedder {self.model_id!r} returned {len(vectors) if isinstance(vectors, list) else 'no'} vectors for {len(texts)} texts")
        for vec in vectors:
            if not hasattr(vec, "__len__") or len(vec) != dims:
                raise EmbedderFailed(f"the embedder {self.model_id!r} returned a vector that is not {dims}-dimensional")
        return vectors

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()


class Backoff:
    """Delays that double from ``first_s`` up to ``max_s``; ``reset()`` after a success."""

    def __init__(self, first_s: float = RETRY_FIRST_S, max_s: float = RETRY_MAX_S) -> None:
        self.first_s, self.max_s = first_s, max_s
        self._next = first_s

    def next(self) -> float:
        delay = self._next
        self._next = min(self.max_s, self._next * 2)
        return delay

    def reset(self) -> None:
        self._next = self.first_s
