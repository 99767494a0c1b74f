"""The language server: the only package that speaks LSP (pygls / lsprotocol).

``create_server()`` builds a ready ClmLanguageServer; ``clm-lsp serve`` runs it.
Pure editor logic lives in ``ide/``; conversion to LSP types in ``convert``.
"""

from __future__ import annotations

from .server import ClmLanguageServer
from .setup import create_server

__all__ = ["ClmLanguageServer", "create_server"]
