"""The context-budget check: would holding a blueprint in one context cross the boundary?

Pure: a blueprint (or a token count), a model shape and a memory pool in; a
verdict, a code-lens line and at most one CLM025 problem out. The server's
budget feature and ``clm-lsp doctor --workspace`` both call it.

Two boundaries, in this order:
- the model's window: more tokens than the model was trained for (with the rope
  scaling its card documents) cannot be read at all; the context assembler then
  hands the model summaries instead (Information);
- memory: weights + KV cache + buffers above the device's memory push llama.cpp
  into system memory, 5-20x slower (Warning).
"""

from __future__ import annotations

from dataclasses import dataclass

from clm_lsp.blueprint.codes import CONTEXT_BUDGET
from clm_lsp.blueprint.model import Blueprint, Problem, Range, Severity
from clm_lsp.blueprint.tokens import estimate_tokens

from .machine import MemoryPool
from .shape import ModelShape
from .tiers import Budget, gib, max_context, plan

PROMPT_RESERVE = 1024
"""Tokens kept for the instructions and the answer beside the blueprint's own text."""

FITS, OVER_MEMORY, OVER_WINDOW = "fits", "over-memory", "over-window"


@dataclass(frozen=True)
class ContextCheck:
    tokens: int
    """The blueprint's own tokens (estimated: clm_lsp.blueprint.tokens errs high)."""
    budget: Budget
    """The plan for ``tokens + PROMPT_RESERVE`` tokens of context."""
    max_fit: int
    """The largest context that fits this memory (capped at the model's window): the default budget."""
    state: str

    @property
    def window(self) -> int:
        return max(self.budget.n_ctx_train, self.budget.n_ctx_scaled)


def check_tokens(tokens: int, shape: ModelShape, pool: MemoryPool, kv_type: str = "f16", *,
                 reserve: int = PROMPT_RESERVE, flash_attn: bool = True, swa_full: bool = False) -> ContextCheck:
    n_ctx = max(256, tokens + reserve)
    budget = plan(shape, n_ctx, kv_type, pool, flash_attn=flash_attn, swa_full=swa_full)
    best = max_context(shape, kv_type, pool, flash_attn=flash_attn, swa_full=swa_full)
    if not budget.within_window:
        state = OVER_WINDOW
    elif not budget.fits:
        state = OVER_MEMORY
    else:
        state = FITS
    return ContextCheck(tokens, budget, best, state)


def check_blueprint(bp: Blueprint, shape: ModelShape, pool: MemoryPool, kv_type: str = "f16", **kw: object) -> ContextCheck:
    return check_tokens(estimate_tokens(bp.text), shape, pool, kv_type, **kw)  # type: ignore[arg-type]


def lens_title(check: ContextCheck) -> str:
    b = check.budget
    head = f"Context ≈{check.tokens:,} tokens · KV {gib(b.kv.bytes)} ({b.kv_type}) · {gib(b.total)} of {gib(b.pool.usable_bytes)}"
    if check.state == OVER_WINDOW:
        return f"{head} · over {b.model}'s {check.window:,}-token window"
    if check.state == OVER_MEMORY:
        return f"{head} · over the memory boundary (at most {check.max_fit:,} tokens fit)"
    return f"{head} · fits"


def problem(check: ContextCheck, bp: Blueprint) -> Problem | None:
    """The CLM025 problem for a blueprint that crosses a boundary, on its title; None when it fits."""
    if check.state == FITS:
        return None
    b = check.budget
    where = bp.title_range or Range.of(0, 0)
    figures = {
        "tokens": check.tokens, "contextTokens": b.n_ctx, "kvBytes": b.kv.bytes, "kvType": b.kv_type,
        "weightBytes": b.weights, "totalBytes": b.total, "memoryBytes": b.pool.usable_bytes,
        "memory": b.pool.name, "model": b.model, "window": check.window, "maxFit": check.max_fit,
    }
    if check.state == OVER_WINDOW:
        message = (f"Context budget: this blueprint is about {check.tokens:,} tokens, more than {b.model}'s "
                   f"{check.window:,}-token window; the model will see it only through anchor summaries")
        return Problem(CONTEXT_BUDGET, Severity.INFORMATION, where, message, data=figures)
    message = (
        f"Context budget: this blueprint is about {check.tokens:,} tokens; one context holding it ({b.n_ctx:,} "
        f"tokens) needs {gib(b.total)} ({gib(b.weights)} weights + {gib(b.kv.bytes)} {b.kv_type} KV cache + "
        f"{gib(b.compute + b.overhead)} buffers) but {b.pool.name} has {gib(b.pool.usable_bytes)}: over the memory "
        f"boundary, where generation runs 5-20x slower. At most {check.max_fit:,} tokens fit; a quantized KV "
        "cache or a smaller budget keeps it inside"
    )
    return Problem(CONTEXT_BUDGET, Severity.WARNING, where, message, data=figures)
