"""Benchmark the blueprint core: parse, parse + check, and per-keystroke check latency.

Usage: python bench/parse.py [--tokens 1000000] [--seed 7] [--repeat 3]

Builds a ~1M-token workspace (with bench/gen_workspace.py's ``generate`` when it
is there, else with the small generator below), then prints:
- parse MB/s (bytes -> Blueprint for every file),
- parse + check MB/s (plus Workspace.build and check_workspace),
- markdown-it-py's own MarkdownIt("commonmark").parse rate on the same bytes,
- check_document latency after one edit (with_document + check_document), the
  server's per-keystroke path, as median and p95 in milliseconds.
Figures are printed, never asserted: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clm_lsp.blueprint import DEFAULT_SCALES, Workspace, check_document, check_workspace, estimate_tokens, parse  # noqa: E402

WORDS = (
    "members assembly budget housing energy water commons district repair garden school transit care "
    "cooperative council decision rotation surplus land trust tenants workshop food network solar fund "
    "the a of and to in for with on by each every all our their shared local"
).split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
    return " ".join(words).capitalize() + "."


def _link(rng: random.Random, ids: list[str], anchors: list[str]) -> str:
    # About 2% of links are broken, as in a workspace being edited.
    target = rng.choice(ids) if rng.random() > 0.02 else f"{rng.choice(ids)}-gone"
    kind = rng.random()
    if kind < 0.4:
        return f"[[{target}]]"
    if kind < 0.8:
        return f"[[{target}#{rng.choice(anchors)}|see {target}]]"
    if kind < 0.9:
        return f"[[#{rng.choice(anchors)}]]"
    if rng.random() < 0.03:
        return f"[[{target}#{rng.choice(anchors)}-old]]"
    return f"[details]({target}.blueprint.md#{rng.choice(anchors)})"


def _paragraph(rng: random.Random, ids: list[str], anchors: list[str]) -> str:
    parts = []
    for _ in range(rng.randint(2, 6)):
        s = _sentence(rng)
        if rng.random() < 0.35:
            s = s[:-1] + " " + _link(rng, ids, anchors) + "."
        if rng.random() < 0.1:
            s += " Run `make check` first."
        parts.append(s)
    return " ".join(parts)


def _document(rng: random.Random, i: int, ids: list[str]) -> str:
    scale_rank = min(len(DEFAULT_SCALES) - 1, max(0, 7 - (i.bit_length())))
    parent = f"\nparent: {ids[(i - 1) // 4]}" if i else ""
    anchors = ["vision", "governance", "resources", "flows", "risks", "timeslice-2024"]
    out = [f"---\nid: {ids[i]}\ntitle: Entity {i}\nscale: {DEFAULT_SCALES[scale_rank]}{parent}\nstatus: active\ntags: [bench, gen]\n---\n# Entity {i}\n"]
    out.append("## Vision\n" + _paragraph(rng, ids, anchors) + "\n")
    for title in ("Governance", "Resources", "Flows"):
        out.append(f"## {title}\n{_paragraph(rng, ids, anchors)}\n\n" + "".join(f"- {_sentence(rng)}\n" for _ in range(rng.randint(2, 5))))
        if rng.random() < 0.3:
            out.append("\n```yaml\nkey: value  # [[not-a-link]]\n```\n")
        if rng.random() < 0.3:
            out.append("\n| Item | Owner |\n|---|---|\n| budget | council |\n")
        out.append(f"\n### Details\n{_paragraph(rng, ids, anchors)}\n<!-- reviewed -->\n")
    for year in range(2020, 2020 + rng.randint(1, 5)):
        out.append(f"## Timeslice {year}\n{_paragraph(rng, ids, anchors)}\n")
    out.append("## Risks\n<!-- synthesize -->\n")
    return "\n".join(out)


def builtin_generate(tokens: int, seed: int) -> dict[str, bytes]:
    """uri -> file bytes, about ``tokens`` tokens in all (estimate_tokens)."""
    rng = random.Random(seed)
    ids = [f"entity-{i}" for i in range(200_000)]
    files: dict[str, bytes] = {}
    total = i = 0
    while total < tokens:
        text = _document(rng, i, ids[: i + 1])  # links go to existing entities (or itself)
        total += estimate_tokens(text)
        files[f"file:///bench/ws/{ids[i]}.blueprint.md"] = text.encode()
        i += 1
    return files


def load_workspace_files(tokens: int, seed: int) -> tuple[dict[str, bytes], str, str]:
    """(files, root uri, which generator) for the benchmark workspace."""
    try:
        sys.path.insert(0, str(ROOT / "bench"))
        from gen_workspace import generate  # type: ignore[import-not-found]
    except ImportError:
        return builtin_generate(tokens, seed), "file:///bench/ws", "builtin generator"
    with tempfile.TemporaryDirectory(prefix="clm-bench-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            generate(tmp, tokens, seed)
        except TypeError as exc:  # a different signature than generate(root, tokens, seed)
            print(f"bench/gen_workspace.py: generate(root, tokens, seed) failed ({exc}); using the builtin generator")
            return builtin_generate(tokens, seed), "file:///bench/ws", "builtin generator"
        files = {p.as_uri(): p.read_bytes() for p in sorted(tmp.rglob("*.blueprint.md"))}
        return files, tmp.as_uri(), "bench/gen_workspace.py"


def best_of(repeat: int, fn) -> float:  # noqa: ANN001 - a callable
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(tokens: int = 1_000_000, seed: int = 7, repeat: int = 3, builtin: bool = False) -> dict:
    """Parse rates (ours and markdown-it-py's on the same bytes) and per-keystroke latencies."""
    if builtin:
        files, root, source = builtin_generate(tokens, seed), "file:///bench/ws", "builtin generator"
    else:
        files, root, source = load_workspace_files(tokens, seed)
    mb = sum(len(b) for b in files.values()) / 1e6
    texts = {u: b.decode() for u, b in files.items()}
    out: dict = {"files": len(files), "mb": mb, "tokens": sum(estimate_tokens(t) for t in texts.values()), "source": source}

    def parse_all() -> list:
        return [parse(data, uri)[0] for uri, data in files.items()]

    def parse_and_check() -> None:
        check_workspace(Workspace.build(parse_all(), root))

    out["parse_s"] = best_of(repeat, parse_all)
    out["parse_check_s"] = best_of(repeat, parse_and_check)
    try:
        from markdown_it import MarkdownIt

        md = MarkdownIt("commonmark")
        out["markdown_it_s"] = best_of(repeat, lambda: [md.parse(t) for t in texts.values()])
    except ImportError:
        out["markdown_it_s"] = None
    out["keystroke_ms"] = keystroke_latency(files, root, seed)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--builtin", action="store_true", help="use the builtin generator even when bench/gen_workspace.py exists")
    args = ap.parse_args()
    out = measure(args.tokens, args.seed, args.repeat, args.builtin)
    mb = out["mb"]
    print(f"workspace: {out['files']} files, {mb:.2f} MB, ~{out['tokens']:,} tokens ({out['source']})")
    print(f"parse:          {mb / out['parse_s']:6.2f} MB/s  ({out['parse_s']:.2f} s)")
    print(f"parse + check:  {mb / out['parse_check_s']:6.2f} MB/s  ({out['parse_check_s']:.2f} s)")
    if out["markdown_it_s"] is None:
        print("markdown-it-py: not installed")
    else:
        t_md = out["markdown_it_s"]
        print(f"markdown-it-py: {mb / t_md:6.2f} MB/s  ({t_md:.2f} s)  MarkdownIt('commonmark').parse, for comparison")
    for name, (median, p95) in out["keystroke_ms"].items():
        print(f"{name:26s} median {median:6.2f} ms   p95 {p95:6.2f} ms")


def keystroke_latency(files: dict[str, bytes], root: str, seed: int) -> dict[str, tuple[float, float]]:
    """Re-parse one edited file, derive a snapshot, check that file: what each keystroke costs.
    Returns name -> (median ms, p95 ms)."""
    ws = Workspace.build([parse(d, u)[0] for u, d in files.items()], root)
    rng = random.Random(seed)
    uris = sorted(files)
    check_document(ws, uris[0])  # warm lazily built caches, as a running server has them
    ws.incoming(ws.entity_ids()[0])
    parse_ms, check_ms, incoming_ms = [], [], []
    for _ in range(200):
        uri = rng.choice(uris)
        text = files[uri].decode() + f"\nAn edit {rng.random()} [[{rng.choice(uris).rsplit('/', 1)[1][:-13]}#vision]]\n"
        t0 = time.perf_counter()
        bp = parse(text, uri)[0]
        t1 = time.perf_counter()
        ws = ws.with_document(bp)
        check_document(ws, uri)
        t2 = time.perf_counter()
        ws.incoming(bp.entity.id or "")  # references/hover on the edited entity
        t3 = time.perf_counter()
        parse_ms.append((t1 - t0) * 1000)
        check_ms.append((t2 - t1) * 1000)
        incoming_ms.append((t3 - t2) * 1000)
    out = {}
    for name, xs in (("parse one file", parse_ms), ("snapshot + check_document", check_ms), ("incoming after the edit", incoming_ms)):
        xs.sort()
        out[name] = (statistics.median(xs), xs[int(len(xs) * 0.95)])
    return out


if __name__ == "__main__":
    main()
