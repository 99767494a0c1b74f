"""One module per `clm-lsp` subcommand; each has `add_arguments(parser)` and `run(args) -> int`."""
