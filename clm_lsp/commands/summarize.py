"""`clm-lsp summarize PATH [ENTITY[#ANCHOR]] [--stats] [--json]`: write anchor summaries.

Runs the server's summary worker from the command line: brings the index up to
date, loads the model (the bundled GGUF unless clm.toml's [model] or the flags
name another), then summarises every section, every entity and every entity
tree that has no current summary. A second run on an unchanged workspace
generates nothing. A progress bar goes to stderr; the summaries of ENTITY (or of
its section ANCHOR and what stands above it) go to stdout, and --stats prints the
counts: written, reused (key hits), guard-retried, replaced by the extractive
summary, per level, and the model's tokens/s.

Exit status: 0; 1 when the model or the index cannot be used; 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clm_lsp.workspace_io import load_settings, load_workspace


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="workspace folder")
    parser.add_argument("target", nargs="?", default=None, help="ENTITY or ENTITY#ANCHOR: summarise (and print) only this")
    parser.add_argument("--stats", action="store_true", help="print the counts (written, reused, guard, per level, tokens/s)")
    parser.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    parser.add_argument("--model-path", default=None, help="a GGUF file to use instead of the bundled model")
    parser.add_argument("--backend", default=None, choices=("bundled", "llama_cpp", "ollama", "openai"))
    parser.add_argument("--model", default=None, help="Ollama tag or OpenAI-compatible model name")
    parser.add_argument("--base-url", default=None, help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--host", default=None, help="Ollama address (default http://127.0.0.1:11434)")
    parser.add_argument("--max-tokens", type=int, default=60, help="longest summary in tokens (default 60)")
    parser.add_argument("--store", type=Path, default=None, help="index folder (default: PATH/.clm)")
    parser.add_argument("--no-embed", action="store_true", help="keep the index without vectors")


def run(args: argparse.Namespace) -> int:
    root: Path = args.path
    if not root.is_dir():
        print(f"clm-lsp summarize: {root} is not a folder", file=sys.stderr)
        return 2
    if args.max_tokens < 8:
        print("clm-lsp summarize: --max-tokens must be at least 8", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="clm-lsp summarize: %(message)s")
    from clm_lsp.llm import ModelError

    try:
        cfg = model_config_for(root, args)
    except ModelError as exc:
        print(f"clm-lsp summarize: {exc}", file=sys.stderr)
        return 2
    try:
        result = summarize_workspace(root, cfg, target=args.target, max_tokens=args.max_tokens,
                                     store=args.store, embed=not args.no_embed, bar=True)
    except SummarizeError as exc:
        print(f"clm-lsp summarize: {exc}", file=sys.stderr)
        return 1
    _report(result, args)
    return 1 if result.stats.unavailable else 0


def model_config_for(root: Path, args: argparse.Namespace) -> Any:
    """clm.toml's [model] table, overridden by the flags. Raises ModelError when invalid."""
    from clm_lsp.llm import ModelConfig

    raw = load_settings(root.resolve()).raw.get("model")
    values = dict(raw) if isinstance(raw, dict) else {}
    flags = {"model_path": args.model_path, "backend": args.backend, "model": args.model,
             "base_url": args.base_url, "host": args.host}
    values.update({k: v for k, v in flags.items() if v is not None})
    if args.model_path and not args.backend:
        values["backend"] = "llama_cpp"
    return ModelConfig.from_mapping(values)


class SummarizeError(Exception):
    """The index or the model cannot be used; the message says why, in one line."""


@dataclass
class SummarizeResult:
    stats: Any
    model_id: str
    cache: Any
    targets: list[str]
    seconds: float
    load_s: float


def summarize_workspace(
    root: Path, cfg: Any, *, target: str | None = None, max_tokens: int = 60, store: Path | None = None,
    embed: bool = True, bar: bool = False, deadline_s: float | None = None,
) -> SummarizeResult:
    """Index ``root``, load the model and run the summary worker (used by summarize, demo and bench)."""
    from clm_lsp.index import Indexer, StoreError
    from clm_lsp.llm import ModelError, get_chat_model

    root = root.resolve()
    ws, settings = load_workspace(root)
    only = _only(ws, target)
    embedder = _embedder(cfg, embed)
    writer = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="clm-index")
    try:
        indexer = writer.submit(lambda: Indexer(root, embedder, settings.format, store_dir=store, settings=settings)).result()
        writer.submit(indexer.reconcile).result()
    except StoreError as exc:
        writer.shutdown()
        raise SummarizeError(str(exc)) from exc
    started = time.perf_counter()
    try:
        model = get_chat_model(cfg)
    except ModelError as exc:
        writer.submit(indexer.close).result()
        writer.shutdown()
        raise SummarizeError(f"the model could not load: {exc}") from exc
    load_s = time.perf_counter() - started
    try:
        return asyncio.run(_run_worker(ws, indexer, writer, model, only, max_tokens, bar, load_s, deadline_s, target))
    finally:
        model.close()
        writer.submit(indexer.close).result()
        writer.shutdown()
        if embedder is not None:
            embedder.close()


async def _run_worker(ws, indexer, writer, model, only, max_tokens, bar, load_s, deadline_s, target) -> SummarizeResult:
    from clm_lsp.context.summaries import SummaryWorker
    from clm_lsp.context.summary_store import GraphSummaries, SummaryCache
    from clm_lsp.llm import CancelToken, ModelError

    loop = asyncio.get_running_loop()
    model_thread = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="clm-model")

    async def on_writer(fn):
        return await loop.run_in_executor(writer, fn, indexer.graph)

    async def generate(messages, options, cancel):
        try:
            return await loop.run_in_executor(model_thread, model.generate, messages, options, cancel)
        except ModelError as exc:
            print(f"clm-lsp summarize: the model failed: {exc}", file=sys.stderr)
            return None

    cache = SummaryCache()
    graph = GraphSummaries(on_writer)
    await graph.load_current(ws, cache)  # as the server does at startup: key hits cost nothing
    worker = SummaryWorker(generate, model.model_id, graph, cache,
                           count_tokens=model.count_tokens, max_tokens=max_tokens)
    cancel = CancelToken()
    if deadline_s is not None:
        loop.call_later(deadline_s, cancel.cancel)
    progress, close_bar = _progress_bar(bar)
    started = time.perf_counter()
    try:
        stats = await worker.run(ws, only=only, cancel=cancel, progress=progress,
                                 priority=[target.split("#", 1)[0]] if target else ())
    finally:
        close_bar()
        model_thread.shutdown(wait=True)
    keys = [k for k in cache.rows if only is None or _entity_of(k) in only]
    return SummarizeResult(stats, model.model_id, cache, keys, time.perf_counter() - started, load_s)


def _only(ws: Any, target: str | None) -> set[str] | None:
    if not target:
        return None
    entity, _, anchor = target.partition("#")
    bp = ws.entity(entity)
    if bp is None:
        raise SummarizeError(f"no blueprint has the id {entity!r}")
    if anchor and ws.section(bp.uri, anchor) is None:
        raise SummarizeError(f"{entity} has no section {anchor!r}")
    return {entity}


def _embedder(cfg: Any, enabled: bool) -> Any:
    if not enabled:
        return None
    from clm_lsp.llm import ModelError, get_embedder

    try:
        return get_embedder(cfg)
    except ModelError as exc:
        print(f"warning: {exc}; the index keeps no vectors (full-text search only)", file=sys.stderr)
        return None


def _progress_bar(enabled: bool):
    from tqdm import tqdm

    bar = tqdm(total=0, unit="summary", file=sys.stderr, disable=not (enabled and sys.stderr.isatty()), leave=False)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    return progress, bar.close


def _entity_of(key: str) -> str:
    return key.split(":", 1)[1].split("#", 1)[0]


def _report(result: SummarizeResult, args: argparse.Namespace) -> None:
    stats = result.stats
    if args.json:
        json.dump({"model": result.model_id, "seconds": round(result.seconds, 2), "load_s": round(result.load_s, 2),
                   **stats.as_dict()}, sys.stdout)
        sys.stdout.write("\n")
        return
    if args.target:
        _print_target(result, args.target)
    if stats.unavailable:
        print("the model stopped answering: the remaining summaries were not written", file=sys.stderr)
    print(f"summaries by {result.model_id}: {stats.written} written, {stats.reused} reused, "
          f"{stats.extractive} extractive (guard), {stats.planned} planned, {result.seconds:.1f}s")
    if args.stats:
        _print_stats(stats)


def _print_target(result: SummarizeResult, target: str) -> None:
    entity, _, anchor = target.partition("#")
    wanted = [f"L0:{entity}#{anchor}"] if anchor else []
    wanted += [f"L1:{entity}", f"T:{entity}"] if not anchor else []
    if not anchor:
        wanted = [k for k in result.targets if k.startswith(f"L0:{entity}#")] + wanted
    for key in wanted:
        row = result.cache.get(key)
        if row is not None:
            mark = " (extractive: the guard rejected the model's)" if row.prompt_version.endswith("/extractive") else ""
            print(f"{key} [level {row.level}]{mark}\n  {row.text}")


def _print_stats(stats: Any) -> None:
    d = stats.as_dict()
    print(f"  guard: {stats.guard_retried} retried with the strict prompt, {stats.retry_passed} passed on retry, "
          f"{stats.extractive} replaced by the extractive summary")
    print(f"  first-try pass rate: {d['guard_first_try_pass_rate']}; invented claims: {d['invented'] or 'none'}")
    print(f"  per level: {d['per_level'] or 'none written'}")
    print(f"  generations: {stats.generations}, tokens: {stats.tokens}, tokens/s: {d['tokens_per_s']}")
