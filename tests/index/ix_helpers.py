"""Helpers shared by the index tests (importable; conftest.py holds the fixtures)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
COMMONS = REPO / "fixtures" / "commons"


class HashEmbedder:
    """Bag of hashed words in 64 dimensions, L2-normalised; counts what it is asked to embed."""

    model_id = "test-hash-64"
    dimensions = 64

    def __init__(self) -> None:
        self.calls = 0
        self.texts: list[str] = []

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        self.texts.extend(texts)
        out = []
        for text in texts:
            vec = np.zeros(self.dimensions, dtype=np.float32)
            for word in text.lower().split():
                vec[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimensions] += 1.0
            norm = float(np.linalg.norm(vec)) or 1.0
            out.append((vec / norm).tolist())
        return out

    def embed(self, text: str) -> list[float]:
        return self.embed_batch([text])[0]


def blueprint(entity: str, *, parent: str | None = None, scale: str = "organization", body: str = "") -> str:
    """A small valid blueprint text."""
    fm = f"---\nid: {entity}\nscale: {scale}\n" + (f"parent: {parent}\n" if parent else "") + "---\n"
    return fm + f"# {entity.replace('-', ' ').title()}\n\n## Vision\nThe vision of {entity}.\n\n" + body
