"""The KV cache: bytes per token and per context, for each cache type llama.cpp offers.

For every layer, the cache holds one key row and one value row per token:
``n_head_kv x head_dim`` elements each, stored as f16 (2 bytes), or in blocks of
32 elements as q8_0 (34 bytes) or q4_0 (18 bytes). So a context of n tokens costs
``2 x layers x kv_heads x head_dim x bytes x n`` when every layer is global.

Two llama.cpp details make the figures match what it allocates (checked against
its own log in tests/hardware/test_hw_llama_kv.py):

- the context is rounded up to a multiple of 256 cells;
- sliding-window layers (Gemma 2 and 3, Cohere 2) keep only the last
  ``window + n_ubatch`` tokens (rounded up to 256), unless the full-size SWA cache
  is asked for (``swa_full``: llama-cpp-python's default, llama-server's
  ``--swa-full``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .shape import ModelShape

KV_TYPES: dict[str, tuple[int, int]] = {
    "f32": (1, 4),
    "f16": (1, 2),
    "bf16": (1, 2),
    "q8_0": (32, 34),
    "q5_1": (32, 24),
    "q5_0": (32, 22),
    "q4_1": (32, 20),
    "q4_0": (32, 18),
    "iq4_nl": (32, 18),
}
"""Cache type -> (elements per block, bytes per block), as in ggml's type traits."""

USER_KV_TYPES = ("f16", "q8_0", "q4_0")
"""The types clm-lsp's settings offer (llm/config.py KV_CACHE_TYPES)."""

CTX_PAD = 256
N_UBATCH = 512
"""llama.cpp's default micro-batch: the SWA cache keeps this many tokens beyond the window."""


def row_bytes(n_elements: int, kv_type: str) -> int:
    block, size = KV_TYPES[kv_type]
    return -(-n_elements // block) * size


def padded(n: int, pad: int = CTX_PAD) -> int:
    return -(-max(1, n) // pad) * pad


def token_bytes_per_layer(shape: ModelShape, il: int, kv_type: str) -> int:
    kv = shape.n_head_kv[il]
    return row_bytes(kv * shape.head_dim_k, kv_type) + row_bytes(kv * shape.head_dim_v, kv_type)


def bytes_per_token(shape: ModelShape, kv_type: str = "f16") -> int:
    """Cache bytes one more token costs with every layer global (before any window cap)."""
    return sum(token_bytes_per_layer(shape, il, kv_type) for il in range(shape.n_layer))


def cells(shape: ModelShape, il: int, n_ctx: int, *, swa_full: bool = False, n_ubatch: int = N_UBATCH) -> int:
    """Tokens layer ``il`` keeps for a context of ``n_ctx``."""
    full = padded(n_ctx)
    if swa_full or not shape.swa_layers or not shape.swa_layers[il] or shape.n_swa <= 0:
        return full
    return min(full, padded(shape.n_swa + n_ubatch))


@dataclass(frozen=True)
class KVCache:
    n_ctx: int
    kv_type: str
    bytes: int
    per_token: int
    """Uncapped bytes per token (every layer global)."""
    swa_layers: int
    swa_cells: int
    """Tokens each sliding-window layer keeps (0 when none)."""

    @property
    def capped(self) -> bool:
        return self.swa_layers > 0 and self.swa_cells < padded(self.n_ctx)


def kv_cache(shape: ModelShape, n_ctx: int, kv_type: str = "f16", *, swa_full: bool = False,
             n_ubatch: int = N_UBATCH, layers: range | None = None) -> KVCache:
    """The cache llama.cpp allocates for ``n_ctx`` tokens (over ``layers``: all by default)."""
    if kv_type not in KV_TYPES:
        raise ValueError(f"unknown KV cache type {kv_type!r}; one of {', '.join(KV_TYPES)}")
    total = 0
    swa_count = swa_cells = 0
    for il in layers if layers is not None else range(shape.n_layer):
        n = cells(shape, il, n_ctx, swa_full=swa_full, n_ubatch=n_ubatch)
        if shape.swa_layers and shape.swa_layers[il] and shape.n_swa > 0:
            swa_count, swa_cells = swa_count + 1, n
        total += n * token_bytes_per_layer(shape, il, kv_type)
    return KVCache(n_ctx, kv_type, total, bytes_per_token(shape, kv_type), swa_count, swa_cells)


def kv_bytes(shape: ModelShape, n_ctx: int, kv_type: str = "f16", *, swa_full: bool = False) -> int:
    return kv_cache(shape, n_ctx, kv_type, swa_full=swa_full).bytes
