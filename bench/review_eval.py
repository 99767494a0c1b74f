"""How often the model review finds a planted contradiction, and how often it cries wolf.

Each case is a two-section blueprint (a Vision and a timeslice). Planted cases
state in the timeslice the opposite of the Vision; clean cases agree with it.
The review runs exactly as in the server (context/review.py, review_prompt.py)
with the chosen model (default: the bundled SmolLM2-135M-Instruct), and each
reply is scored:

- format: the reply parsed into findings or said NONE (not echo or prose);
- hit (strict): a contradiction whose quote lies inside the planted sentence;
- hit (loose): any contradiction reported on the planted section;
- false alarm: any finding on a clean section.

    .venv/bin/python bench/review_eval.py [--json] [--max-tokens 80]

Model settings come from the environment like the CLI's (default: bundled).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from clm_lsp.blueprint import LineIndex, Workspace, parse
from clm_lsp.context.review import review_input, to_problems
from clm_lsp.context.review_prompt import parse_review, review_messages
from clm_lsp.llm import GenerateOptions, get_chat_model
from clm_lsp.llm.config import ModelConfig

PLANTED = [
    ("The coop keeps every rent below 30 % of a member's income.", "Rents rose to 45 % of members' income this year."),
    ("The forum meets four times a year, in public.", "The forum now meets only once a year."),
    ("All decisions are made by the general assembly of members.", "The director now decides alone on all spending."),
    ("The bakery bakes only with flour from local mills.", "Since March the bakery imports all of its flour from abroad."),
    ("Membership is open to everyone who lives in the district.", "Membership is now limited to homeowners."),
    ("The library is free for every resident.", "The library now charges a monthly fee of 20 euros."),
    ("The network runs on 100 % renewable power.", "Half of the network's power now comes from a coal plant."),
    ("Every meeting is held in public and minuted.", "All meetings are now held behind closed doors."),
]
CLEAN = [
    ("The coop keeps every rent below 30 % of a member's income.", "Rents stayed at about 25 % of members' income."),
    ("The forum meets four times a year, in public.", "The forum met four times, each meeting open to all."),
    ("All decisions are made by the general assembly of members.", "The general assembly approved the budget in May."),
    ("The bakery bakes only with flour from local mills.", "The bakery signed contracts with two more local mills."),
]

TEMPLATE = """---
id: case-{n}
title: Case {n}
scale: organization
---
# Case {n}

## Vision
{vision}

## Timeslice 2024
{slice}
"""


def run(max_tokens: int) -> dict[str, object]:
    model = get_chat_model(ModelConfig())
    rows = []
    for planted, cases in ((True, PLANTED), (False, CLEAN)):
        for n, (vision, slice_text) in enumerate(cases):
            uri = f"file:///eval/case-{int(planted)}-{n}.blueprint.md"
            bp = parse(TEMPLATE.format(n=n, vision=vision, slice=slice_text), uri)[0]
            ws = Workspace.build([bp], "file:///eval")
            section = bp.sections[-1]
            item = review_input(ws, uri, section)
            assert item is not None
            started = time.perf_counter()
            reply = "".join(model.stream(review_messages(item), GenerateOptions(max_tokens=max_tokens)))
            seconds = time.perf_counter() - started
            findings = parse_review(reply, [r.number for r in item.references])
            problems = to_problems(ws, uri, section.anchor, section.content_hash, findings, item.references, model.model_id)
            index = LineIndex(bp.text)
            at = bp.text.index(slice_text)
            lo, hi = index.position_at(at), index.position_at(at + len(slice_text))
            contradictions = [p for p in problems if p.code == "review-contradiction"]
            strict = any(lo <= p.range.start and p.range.end <= hi and p.range.start != p.range.end for p in contradictions
                         if p.range != section.heading_range)
            rows.append({
                "planted": planted, "case": n, "seconds": round(seconds, 2), "reply": reply.strip()[:200],
                "format_ok": bool(findings) or reply.strip().upper().startswith("NONE"),
                "findings": len(findings), "hit_strict": planted and strict, "hit_loose": planted and bool(contradictions),
                "false_alarm": (not planted) and bool(findings),
            })
    planted_rows = [r for r in rows if r["planted"]]
    clean_rows = [r for r in rows if not r["planted"]]
    return {
        "model": model.model_id, "max_tokens": max_tokens, "cases": len(rows),
        "format_ok": sum(r["format_ok"] for r in rows) / len(rows),
        "hit_strict": sum(r["hit_strict"] for r in planted_rows) / len(planted_rows),
        "hit_loose": sum(r["hit_loose"] for r in planted_rows) / len(planted_rows),
        "false_alarm": sum(r["false_alarm"] for r in clean_rows) / len(clean_rows),
        "seconds_mean": round(sum(r["seconds"] for r in rows) / len(rows), 2),
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--max-tokens", type=int, default=80)
    args = ap.parse_args(argv)
    result = run(args.max_tokens)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for r in result["rows"]:  # type: ignore[union-attr]
        kind = "planted" if r["planted"] else "clean  "
        print(f"{kind} {r['case']}: {r['seconds']:5.1f}s findings={r['findings']} strict={r['hit_strict']} "
              f"loose={r['hit_loose']} false={r['false_alarm']} | {r['reply'][:90]!r}")
    print(f"{result['model']}: format {result['format_ok']:.0%}, hits {result['hit_strict']:.0%} strict / "
          f"{result['hit_loose']:.0%} loose over {len(PLANTED)} planted, false alarms {result['false_alarm']:.0%} "
          f"over {len(CLEAN)} clean, {result['seconds_mean']} s a review")
    return 0


if __name__ == "__main__":
    sys.exit(main())
