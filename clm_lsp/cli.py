"""`clm-lsp` entry point: a thin dispatcher over the modules in clm_lsp/commands/.

Each command module is imported only when its command runs, so `clm-lsp check`
never pays for loading pygls, Kuzu, LanceDB or llama.cpp.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module under clm_lsp.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("check", "check a workspace like a linter"),
    "context": ("context", "show the context the model gets for a section (within a token budget)"),
    "demo": ("demo", "show what clm-lsp sees in a workspace"),
    "index": ("index", "build or update the workspace index"),
    "doctor": ("doctor", "check that a model and its context fit this machine's memory"),
    "serve": ("serve", "run the language server (stdio, or --tcp HOST:PORT)"),
    "summarize": ("summarize", "write anchor summaries with the model (hover shows them)"),
    "train": ("train", "fine-tune on the workspace: export a dataset, run QLoRA"),
}


def build_parser() -> argparse.ArgumentParser:
    from clm_lsp import __version__

    parser = argparse.ArgumentParser(prog="clm-lsp", description="Language server and tools for blueprint workspaces.")
    parser.add_argument("--version", action="version", version=f"clm-lsp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        parser = build_parser()
        if argv and not argv[0].startswith("-"):
            parser.error(f"unknown command {argv[0]!r}")
        parser.parse_args(argv)
        parser.print_help()
        return 2
    name, rest = argv[0], argv[1:]
    module = importlib.import_module(f"clm_lsp.commands.{COMMANDS[name][0]}")
    parser = argparse.ArgumentParser(prog=f"clm-lsp {name}", description=COMMANDS[name][1])
    module.add_arguments(parser)
    args = parser.parse_args(rest)
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
