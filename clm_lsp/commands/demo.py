"""`clm-lsp demo PATH`: what clm-lsp sees in a workspace, for a person to read.

The entity tree (fractal parent -> children) with scale, sections, timeslices
and links per blueprint, synthesis targets, then every diagnostic with its
file:line:col, as `clm-lsp check` prints them; then a few anchor summaries the
bundled model writes for one small blueprint, on a temporary copy of the workspace
(the demo never writes an index into the folder it shows), within a time bound.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from clm_lsp.blueprint import Workspace, check_workspace
from clm_lsp.blueprint.model import Blueprint, Severity
from clm_lsp.commands.check import SEVERITY_NAMES, uri_to_display
from clm_lsp.workspace_io import load_workspace


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, nargs="?", default=Path("fixtures/commons"), help="workspace folder")
    parser.add_argument("--no-summaries", action="store_true", help="skip the model's anchor summaries")
    parser.add_argument("--summary-seconds", type=float, default=25.0, help="time bound for the summaries (default 25)")


def _line(bp: Blueprint, depth: int) -> str:
    e = bp.entity
    ts = bp.timeslices
    span = f", timeslices {ts[0].date.raw if ts[0].date else '?'}..{ts[-1].date.raw if ts[-1].date else '?'}" if ts else ""
    return (
        f"{'  ' * depth}- {e.id} ({e.scale}) \"{e.title}\": "
        f"{len(bp.sections)} sections, {len(bp.links)} links{span}"
    )


def print_tree(ws: Workspace) -> None:
    blueprints = [bp for bp in ws.docs.values() if not bp.skipped and bp.entity.id]
    ids = {bp.entity.id for bp in blueprints}
    roots = sorted((bp for bp in blueprints if bp.entity.parent not in ids), key=lambda b: b.entity.id)
    seen: set[str] = set()

    def walk(bp: Blueprint, depth: int) -> None:
        if bp.entity.id in seen:  # a parent cycle: the checker reports it
            return
        seen.add(bp.entity.id)
        print(_line(bp, depth))
        for child in sorted(ws.children(bp.entity.id), key=lambda b: b.entity.id or ""):
            walk(child, depth + 1)

    for bp in roots:
        walk(bp, 0)
    for bp in sorted(blueprints, key=lambda b: b.entity.id):  # members of parent cycles
        if bp.entity.id not in seen:
            walk(bp, 0)


def run(args: argparse.Namespace) -> int:
    if not args.path.is_dir():
        print(f"clm-lsp demo: {args.path} is not a folder", file=sys.stderr)
        return 2
    ws, settings = load_workspace(args.path)
    docs = list(ws.docs.values())
    n_sections = sum(len(bp.sections) for bp in docs)
    n_links = sum(len(bp.links) for bp in docs)
    print(f"Workspace {args.path}: {len(docs)} blueprints, {n_sections} sections, {n_links} links\n")
    print("Entity tree (parent > children):")
    print_tree(ws)

    targets = [(bp, s) for bp in docs for s in bp.sections if s.placeholder]
    print(f"\nSynthesis targets ({len(targets)}): sections the model can write")
    for bp, s in targets:
        print(f"  {uri_to_display(bp.uri)}:{s.heading_range.start.line + 1}: {bp.entity.id}#{s.anchor} \"{s.title}\"")

    results = check_workspace(ws)
    problems = [(uri, p) for uri, ps in results.items() for p in ps]
    print(f"\nDiagnostics ({len(problems)}):")
    for message in settings.messages:
        print(f"  clm.toml: {message}")
    for uri, p in sorted(problems, key=lambda i: (i[0], i[1].range.start)):
        pos = p.range.start
        print(f"  {uri_to_display(uri)}:{pos.line + 1}:{pos.character + 1}: {SEVERITY_NAMES[p.severity]} {p.code} {p.message}")
    if not problems:
        print("  none: every link resolves, every front matter is valid.")
    if not args.no_summaries:
        show_summaries(args.path, ws, args.summary_seconds)
    return 1 if any(p.severity is Severity.ERROR for _, p in problems) else 0


def show_summaries(root: Path, ws: Workspace, seconds: float) -> None:
    """Summarise the smallest blueprint with two or more sections on a copy of ``root``."""
    import shutil
    import tempfile

    from clm_lsp.commands.summarize import SummarizeError, summarize_workspace
    from clm_lsp.llm import ModelConfig

    candidates = [bp for bp in ws.docs.values() if bp.entity.id and not bp.skipped and len(bp.sections) >= 2]
    if not candidates:
        return
    bp = min(candidates, key=lambda b: (sum(len(s.text) for s in b.sections), b.entity.id))
    print(f"\nAnchor summaries of {bp.entity.id} by the bundled model (at most {seconds:.0f}s):")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "ws"
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".clm"))
        try:
            result = summarize_workspace(copy, ModelConfig(), target=bp.entity.id, max_tokens=40, embed=False,
                                         deadline_s=seconds)
        except SummarizeError as exc:
            print(f"  skipped: {exc}")
            return
    for key in result.targets:
        row = result.cache.get(key)
        mark = " (extractive: the guard rejected the model's)" if row.prompt_version.endswith("/extractive") else ""
        print(f"  {key.split(':', 1)[1]}{mark}: {row.text}")
    if result.stats.cancelled:
        print(f"  (stopped after {seconds:.0f}s; `clm-lsp summarize PATH` writes them all)")
