"""A minimal synchronous LSP client over a real `clm-lsp serve` subprocess.

pytest-lsp types every message it sends; the abuse, fuzz and security tests need
to send bytes no typed client would (broken framing, bad JSON, requests before
initialize) and to drive thousands of cases from a synchronous hypothesis test,
so they talk JSON-RPC by hand through this class.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
COMMONS = REPO / "fixtures" / "commons"
SERVER = [sys.executable, "-m", "clm_lsp", "serve"]
FAST_OPTIONS: dict[str, Any] = {"index": {"enable": False}, "summaries": {"enable": False}}


def small_workspace(tmp_path: Path) -> Path:
    """tmp_path/w with two blueprints of fixtures/commons (the region and its city): small
    enough that a server with the index and the model on settles in seconds."""
    import shutil

    import pytest

    if not COMMONS.is_dir():
        pytest.skip("fixtures/commons is not there")
    root = tmp_path / "w"
    (root / "rivermouth").mkdir(parents=True)
    shutil.copy(COMMONS / "rivermouth-region.blueprint.md", root)
    shutil.copy(COMMONS / "rivermouth" / "rivermouth-city.blueprint.md", root / "rivermouth")
    return root


class RawServer:
    """One server process; `request` waits for its reply, notifications from the server are kept."""

    def __init__(self, env: dict[str, str] | None = None, args: list[str] | None = None, command: list[str] | None = None) -> None:
        self.proc = subprocess.Popen(
            (command or SERVER) + (args or []), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})},
        )
        self.replies: dict[Any, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.server_requests: list[dict[str, Any]] = []
        self.null_id_errors: list[dict[str, Any]] = []
        """Error replies with a null id (Parse error, Invalid Request), in arrival order."""
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self._next = 0
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        self.stderr_lines: list[str] = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    # -- wire ---------------------------------------------------------------------------

    def _drain_stderr(self) -> None:
        for line in self.proc.stderr:  # type: ignore[union-attr]
            self.stderr_lines.append(line.decode("utf-8", "replace"))

    def _read_loop(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii", "replace").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if length is None:
                continue
            self.inbox.put(json.loads(out.read(length).decode("utf-8")))

    def send_bytes(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self.send_bytes(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"method": method, "params": params})

    def start_request(self, method: str, params: Any = None) -> int:
        self._next += 1
        self.send({"id": self._next, "method": method, "params": params})
        return self._next

    def wait_reply(self, msg_id: Any, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while msg_id not in self.replies:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply to request {msg_id}; stderr tail: {''.join(self.stderr_lines[-20:])}")
            try:
                msg = self.inbox.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            self._dispatch(msg)
        return self.replies.pop(msg_id)

    def _dispatch(self, msg: dict[str, Any]) -> None:
        if "id" in msg and "method" in msg:  # a request from the server: kept, and accepted
            self.server_requests.append(msg)
            self.send({"id": msg["id"], "result": None})
        elif msg.get("id") is None and "error" in msg:
            self.null_id_errors.append(msg)
        elif "id" in msg:
            self.replies[msg["id"]] = msg
        else:
            self.notifications.append(msg)

    def request(self, method: str, params: Any = None, timeout: float = 30.0) -> dict[str, Any]:
        return self.wait_reply(self.start_request(method, params), timeout)

    def result(self, method: str, params: Any = None, timeout: float = 30.0) -> Any:
        reply = self.request(method, params, timeout)
        assert "error" not in reply, reply
        return reply.get("result")

    # -- session ------------------------------------------------------------------------

    def initialize(self, root: Path, options: dict[str, Any] | None = None, wait_ready: bool = True) -> dict[str, Any]:
        params = {
            "processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {"general": {"positionEncodings": ["utf-16"]}},
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "initializationOptions": FAST_OPTIONS if options is None else options,
        }
        result = self.result("initialize", params, timeout=60)
        self.notify("initialized", {})
        if wait_ready:
            self.wait_for(lambda n: n.get("method") == "clm/status" and (n.get("params") or {}).get("state") == "ready")
        return result

    def wait_for(self, predicate, timeout: float = 60.0) -> dict[str, Any]:
        """The first server notification (already seen or arriving) that matches."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for n in self.notifications[seen:]:
                if predicate(n):
                    return n
            seen = len(self.notifications)
            if time.monotonic() > deadline:
                raise TimeoutError("the awaited notification never came")
            try:
                self._dispatch(self.inbox.get(timeout=0.2))
            except queue.Empty:
                pass

    def open(self, uri: str, text: str, version: int = 1) -> None:
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "markdown", "version": version, "text": text}})

    def replace(self, uri: str, text: str, version: int) -> None:
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]})

    def view(self, uri: str) -> Any:
        return self.result("clm/debugDocument", {"uri": uri})

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self, timeout: float = 20.0) -> int:
        """shutdown + exit when it still answers; the exit status (killed after `timeout`)."""
        if self.alive():
            try:
                self.request("shutdown", None, timeout=timeout)
                self.notify("exit")
                self.proc.stdin.close()  # type: ignore[union-attr]
            except (TimeoutError, BrokenPipeError, OSError):
                pass
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("the server did not exit") from None
