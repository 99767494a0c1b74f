"""``train.toml``: the QLoRA run's settings, checked in full before anything heavy starts.

Every problem is collected and reported at once (one line each, naming the key),
so a person fixes the file in one go. See clm_lsp/train/example-train.toml.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clm_lsp.hardware.models import ModelSpec, find_model

DEFAULT_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
CHAT_FAMILIES = ("chatml", "gemma", "mistral")
GGUF_QUANTS = ("q4_k_m", "q5_k_m", "q8_0", "f16")


class ConfigError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class TrainConfig:
    path: Path
    base: str
    unsloth_model: str
    chat_family: str
    chat_template: str
    spec: ModelSpec | None
    max_seq_length: int = 4096
    r: int = 16
    alpha: int = 16
    dropout: float = 0.0
    target_modules: tuple[str, ...] = DEFAULT_TARGETS
    train_file: Path = Path("data.jsonl")
    validation_file: Path | None = None
    epochs: float = 1.0
    max_steps: int = 0
    learning_rate: float = 2e-4
    batch_size: int = 1
    grad_accum: int = 8
    warmup_steps: int = 5
    seed: int = 3407
    responses_only: bool = True
    output_dir: Path = Path("out/qlora")
    gguf_quant: str = "q4_k_m"
    ollama_name: str = "clm-tuned"
    vram_gb: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_SECTIONS = {
    "model": {"base", "unsloth_model", "chat_family", "chat_template", "max_seq_length"},
    "lora": {"r", "alpha", "dropout", "target_modules"},
    "data": {"train", "validation"},
    "training": {"epochs", "max_steps", "learning_rate", "batch_size", "gradient_accumulation_steps",
                 "warmup_steps", "seed", "responses_only", "output_dir"},
    "export": {"gguf_quant", "ollama_name"},
    "hardware": {"vram_gb"},
}


def load_config(path: Path) -> TrainConfig:
    """Read and check ``path``; ConfigError listing every problem."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError([f"{path}: not valid TOML ({exc})"]) from None
    problems: list[str] = []
    for key, value in raw.items():
        if key not in _SECTIONS:
            problems.append(f"[{key}]: unknown table (known: {', '.join(_SECTIONS)})")
        elif not isinstance(value, dict):
            problems.append(f"{key}: must be a table")
        else:
            problems += [f"{key}.{k}: unknown key" for k in value if k not in _SECTIONS[key]]
    get = _Getter(raw, problems)
    cfg = _build(path, get, problems)
    if problems:
        raise ConfigError(problems)
    return cfg


class _Getter:
    def __init__(self, raw: dict[str, Any], problems: list[str]) -> None:
        self.raw, self.problems = raw, problems

    def __call__(self, where: str, kind: type | tuple[type, ...], default: Any, low: float | None = None, high: float | None = None) -> Any:
        table, key = where.split(".")
        section = self.raw.get(table)
        value = section.get(key, default) if isinstance(section, dict) else default
        if value is default:
            return default
        if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
            self.problems.append(f"{where}: must be {_kind_name(kind)}, not {value!r}")
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool) and (
            (low is not None and value < low) or (high is not None and value > high)
        ):
            self.problems.append(f"{where}: must be between {low:g} and {high:g}, not {value!r}")
            return default
        return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or false", list: "a list"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _build(path: Path, get: _Getter, problems: list[str]) -> TrainConfig:
    base = get("model.base", str, "")
    spec = find_model(base) if base else None
    if not base:
        problems.append("model.base: required (a built-in model such as qwen2.5-32b, or a Hugging Face repo id)")
    unsloth = get("model.unsloth_model", str, spec.unsloth_model if spec else "")
    family = get("model.chat_family", str, spec.chat_family if spec else "")
    template = get("model.chat_template", str, spec.unsloth_template if spec else "")
    if base and not spec:
        for key, value in (("unsloth_model", unsloth), ("chat_family", family), ("chat_template", template)):
            if not value:
                problems.append(f"model.{key}: required when model.base is not a built-in model")
    if family and family not in CHAT_FAMILIES:
        problems.append(f"model.chat_family: one of {', '.join(CHAT_FAMILIES)}, not {family!r}")
    targets = get("lora.target_modules", list, list(DEFAULT_TARGETS))
    if not targets or not all(isinstance(t, str) and t for t in targets):
        problems.append("lora.target_modules: must be a non-empty list of module names")
    quant = get("export.gguf_quant", str, "q4_k_m").lower()
    if quant not in GGUF_QUANTS:
        problems.append(f"export.gguf_quant: one of {', '.join(GGUF_QUANTS)}, not {quant!r}")
    here = path.parent
    train = here / get("data.train", str, "data.jsonl")
    val = get("data.validation", str, "")
    vram = get("hardware.vram_gb", (int, float), None, 1, 100_000)
    return TrainConfig(
        path=path, base=base, unsloth_model=unsloth, chat_family=family, chat_template=template, spec=spec,
        max_seq_length=get("model.max_seq_length", int, 4096, 128, 1_048_576),
        r=get("lora.r", int, 16, 1, 1024), alpha=get("lora.alpha", int, 16, 1, 4096),
        dropout=float(get("lora.dropout", (int, float), 0.0, 0, 0.9)),
        target_modules=tuple(t for t in targets if isinstance(t, str)),
        train_file=train, validation_file=here / val if val else None,
        epochs=float(get("training.epochs", (int, float), 1.0, 0.01, 1000)),
        max_steps=get("training.max_steps", int, 0, 0, 10_000_000),
        learning_rate=float(get("training.learning_rate", (int, float), 2e-4, 1e-8, 1.0)),
        batch_size=get("training.batch_size", int, 1, 1, 4096),
        grad_accum=get("training.gradient_accumulation_steps", int, 8, 1, 4096),
        warmup_steps=get("training.warmup_steps", int, 5, 0, 1_000_000),
        seed=get("training.seed", int, 3407, 0, 2**31 - 1),
        responses_only=get("training.responses_only", bool, True),
        output_dir=here / get("training.output_dir", str, "out/qlora"),
        gguf_quant=quant, ollama_name=get("export.ollama_name", str, "clm-tuned"),
        vram_gb=float(vram) if vram is not None else None,
    )
