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


def _opt(default: Any, *, choices: tuple[str, ...] = (), low: int | None = None, high: int | None = None, nullable: bool = False) -> Any:
    meta = {"choices": choices, "low": low, "high": high, "nullable": nullable}
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
    enable: bool = _opt(False)
    """The persistent Kuzu + LanceDB index (off until the index layer is wired in)."""
    store_dir: str | None = _opt(None, nullable=True)


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
    if isinstance(default, bool) or f.type == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
        low, high = meta.get("low"), meta.get("high")
        if (low is not None and value < low) or (high is not None and value > high):
            return f"must be between {low} and {high}"
        return None
    if not isinstance(value, str):
        return "must be text"
    choices = meta.get("choices")
    if choices and value not in choices:
        return f"must be one of {', '.join(choices)}"
    return None
