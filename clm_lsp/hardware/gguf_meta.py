"""A model's architecture from its GGUF header, without loading a single weight.

Reads the key/value metadata and the tensor directory of a GGUF file (versions 2
and 3, little-endian) with ``struct`` alone: no llama.cpp, no numpy. Large arrays
(the tokenizer's 150k-entry vocabulary) are skipped, not kept: only their length
is recorded, which is how the vocabulary size is known. Tensor sizes come from
the gaps between tensor data offsets, so every future quantization type is
measured correctly; a short table of common types only serves to notice a
truncated file.

``clm_lsp/llm/gguf_check.py`` checks the magic bytes before llama.cpp opens a
file; this module reads on from there. The two stay separate because the layer
rules keep ``hardware`` and ``llm`` independent of each other.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from .shape import ModelShape, swa_layout

GGUF_MAGIC = b"GGUF"
_KEEP_ARRAY = 64
"""Arrays up to this length are kept (per-layer head counts); longer ones only counted."""
_MAX_COUNT = 1 << 28
_MAX_STRING = 64 << 20
"""Bounds that turn a corrupt or hostile header into a clear error, not a huge allocation."""

# GGUF value types -> struct format (scalars); 8 = string, 9 = array.
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9

FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
    17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
    23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
    29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
}
"""``general.file_type`` (llama.cpp's ``llama_ftype``) -> the name people use."""


class GGUFError(ValueError):
    """The file is not a GGUF model this reader understands; the message says why."""


@dataclass(frozen=True)
class GGUFInfo:
    path: str
    file_size: int
    version: int
    metadata: dict[str, Any]
    """Every scalar and short array; long arrays appear as ``("<array>", length)``."""
    tensor_bytes: dict[str, int] = field(default_factory=dict)
    """Tensor name -> bytes in the file."""
    tensor_elements: dict[str, int] = field(default_factory=dict)

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", "unknown"))

    def arch_value(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(f"{self.architecture}.{key}", default)

    @property
    def file_type(self) -> str | None:
        code = self.metadata.get("general.file_type")
        return FILE_TYPES.get(code, f"type {code}") if isinstance(code, int) else None

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) else None

    @property
    def vocab_size(self) -> int:
        tokens = self.metadata.get("tokenizer.ggml.tokens")
        if isinstance(tokens, tuple) and tokens and tokens[0] == "<array>":
            return int(tokens[1])
        if isinstance(tokens, list):
            return len(tokens)
        return int(self.arch_value("vocab_size", 0) or 0)

    def shape(self) -> ModelShape:
        """The numbers the KV-cache and memory arithmetic needs (GGUFError when missing)."""
        return shape_from_gguf(self)


def read_gguf(path: str | Path) -> GGUFInfo:
    """Read the header of ``path``; GGUFError with a one-line reason when it cannot."""
    p = Path(path).expanduser()
    try:
        size = p.stat().st_size
        with p.open("rb") as handle:
            return _read(handle, str(p), size)
    except FileNotFoundError:
        raise GGUFError(f"model file {p} does not exist") from None
    except IsADirectoryError:
        raise GGUFError(f"model path {p} is a folder, not a GGUF file") from None
    except OSError as exc:
        raise GGUFError(f"model file {p} cannot be read ({exc.strerror or exc})") from None


class _Reader:
    def __init__(self, handle: BinaryIO, size: int) -> None:
        self.h, self.size = handle, size

    def take(self, n: int) -> bytes:
        data = self.h.read(n)
        if len(data) != n:
            raise GGUFError("the header ends early: the file is truncated (an interrupted download?)")
        return data

    def unpack(self, fmt: str) -> Any:
        return struct.unpack("<" + fmt, self.take(struct.calcsize(fmt)))[0]

    def count(self, what: str) -> int:
        n = self.unpack("Q")
        if n > _MAX_COUNT:
            raise GGUFError(f"implausible {what} count {n}: the header is corrupt")
        return n

    def string(self) -> str:
        n = self.unpack("Q")
        if n > _MAX_STRING or n > self.size:
            raise GGUFError(f"implausible string length {n}: the header is corrupt")
        return self.take(n).decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        n = self.unpack("Q")
        if n > _MAX_STRING or n > self.size:
            raise GGUFError(f"implausible string length {n}: the header is corrupt")
        self.h.seek(n, 1)

    def value(self, vtype: int) -> Any:
        if vtype in _SCALARS:
            return self.unpack(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            return self.array()
        raise GGUFError(f"unknown metadata value type {vtype}: the header is corrupt or too new")

    def array(self) -> Any:
        etype = self.unpack("I")
        n = self.count("array")
        if n <= _KEEP_ARRAY:
            return [self.value(etype) for _ in range(n)]
        if etype in _SCALARS:
            self.h.seek(n * struct.calcsize(_SCALARS[etype]), 1)
        elif etype == _STRING:
            for _ in range(n):
                self.skip_string()
        else:
            for _ in range(n):
                self.value(etype)
        return ("<array>", n)


def _read(handle: BinaryIO, path: str, size: int) -> GGUFInfo:
    r = _Reader(handle, size)
    magic = handle.read(4)
    if magic != GGUF_MAGIC:
        raise GGUFError(f"{path} is not a GGUF file (wrong header)")
    version = r.unpack("I")
    if version not in (2, 3):
        swapped = struct.unpack(">I", struct.pack("<I", version))[0]
        if swapped in (2, 3):
            raise GGUFError(f"{path} is a big-endian GGUF file; only little-endian files are supported")
        raise GGUFError(f"{path} has GGUF version {version}; versions 2 and 3 are supported")
    n_tensors, n_kv = r.count("tensor"), r.count("metadata")
    metadata: dict[str, Any] = {}
    for _ in range(n_kv):
        key = r.string()
        metadata[key] = r.value(r.unpack("I"))
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        n_dims = r.unpack("I")
        if n_dims > 8:
            raise GGUFError(f"tensor {name!r} has {n_dims} dimensions: the header is corrupt")
        dims = [r.unpack("Q") for _ in range(n_dims)]
        ttype = r.unpack("I")
        infos.append((name, dims, r.unpack("Q"), ttype))
    alignment = metadata.get("general.alignment", 32)
    alignment = alignment if isinstance(alignment, int) and alignment > 0 else 32
    data_start = -(-handle.tell() // alignment) * alignment
    sizes, elements = _tensor_sizes(infos, size - data_start, path)
    return GGUFInfo(path, size, version, metadata, sizes, elements)


_TYPE_SIZES = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
               10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 30: (1, 2)}
"""ggml type -> (block elements, block bytes) for the common types: used only to notice a
truncated file; sizes themselves come from the offsets, so unknown types still work."""


def _tensor_sizes(infos: list[tuple[str, list[int], int, int]], data_bytes: int, path: str) -> tuple[dict[str, int], dict[str, int]]:
    """Bytes of each tensor: the gap to the next tensor's offset (padding is at most 31 bytes)."""
    ordered = sorted(infos, key=lambda t: t[2])
    sizes: dict[str, int] = {}
    elements: dict[str, int] = {}
    for i, (name, dims, offset, ttype) in enumerate(ordered):
        end = ordered[i + 1][2] if i + 1 < len(ordered) else data_bytes
        n = 1
        for d in dims:
            n *= d
        block = _TYPE_SIZES.get(ttype)
        if offset > data_bytes or (block and end - offset < -(-n // block[0]) * block[1]):
            raise GGUFError(f"{path} is truncated: tensor {name!r} needs more bytes than the file holds")
        sizes[name] = max(0, end - offset)
        elements[name] = n
    return sizes, elements


def _int(info: GGUFInfo, key: str, default: int | None = None) -> int:
    value = info.arch_value(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        if default is not None:
            return default
        raise GGUFError(f"{info.path}: metadata {info.architecture}.{key} is missing; cannot size the KV cache")
    return value


def shape_from_gguf(info: GGUFInfo) -> ModelShape:
    n_layer = _int(info, "block_count")
    n_embd = _int(info, "embedding_length")
    n_head = _per_layer(info.arch_value("attention.head_count"), n_layer, "attention.head_count", info)
    n_head_kv = _per_layer(info.arch_value("attention.head_count_kv", n_head), n_layer, "attention.head_count_kv", info)
    heads = max(n_head) or 1
    head_k = _int(info, "attention.key_length", n_embd // heads)
    head_v = _int(info, "attention.value_length", head_k)
    n_swa = _int(info, "attention.sliding_window", 0)
    pattern = info.arch_value("attention.sliding_window_pattern")
    layer_bytes = [0] * n_layer
    embd_bytes = other_bytes = 0
    for name, nbytes in info.tensor_bytes.items():
        block = _block_index(name)
        if block is not None and block < n_layer:
            layer_bytes[block] += nbytes
        elif name.startswith("token_embd"):
            embd_bytes += nbytes
        else:
            other_bytes += nbytes
    return ModelShape(
        name=str(info.metadata.get("general.name") or Path(info.path).stem),
        architecture=info.architecture,
        n_layer=n_layer,
        n_head=tuple(n_head),
        n_head_kv=tuple(n_head_kv),
        head_dim_k=head_k,
        head_dim_v=head_v,
        n_embd=n_embd,
        n_ff=_ff(info),
        n_vocab=info.vocab_size,
        n_ctx_train=_int(info, "context_length", 0),
        n_swa=n_swa,
        swa_layers=swa_layout(info.architecture, n_layer, n_swa, pattern),
        weight_bytes=sum(info.tensor_bytes.values()),
        embd_bytes=embd_bytes,
        layer_bytes=tuple(layer_bytes),
        params=sum(info.tensor_elements.values()),
        quant=info.file_type,
        file_bytes=info.file_size,
    )


def _per_layer(value: Any, n_layer: int, key: str, info: GGUFInfo) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return [value] * n_layer
    if isinstance(value, list) and len(value) == n_layer and all(isinstance(v, int) for v in value):
        return list(value)
    raise GGUFError(f"{info.path}: metadata {info.architecture}.{key} is missing or malformed; cannot size the KV cache")


def _ff(info: GGUFInfo) -> int:
    value = info.arch_value("feed_forward_length", 0)
    if isinstance(value, list):  # per-layer feed-forward sizes (some newer architectures)
        value = max((v for v in value if isinstance(v, int)), default=0)
    return value if isinstance(value, int) else 0


def _block_index(name: str) -> int | None:
    if not name.startswith("blk."):
        return None
    part = name.split(".", 2)[1]
    return int(part) if part.isdigit() else None
