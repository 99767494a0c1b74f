"""clm-lsp: a language server for Commons Language Model blueprint workspaces."""

__version__ = "0.1.0"
