"""`clm-lsp check PATH`: run every deterministic check over a workspace, like a linter.

Output: `file:line:col: severity CODE message`, 1-based line and column (the
column counts characters, as most editors show it). Exit status 1 when any
error was found, 0 otherwise, 2 when PATH is not a folder.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

from clm_lsp.blueprint import check_workspace
from clm_lsp.blueprint.model import Problem, Severity
from clm_lsp.workspace_io import load_workspace

SEVERITY_NAMES = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFORMATION: "info", Severity.HINT: "hint"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="workspace folder")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def uri_to_display(uri: str) -> str:
    """A path relative to the current folder when it is below it, else absolute."""
    path = unquote(urlparse(uri).path)
    try:
        return os.path.relpath(path)
    except ValueError:
        return path


def collect(root: Path) -> list[tuple[str, Problem]]:
    workspace, settings = load_workspace(root)
    for message in settings.messages:
        print(f"warning: {message}", file=sys.stderr)
    results = check_workspace(workspace)
    found = [(uri, p) for uri in sorted(results) for p in results[uri]]
    found.sort(key=lambda item: (item[0], item[1].range.start, item[1].code))
    return found


def problem_json(uri: str, p: Problem) -> dict:
    return {
        "file": uri_to_display(uri),
        "uri": uri,
        "line": p.range.start.line + 1,
        "column": p.range.start.character + 1,
        "end_line": p.range.end.line + 1,
        "end_column": p.range.end.character + 1,
        "severity": SEVERITY_NAMES[p.severity],
        "code": p.code,
        "message": p.message,
    }


def run(args: argparse.Namespace) -> int:
    if not args.path.is_dir():
        print(f"clm-lsp check: {args.path} is not a folder", file=sys.stderr)
        return 2
    found = collect(args.path)
    if args.format == "json":
        json.dump([problem_json(uri, p) for uri, p in found], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        for uri, p in found:
            pos = p.range.start
            print(f"{uri_to_display(uri)}:{pos.line + 1}:{pos.character + 1}: {SEVERITY_NAMES[p.severity]} {p.code} {p.message}")
        errors = sum(1 for _, p in found if p.severity is Severity.ERROR)
        print(f"{errors} error(s), {len(found) - errors} other problem(s)", file=sys.stderr)
    return 1 if any(p.severity is Severity.ERROR for _, p in found) else 0
