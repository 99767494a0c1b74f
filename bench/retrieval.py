"""Retrieval quality and embedding speed on fixtures/commons, for each embedder and search mode.

    python bench/retrieval.py [--gguf] [--misses]

For each embedder (the default ONNX MiniLM; with --gguf also llama.cpp mean-pooled
embeddings from the bundled SmolLM2 GGUF) the workspace is indexed into a
temporary store, then every query of bench/retrieval_queries.json is run in three
modes: vector only, full-text only (LanceDB BM25) and hybrid (both, fused by
reciprocal rank). Prints recall@5 (the share of queries whose expected section is
among the first five distinct sections), recall@1, MRR@10, and the embedder's
throughput (chunks/s while indexing). Full-text alone needs no embedder.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from clm_lsp.index import Indexer  # noqa: E402
from clm_lsp.workspace_io import load_settings  # noqa: E402

QUERIES = REPO / "bench" / "retrieval_queries.json"


def score(indexer: Indexer, queries: list[dict], mode: str, misses: bool) -> dict:
    found5 = found1 = 0
    rr = 0.0
    start = time.perf_counter()
    for q in queries:
        hits = [h.section_id for h in indexer.search(q["query"], k=10, mode=mode)]
        ranks = [hits.index(e) + 1 for e in q["expected"] if e in hits]
        best = min(ranks) if ranks else None
        found5 += bool(best and best <= 5)
        found1 += best == 1
        rr += 1.0 / best if best else 0.0
        if misses and not (best and best <= 5):
            print(f"    miss [{mode}] {q['query']!r}: expected {q['expected'][0]}, got {hits[:3]}")
    n = len(queries)
    ms = (time.perf_counter() - start) * 1000 / n
    return {"recall@5": found5 / n, "recall@1": found1 / n, "mrr@10": rr / n, "ms_per_query": ms}


def build(root: Path, embedder, store: Path) -> tuple[Indexer, dict]:
    settings = load_settings(root)
    indexer = Indexer(root, embedder, settings.format, store_dir=store, settings=settings)
    stats = indexer.reconcile()
    rate = stats.embedded / stats.embed_s if stats.embed_s else 0.0
    return indexer, {"chunks": stats.chunks, "embedded": stats.embedded, "embed_s": stats.embed_s, "chunks_per_s": rate}


def embedders(gguf: bool):
    from clm_lsp.llm.minilm import MiniLMEmbedder

    yield "minilm-onnx-int8", MiniLMEmbedder
    if gguf:
        from clm_lsp.llm.bundled import require_bundled_gguf
        from clm_lsp.llm.llama_cpp import LlamaCppEmbedder

        yield "smollm2-135m-gguf", lambda: LlamaCppEmbedder(require_bundled_gguf())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", action="store_true", help="also measure llama.cpp embeddings of the bundled GGUF")
    parser.add_argument("--misses", action="store_true", help="list the queries each mode misses")
    parser.add_argument("--workspace", type=Path, default=None)
    args = parser.parse_args(argv)
    spec = json.loads(QUERIES.read_text(encoding="utf-8"))
    root = (args.workspace or REPO / spec["workspace"]).resolve()
    queries = spec["queries"]
    print(f"{len(queries)} queries over {root.relative_to(REPO) if root.is_relative_to(REPO) else root}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="clm-retrieval-") as tmp:
        indexer, info = build(root, None, Path(tmp) / "text")
        rows.append(("full-text only", "text", score(indexer, queries, "text", args.misses), info))
        indexer.close()
        for name, make in embedders(args.gguf):
            emb = make()
            indexer, info = build(root, emb, Path(tmp) / name)
            for mode in ("vector", "hybrid"):
                rows.append((name, mode, score(indexer, queries, mode, args.misses), info))
            indexer.close()
            emb.close()
    print(f"\n{'embedder':<20} {'mode':<7} {'recall@5':>9} {'recall@1':>9} {'MRR@10':>7} {'ms/query':>9} {'chunks/s':>9}")
    for name, mode, s, info in rows:
        rate = f"{info['chunks_per_s']:.1f}" if info["embedded"] else "-"
        print(f"{name:<20} {mode:<7} {s['recall@5']:>9.3f} {s['recall@1']:>9.3f} {s['mrr@10']:>7.3f} {s['ms_per_query']:>9.1f} {rate:>9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
