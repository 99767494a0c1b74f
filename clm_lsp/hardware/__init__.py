"""Hardware planning: GGUF metadata, KV-cache and memory arithmetic, machine detection, tiers.

Pure arithmetic lives in ``shape``, ``kv``, ``models``, ``tiers`` and
``budget_check``; ``gguf_meta`` reads a file header; ``machine`` is the only
module that looks at the machine. Nothing here imports llama.cpp or another
layer of clm-lsp except the pure ``blueprint`` core.
"""

from __future__ import annotations

from .gguf_meta import GGUFError, GGUFInfo, read_gguf
from .kv import KV_TYPES, USER_KV_TYPES, KVCache, bytes_per_token, kv_cache
from .machine import GiB, Machine, MemoryPool, best_pool, detect, given_pool
from .models import MODELS, ModelSpec, find_model
from .shape import ModelShape
from .tiers import TIERS, Budget, Tier, max_context, max_gpu_layers, plan, suggestions, tier_for

__all__ = [
    "GGUFError", "GGUFInfo", "read_gguf", "KV_TYPES", "USER_KV_TYPES", "KVCache", "bytes_per_token",
    "kv_cache", "GiB", "Machine", "MemoryPool", "best_pool", "detect", "given_pool", "MODELS",
    "ModelSpec", "find_model", "ModelShape", "TIERS", "Budget", "Tier", "max_context",
    "max_gpu_layers", "plan", "suggestions", "tier_for",
]
