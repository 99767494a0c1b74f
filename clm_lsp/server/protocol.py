"""pygls's protocol, with one change: a request whose params cannot be read gets an error reply.

Plain pygls raises while decoding such a message, so the client never hears
back and waits forever for that request. Here the request is answered with
InvalidParams, and the decoded message becomes a no-op notification.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification

log = logging.getLogger(__name__)
REJECTED = "$/clm/rejectedRequest"


class ClmProtocol(LanguageServerProtocol):
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
