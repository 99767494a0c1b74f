"""`clm-lsp index PATH [--json] [--store DIR] [--no-embed]`: build or update the workspace index.

A progress bar goes to stderr; the statistics go to stdout (one JSON object
with --json). A second run on an unchanged workspace embeds nothing; after an
edit to one section it embeds that section only. Exit status 0, 2 when PATH is
not a folder, 1 when the index cannot be written.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from clm_lsp.workspace_io import load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="workspace folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object of statistics")
    parser.add_argument("--store", type=Path, default=None, help="index folder (default: PATH/.clm)")
    parser.add_argument("--no-embed", action="store_true", help="index without vectors (search is then full-text only)")


def _embedder(raw_settings: dict, disabled: bool):
    """The configured embedder, or None (full-text only) with a warning when it cannot load."""
    if disabled:
        return None
    from clm_lsp.llm import ModelConfig, ModelError, get_embedder

    try:
        cfg = ModelConfig.from_mapping(raw_settings.get("model") if isinstance(raw_settings.get("model"), dict) else None)
        return get_embedder(cfg)
    except ModelError as exc:
        print(f"warning: {exc}; indexing without vectors (full-text search only)", file=sys.stderr)
        return None


def run(args: argparse.Namespace) -> int:
    root: Path = args.path
    if not root.is_dir():
        print(f"clm-lsp index: {root} is not a folder", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="clm-lsp index: %(message)s")
    settings = load_settings(root.resolve())
    for message in settings.messages:
        print(f"warning: {message}", file=sys.stderr)
    embedder = _embedder(settings.raw, args.no_embed)

    from tqdm import tqdm

    from clm_lsp.index import Indexer, StoreError

    try:
        indexer = Indexer(root, embedder, settings.format, store_dir=args.store, settings=settings)
    except StoreError as exc:
        print(f"clm-lsp index: {exc}", file=sys.stderr)
        return 1
    bar = tqdm(total=0, unit="file", file=sys.stderr, disable=not sys.stderr.isatty(), leave=False)

    def progress(done: int, total: int, _path: str) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        stats = indexer.reconcile(progress=progress)
    except StoreError as exc:
        print(f"clm-lsp index: {exc}", file=sys.stderr)
        return 1
    finally:
        bar.close()
        indexer.close()
        if embedder is not None:
            embedder.close()
    _print_stats(root, stats, args.json)
    return 0


def _print_stats(root: Path, stats, as_json: bool) -> None:
    if as_json:
        json.dump(stats.as_dict(), sys.stdout)
        sys.stdout.write("\n")
        return
    print(f"indexed {root} into {stats.store}")
    print(f"  {stats.files} files, {stats.entities} entities, {stats.sections} sections, "
          f"{stats.links} links ({stats.resolved_links} resolved), {stats.chunks} chunks")
    print(f"  parsed {stats.parsed} files; embedded {stats.embedded}, reused {stats.reused}, deleted {stats.deleted} sections")
    print(f"  {stats.seconds:.2f}s (walk {stats.walk_s:.2f}, parse {stats.parse_s:.2f}, graph {stats.graph_s:.2f}, "
          f"embed {stats.embed_s:.2f}, vectors {stats.vectors_s:.2f})")
