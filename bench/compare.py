"""Every benchmark in one run, one table: `make bench`.

    python bench/compare.py [--quick] [--only peers,parse,index,retrieval,model,summarise]
                            [--sizes 10000,100000,1000000] [--samples 200] [--out bench/results]

- peers: clm-lsp against VS Code's Markdown language server (bench/peer_compare.py)
  at ~10k, 100k and 1M tokens: cold start, definition, references, hover,
  documentSymbol, workspace/symbol, didChange -> diagnostics; p50, p99, ratio; peak RSS.
- parse: our parser against markdown-it-py's own parse rate on the same bytes (the floor).
- index: cold index, no-change re-index and a one-section edit at the largest size,
  split walk / parse / graph / embed / vectors; the embedder's throughput (chunks/s).
- retrieval: recall@5 and MRR@10 of full-text, vector and hybrid search on
  fixtures/commons (bench/retrieval.py's queries), and the embedder's chunks/s there.
- model: our llama.cpp backend against llama-cpp-python directly (bench/model.py),
  beside the floor: model bytes per token over the measured memory bandwidth.
- summarise: `clm-lsp summarize` on a ~3k-token workspace, seconds per summary, and
  what the largest size would take at that rate (not run by --quick unless named).

Prints the table, writes it to OUT/latest.json and OUT/latest.md and a dated copy
(`--quick` writes OUT/quick.json and OUT/quick.md only). Targets are reported as
met or missed, never asserted; a part that fails is reported and the rest still runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
sys.path.insert(0, str(BENCH))  # gen_workspace, for the scripts that import it by name
sys.path.insert(0, str(REPO))


def load(name: str):
    """bench/<name>.py as module clm_bench_<name>: names like `parse` or `model` must not
    collide with anything else a process (a test run) has imported."""
    key = f"clm_bench_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, BENCH / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module  # dataclasses look their module up while it loads
        spec.loader.exec_module(module)
    return sys.modules[key]


machine = load("machine")
peer_compare = load("peer_compare")
report = load("report")

PARTS = ("peers", "parse", "index", "retrieval", "model", "summarise")
SUMMARISE_TOKENS = 3_000
"""A few files: the bundled model writes about one summary a second or two on a laptop CPU."""
FULL = {"sizes": [10_000, 100_000, 1_000_000], "samples": 200, "rounds": 2, "model_runs": 5, "max_tokens": 128}
QUICK = {"sizes": [10_000, 100_000], "samples": 20, "rounds": 1, "model_runs": 1, "max_tokens": 32}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_peers(opts: dict, seed: int) -> dict:
    reason = peer_compare.missing_tools()
    if reason:
        return {"skipped": reason}
    sizes = []
    for tokens in opts["sizes"]:
        try:
            sizes.append(peer_compare.compare(tokens, opts["samples"], seed, opts["rounds"], log=log))
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:  # the other sizes still run
            sizes.append({"tokens": tokens, "error": str(exc)})
            log(f"  {tokens:>9,} tokens: failed: {exc}")
    return {"sizes": sizes}


def run_parse(opts: dict, seed: int) -> dict:
    return load("parse").measure(max(opts["sizes"]), seed, repeat=3)


def run_index(opts: dict, seed: int) -> dict:
    return load("index").measure(max(opts["sizes"]), seed, embed=True, report=None)


def run_retrieval(opts: dict, seed: int) -> dict:
    """Recall of each search mode on fixtures/commons (bench/retrieval.py's queries), default embedder."""
    retrieval = load("retrieval")
    spec = json.loads(retrieval.QUERIES.read_text(encoding="utf-8"))
    root, queries = (REPO / spec["workspace"]).resolve(), spec["queries"]
    out: dict = {"workspace": spec["workspace"], "queries": len(queries), "modes": {}}
    with tempfile.TemporaryDirectory(prefix="clm-bench-retrieval-") as tmp:
        indexer, _info = retrieval.build(root, None, Path(tmp) / "text")
        out["modes"]["text"] = retrieval.score(indexer, queries, "text", False)
        indexer.close()
        for name, make in retrieval.embedders(False):
            embedder = make()
            indexer, out["embed"] = retrieval.build(root, embedder, Path(tmp) / name)
            out["embedder"] = name
            for mode in ("vector", "hybrid"):
                out["modes"][mode] = retrieval.score(indexer, queries, mode, False)
            indexer.close()
            embedder.close()
    return out


def run_model(opts: dict, seed: int) -> dict:
    figures = load("model").measure(runs=opts["model_runs"], max_tokens=opts["max_tokens"])
    figures["bandwidth_gbs"] = machine.memory_bandwidth_gbs()
    # Each generated token reads every weight once: the fastest generation this memory allows.
    figures["floor_tps"] = figures["bandwidth_gbs"] * 1e9 / figures["model_bytes"]
    return figures


def run_summarise(opts: dict, seed: int) -> dict:
    """The summary worker over the smallest workspace, through the CLI (model load included)."""
    from gen_workspace import generate

    with tempfile.TemporaryDirectory(prefix="clm-bench-summ-") as tmp:
        root = Path(tmp) / "ws"
        counts = generate(root, min(SUMMARISE_TOKENS, *opts["sizes"]), seed)
        argv = [str(REPO / ".venv" / "bin" / "clm-lsp"), "summarize", str(root), "--json", "--no-embed"]
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, timeout=3600)
        wall = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"clm-lsp summarize exited {done.returncode}: {done.stderr[-1500:]}")
    out = json.loads(lines[-1])
    out.update(wall_s=wall, workspace=counts)
    return out


RUNNERS = {"peers": run_peers, "parse": run_parse, "index": run_index, "retrieval": run_retrieval,
           "model": run_model, "summarise": run_summarise}


def run_all(parts: list[str], opts: dict, seed: int) -> dict:
    results: dict = {"machine": machine.describe(), "options": {**opts, "parts": parts, "seed": seed}}
    for part in parts:
        load = machine.load_average()
        results.setdefault("load_average", {})[part] = load
        log(f"[{part}] load average {load}")
        start = time.perf_counter()
        try:
            results[part] = RUNNERS[part](opts, seed)
        except Exception as exc:  # noqa: BLE001 - one part failing must not lose the others' figures
            results[part] = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc(limit=5)}
            log(f"[{part}] failed: {exc}")
        results.setdefault("seconds", {})[part] = time.perf_counter() - start
    results["machine"]["load_average_at_end"] = machine.load_average()
    return results


def write(results: dict, rendered_md: str, out: Path, quick: bool) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    names = ["quick"] if quick else ["latest", time.strftime("%Y-%m-%d-%H%M")]
    written = []
    for name in names:
        for suffix, text in ((".json", json.dumps(results, indent=1, default=str) + "\n"), (".md", rendered_md)):
            path = out / f"{name}{suffix}"
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
            written.append(path)
    return written


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer samples: a smoke run")
    parser.add_argument("--only", default=None,
                        help=f"comma-separated parts of {','.join(PARTS)} (default: all; --quick leaves out summarise)")
    parser.add_argument("--sizes", default=None, help="workspace sizes in tokens, comma-separated")
    parser.add_argument("--samples", type=int, default=None, help="requests per kind per server")
    parser.add_argument("--rounds", type=int, default=None, help="runs per server per size, alternating")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    default = [p for p in PARTS if p != "summarise"] if args.quick else list(PARTS)
    args.parts = [p.strip() for p in args.only.split(",") if p.strip()] if args.only else default
    unknown = sorted(set(args.parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    return args


def main(argv: list[str] | None = None) -> dict:
    """Run, print the table, write the files; returns the results (tests read them)."""
    args = parse_args(argv)
    opts = dict(QUICK if args.quick else FULL)
    if args.sizes:
        opts["sizes"] = [int(s) for s in args.sizes.split(",")]
    if args.samples:
        opts["samples"] = args.samples
    if args.rounds:
        opts["rounds"] = args.rounds
    results = run_all(args.parts, opts, args.seed)
    rows = report.rows(results)
    results["table"] = rows
    print(report.text(rows))
    if not args.no_write:
        for path in write(results, report.markdown(results, rows), args.out, args.quick):
            log(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
    sys.exit(0)
