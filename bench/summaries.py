"""Time anchor summaries over a workspace with the bundled model (or --model-path).

Usage: python bench/summaries.py [--root fixtures/commons] [--max-tokens 60] [--limit-s 0]

Copies the workspace to a temporary folder (never writes .clm into fixtures/), then:

1. cold: indexes it and summarises everything (levels 0, 1 and the trees);
2. warm restart: the same again on the unchanged copy (every key should hit: 0 written);
3. one edit: changes one section and runs again (only its chain is written).

Prints sections/s, summaries/s, the model's tokens/s, the guard's rates (first-try
pass rate, retried, passed on retry, replaced by the extractive summary, invented
claims per kind) and the per-level counts. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clm_lsp.commands.summarize import summarize_workspace  # noqa: E402
from clm_lsp.llm import ModelConfig  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=ROOT / "fixtures" / "commons")
    ap.add_argument("--max-tokens", type=int, default=60)
    ap.add_argument("--model-path", default=None)
    ap.add_argument("--limit-s", type=float, default=0, help="stop the cold run after this many seconds (0: no limit)")
    args = ap.parse_args()
    cfg = ModelConfig.from_mapping({"backend": "llama_cpp", "model_path": args.model_path} if args.model_path else {})
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        shutil.copytree(args.root, ws, ignore=shutil.ignore_patterns(".clm"))
        cold = summarize_workspace(ws, cfg, max_tokens=args.max_tokens, deadline_s=args.limit_s or None)
        show("cold", cold)
        warm = summarize_workspace(ws, cfg, max_tokens=args.max_tokens)
        show("warm restart", warm)
        edited = _edit_one(ws)
        if edited:
            show(f"after editing {edited}", summarize_workspace(ws, cfg, max_tokens=args.max_tokens))
    return 0


def _edit_one(ws: Path) -> str | None:
    for path in sorted(ws.rglob("*.blueprint.md")):
        text = path.read_text(encoding="utf-8")
        if "\n## Vision\n" in text:
            path.write_text(text.replace("\n## Vision\n", "\n## Vision\nEdited for the benchmark.\n", 1), encoding="utf-8")
            return path.name
    return None


def show(label: str, result) -> None:
    s = result.stats
    d = s.as_dict()
    sections = s.per_level.get(0, 0)
    secs = max(result.seconds, 1e-9)
    print(f"{label}: {s.planned} planned, {s.written} written, {s.reused} reused, {s.extractive} extractive, "
          f"{result.seconds:.1f}s (model load {result.load_s:.1f}s){' CANCELLED' if s.cancelled else ''}")
    print(f"  sections/s {sections / secs:.2f}, summaries/s {(s.written + s.extractive) / secs:.2f}, "
          f"tokens/s {d['tokens_per_s']}, generations {s.generations}")
    print(f"  guard: first-try pass rate {d['guard_first_try_pass_rate']}, retried {s.guard_retried}, "
          f"passed on retry {s.retry_passed}, extractive {s.extractive}, invented {d['invented']}")
    print(f"  per level {d['per_level']}")


if __name__ == "__main__":
    raise SystemExit(main())
