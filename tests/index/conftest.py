"""Fixtures for the index tests: real Kuzu and LanceDB stores in tmp_path.

The embedder here is a small deterministic one (hashed word counts): fast and
exact, so the tests can count embeddings and check search ranks. The real
default embedder is exercised by test_ix_real_embedder.py and the CLI test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ix_helpers import HashEmbedder

from clm_lsp.blueprint import DEFAULT_CONFIG


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def open_indexer(embedder: HashEmbedder):
    """open_indexer(root, **kw) -> Indexer, closed at the end of the test."""
    from clm_lsp.index import Indexer

    opened = []

    def make(root: Path, emb=embedder, **kw):
        ix = Indexer(root, emb, DEFAULT_CONFIG, **kw)
        opened.append(ix)
        return ix

    yield make
    for ix in opened:
        ix.close()
