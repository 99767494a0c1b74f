"""Build the server: create it, attach the shared controllers, register every feature module."""

from __future__ import annotations

from .checking import Checker
from .features import commands, diagnostics, documents, editing, lifecycle, navigation, outline
from .indexing import IndexController
from .server import ClmLanguageServer
from .status import StatusBoard

FEATURE_MODULES = (lifecycle, documents, diagnostics, navigation, editing, outline, commands)


def create_server() -> ClmLanguageServer:
    server = ClmLanguageServer()
    server.extensions["status"] = StatusBoard(server)
    server.extensions["checker"] = Checker(server)
    server.extensions["indexing"] = IndexController(server)
    for module in FEATURE_MODULES:
        module.register(server)
    return server
