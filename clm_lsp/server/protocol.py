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

Malformed JSON-RPC gets the JSON-RPC 2.0 answers instead of an "internal error":
a body that is not JSON (or not UTF-8) is answered Parse error (-32700) with a
null id (:func:`parse_error`, called from the server's error hook, since pygls
decodes the body before any protocol method sees it); JSON that is not a
request object (``[]``, ``null``, a string, an object without ``"jsonrpc":
"2.0"``, a non-string method, an id that is neither a number nor a string) is
answered Invalid Request (-32600), with the request's id when it has a usable
one. A notification whose params cannot be read is logged and dropped (the spec
gives notifications no reply). The stream stays in step and the next request is
served.

`$/cancelRequest` reaches the work of a request served through one of pygls's
builtin generator handlers (workspace/executeCommand, above all): plain pygls
cancels only the outer future it replies from, while the command's own coroutine
(filed under a fresh id) runs on, so a cancelled clm.synthesizeSection would still
have applied its edit. Here the outer future's cancellation cancels the inner one,
and the inner one's entry is dropped when it ends (plain pygls keeps it forever).
`shutdown` cancels the requests still running over a copy of that table: plain
pygls iterates the table itself while each cancellation removes an entry, so a
shutdown during a running command failed with "dictionary changed size".
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
import sys
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.protocol.json_rpc import JsonRPCNotification

log = logging.getLogger(__name__)
REJECTED = "$/clm/rejectedRequest"
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
EXIT_REPLIES_S = 1.0
"""How long `exit` waits for the answers to requests that `shutdown` cancelled."""


def _usable_id(value: Any) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool)


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

    # -- cancelling what a builtin generator handler runs (see the module docstring) ---

    def _run_generator(self, future: Any, *, gen: Any, result_future: Any) -> None:
        before = set(self._request_futures)
        super()._run_generator(future, gen=gen, result_future=result_future)
        for key in set(self._request_futures) - before:
            inner = self._request_futures[key]
            if inner is result_future:
                continue
            inner.add_done_callback(lambda _f, key=key: self._request_futures.pop(key, None))
            result_future.add_done_callback(lambda f, inner=inner: inner.cancel() if f.cancelled() else None)

    # -- malformed messages (see the module docstring) -------------------------------

    def _send_error(self, msg_id: Any, code: int, message: str) -> None:
        # A plain dict: lsprotocol's ResponseErrorMessage would drop a null id, which
        # JSON-RPC requires in these replies.
        self._send_data({"jsonrpc": "2.0", "id": msg_id if _usable_id(msg_id) else None, "error": {"code": code, "message": message}})

    def parse_error(self, exc: Exception) -> None:
        log.warning("a message that is not JSON was answered with Parse error: %s", exc)
        self._send_error(None, PARSE_ERROR, f"Parse error: the message is not valid JSON ({type(exc).__name__})")

    def _invalid_request(self, msg_id: Any, why: str) -> Any:
        log.warning("invalid JSON-RPC request answered with Invalid Request: %s", why)
        self._send_error(msg_id, INVALID_REQUEST, f"Invalid Request: {why}")
        return JsonRPCNotification(method=REJECTED, params=None, jsonrpc="2.0")

    def handle_message(self, message: Any) -> None:
        # Top-level JSON that structure_message left alone: not an object, or no "jsonrpc".
        if not hasattr(message, "jsonrpc"):
            msg_id = message.get("id") if isinstance(message, dict) else None
            self._invalid_request(msg_id, f"expected a JSON-RPC 2.0 object, got {type(message).__name__}")
            return
        super().handle_message(message)

    def structure_message(self, data: dict[str, Any]) -> Any:
        if "jsonrpc" not in data:
            return data  # a nested object (params), or a top level handle_message rejects
        if data["jsonrpc"] != "2.0":
            return self._invalid_request(data.get("id"), f"jsonrpc must be \"2.0\", not {data['jsonrpc']!r}")
        if "id" in data and not _usable_id(data["id"]):
            return self._invalid_request(None, "the id must be a string or a number")
        if "method" in data and not isinstance(data["method"], str):
            return self._invalid_request(data.get("id"), "the method must be a string")
        if "id" not in data and "method" not in data:
            return self._invalid_request(None, "neither a method nor an id")
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if "method" not in data:
                log.warning("a response the server could not read was dropped: %s", exc.__cause__ or exc)
                return JsonRPCNotification(method=REJECTED, params=None, jsonrpc="2.0")
            method = data.get("method")
            if "id" not in data:
                log.warning("notification %s had unreadable params (%s); dropped", method, exc.__cause__ or exc)
                return JsonRPCNotification(method=REJECTED, params=None, jsonrpc="2.0")
            log.warning("request %s had unreadable params (%s); answered with an error", method, exc.__cause__ or exc)
            error = lsp.ResponseError(code=lsp.ErrorCodes.InvalidParams, message=f"invalid params for {method}: {exc.__cause__ or exc}")
            self._send_response(data["id"], error=error)
            return JsonRPCNotification(method=REJECTED, params=None, jsonrpc="2.0")

    @lsp_method(lsp.SHUTDOWN)
    def lsp_shutdown(self, *args: Any):
        """pygls's shutdown, cancelling the running requests over a copy of the table."""
        if (user_handler := self.fm.features.get(lsp.SHUTDOWN)) is not None:
            yield user_handler, args, None
        current_id = self.msg_id
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current_id and not future.done():
                future.cancel()
        self._shutdown = True
        return None

    @lsp_method(lsp.EXIT)
    def lsp_exit(self, *args: Any):
        """pygls's exit, after the replies to the requests that shutdown cancelled are out.

        A cancelled request is answered (RequestCancelled) once its task has unwound, a loop
        turn or more after the cancel; a client that sends `exit` right behind `shutdown`
        (both can arrive in one read) would otherwise find the writer closed before that
        answer, which was lost with a "write to closed file" error. When some are still
        running, the serve loop's task (the one reading messages, running this handler) is
        cancelled once they are answered: server/stdio.py takes that as the end. A SystemExit
        raised from another task would stop the loop under asyncio.run's feet."""
        if (user_handler := self.fm.features.get(lsp.EXIT)) is not None:
            yield user_handler, args, None
        returncode = self._server.exit_code  # the user handler just set it (1 without shutdown)
        pending = [f for f in self._request_futures.values() if not f.done()]
        serve_task = asyncio.current_task()
        if not pending or serve_task is None:  # (no task: the TCP transport, as pygls)
            self._close_and_exit(returncode)
            return
        asyncio.ensure_future(self._exit_after(pending, serve_task))

    async def _exit_after(self, pending: list[Any], serve_task: asyncio.Task[Any]) -> None:
        # pygls files asyncio tasks and, for handlers run on its thread pool, concurrent futures.
        waits = [asyncio.wrap_future(f) if isinstance(f, concurrent.futures.Future) else f for f in pending]
        await asyncio.wait(waits, timeout=EXIT_REPLIES_S)
        await asyncio.sleep(0)  # the replies' own callbacks run first
        if self.writer is not None:
            self.writer.close()
        serve_task.cancel()

    def _close_and_exit(self, returncode: int) -> None:
        """As pygls: close the writer, then end the process (after an awaitable close, when it is done)."""
        closed = self.writer.close() if self.writer is not None else None
        if inspect.isawaitable(closed):
            asyncio.ensure_future(closed).add_done_callback(lambda _t: sys.exit(returncode))
            return
        sys.exit(returncode)

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: lsp.DidChangeTextDocumentParams):
        """Hand the client's ranges to the user handler untouched (see the module docstring)."""
        if (user_handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield user_handler, (params,), None
