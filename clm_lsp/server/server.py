"""ClmLanguageServer: pygls's LanguageServer plus the session, settings and owned tasks.

State lives in ``Session`` (documents, projects); settings in ``config``; what
the client can do in ``client``. Feature handlers are registered by
``setup.create_server`` from the modules in ``features/``.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import FeatureNotificationError, FeatureRequestError, JsonRpcException
from pygls.lsp.server import LanguageServer

from clm_lsp import __version__

from .config import ServerConfig
from .log import ClientLogHandler
from .protocol import REJECTED, ClmProtocol
from .session import Session
from .tasks import TaskSet

log = logging.getLogger("clm_lsp.server")

EXIT_GRACE_S = 3.0
"""After `exit` (or the client's end of stdin), how long a clean exit may take before the
process ends itself: a thread that is stuck (a long embedding batch, a model call in a
library that does not look at its cancel token) must not keep an editor waiting. The
index survives this like a kill -9 (tests/reliability/test_rel_crash_consistency.py)."""


@dataclass
class ClientFlags:
    """What the client said it can do, read once from its capabilities."""

    pull_diagnostics: bool = False
    diagnostic_refresh: bool = False
    document_changes: bool = False
    create_files: bool = False
    work_done_progress: bool = False
    watched_files_dynamic: bool = False
    configuration: bool = False
    markdown_hover: bool = True
    link_tooltips: bool = False

    @classmethod
    def read(cls, caps: lsp.ClientCapabilities) -> ClientFlags:
        td, ws, win = caps.text_document, caps.workspace, caps.window
        edit = ws.workspace_edit if ws else None
        ops = [getattr(o, "value", o) for o in (edit.resource_operations or [])] if edit else []
        hover_formats = td.hover.content_format if td and td.hover else None
        return cls(
            pull_diagnostics=bool(td and td.diagnostic is not None),
            diagnostic_refresh=bool(ws and ws.diagnostics and ws.diagnostics.refresh_support),
            document_changes=bool(edit and (edit.document_changes or "create" in ops)),
            create_files="create" in ops,
            work_done_progress=bool(win and win.work_done_progress),
            watched_files_dynamic=bool(ws and ws.did_change_watched_files and ws.did_change_watched_files.dynamic_registration),
            configuration=bool(ws and ws.configuration),
            markdown_hover=hover_formats is None or lsp.MarkupKind.Markdown in hover_formats,
            link_tooltips=bool(td and td.document_link and td.document_link.tooltip_support),
        )


class ClmLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("clm-lsp", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental, protocol_cls=ClmProtocol)
        self.session = Session([])
        self.config = ServerConfig()
        self.client = ClientFlags()
        self.encoding = "utf-16"
        self.tasks = TaskSet()
        self.use_pull = False
        self.init_options: Any = None
        self.watching = False
        """The client reports file changes (workspace/didChangeWatchedFiles)."""
        self.extensions: dict[str, Any] = {}
        """Shared controllers (checker, status, index), set up by setup.create_server."""
        self._shown: set[str] = set()
        self.exit_code = 0
        """The process's exit status: the `exit` notification sets 1 when no shutdown came first."""
        self.client_log = ClientLogHandler(self._send_log)
        logging.getLogger("clm_lsp").addHandler(self.client_log)
        # The stand-in for a rejected request (see protocol.py): nothing to do.
        self.feature(REJECTED)(lambda *_args: None)

    def stop_background(self) -> None:
        """Shutdown: the summary runs, then the model (its generation stops within a token),
        then the index writer and the watchers, then every owned task. Safe to call twice;
        never waits on the model."""
        for name, stop in (("summaries", "stop"), ("model", "close"), ("indexing", "stop")):
            part = self.extensions.get(name)
            if part is None:
                continue
            try:
                getattr(part, stop)()
            except Exception:  # noqa: BLE001 - shutting down: log and go on
                log.exception("%s did not stop cleanly", name)
        self.tasks.cancel_all()

    def exit_watchdog(self, code: int, grace_s: float = EXIT_GRACE_S) -> None:
        """End the process with ``code`` if it has not ended by itself ``grace_s`` from now."""

        def end() -> None:
            log.warning("exit took longer than %.0f s (a background thread did not stop): ending the process", grace_s)
            logging.shutdown()
            os._exit(code)

        timer = threading.Timer(grace_s, end)
        timer.daemon = True  # a clean exit does not wait for it
        timer.start()

    def _send_log(self, kind: int, message: str) -> None:
        self.window_log_message(lsp.LogMessageParams(type=lsp.MessageType(kind), message=message))

    def show_once(self, message: str, kind: lsp.MessageType = lsp.MessageType.Warning) -> None:
        """Show a message to the user once per session (and always log it)."""
        if message in self._shown:
            return
        self._shown.add(message)
        log.log(logging.WARNING if kind <= lsp.MessageType.Warning else logging.INFO, "%s", message)
        self.window_show_message(lsp.ShowMessageParams(type=kind, message=f"clm-lsp: {message}"))

    def report_server_error(self, error: Exception, source: Any) -> None:
        """A failed request already answers with its error; anything else: log it, tell the user once."""
        if source is FeatureRequestError:
            return
        if source is JsonRpcException and isinstance(error, ValueError):
            # pygls's reader could not decode a body (JSONDecodeError, UnicodeDecodeError):
            # the JSON-RPC answer is Parse error, not an internal error (protocol.py).
            self.protocol.parse_error(error)
            return
        log.error("internal error (%s): %s", getattr(source, "__name__", source), error)
        where = "handling a notification" if source is FeatureNotificationError else "in the server"
        self.show_once(f"internal error {where}: {type(error).__name__}. See the log for details.", lsp.MessageType.Error)
