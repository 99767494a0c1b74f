"""Does a model with a given context fit in memory, and what would fit instead?

Pure arithmetic over a :class:`ModelShape` and a :class:`MemoryPool`:

    device bytes = weights on the device + KV cache + compute buffer + runtime overhead

"The VRAM hard boundary" of the spec: once that sum exceeds the GPU's memory,
llama.cpp must keep layers (or the cache) in system memory, and generation falls
from GPU-memory to system-memory bandwidth: 5-20x slower.
"""

from __future__ import annotations

from dataclasses import dataclass

from .kv import KVCache, USER_KV_TYPES, kv_cache, padded
from .machine import GiB, MemoryPool
from .models import MODELS, QUANT_RATIO
from .shape import ModelShape

MAX_SEARCH_CONTEXT = 1 << 20


@dataclass(frozen=True)
class Tier:
    number: int
    name: str
    memory_bytes: int
    hardware: str


TIERS = (
    Tier(1, "Prosumer", 24 * GiB, "one 24 GB consumer GPU (RTX 3090, RTX 4090) or an Apple Silicon Mac with 32-64 GB"),
    Tier(2, "Professional", 48 * GiB, "a 48 GB workstation GPU (RTX 6000 Ada, RTX A6000), two 24 GB GPUs, or a Mac with 96-192 GB"),
    Tier(3, "Enterprise", 80 * GiB, "data-centre GPUs (A100/H100 80 GB, H200 141 GB) serving an OpenAI-compatible endpoint (vLLM, llama-server)"),
)


def tier_for(usable_bytes: int) -> Tier | None:
    """The largest tier this much memory reaches (5% slack: a 24 GB card shows 23.99 GiB)."""
    found = None
    for tier in TIERS:
        if usable_bytes >= tier.memory_bytes * 0.95:
            found = tier
    return found


def tier_needed(device_bytes: int) -> Tier | None:
    """The smallest tier whose memory holds ``device_bytes``; None when even Tier 3 is too small."""
    for tier in TIERS:
        if device_bytes <= tier.memory_bytes:
            return tier
    return None


def compute_buffer_bytes(shape: ModelShape, n_ctx: int, *, flash_attn: bool = True, n_ubatch: int = 512) -> int:
    """llama.cpp's scratch memory for one micro-batch (an estimate; within ~12% of its log).

    The logits of a micro-batch (vocabulary x 512 x f32) usually dominate; without
    flash attention the attention scores (context x 512 x heads x f32) can exceed them.
    """
    logits = shape.n_vocab * n_ubatch * 4
    attn = 0 if flash_attn else padded(n_ctx) * n_ubatch * (max(shape.n_head) * 4 + 2)
    work = n_ubatch * 4 * (3 * shape.n_ff + 4 * shape.n_embd)
    return max(logits, attn) + work


@dataclass(frozen=True)
class Budget:
    model: str
    quant: str | None
    n_ctx: int
    kv_type: str
    pool: MemoryPool
    gpu_layers: int
    weights: int
    """Weight bytes on the device (the token-embedding table stays in system memory)."""
    kv: KVCache
    compute: int
    overhead: int
    n_ctx_train: int
    n_ctx_scaled: int = 0

    @property
    def total(self) -> int:
        return self.weights + self.kv.bytes + self.compute + self.overhead

    @property
    def fits(self) -> bool:
        return self.total <= self.pool.usable_bytes

    @property
    def headroom(self) -> int:
        return self.pool.usable_bytes - self.total

    @property
    def within_window(self) -> bool:
        return self.n_ctx <= max(self.n_ctx_train, self.n_ctx_scaled) or not self.n_ctx_train

    @property
    def needs_rope_scaling(self) -> bool:
        return bool(self.n_ctx_train) and self.n_ctx_train < self.n_ctx <= self.n_ctx_scaled


def plan(shape: ModelShape, n_ctx: int, kv_type: str, pool: MemoryPool, *, gpu_layers: int | None = None,
         flash_attn: bool = True, swa_full: bool = False) -> Budget:
    """The memory a model with ``n_ctx`` tokens of context needs on the device."""
    n_gpu = shape.n_layer if gpu_layers is None else max(0, min(gpu_layers, shape.n_layer))
    layers = range(shape.n_layer - n_gpu, shape.n_layer)  # llama.cpp offloads the last layers first
    weights = sum(shape.layer_weight_bytes(il) for il in layers)
    if pool.kind == "ram":  # CPU only: every tensor, the embedding table too, is in this memory
        n_gpu, layers, weights = shape.n_layer, range(shape.n_layer), shape.weight_bytes
    elif n_gpu == shape.n_layer:
        weights = shape.weight_bytes - shape.embd_bytes  # with every layer: the output layer too
    kv = kv_cache(shape, n_ctx, kv_type, swa_full=swa_full, layers=layers)
    compute = compute_buffer_bytes(shape, n_ctx, flash_attn=flash_attn) if n_gpu else 0
    return Budget(shape.name, shape.quant, n_ctx, kv_type, pool, n_gpu, weights, kv, compute,
                  pool.overhead_bytes, shape.n_ctx_train, shape.n_ctx_scaled)


def max_context(shape: ModelShape, kv_type: str, pool: MemoryPool, *, cap: int | None = None, **kw: object) -> int:
    """The largest context (a multiple of 256) that fits with every layer on the device; 0 if none.

    Capped at the model's own window (with documented rope scaling) unless ``cap`` says otherwise:
    memory for a longer context than the model can read is of no use.
    """
    limit = cap if cap is not None else (shape.max_context or MAX_SEARCH_CONTEXT)
    lo, hi = 0, max(1, limit) // 256
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if plan(shape, mid * 256, kv_type, pool, **kw).fits:  # type: ignore[arg-type]
            lo = mid
        else:
            hi = mid - 1
    return lo * 256


def max_gpu_layers(shape: ModelShape, n_ctx: int, kv_type: str, pool: MemoryPool, **kw: object) -> int:
    """How many layers fit on the device with this context (the rest run from system memory)."""
    best = 0
    for n in range(shape.n_layer + 1):
        if plan(shape, n_ctx, kv_type, pool, gpu_layers=n, **kw).fits:  # type: ignore[arg-type]
            best = n
        else:
            break
    return best


def suggestions(shape: ModelShape, budget: Budget, *, flash_attn: bool = True, swa_full: bool = False) -> list[str]:
    """What would fit instead, most useful first; empty when the plan fits and the window holds it."""
    out: list[str] = []
    kw = {"flash_attn": flash_attn, "swa_full": swa_full}
    n, pool = budget.n_ctx, budget.pool
    if not budget.within_window:
        longer = [s.title for s in MODELS if s.n_ctx_train >= n or s.n_ctx_scaled >= n]
        out.append(
            f"{shape.name} was trained for {shape.n_ctx_train:,} tokens: a {n:,}-token context cannot be held at all. "
            f"Let the context assembler compress it to at most {shape.n_ctx_train:,} tokens"
            + (f", or use a model with a longer window ({', '.join(longer)})" if longer else "")
        )
        return out  # memory advice for a context the model cannot read would mislead
    if budget.needs_rope_scaling:
        factor = -(-n // shape.n_ctx_train)
        out.append(f"{n:,} tokens is beyond the {shape.n_ctx_train:,} the model was trained for: enable YaRN rope "
                   f"scaling (factor {factor}, original context {shape.n_ctx_train:,}) as its model card describes")
    if budget.fits:
        return out
    out += _cheaper_cache(shape, budget, kw) + _smaller_quant(shape, budget, kw)
    layers = max_gpu_layers(shape, n, budget.kv_type, pool, **kw)
    if 0 < layers < shape.n_layer:
        out.append(f"offload {layers} of {shape.n_layer} layers to the GPU (n_gpu_layers={layers}); the rest run "
                   "from system memory, so expect generation several times slower")
    fit_ctx = max_context(shape, budget.kv_type, pool, **kw)
    if fit_ctx:
        out.append(f"a shorter context: at most {fit_ctx:,} tokens fit with a {budget.kv_type} KV cache")
    out += _smaller_models(shape, budget, kw)
    needed = tier_needed(budget.total)
    where = f"Tier {needed.number} ({needed.name}, {needed.memory_bytes // GiB} GB)" if needed else "a multi-GPU server"
    out.append(f"or serve it from a bigger GPU box, {where}, through an OpenAI-compatible server (vLLM or "
               "llama-server) and set the model backend to openai with its base URL")
    return out


def _cheaper_cache(shape: ModelShape, budget: Budget, kw: dict) -> list[str]:
    order = list(USER_KV_TYPES)
    start = order.index(budget.kv_type) + 1 if budget.kv_type in order else 0
    for kv_type in order[start:]:
        alt = plan(shape, budget.n_ctx, kv_type, budget.pool, **kw)
        if alt.fits:
            return [f"quantize the KV cache to {kv_type}: {gib(alt.total)} in all, {gib(alt.headroom)} to spare "
                    f"(cache {gib(alt.kv.bytes)} instead of {gib(budget.kv.bytes)})"]
    return []


def _smaller_quant(shape: ModelShape, budget: Budget, kw: dict) -> list[str]:
    current = QUANT_RATIO.get((shape.quant or "").upper())
    if current is None:
        return []
    for quant in ("Q4_K_S", "IQ4_XS", "Q3_K_M"):
        ratio = QUANT_RATIO[quant]
        if ratio >= current:
            continue
        smaller = shape.with_weights(int(shape.weight_bytes * ratio / current), quant)
        for kv_type in USER_KV_TYPES:
            alt = plan(smaller, budget.n_ctx, kv_type, budget.pool, **kw)
            if alt.fits:
                return [f"a smaller quantization: {quant} (about {gib(smaller.weight_bytes)} of weights) fits with a "
                        f"{kv_type} KV cache, at some cost in quality"]
    return []


def _smaller_models(shape: ModelShape, budget: Budget, kw: dict) -> list[str]:
    found = []
    for spec in MODELS:
        if spec.title == shape.name or spec.params >= (shape.params or 1 << 62):
            continue
        if budget.n_ctx > max(spec.n_ctx_train, spec.n_ctx_scaled):
            continue
        for kv_type in USER_KV_TYPES:
            alt = plan(spec.shape(), budget.n_ctx, kv_type, budget.pool, **kw)
            if alt.fits:
                found.append(f"a smaller model: {spec.title} Q4_K_M fits with a {kv_type} KV cache ({gib(alt.total)})")
                break
    return found


def gib(n: int) -> str:
    return f"{n / GiB:.1f} GiB"
