"""The doctor's report as plain data: one model, one memory pool, one context, every KV type.

Pure, so the command prints it (a table or JSON) and tests read the same numbers.
"""

from __future__ import annotations

from typing import Any

from .kv import USER_KV_TYPES
from .machine import GiB, MemoryPool
from .shape import ModelShape
from .tiers import max_context, plan, suggestions, tier_for


def report(shape: ModelShape, pool: MemoryPool, n_ctx: int, kv_type: str = "f16", *, source: str = "",
           gpu_layers: int | None = None, flash_attn: bool = True, swa_full: bool = False) -> dict[str, Any]:
    kw = {"flash_attn": flash_attn, "swa_full": swa_full}
    rows = []
    for kv in dict.fromkeys((kv_type, *USER_KV_TYPES)):
        b = plan(shape, n_ctx, kv, pool, gpu_layers=gpu_layers, **kw)
        rows.append({
            "kv_type": kv,
            "bytes_per_token": b.kv.per_token,
            "kv_bytes": b.kv.bytes,
            "total_bytes": b.total,
            "fits": b.fits,
            "max_context": max_context(shape, kv, pool, **kw),
        })
    chosen = plan(shape, n_ctx, kv_type, pool, gpu_layers=gpu_layers, **kw)
    tier = tier_for(pool.usable_bytes) if pool.kind != "ram" else None  # tiers are GPU (or unified) memory
    return {
        "model": _model(shape, source),
        "memory": {
            "kind": pool.kind, "name": pool.name, "total_bytes": pool.total_bytes,
            "usable_bytes": pool.usable_bytes, "note": pool.note,
            "tier": {"number": tier.number, "name": tier.name} if tier else None,
        },
        "context": n_ctx,
        "kv_type": kv_type,
        "plan": {
            "gpu_layers": chosen.gpu_layers,
            "weight_bytes": chosen.weights,
            "kv_bytes": chosen.kv.bytes,
            "kv_swa_layers": chosen.kv.swa_layers,
            "kv_swa_cells": chosen.kv.swa_cells,
            "compute_bytes": chosen.compute,
            "overhead_bytes": chosen.overhead,
            "total_bytes": chosen.total,
            "headroom_bytes": chosen.headroom,
            "fits": chosen.fits,
            "within_window": chosen.within_window,
            "needs_rope_scaling": chosen.needs_rope_scaling,
            "flash_attn": flash_attn,
            "swa_full": swa_full,
        },
        "kv_types": rows,
        "verdict": verdict(chosen, shape),
        "suggestions": suggestions(shape, chosen, **kw),
    }


def _model(shape: ModelShape, source: str) -> dict[str, Any]:
    return {
        "name": shape.name, "source": source, "architecture": shape.architecture, "quant": shape.quant,
        "params": shape.params, "layers": shape.n_layer, "heads": max(shape.n_head),
        "kv_heads": max(shape.n_head_kv), "head_dim": shape.head_dim_k, "embedding": shape.n_embd,
        "vocab": shape.n_vocab, "context_length": shape.n_ctx_train, "context_with_rope_scaling": shape.n_ctx_scaled,
        "sliding_window": shape.n_swa, "sliding_window_layers": sum(shape.swa_layers),
        "weight_bytes": shape.weight_bytes, "embedding_bytes_in_ram": shape.embd_bytes, "file_bytes": shape.file_bytes,
    }


def verdict(b: Any, shape: ModelShape) -> str:
    window = max(shape.n_ctx_train, shape.n_ctx_scaled)
    if not b.within_window:
        return (f"over the model's window: {shape.name} reads at most {window:,} tokens, "
                f"so a {b.n_ctx:,}-token context cannot be held at all")
    where = f"{b.pool.name} ({b.pool.usable_bytes / GiB:.1f} GiB)"
    if b.fits:
        return f"fits: {b.total / GiB:.1f} GiB of {where} with a {b.kv_type} KV cache, {b.headroom / GiB:.1f} GiB to spare"
    return (f"over the memory boundary: {b.total / GiB:.1f} GiB needed with a {b.kv_type} KV cache, {where} available; "
            "llama.cpp would spill into system memory and generate 5-20x slower")
