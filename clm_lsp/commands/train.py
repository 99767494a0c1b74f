"""`clm-lsp train export | qlora`: fine-tune a model on the workspace's own blueprints.

    clm-lsp train export WORKSPACE --out data.jsonl [--max-tokens N] [--val-fraction F] [--json]
    clm-lsp train qlora --config train.toml [--dry-run] [--vram GB] [--json]

``export`` writes the training examples to --out and the validation examples
beside it (``data.val.jsonl``), and prints the counts. ``qlora --dry-run``
checks the config and the data and prints the plan with a memory estimate;
without ``--dry-run`` it trains (train extra + NVIDIA GPU), else exits 2 with
what is needed. An example config: clm_lsp/train/example-train.toml.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    exp = sub.add_parser("export", help="write a chat-format JSONL dataset from a workspace")
    exp.add_argument("workspace", type=Path, help="workspace folder")
    exp.add_argument("--out", type=Path, required=True, help="training file (validation goes beside it as NAME.val.jsonl)")
    exp.add_argument("--max-tokens", type=int, default=4096, help="drop examples longer than this (default 4096)")
    exp.add_argument("--context-budget", type=int, help="tokens of context per example (default 3/4 of --max-tokens)")
    exp.add_argument("--val-fraction", type=float, default=0.1, help="share of entities for validation (default 0.1)")
    exp.add_argument("--seed", type=int, default=0, help="seed of the entity split")
    exp.add_argument("--no-summaries", action="store_true", help="leave out summaries from the index")
    exp.add_argument("--json", action="store_true", help="print the counts as JSON")
    qlo = sub.add_parser("qlora", help="QLoRA fine-tuning with unsloth, then GGUF + Ollama Modelfile")
    qlo.add_argument("--config", type=Path, required=True, help="train.toml (see clm_lsp/train/example-train.toml)")
    qlo.add_argument("--dry-run", action="store_true", help="check the config and data, print the plan and memory estimate")
    qlo.add_argument("--vram", type=float, metavar="GB", help="plan for a GPU with this many GB instead of detecting")
    qlo.add_argument("--json", action="store_true", help="print the plan as JSON")


def run(args: argparse.Namespace) -> int:
    return export(args) if args.action == "export" else qlora(args)


def _fail(message: str, code: int = 2) -> int:
    print(f"clm-lsp train: {message}", file=sys.stderr)
    return code


def export(args: argparse.Namespace) -> int:
    from clm_lsp.train.export import build, validation_path, write_jsonl
    from clm_lsp.workspace_io import load_workspace

    if not args.workspace.is_dir():
        return _fail(f"{args.workspace} is not a folder")
    if args.max_tokens < 256 or not 0 <= args.val_fraction < 1:
        return _fail("--max-tokens must be at least 256 and --val-fraction between 0 and 1")
    workspace, settings = load_workspace(args.workspace)
    for message in settings.messages:
        print(f"warning: {message}", file=sys.stderr)
    lookup, closer, note = (None, None, "left out (--no-summaries)") if args.no_summaries else _summaries(args.workspace)
    try:
        result = build(workspace, max_tokens=args.max_tokens, context_budget=args.context_budget,
                       val_fraction=args.val_fraction, seed=args.seed, summaries=lookup)
    finally:
        if closer is not None:
            closer()
    val_out = validation_path(args.out)
    try:
        write_jsonl(args.out, result.train)
        write_jsonl(val_out, result.validation)
    except OSError as exc:
        return _fail(f"cannot write the dataset: {exc}", 1)
    counts = {**result.counts(), "summaries": note, "files": {"train": str(args.out), "validation": str(val_out)}}
    if args.json:
        print(json.dumps(counts, indent=2))
    else:
        tr, va = counts["train"], counts["validation"]
        print(f"train       {tr['examples']} examples ({tr['section']} sections, {tr['summary']} summaries) from {tr['entities']} entities -> {args.out}")
        print(f"validation  {va['examples']} examples ({va['section']} sections, {va['summary']} summaries) from {va['entities']} entities -> {val_out}")
        print(f"dropped     {', '.join(f'{k} {v}' for k, v in counts['dropped'].items()) or 'none'}")
        print(f"summaries   {note}; context: {counts['context']}")
    return 0 if result.train else 1


def _summaries(root: Path) -> tuple[Any, Any, str]:
    """A lookup of current level-0 summaries from the index graph, when there is one to read."""
    from clm_lsp.index.store import GRAPH_FILE, store_dir_for

    path = store_dir_for(root.resolve(), None) / GRAPH_FILE
    if not path.exists():
        return None, None, "none (no index: run `clm-lsp index` and let summaries be written)"
    try:
        from clm_lsp.index.graph import Graph

        graph = Graph(path)
    except Exception as exc:  # noqa: BLE001 - Kuzu raises RuntimeError subclasses; a busy index is not fatal here
        return None, None, f"skipped: the index cannot be opened ({str(exc).splitlines()[0][:160]}); is a server using it?"

    def lookup(sid: str) -> list[tuple[str, str]]:
        return [(s.text, s.model_id) for s in graph.summaries_of(sid) if s.level == 0 and not s.stale]

    return lookup, graph.close, "from the index (current level-0 summaries)"


def qlora(args: argparse.Namespace) -> int:
    from clm_lsp.hardware.machine import best_pool, detect, given_pool
    from clm_lsp.train.config import ConfigError, load_config
    from clm_lsp.train.qlora import TrainUnavailable, plan, train

    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        return _fail(f"{args.config} has problems:\n  " + "\n  ".join(exc.problems))
    vram = args.vram if args.vram is not None else cfg.vram_gb
    pool = given_pool(vram) if vram else best_pool(detect())
    the_plan = plan(cfg, pool)
    if args.json:
        print(json.dumps(the_plan, indent=2))
    else:
        print_plan(the_plan)
    if the_plan["data"]["problems"] or not the_plan["data"]["train_examples"]:
        return _fail("the dataset has problems (see above); fix it or export it again")
    if args.dry_run:
        return 0
    try:
        result = train(cfg)
    except TrainUnavailable as exc:
        return _fail(str(exc))
    print(json.dumps(result, indent=2))
    return 0


def _gb(n: int | None) -> str:
    return "unknown" if n is None else f"{n / 2**30:.1f} GiB"


def print_plan(p: dict[str, Any]) -> None:
    lo, tr, data, mem, ex = p["lora"], p["training"], p["data"], p["memory"], p["export"]
    print(f"Base        {p['base']} -> {p['unsloth_model']} (4-bit), chat template {p['chat_template']}, max {p['max_seq_length']:,} tokens")
    params = f", {lo['trainable_params']:,} trainable parameters" if lo["trainable_params"] else ""
    print(f"LoRA        r={lo['r']} alpha={lo['alpha']} dropout={lo['dropout']} on {', '.join(lo['target_modules'])}{params}")
    ro = p["responses_only"]
    print(f"Loss        {'responses only (masked up to ' + repr(ro['response_part']) + ')' if ro['enabled'] else 'whole sequence'}; gradient checkpointing: {p['gradient_checkpointing']}")
    print(f"Data        {data['train_examples']} training examples ({data['train']}), {data['validation_examples']} validation")
    for problem in data["problems"]:
        print(f"  problem: {problem}")
    print(f"Training    {tr['steps']} steps of {tr['examples_per_step']} examples, lr {tr['learning_rate']}, {tr['optimizer']} -> {tr['output_dir']}")
    print(f"Export      {ex['gguf']} ({ex['quantization']}) + {ex['modelfile']}; then: {ex['ollama']}")
    est = mem["estimate"]
    if est:
        parts = ", ".join(f"{k.replace('_', ' ')} {_gb(v)}" for k, v in est.items() if k != "total")
        print(f"Memory      about {_gb(est['total'])} ({parts}); unsloth's published minimum: {_gb(mem['unsloth_minimum'])}")
    else:
        print("Memory      unknown for a model outside the built-in table")
    verdict = {True: "fits", False: "does NOT fit", None: "cannot be judged (no GPU)"}[mem["fits"]]
    print(f"GPU         {mem['gpu'] or 'none'} ({_gb(mem['gpu_bytes'])}): {verdict}")
