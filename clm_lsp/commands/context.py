"""`clm-lsp context ENTITY#ANCHOR --workspace PATH --budget N [--json] [--expand LABEL]`.

Prints the context the model would get for a section: the high-resolution window
in full, anchor summaries for the rest, within N tokens of the bundled model's
tokenizer (or the estimate with --estimate). Stored model summaries come from the
index (PATH/.clm) when it exists and is free; otherwise extractive summaries are
used. Retrieval is full-text scoring over the workspace. --json prints the text,
the parts and the zoom map (label -> uri, range, section, full|summary, level).

Exit status: 0; 1 when the focus cannot be assembled; 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clm_lsp.workspace_io import load_workspace


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("focus", help="ENTITY#ANCHOR or ENTITY (its Vision)")
    parser.add_argument("--workspace", type=Path, default=Path("."), help="workspace folder (default: .)")
    parser.add_argument("--budget", type=int, default=2048, help="tokens (default 2048)")
    parser.add_argument("--task", default="", help="what the context is for (guides retrieval)")
    parser.add_argument("--expand", action="append", default=[], metavar="LABEL", help="show this part in full (repeatable)")
    parser.add_argument("--json", action="store_true", help="print text, parts and zoom map as JSON")
    parser.add_argument("--estimate", action="store_true", help="count with the character estimate, not the model's tokenizer")
    parser.add_argument("--no-index", action="store_true", help="ignore PATH/.clm: extractive summaries only")


def run(args: argparse.Namespace) -> int:
    root: Path = args.workspace
    if not root.is_dir():
        print(f"clm-lsp context: {root} is not a folder", file=sys.stderr)
        return 2
    if args.budget < 0:
        print("clm-lsp context: --budget must be 0 or more", file=sys.stderr)
        return 2
    from clm_lsp.context.assemble import ContextError, assemble
    from clm_lsp.context.assemble_lexical import lexical_retriever

    ws, _settings = load_workspace(root)
    summary_for, note = (lambda _t: None), "extractive summaries (no index)"
    if not args.no_index:
        summary_for, note = stored_summaries(root.resolve(), ws)
    count = token_counter(args.estimate)
    try:
        ctx = assemble(ws, args.focus, args.task, args.budget, count=count, summary_for=summary_for,
                       retrieve=lexical_retriever(ws), expand=args.expand)
    except ContextError as exc:
        print(f"clm-lsp context: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({**ctx.as_dict(), "summaries": note}, ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(ctx.text)
        print(f"clm-lsp context: {ctx.tokens} of {ctx.budget} tokens, {len(ctx.parts)} parts; {note}", file=sys.stderr)
    return 0


def token_counter(estimate: bool) -> Callable[[str], int]:
    """The bundled model's tokenizer (vocabulary only, no weights), else the estimate."""
    from clm_lsp.blueprint import estimate_tokens

    if estimate:
        return estimate_tokens
    try:
        import llama_cpp

        from clm_lsp.llm.bundled import require_bundled_gguf

        llm = llama_cpp.Llama(str(require_bundled_gguf()), vocab_only=True, verbose=False)
    except Exception as exc:  # no bundled model here: say so, count approximately
        print(f"clm-lsp context: the bundled tokenizer is unavailable ({exc}); using the estimate", file=sys.stderr)
        return estimate_tokens
    return lambda text: len(llm.tokenize(text.encode("utf-8"), add_bos=False)) if text else 0


def stored_summaries(root: Path, ws: Any) -> tuple[Callable[[str], Any], str]:
    """summary_for over the index's current summaries, loaded once; extractive when unavailable."""
    from clm_lsp.index.store import DEFAULT_DIR, GRAPH_FILE

    path = root / DEFAULT_DIR / GRAPH_FILE
    if not path.exists():
        return (lambda _t: None), "extractive summaries (no index)"
    try:
        table = _load_current(path, ws)
    except Exception as exc:  # locked by a running server, or another format: not fatal
        return (lambda _t: None), f"extractive summaries (index unavailable: {str(exc).splitlines()[0]})"
    return table.get, f"{len(table)} stored summaries"


def _load_current(path: Path, ws: Any) -> dict[str, tuple[str, int, str]]:
    from clm_lsp.context.summary_plan import plan
    from clm_lsp.context.summary_store import GraphSummaries, SummaryCache
    from clm_lsp.index.graph import Graph

    graph = Graph(path)
    try:
        async def run(fn: Callable[[Any], Any]) -> Any:
            return fn(graph)

        cache = SummaryCache()
        asyncio.run(GraphSummaries(run).load_current(ws, cache))
    finally:
        graph.close()
    return summary_table(ws, cache, plan(ws))


def summary_table(ws: Any, cache: Any, targets: list[Any]) -> dict[str, tuple[str, int, str]]:
    """assemble's ids ("e#a" a section, "e" an entity: its tree summary, else its own) -> current rows."""
    out: dict[str, tuple[str, int, str]] = {}
    for target in targets:  # plan order: L0, L1, then trees, so a tree summary replaces L1
        row = cache.current(target)
        if row is None:
            continue
        key = target.section_id if target.level == 0 else target.entity
        out[key] = (row.text, row.level, row.model_id)
    return out
