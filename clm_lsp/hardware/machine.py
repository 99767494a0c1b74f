"""What memory this machine offers a model: NVIDIA GPUs, Apple unified memory, system RAM.

The only module of ``hardware`` that looks at the machine (it runs ``nvidia-smi``
and ``sysctl`` when present and reads /proc/meminfo); everything else is
arithmetic on the :class:`MemoryPool` it returns, or on one made from
``--vram GB`` for planning a machine you do not have.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from dataclasses import dataclass, field

GiB = 1 << 30
MiB = 1 << 20

GPU_RUNTIME_OVERHEAD = 512 * MiB
"""CUDA context, cuBLAS workspace and allocator slack that no llama.cpp log line reports."""


@dataclass(frozen=True)
class GPU:
    index: int
    name: str
    total_bytes: int
    free_bytes: int


@dataclass(frozen=True)
class MemoryPool:
    """The memory a model must fit in, and how much of it a model may use."""

    kind: str
    """"nvidia" | "apple" | "ram" | "given"."""
    name: str
    total_bytes: int
    usable_bytes: int
    overhead_bytes: int = 0
    """Taken by the runtime before any weight is loaded (counted in the plan, not here)."""
    note: str = ""


@dataclass(frozen=True)
class Machine:
    gpus: tuple[GPU, ...] = ()
    apple_unified_bytes: int = 0
    apple_chip: str = ""
    ram_total_bytes: int = 0
    ram_available_bytes: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)


def given_pool(vram_gb: float, name: str | None = None) -> MemoryPool:
    """A GPU of ``vram_gb`` GiB for planning (a "24 GB" RTX 4090 has 24 GiB, 24,564 MiB usable)."""
    total = int(vram_gb * GiB)
    return MemoryPool("given", name or f"{vram_gb:g} GB GPU", total, total, GPU_RUNTIME_OVERHEAD, "given with --vram")


def detect() -> Machine:
    """Look at this machine; never raises (a tool that is missing or fails is noted)."""
    notes: list[str] = []
    gpus = _nvidia(notes)
    chip, unified = _apple(notes)
    total, available = _ram()
    return Machine(tuple(gpus), unified, chip, total, available, tuple(notes))


def best_pool(machine: Machine) -> MemoryPool:
    """The pool a model would be placed in: NVIDIA GPUs first, then Apple unified memory, then RAM."""
    if machine.gpus:
        total = sum(g.total_bytes for g in machine.gpus)
        free = sum(g.free_bytes for g in machine.gpus)
        names = ", ".join(sorted({g.name for g in machine.gpus}))
        label = names if len(machine.gpus) == 1 else f"{len(machine.gpus)} x {names} (layers split across GPUs)"
        return MemoryPool("nvidia", label, total, free, GPU_RUNTIME_OVERHEAD * len(machine.gpus), "free memory reported by nvidia-smi")
    if machine.apple_unified_bytes:
        total = machine.apple_unified_bytes
        # macOS lets the GPU wire about two thirds of unified memory up to 36 GB, three
        # quarters above (raise it with `sudo sysctl iogpu.wired_limit_mb=...`).
        usable = int(total * (0.75 if total > 36 * GiB else 2 / 3))
        return MemoryPool("apple", machine.apple_chip or "Apple Silicon", total, usable, 0, "GPU share of unified memory")
    return MemoryPool("ram", "system memory (CPU only)", machine.ram_total_bytes, machine.ram_available_bytes, 0, "MemAvailable; no GPU found")


def _run(argv: list[str], notes: list[str]) -> str | None:
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        notes.append(f"{argv[0]} failed: {exc}")
        return None
    if done.returncode != 0:
        notes.append(f"{argv[0]} exited with {done.returncode}: {(done.stderr or done.stdout).strip()[:200]}")
        return None
    return done.stdout


def _nvidia(notes: list[str]) -> list[GPU]:
    if shutil.which("nvidia-smi") is None:
        return []
    out = _run(["nvidia-smi", "--query-gpu=index,name,memory.total,memory.free", "--format=csv,noheader,nounits"], notes)
    return parse_nvidia_smi(out or "", notes)


def parse_nvidia_smi(text: str, notes: list[str] | None = None) -> list[GPU]:
    """GPUs from ``nvidia-smi --query-gpu=index,name,memory.total,memory.free --format=csv,noheader,nounits``."""
    gpus = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 4:
            continue
        try:
            gpus.append(GPU(int(parts[0]), parts[1], int(float(parts[2]) * MiB), int(float(parts[3]) * MiB)))
        except ValueError:
            if notes is not None:
                notes.append(f"unreadable nvidia-smi line: {line[:120]}")
    return gpus


def _apple(notes: list[str]) -> tuple[str, int]:
    if platform.system() != "Darwin" or platform.machine() != "arm64":
        return "", 0
    size = _run(["sysctl", "-n", "hw.memsize"], notes)
    chip = _run(["sysctl", "-n", "machdep.cpu.brand_string"], notes)
    try:
        return (chip or "").strip(), int((size or "0").strip())
    except ValueError:
        return (chip or "").strip(), 0


def _ram() -> tuple[int, int]:
    total = available = 0
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                key, _, rest = line.partition(":")
                if key in ("MemTotal", "MemAvailable"):
                    value = int(rest.split()[0]) * 1024
                    total, available = (value, available) if key == "MemTotal" else (total, value)
    except (OSError, ValueError, IndexError):
        pass
    if not total and hasattr(os, "sysconf"):
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (OSError, ValueError):
            total = 0
    return total, available or total
