"""Index a generated 1M-token workspace: cold, again with no change, and after a one-section edit.

    python bench/index.py [--tokens 1000000] [--seed 0] [--no-embed] [--keep DIR]

Generates the workspace with bench/gen_workspace.py in a temporary folder, then:
1. cold index (empty store) with the default embedder (ONNX MiniLM);
2. closes the index and opens it again (a restart), and reconciles with no change;
3. edits the body of one section of one file and reconciles again.
Each step prints its time split into walk (list, stat, hash), parse, graph,
embed and vectors, and the counts. Peak RSS of the whole run is printed last.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from clm_lsp.blueprint import DEFAULT_CONFIG  # noqa: E402
from clm_lsp.index import Indexer  # noqa: E402


def _generator():
    spec = importlib.util.spec_from_file_location("gen_workspace", REPO / "bench" / "gen_workspace.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look the module up while it loads
    spec.loader.exec_module(module)
    return module


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _report(label: str, stats, wall: float) -> None:
    print(
        f"{label:<22} {wall:7.2f}s  walk {stats.walk_s:6.2f}  parse {stats.parse_s:6.2f}  graph {stats.graph_s:6.2f}  "
        f"embed {stats.embed_s:7.2f}  vectors {stats.vectors_s:6.2f}  | parsed {stats.parsed:5d}  embedded {stats.embedded:6d}  "
        f"reused {stats.reused:6d}  deleted {stats.deleted}  (peak RSS so far {_rss_mb():.0f} MB)"
    )


def _edit_one_section(root: Path) -> str:
    """Change one word in the body of the first free section of the first file that has one."""
    for path in sorted(root.rglob("*.blueprint.md")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for i, line in enumerate(lines):
            if line.startswith("## Structure") and i + 2 < len(lines) and lines[i + 2].strip():
                lines[i + 2] = "Edited for the benchmark: " + lines[i + 2]
                path.write_text("".join(lines), encoding="utf-8")
                return f"{path.relative_to(root)} line {i + 3}"
    raise SystemExit("no section to edit")


_PHASES = ("walk_s", "parse_s", "graph_s", "embed_s", "vectors_s", "parsed", "embedded", "reused", "deleted")


def _step(stats, wall: float) -> dict:
    return {"wall_s": wall, **{name: getattr(stats, name) for name in _PHASES}}


def measure(tokens: int = 1_000_000, seed: int = 0, embed: bool = True, keep: Path | None = None,
            report=_report) -> dict:
    """Cold index, restart with no change, one-section edit: the figures of each step.
    `report(label, stats, wall)` is called after each step (main prints; pass None for silence)."""
    report = report or (lambda *_a: None)
    embedder = None
    if embed:
        from clm_lsp.llm.minilm import MiniLMEmbedder

        embedder = MiniLMEmbedder()
    out: dict = {"tokens": tokens, "seed": seed, "embedder": embedder.model_id if embedder else None}
    with tempfile.TemporaryDirectory(prefix="clm-bench-index-") as tmp:
        root = keep or Path(tmp) / "ws"
        start = time.perf_counter()
        out["workspace"] = _generator().generate(root, tokens=tokens, seed=seed)
        out["generate_s"] = time.perf_counter() - start

        start = time.perf_counter()
        ix = Indexer(root, embedder, DEFAULT_CONFIG)
        stats = ix.reconcile()
        report("cold index", stats, time.perf_counter() - start)
        out["cold"] = _step(stats, time.perf_counter() - start)
        out["counts"] = {k: getattr(stats, k) for k in ("files", "entities", "sections", "links", "resolved_links", "chunks")}
        ix.close()

        start = time.perf_counter()
        ix = Indexer(root, embedder, DEFAULT_CONFIG)
        stats = ix.reconcile()
        report("restart, no change", stats, time.perf_counter() - start)
        out["no_change"] = _step(stats, time.perf_counter() - start)

        out["edited"] = _edit_one_section(root)
        start = time.perf_counter()
        stats = ix.reconcile()
        report("one-section edit", stats, time.perf_counter() - start)
        out["one_edit"] = _step(stats, time.perf_counter() - start)

        start = time.perf_counter()
        hits = ix.search("who maintains the shared workshop tools", k=5)
        out["search_ms"] = 1000 * (time.perf_counter() - start)
        out["search_top"] = hits[0].section_id if hits else None
        ix.close()
        out["store_mb"] = sum(p.stat().st_size for p in (root / ".clm").rglob("*") if p.is_file()) / 1e6
    out["peak_rss_mb"] = _rss_mb()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-embed", action="store_true", help="index without vectors (graph and full text only)")
    parser.add_argument("--keep", type=Path, default=None, help="generate into this folder and keep it")
    args = parser.parse_args(argv)
    out = measure(args.tokens, args.seed, not args.no_embed, args.keep)
    c = out["counts"]
    print(f"generated {json.dumps(out['workspace'])} in {out['generate_s']:.1f}s")
    print(f"embedder: {out['embedder'] or 'none (full text only)'}")
    print(f"{'':<22} {c['files']} files, {c['entities']} entities, {c['sections']} sections, "
          f"{c['links']} links ({c['resolved_links']} resolved), {c['chunks']} chunks")
    print(f"{'':<22} edited {out['edited']}")
    print(f"hybrid search          {out['search_ms']:7.1f} ms  top: {out['search_top']}")
    print(f"store size {out['store_mb']:.1f} MB; peak RSS {out['peak_rss_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
