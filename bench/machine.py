"""What the benchmarks ran on, and the physical floors they are compared with.

`describe()` gives CPU, cores, memory, load, OS and the versions of Python, Node
and the packages that take part; `memory_bandwidth_gbs()` measures the copy
bandwidth with numpy (the floor under token generation: every weight is read
once per generated token).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PEERS = REPO / "bench" / "peers"
PY_PACKAGES = ("clm-lsp", "pygls", "lsprotocol", "markdown-it-py", "llama-cpp-python", "onnxruntime",
               "kuzu", "lancedb", "numpy")
NODE_PACKAGES = ("vscode-markdown-languageserver", "markdown-it", "vscode-jsonrpc")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return None


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _node_packages() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in NODE_PACKAGES:
        manifest = PEERS / "node_modules" / name / "package.json"
        out[name] = json.loads(manifest.read_text())["version"] if manifest.is_file() else None
    return out


def _command(*argv: str) -> str | None:
    if shutil.which(argv[0]) is None:
        return None
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=20, cwd=REPO).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def describe() -> dict:
    """The machine and software description stored with every result."""
    dirty = _command("git", "status", "--porcelain")
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": round(_ram_gb() or 0, 1) or None,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "node": _command("node", "--version"),
        "python_packages": {name: _version(name) for name in PY_PACKAGES},
        "node_packages": _node_packages(),
        "git_commit": _command("git", "rev-parse", "--short", "HEAD"),
        "git_dirty": bool(dirty),
        "load_average_at_start": load_average(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "argv": sys.argv[1:],
    }


def memory_bandwidth_gbs(mib: int = 256, repeat: int = 5) -> float:
    """Copy bandwidth (bytes read + bytes written per second, as STREAM counts it), best of `repeat`."""
    import numpy as np

    src = np.ones(mib * 2**20 // 8, dtype=np.float64)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # fault the pages in before timing
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - start)
    return 2 * src.nbytes / best / 1e9
