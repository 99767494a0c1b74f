"""Build the server: create it, attach the shared controllers, register every feature module."""

from __future__ import annotations

from .checking import Checker
from .contextview import ContextViews
from .features import budget, commands, context, diagnostics, documents, editing, lifecycle, navigation, outline, review, synthesis
from .indexing import IndexController
from .modeling import ModelHost
from .reviewing import ReviewController
from .server import ClmLanguageServer
from .summarizing import SummaryController
from .synthesizing import Synthesizer
from .status import StatusBoard

FEATURE_MODULES = (lifecycle, documents, diagnostics, navigation, editing, outline, commands, budget, context, review, synthesis)


def create_server() -> ClmLanguageServer:
    server = ClmLanguageServer()
    server.extensions["status"] = StatusBoard(server)
    server.extensions["checker"] = Checker(server)
    server.extensions["indexing"] = IndexController(server)
    server.extensions["model"] = ModelHost(server)
    server.extensions["summaries"] = SummaryController(server)
    server.extensions["contexts"] = ContextViews(server)
    server.extensions["reviews"] = ReviewController(server)
    server.extensions["synthesis"] = Synthesizer(server)
    for module in FEATURE_MODULES:
        module.register(server)
    return server
