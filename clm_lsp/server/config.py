"""The server's settings: one fully defaulted, typed tree.

Read from ``initializationOptions`` and then ``workspace/configuration``
(section ``clm``), which wins. Keys are camelCase as editors write them
(snake_case is accepted too). A bad value is reported in words and replaced by
its default; an unknown key is reported and ignored. Nothing here raises.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any


def _opt(
    default: Any, *, choices: tuple[str, ...] = (), low: float | None = None, high: float | None = None,
    nullable: bool = False, kind: str | None = None,
) -> Any:
    """``kind`` ("int", "number") types a nullable setting whose default (None) says nothing."""
    meta = {"choices": choices, "low": low, "high": high, "nullable": nullable, "kind": kind}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class DiagnosticsConfig:
    enable: bool = _opt(True)
    debounce_ms: int = _opt(10, low=0, high=5000)
    """Delay after the last keystroke before re-checking; re-checking one file takes a few ms."""
    workspace: bool = _opt(True)
    """Also report problems of files that are not open (links break in files you are not editing)."""
    pull: str = _opt("auto", choices=("auto", "on", "off"))
    """auto: pull diagnostics when the client supports them, else push."""


@dataclass(frozen=True)
class CompletionConfig:
    max_items: int = _opt(50, low=1, high=5000)
    """More matches than this: the list is marked incomplete and the client asks again as the user types."""


@dataclass(frozen=True)
class HoverConfig:
    summary_chars: int = _opt(280, low=40, high=4000)


@dataclass(frozen=True)
class SymbolsConfig:
    max_items: int = _opt(128, low=1, high=10000)


@dataclass(frozen=True)
class IndexConfig:
    enable: bool = _opt(True)
    """The persistent Kuzu + LanceDB index (anchor summaries are stored in its graph)."""
    store_dir: str | None = _opt(None, nullable=True)


@dataclass(frozen=True)
class ModelSettings:
    """The chat model (and embedder) settings, mapped one to one onto llm.config.ModelConfig.

    The defaults are ModelConfig's: the bundled GGUF, run in process.
    """

    backend: str = _opt("bundled", choices=("bundled", "llama_cpp", "ollama", "openai"))
    model_path: str | None = _opt(None, nullable=True)
    n_ctx: int = _opt(4096, low=64, high=1_048_576)
    n_threads: int | None = _opt(None, nullable=True, kind="int", low=1, high=1024)
    n_gpu_layers: int = _opt(0, low=-1, high=100_000)
    kv_cache_type: str = _opt("f16", choices=("f16", "q8_0", "q4_0"))
    host: str = _opt("http://127.0.0.1:11434")
    model: str | None = _opt(None, nullable=True)
    base_url: str | None = _opt(None, nullable=True)
    api_key_env: str | None = _opt(None, nullable=True)
    """The NAME of the environment variable holding the key, never the key."""
    timeout_s: float = _opt(60.0, kind="number", low=0.1, high=86_400)
    embed_model: str | None = _opt(None, nullable=True)


@dataclass(frozen=True)
class SummariesConfig:
    enable: bool = _opt(True)
    """Write anchor summaries with the model in the background (hover shows them)."""
    max_tokens: int = _opt(60, low=8, high=1024)
    """Longest summary, in model tokens: short keeps a small model fast and on topic."""
    concurrency: int = _opt(1, low=1, high=1)
    """One generation at a time (a local model uses every core it is given)."""


@dataclass(frozen=True)
class SynthesisConfig:
    """Section synthesis code actions (docs/synthesis.md)."""

    max_tokens: int = _opt(200, low=16, high=4096)
    """Longest generated section, in model tokens."""
    budget: int = _opt(1024, low=64, high=1_000_000)
    """Context tokens assembled for one section (the command's budget argument wins);
    with the prompt and max_tokens it must fit the model's n_ctx."""
    keep_timeslices: int = _opt(2, low=0, high=1000)
    """"Compress older timeslices" summarises all dated timeslices but the newest this many."""
    temperature: float = _opt(0.4, kind="number", low=0.0, high=2.0)
    """Sampling temperature, with a fixed seed (so a run is repeatable): greedy decoding (0)
    makes a small model loop on the context's labels ("[#Governing-1] [#Governing-2]...")."""


@dataclass(frozen=True)
class ReviewConfig:
    enable: bool = _opt(False)
    """Model review diagnostics (source clm-model). Off by default: the bundled 135M model's
    remarks are mostly noise, and each review costs seconds of CPU (docs/context.md)."""
    debounce_ms: int = _opt(3000, low=0, high=600_000)
    """How long a document must stay unchanged before its sections are reviewed."""
    max_tokens: int = _opt(160, low=16, high=2048)
    """Longest review reply, in model tokens."""


@dataclass(frozen=True)
class LogConfig:
    level: str = _opt("info", choices=("error", "warning", "info", "debug"))
    file: str | None = _opt(None, nullable=True)


@dataclass(frozen=True)
class ServerConfig:
    diagnostics: DiagnosticsConfig = field(default_factory=DiagnosticsConfig)
    completion: CompletionConfig = field(default_factory=CompletionConfig)
    hover: HoverConfig = field(default_factory=HoverConfig)
    symbols: SymbolsConfig = field(default_factory=SymbolsConfig)
    index: IndexConfig = field(default_factory=IndexConfig)
    model: ModelSettings = field(default_factory=ModelSettings)
    summaries: SummariesConfig = field(default_factory=SummariesConfig)
    synthesis: SynthesisConfig = field(default_factory=SynthesisConfig)
    review: ReviewConfig = field(default_factory=ReviewConfig)
    log: LogConfig = field(default_factory=LogConfig)


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def load_config(*layers: Any) -> tuple[ServerConfig, list[str]]:
    """Merge the layers (later wins) into a ServerConfig; returns it and the warnings."""
    merged: dict[str, Any] = {}
    warnings: list[str] = []
    for layer in layers:
        if layer is None:
            continue
        if not isinstance(layer, dict):
            warnings.append(f"clm settings must be an object, not {type(layer).__name__}; ignored")
            continue
        _merge(merged, layer.get("clm", layer) if isinstance(layer.get("clm"), dict) else layer)
    return _build(ServerConfig, merged, "clm", warnings), warnings


def _merge(into: dict[str, Any], layer: dict[str, Any]) -> None:
    for key, value in layer.items():
        key = _snake(str(key))
        if isinstance(value, dict):
            if not isinstance(into.get(key), dict):
                into[key] = {}
            _merge(into[key], value)
        else:
            into[key] = value


def _build(cls: Any, raw: dict[str, Any], path: str, warnings: list[str]) -> Any:
    kwargs: dict[str, Any] = {}
    known = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in raw.items():
        f = known.get(key)
        where = f"{path}.{_camel(key)}"
        if f is None:
            warnings.append(f"{where}: unknown setting; ignored")
            continue
        if f.default_factory is not dataclasses.MISSING:  # a nested group of settings
            if isinstance(value, dict):
                kwargs[key] = _build(f.default_factory, value, where, warnings)
            else:
                warnings.append(f"{where}: must be an object; using the defaults")
            continue
        problem = _check(f, value)
        if problem:
            warnings.append(f"{where}: {problem}, got {value!r}; using {f.default!r}")
        else:
            kwargs[key] = value
    return cls(**kwargs)


def _check(f: dataclasses.Field, value: Any) -> str | None:
    meta = f.metadata
    if value is None:
        return None if meta.get("nullable") else "must not be empty"
    default = f.default
    kind = meta.get("kind")
    if isinstance(default, bool) or f.type == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if kind == "number" or isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "must be a number"
        return _bounds(meta, value)
    if kind == "int" or isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
        return _bounds(meta, value)
    if not isinstance(value, str):
        return "must be text"
    choices = meta.get("choices")
    if choices and value not in choices:
        return f"must be one of {', '.join(choices)}"
    return None


def _bounds(meta: Any, value: float) -> str | None:
    low, high = meta.get("low"), meta.get("high")
    if (low is not None and value < low) or (high is not None and value > high):
        return f"must be between {low} and {high}"
    return None


def model_config(settings: ModelSettings) -> tuple[Any, str | None]:
    """``clm.model`` as an llm ModelConfig, and a warning when the combination is invalid
    (e.g. backend ollama without a model tag): then the defaults (the bundled model) serve."""
    from clm_lsp.llm.base import ModelError
    from clm_lsp.llm.config import ModelConfig

    values = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    try:
        return ModelConfig.from_mapping(values), None
    except ModelError as exc:
        return ModelConfig(), f"clm.model: {exc}; using the bundled model"
