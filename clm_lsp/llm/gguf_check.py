"""Checks on a GGUF file made before llama.cpp sees it, for clear messages.

llama.cpp's own errors are one generic "Failed to load model from file"; a path
typo, a half-downloaded file and a model too big for the machine deserve three
different sentences.
"""

from __future__ import annotations

from pathlib import Path

from clm_lsp.llm.base import ModelError

GGUF_MAGIC = b"GGUF"


def check_gguf(model_path: str | Path, *, n_gpu_layers: int = 0) -> Path:
    """The resolved path of a plausible GGUF file, or ModelError saying why not."""
    path = Path(model_path).expanduser()
    if not path.exists():
        raise ModelError(f"model file {path} does not exist")
    if not path.is_file():
        raise ModelError(f"model path {path} is not a file")
    try:
        with path.open("rb") as handle:
            magic = handle.read(len(GGUF_MAGIC))
        size = path.stat().st_size
    except OSError as exc:
        raise ModelError(f"model file {path} cannot be read ({exc.strerror or exc})") from None
    if magic != GGUF_MAGIC:
        raise ModelError(f"model file {path} is not a GGUF file (wrong header)")
    available = available_memory_bytes()
    # With layers offloaded the weights live in GPU memory; we cannot judge that.
    if n_gpu_layers == 0 and available is not None and size > available:
        raise ModelError(
            f"model file {path} ({_gib(size)}) is larger than the free memory "
            f"({_gib(available)}): choose a smaller quantization or model"
        )
    return path.resolve()


def available_memory_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (Linux); None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _gib(size: int) -> str:
    return f"{size / 2**30:.1f} GiB"
