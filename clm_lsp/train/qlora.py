"""The QLoRA recipe (unsloth): plan and memory estimate, then training and GGUF export.

The plan is pure arithmetic and runs anywhere (``--dry-run``). Training needs the
``train`` extra (unsloth, which brings torch) and an NVIDIA GPU with CUDA; both
are checked first and their absence is one clear message, never a traceback.
unsloth is imported only inside :func:`train`, so nothing else pays for it.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import math
from pathlib import Path
from typing import Any

from clm_lsp.hardware.machine import GiB, MemoryPool
from clm_lsp.hardware.models import ModelSpec

from .config import TrainConfig
from .modelfile import RESPONSE_MARKERS, modelfile_text

UNSLOTH_MIN_GB = ((3, 3.5), (7, 5), (8, 6), (9, 6.5), (11, 7.5), (14, 8.5), (27, 22), (32, 26), (40, 30), (70, 41), (90, 53), (405, 237))
"""Unsloth's published minimum VRAM for QLoRA (4-bit) by billions of parameters (its requirements page)."""

NEEDS = ("QLoRA training needs the train extra and an NVIDIA GPU with CUDA: on such a Linux machine run "
         "`pip install 'clm-lsp[train]'` (it installs unsloth and torch), then run this command again")


class TrainUnavailable(RuntimeError):
    """unsloth, torch or a CUDA device is missing; the message says what to install or where to run."""


def unsloth_minimum_bytes(params: int) -> int:
    """Unsloth's table, interpolated linearly between its rows."""
    b = params / 1e9
    rows = UNSLOTH_MIN_GB
    if b <= rows[0][0]:
        return int(rows[0][1] * 1e9)
    for (b0, g0), (b1, g1) in zip(rows, rows[1:]):
        if b <= b1:
            return int((g0 + (g1 - g0) * (b - b0) / (b1 - b0)) * 1e9)
    return int(rows[-1][1] * b / rows[-1][0] * 1e9)


def lora_params(spec: ModelSpec, r: int, targets: tuple[str, ...]) -> int:
    hd, h, kv, ff = spec.head_dim, spec.n_embd, spec.n_head_kv, spec.n_ff
    dims = {"q_proj": (h, spec.n_head * hd), "k_proj": (h, kv * hd), "v_proj": (h, kv * hd),
            "o_proj": (spec.n_head * hd, h), "gate_proj": (h, ff), "up_proj": (h, ff), "down_proj": (ff, h)}
    return spec.n_layer * r * sum(a + b for t in targets if (ab := dims.get(t)) for a, b in [ab])


def memory_estimate(cfg: TrainConfig) -> dict[str, int] | None:
    """GPU bytes for one QLoRA step, by component; None for a model outside the built-in table."""
    spec = cfg.spec
    if spec is None:
        return None
    embed = spec.n_vocab * spec.n_embd * (1 if spec.tied_embeddings else 2)
    seq = cfg.max_seq_length * cfg.batch_size
    parts = {
        # NF4 with double quantization: about 4.127 bits per weight; embeddings and lm_head stay 16-bit.
        "base_4bit": int((spec.params - embed) * 4.127 / 8),
        "embeddings_16bit": embed * 2,
        # LoRA weights and gradients in 16 bits, AdamW 8-bit states, fp32 copies: ~12 bytes per parameter.
        "lora_and_optimizer": lora_params(spec, cfg.r, cfg.target_modules) * 12,
        # Gradient checkpointing ("unsloth" mode offloads checkpoints to system RAM): one layer recomputed.
        "activations": seq * (10 * spec.n_embd + 3 * spec.n_ff) * 2,
        # The logits of the sequence in 16 bits (unsloth's chunked cross-entropy never holds fp32 for all).
        "logits": seq * spec.n_vocab * 2,
        "cuda_runtime": int(1.0 * GiB),
    }
    parts["total"] = sum(parts.values())
    return parts


def dataset_stats(path: Path) -> tuple[int, list[str]]:
    """Examples in a chat JSONL file and its problems (line numbers), first 10."""
    problems: list[str] = []
    n = 0
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return 0, [f"{path}: no such file (make it with `clm-lsp train export WORKSPACE --out {path.name}`)"]
    except (OSError, UnicodeDecodeError) as exc:
        return 0, [f"{path}: cannot be read ({exc})"]
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        problem = _line_problem(line)
        if problem:
            problems.append(f"{path}:{i}: {problem}")
        else:
            n += 1
    return n, problems[:10]


def _line_problem(line: str) -> str | None:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg})"
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(messages, list) or not messages:
        return "no messages list"
    for m in messages:
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant") or not isinstance(m.get("content"), str):
            return "each message needs a role (system, user, assistant) and a text content"
    if messages[-1]["role"] != "assistant":
        return "the last message must be the assistant's answer"
    return None


def plan(cfg: TrainConfig, pool: MemoryPool | None) -> dict[str, Any]:
    n_train, train_problems = dataset_stats(cfg.train_file)
    n_val, val_problems = dataset_stats(cfg.validation_file) if cfg.validation_file else (0, [])
    per_step = cfg.batch_size * cfg.grad_accum
    steps = cfg.max_steps or math.ceil(max(n_train, 1) / per_step * cfg.epochs)
    memory = memory_estimate(cfg)
    need = max(memory["total"], unsloth_minimum_bytes(cfg.spec.params)) if memory and cfg.spec else None
    instruction, response = RESPONSE_MARKERS.get(cfg.chat_family, ("", ""))
    return {
        "base": cfg.base, "unsloth_model": cfg.unsloth_model, "load_in_4bit": True,
        "chat_template": cfg.chat_template, "max_seq_length": cfg.max_seq_length,
        "lora": {"r": cfg.r, "alpha": cfg.alpha, "dropout": cfg.dropout, "target_modules": list(cfg.target_modules),
                 "trainable_params": lora_params(cfg.spec, cfg.r, cfg.target_modules) if cfg.spec else None},
        "gradient_checkpointing": "unsloth",
        "responses_only": {"enabled": cfg.responses_only, "instruction_part": instruction, "response_part": response},
        "data": {"train": str(cfg.train_file), "train_examples": n_train, "validation": str(cfg.validation_file or ""),
                 "validation_examples": n_val, "problems": train_problems + val_problems},
        "training": {"steps": steps, "examples_per_step": per_step, "epochs": cfg.epochs, "learning_rate": cfg.learning_rate,
                     "optimizer": "adamw_8bit", "seed": cfg.seed, "output_dir": str(cfg.output_dir)},
        "export": {"gguf": str(cfg.output_dir / f"gguf/unsloth.{cfg.gguf_quant.upper()}.gguf"),
                   "quantization": cfg.gguf_quant, "modelfile": str(cfg.output_dir / "gguf/Modelfile"),
                   "ollama": f"ollama create {cfg.ollama_name} -f {cfg.output_dir / 'gguf/Modelfile'}"},
        "memory": {"estimate": memory, "unsloth_minimum": unsloth_minimum_bytes(cfg.spec.params) if cfg.spec else None,
                   "needed": need, "gpu": pool.name if pool else None, "gpu_bytes": pool.usable_bytes if pool else None,
                   "fits": (need <= pool.usable_bytes) if (need is not None and pool is not None and pool.kind != "ram") else None},
    }


def runtime_problem() -> str | None:
    """Why training cannot run here (None when it can). Imports torch only when unsloth is installed."""
    if importlib.util.find_spec("unsloth") is None or importlib.util.find_spec("torch") is None:
        return f"unsloth is not installed. {NEEDS}"
    import torch

    if not torch.cuda.is_available():
        return f"no CUDA device is visible to torch. {NEEDS}"
    return None


def train(cfg: TrainConfig) -> dict[str, Any]:
    """Run the recipe: 4-bit base, LoRA, responses-only loss, then GGUF + Modelfile. TrainUnavailable first."""
    problem = runtime_problem()
    if problem:
        raise TrainUnavailable(problem)
    from unsloth import FastLanguageModel  # noqa: I001 - unsloth must be imported before transformers/trl
    from unsloth.chat_templates import get_chat_template, train_on_responses_only
    from datasets import load_dataset
    from trl import SFTConfig, SFTTrainer

    model, tokenizer = FastLanguageModel.from_pretrained(
        model_name=cfg.unsloth_model, max_seq_length=cfg.max_seq_length, load_in_4bit=True, dtype=None)
    model = FastLanguageModel.get_peft_model(
        model, r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout, target_modules=list(cfg.target_modules),
        bias="none", use_gradient_checkpointing="unsloth", random_state=cfg.seed)
    tokenizer = get_chat_template(tokenizer, chat_template=cfg.chat_template)
    files = {"train": str(cfg.train_file)} | ({"validation": str(cfg.validation_file)} if cfg.validation_file else {})
    data = load_dataset("json", data_files=files)
    data = data.map(lambda batch: {"text": [tokenizer.apply_chat_template(m, tokenize=False) for m in batch["messages"]]},
                    batched=True)
    options = dict(
        dataset_text_field="text", per_device_train_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.grad_accum, warmup_steps=cfg.warmup_steps, num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps or -1, learning_rate=cfg.learning_rate, logging_steps=1, optim="adamw_8bit",
        weight_decay=0.01, lr_scheduler_type="linear", seed=cfg.seed, output_dir=str(cfg.output_dir), report_to="none")
    # TRL renamed max_seq_length to max_length (0.20) and tokenizer to processing_class (0.12): use what is there.
    accepted = inspect.signature(SFTConfig).parameters
    options["max_length" if "max_length" in accepted else "max_seq_length"] = cfg.max_seq_length
    takes = inspect.signature(SFTTrainer.__init__).parameters
    tok = {"processing_class" if "processing_class" in takes else "tokenizer": tokenizer}
    trainer = SFTTrainer(model=model, train_dataset=data["train"], eval_dataset=data.get("validation"),
                         args=SFTConfig(**options), **tok)
    if cfg.responses_only:
        instruction, response = RESPONSE_MARKERS[cfg.chat_family]
        trainer = train_on_responses_only(trainer, instruction_part=instruction, response_part=response)
    stats = trainer.train()
    out = export_gguf(model, tokenizer, cfg)
    return {"train_loss": getattr(stats, "training_loss", None), "steps": getattr(stats, "global_step", None), **out}


def export_gguf(model: Any, tokenizer: Any, cfg: TrainConfig) -> dict[str, str]:
    """Merge the adapter, write the quantized GGUF (unsloth runs llama.cpp's converter) and a Modelfile."""
    folder = cfg.output_dir / "gguf"
    model.save_pretrained_gguf(str(folder), tokenizer, quantization_method=cfg.gguf_quant)
    ggufs = sorted(folder.glob("*.gguf"), key=lambda p: p.stat().st_mtime)
    if not ggufs:
        raise RuntimeError(f"unsloth wrote no GGUF file into {folder}")
    modelfile = folder / "Modelfile"
    modelfile.write_text(modelfile_text(ggufs[-1].name, cfg.chat_family, num_ctx=cfg.max_seq_length), encoding="utf-8")
    return {"gguf": str(ggufs[-1]), "modelfile": str(modelfile)}
