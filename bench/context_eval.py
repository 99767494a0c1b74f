"""Needle test for context assembly (issue 6): recall, position and compression
against the baseline of truncating the workspace to the budget.

    python bench/context_eval.py [--out DIR] [--tokens 200000] [--budget 4096]
                                 [--needles 40] [--seed 0] [--reuse] [--no-retrieval] [--near]

Generates a workspace with bench/gen_workspace.py (at least 20x the budget), plants
one fact per needle ("The gate code for <entity> is QX-48392.") at the start or the
end of a random non-Vision section, then for each needle assembles the context for
a *different* entity's Vision with the task "What is the gate code for <entity>?"
(with --near: another section of the needle's own entity, so the needle's section
is in the context as a sibling, in full or summarised) and measures:

- recall (fact): the planted code is in the assembled text (in full, or via a
  summary that still holds it);
- recall (section): the needle's section label is in the context at all;
- position: where the code sits in the context (0 start, 1 end; thirds);
- compression: workspace tokens / context tokens;
- the baseline: the workspace's files concatenated in path order and cut at the
  budget (is the code in the first BUDGET tokens?).

Tokens are counted with the bundled SmolLM2 GGUF's tokenizer. Summaries: the
current stored model summaries when DIR/.clm holds an index with summaries (run the
bench once with --out DIR, then `clm-lsp index DIR && clm-lsp summarize DIR`, then
again with --reuse), else extractive ones. Retrieval is BM25 over the snapshot.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from gen_workspace import generate  # noqa: E402

from clm_lsp.commands.context import stored_summaries, token_counter  # noqa: E402
from clm_lsp.context.assemble import assemble  # noqa: E402
from clm_lsp.context.assemble_lexical import lexical_retriever  # noqa: E402
from clm_lsp.workspace_io import load_workspace  # noqa: E402

KINDS = ("gate code", "storage key", "radio call sign", "ledger number")


def plant(root: Path, n: int, seed: int) -> list[dict]:
    """Insert one fact into each of ``n`` random sections; return where and what."""
    ws, _ = load_workspace(root)
    rng = random.Random(seed + 1)
    pool = [(bp, s) for bp in ws.docs.values() if bp.entity.id for s in bp.sections
            if s.kind.value != "vision" and s.text.strip() and not s.children]
    needles = []
    for i, (bp, s) in enumerate(rng.sample(pool, min(n, len(pool)))):
        kind = KINDS[i % len(KINDS)]
        code = f"{rng.choice('BCDFGHJKLMNPQRSTVWXZ')}{rng.choice('BCDFGHJKLMNPQRSTVWXZ')}-{rng.randint(10000, 99999)}"
        fact = f"The {kind} for {bp.entity.title} is {code}."
        where = "start" if i % 2 == 0 else "end"
        needles.append({"entity": bp.entity.id, "anchor": s.anchor, "uri": bp.uri, "fact": fact,
                        "code": code, "question": f"What is the {kind} for {bp.entity.title}?", "where": where})
    by_uri: dict[str, list[dict]] = {}
    for nd in needles:
        by_uri.setdefault(nd["uri"], []).append(nd)
    for uri, items in by_uri.items():
        bp = ws.docs[uri]
        lines = bp.text.split("\n")
        inserts = []
        for nd in items:
            s = ws.section(uri, nd["anchor"])
            line = s.body_range.start.line if nd["where"] == "start" else _last_text_line(lines, s) + 1
            inserts.append((line, nd["fact"]))
        for line, fact in sorted(inserts, reverse=True):  # bottom up: earlier line numbers stay valid
            lines[line:line] = [fact]
        Path(bp.uri.removeprefix("file://")).write_text("\n".join(lines), encoding="utf-8")
    return needles


def _last_text_line(lines: list[str], s) -> int:  # type: ignore[no-untyped-def]
    end = min(s.body_range.end.line, len(lines) - 1)
    while end > s.body_range.start.line and not lines[end].strip():
        end -= 1
    return end


def evaluate(root: Path, needles: list[dict], budget: int, retrieval: bool, seed: int, near: bool = False) -> dict:
    ws, _ = load_workspace(root)
    count = token_counter(False)
    summary_for, note = stored_summaries(root.resolve(), ws)
    retrieve = lexical_retriever(ws) if retrieval else None
    files = sorted(ws.docs.values(), key=lambda b: b.uri)
    total = sum(count(b.text) for b in files)
    prefix = _truncated_prefix("\n".join(b.text for b in files), budget, count)
    rng = random.Random(seed + 2)
    ids = [e for e in ws.entity_ids()]
    hits_fact = hits_section = base = 0
    positions, tokens, times = [], [], []
    for nd in needles:
        focus = _focus_for(ws, nd, ids, rng, near)
        t0 = time.perf_counter()
        ctx = assemble(ws, focus, nd["question"], budget, count=count, summary_for=summary_for, retrieve=retrieve)
        times.append(time.perf_counter() - t0)
        assert ctx.tokens <= budget
        tokens.append(ctx.tokens)
        at = ctx.text.find(nd["code"])
        hits_section += f"§{nd['entity']}#{nd['anchor']}" in ctx.zoom
        if at >= 0:
            hits_fact += 1
            positions.append(at / max(len(ctx.text), 1))
        base += nd["code"] in prefix
    n = len(needles)
    thirds = [sum(1 for p in positions if lo <= p < hi) for lo, hi in ((0, 1 / 3), (1 / 3, 2 / 3), (2 / 3, 1.01))]
    return {"summaries": note, "workspace_tokens": total, "budget": budget, "needles": n,
            "recall_fact": hits_fact / n, "recall_section": hits_section / n, "baseline_recall": base / n,
            "compression": total / statistics.mean(tokens), "mean_context_tokens": statistics.mean(tokens),
            "position_mean": statistics.mean(positions) if positions else None, "position_thirds": thirds,
            "assemble_ms_median": 1000 * statistics.median(times)}


def _focus_for(ws, nd: dict, ids: list[str], rng: random.Random, near: bool) -> str:  # type: ignore[no-untyped-def]
    """far: another entity's Vision (only retrieval can find the needle); near: another
    section of the needle's own entity (the needle's section is then summarised or in full)."""
    if near:
        bp = ws.entity(nd["entity"])
        others = [s.anchor for s in bp.sections if s.anchor != nd["anchor"] and s.kind.value != "vision"]
        if others:
            return f"{nd['entity']}#{rng.choice(others)}"
    return rng.choice([e for e in ids if e != nd["entity"]])


def _truncated_prefix(text: str, budget: int, count) -> str:  # type: ignore[no-untyped-def]
    lo, hi = 0, min(len(text), budget * 8)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(text[:mid]) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="workspace folder (default: a temporary one)")
    parser.add_argument("--tokens", type=int, default=200_000)
    parser.add_argument("--budget", type=int, default=4096)
    parser.add_argument("--needles", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reuse", action="store_true", help="DIR already holds the planted workspace (and maybe an index)")
    parser.add_argument("--no-retrieval", action="store_true", help="assemble without retrieval (ablation)")
    parser.add_argument("--near", action="store_true", help="focus on another section of the needle's entity, not a far entity")
    args = parser.parse_args(argv)
    tmp = None
    root = args.out
    if root is None:
        tmp = root = Path(tempfile.mkdtemp(prefix="context-eval-"))
    try:
        if not args.reuse:
            if root.exists() and any(root.iterdir()) and tmp is None:
                parser.error(f"{root} is not empty (use --reuse to evaluate it again)")
            generate(root, args.tokens, args.seed)
        needles = plant(root, args.needles, args.seed) if not args.reuse else _replant_info(root, args)
        res = evaluate(root, needles, args.budget, not args.no_retrieval, args.seed, args.near)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    ratio = res["workspace_tokens"] / res["budget"]
    focus = "another section of the needle's entity" if args.near else "another entity's Vision"
    print(f"focus: {focus}; retrieval: {'off' if args.no_retrieval else 'BM25'}")
    print(f"workspace {res['workspace_tokens']} tokens = {ratio:.0f}x the budget of {res['budget']}; {res['needles']} needles; {res['summaries']}")
    print(f"recall (fact in context)     {res['recall_fact']:.1%}")
    print(f"recall (section in context)  {res['recall_section']:.1%}")
    print(f"baseline (truncate to budget) {res['baseline_recall']:.1%}")
    print(f"compression                  {res['compression']:.1f}x (mean context {res['mean_context_tokens']:.0f} tokens)")
    pos = res["position_mean"]
    print(f"needle position              mean {pos:.2f} (0 start, 1 end); thirds start/middle/end {res['position_thirds']}" if pos is not None else "needle position              -")
    print(f"assemble                     {res['assemble_ms_median']:.0f} ms median per context")
    return 0


def _replant_info(root: Path, args: argparse.Namespace) -> list[dict]:
    """With --reuse the needles are already in the files: recover them from their sentences."""
    ws, _ = load_workspace(root)
    needles = []
    for bp in ws.docs.values():
        for s in bp.sections:
            for line in s.text.split("\n"):
                for kind in KINDS:
                    head = f"The {kind} for {bp.entity.title} is "
                    if line.startswith(head):
                        needles.append({"entity": bp.entity.id, "anchor": s.anchor, "uri": bp.uri, "fact": line,
                                        "code": line[len(head):].rstrip("."),
                                        "question": f"What is the {kind} for {bp.entity.title}?", "where": "?"})
    needles.sort(key=lambda nd: (nd["entity"], nd["anchor"]))
    if not needles:
        raise SystemExit(f"no planted needles found in {root}")
    return needles


if __name__ == "__main__":
    sys.exit(main())
