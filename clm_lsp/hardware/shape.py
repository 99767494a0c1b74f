"""ModelShape: the numbers of a model that memory arithmetic needs, whatever their source.

A shape comes from a GGUF header (gguf_meta.py) or from the built-in table of the
spec's models (models.py); kv.py and tiers.py only ever see shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

# Sliding-window layouts as llama.cpp applies them (llama-model.cpp, set_swa_pattern(n):
# layer il uses the window when il % n < n - 1, so every n-th layer is global).
SWA_PATTERNS = {
    "gemma2": 2,  # local, global, local, global ... (Gemma 2 config: sliding_window 4096)
    "gemma3": 6,  # five local layers, then one global (Gemma 3 config: sliding_window_pattern 6)
    "cohere2": 4,  # three local layers, then one global
}


@dataclass(frozen=True)
class ModelShape:
    name: str
    architecture: str
    n_layer: int
    n_head: tuple[int, ...]
    """Query heads per layer."""
    n_head_kv: tuple[int, ...]
    """Key/value heads per layer (grouped-query attention: fewer than n_head)."""
    head_dim_k: int
    head_dim_v: int
    n_embd: int
    n_ff: int
    n_vocab: int
    n_ctx_train: int
    """The context length the model was trained for (its window)."""
    n_swa: int = 0
    """Sliding-window size; 0 when no layer uses one."""
    swa_layers: tuple[bool, ...] = ()
    """Per layer: True when the layer attends only to the last n_swa tokens."""
    weight_bytes: int = 0
    """All tensors, as stored in the file (or estimated for the quantization named)."""
    embd_bytes: int = 0
    """The token-embedding table: llama.cpp keeps it in system memory even with every layer on the GPU."""
    layer_bytes: tuple[int, ...] = ()
    params: int = 0
    quant: str | None = None
    file_bytes: int = 0
    n_ctx_scaled: int = 0
    """Context reachable with rope scaling (YaRN) where the model card documents it; 0 if none."""

    def with_weights(self, weight_bytes: int, quant: str) -> ModelShape:
        """The same model stored with another quantization (weights scale evenly)."""
        ratio = weight_bytes / self.weight_bytes if self.weight_bytes else 1.0
        return replace(
            self,
            weight_bytes=weight_bytes,
            embd_bytes=int(self.embd_bytes * ratio),
            layer_bytes=tuple(int(b * ratio) for b in self.layer_bytes),
            quant=quant,
            file_bytes=weight_bytes,
        )

    @property
    def max_context(self) -> int:
        return max(self.n_ctx_train, self.n_ctx_scaled)

    def layer_weight_bytes(self, il: int) -> int:
        if self.layer_bytes and il < len(self.layer_bytes):
            return self.layer_bytes[il]
        return (self.weight_bytes - self.embd_bytes) // max(1, self.n_layer)


def swa_layout(architecture: str, n_layer: int, n_swa: int, pattern: Any = None) -> tuple[bool, ...]:
    """Which layers use the sliding window, from an explicit GGUF pattern or the architecture.

    Architectures not known to apply a window are treated as all-global, even when
    their config names one (Qwen2 writes a sliding_window it does not use): the
    safe side, since a global layer never needs less memory.
    """
    if n_swa <= 0:
        return (False,) * n_layer
    if isinstance(pattern, list) and len(pattern) == n_layer:
        return tuple(bool(v) for v in pattern)
    n = pattern if isinstance(pattern, int) and not isinstance(pattern, bool) and pattern > 0 else SWA_PATTERNS.get(architecture)
    if not n:
        return (False,) * n_layer
    return tuple(il % n < n - 1 for il in range(n_layer))
