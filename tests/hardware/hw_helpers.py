"""Tiny GGUF models written with the `gguf` package, and llama.cpp's own report of what it allocates."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

MIB = 1 << 20


def write_tiny_gguf(path: Path, arch: str = "gemma2", *, n_layer: int = 4, n_embd: int = 64, n_head: int = 2,
                    n_kv: int = 1, head_dim: int = 32, n_ff: int = 128, n_vocab: int = 32, ctx: int = 2048,
                    swa: int = 256) -> Path:
    """A real (random-weight) model llama.cpp loads: the shape is all that matters here."""
    import gguf

    w = gguf.GGUFWriter(str(path), arch)
    w.add_name(f"tiny-{arch}")
    w.add_context_length(ctx)
    w.add_embedding_length(n_embd)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_layer_norm_rms_eps(1e-6)
    if swa:
        w.add_sliding_window(swa)
    if arch == "gemma2":
        w.add_attn_logit_softcapping(50.0)
        w.add_final_logit_softcapping(30.0)
    w.add_tokenizer_model("none")  # llama.cpp's "no vocabulary": no tokenizer tables needed
    w.add_vocab_size(n_vocab)
    rng = np.random.default_rng(0)

    def t(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    ones = np.ones(n_embd, np.float32)
    w.add_tensor("token_embd.weight", t(n_vocab, n_embd))
    w.add_tensor("output_norm.weight", ones)
    for i in range(n_layer):
        p = f"blk.{i}."
        for name in ("attn_norm", "post_attention_norm", "ffn_norm", "post_ffw_norm"):
            w.add_tensor(p + name + ".weight", ones)
        w.add_tensor(p + "attn_q.weight", t(n_head * head_dim, n_embd))
        w.add_tensor(p + "attn_k.weight", t(n_kv * head_dim, n_embd))
        w.add_tensor(p + "attn_v.weight", t(n_kv * head_dim, n_embd))
        w.add_tensor(p + "attn_output.weight", t(n_embd, n_head * head_dim))
        w.add_tensor(p + "ffn_gate.weight", t(n_ff, n_embd))
        w.add_tensor(p + "ffn_up.weight", t(n_ff, n_embd))
        w.add_tensor(p + "ffn_down.weight", t(n_embd, n_ff))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


_LOAD = """
import sys, llama_cpp
from llama_cpp import Llama
path, n_ctx, kv, swa_full = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
types = {"f16": llama_cpp.GGML_TYPE_F16, "q8_0": llama_cpp.GGML_TYPE_Q8_0, "q4_0": llama_cpp.GGML_TYPE_Q4_0}
Llama(path, n_ctx=n_ctx, n_threads=1, verbose=True, type_k=types[kv], type_v=types[kv],
      flash_attn=kv != "f16", swa_full=swa_full)
"""
_SIZE = re.compile(r"llama_kv_cache: size =\s+([\d.]+) MiB \(\s*(\d+) cells,\s+(\d+) layers")
_COMPUTE = re.compile(r"CPU compute buffer size =\s+([\d.]+) MiB")


def llama_report(path: Path, n_ctx: int, kv: str = "f16", swa_full: bool = False) -> dict:
    """What llama.cpp says it allocated: [(MiB, cells, layers)] per KV cache, and the compute buffer."""
    done = subprocess.run([sys.executable, "-c", _LOAD, str(path), str(n_ctx), kv, "1" if swa_full else "0"],
                          capture_output=True, text=True, timeout=120, check=False)
    log = done.stderr + done.stdout
    assert done.returncode == 0, log[-2000:]
    caches = [(float(m), int(c), int(n)) for m, c, n in _SIZE.findall(log)]
    compute = _COMPUTE.search(log)
    assert caches and compute, log[-2000:]
    return {"caches": caches, "compute_mib": float(compute.group(1))}
