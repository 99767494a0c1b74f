"""pygls's protocol, with two changes.

A request whose params cannot be read gets an error reply: plain pygls raises
while decoding such a message, so the client never hears back and waits forever
for that request. Here the request is answered with InvalidParams, and the
decoded message becomes a no-op notification.

didChange skips pygls's own copy of the document: the session owns the text
(session.py), and pygls's copy splits lines with ``str.splitlines`` (which also
breaks at U+001C, U+0085, U+2028...) and *mutates* a range that runs past its
idea of a line end, so our handler received a different range than the client
sent and the buffer went out of step with the editor (found by tests/fuzz).

Before `initialize`, requests get ServerNotInitialized and notifications other
than `exit` are dropped, as the LSP spec says (plain pygls served them against a
server with no workspace).
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.protocol.json_rpc import JsonRPCNotification

log = logging.getLogger(__name__)
REJECTED = "$/clm/rejectedRequest"


class ClmProtocol(LanguageServerProtocol):
    _initialize_seen = False

    def _handle_request(self, msg_id: Any, method_name: str, params: Any) -> None:
        if method_name == lsp.INITIALIZE:
            self._initialize_seen = True
        elif not self._initialize_seen:
            log.warning("request %s before initialize: answered ServerNotInitialized", method_name)
            error = lsp.ResponseError(code=lsp.ErrorCodes.ServerNotInitialized, message=f"{method_name}: the server is not initialized yet")
            self._send_response(msg_id, error=error)
            return
        super()._handle_request(msg_id, method_name, params)

    def _handle_notification(self, method_name: str, params: Any) -> None:
        if not self._initialize_seen and method_name != lsp.EXIT:
            log.warning("notification %s before initialize: dropped", method_name)
            return
        super()._handle_notification(method_name, params)

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if not (isinstance(data, dict) and "jsonrpc" in data and "id" in data and "method" in data):
                raise
            method = data.get("method")
            log.warning("request %s had unreadable params (%s); answered with an error", method, exc.__cause__ or exc)
            error = lsp.ResponseError(code=lsp.ErrorCodes.InvalidParams, message=f"invalid params for {method}: {exc.__cause__ or exc}")
            self._send_response(data["id"], error=error)
            return JsonRPCNotification(method=REJECTED, params=None, jsonrpc="2.0")

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: lsp.DidChangeTextDocumentParams):
        """Hand the client's ranges to the user handler untouched (see the module docstring)."""
        if (user_handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield user_handler, (params,), None
