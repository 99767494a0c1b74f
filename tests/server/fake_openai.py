"""A tiny OpenAI-compatible chat endpoint on 127.0.0.1 that answers with crafted replies.

For the review plumbing tests: the server under test talks to it through its real
``openai`` backend (stdlib HTTP, server-sent events), so everything from the
prompt to the diagnostics is the production path; only the model's words are
chosen by the test. ``reply(user_message) -> str`` picks the words. Every chat request
is recorded. ``/embeddings`` answers a fixed small vector per text, so a server whose
index embeds through the same endpoint can build it. The server stops when the ``with`` block ends, and by itself after
``lifetime_s`` whatever happens to the test.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class FakeChat:
    reply: Callable[[str], str]
    delay_s: float = 0.0
    """Pause between streamed pieces (a slow model, to edit during a review)."""
    requests: list[dict] = field(default_factory=list)
    base_url: str = ""

    def user_messages(self) -> list[str]:
        return [m["content"] for r in self.requests for m in r.get("messages", []) if m.get("role") == "user"]


def section_of(user: str) -> str:
    """The reviewed section's text in a review prompt (after 'Section to review:')."""
    _, _, rest = user.partition("Section to review:")
    return rest.rsplit("Problems:", 1)[0]


@contextmanager
def fake_openai(reply: Callable[[str], str], delay_s: float = 0.0, lifetime_s: float = 120.0) -> Iterator[FakeChat]:
    chat = FakeChat(reply, delay_s)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args) -> None:  # keep the test output clean
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = {}
            if self.path.endswith("/embeddings"):  # for a server whose index embeds through here too
                self._json({"object": "list", "data": [{"object": "embedding", "index": i, "embedding": _vector(t)}
                                                       for i, t in enumerate(_texts(body.get("input")))]})
                return
            chat.requests.append(body)
            if not self.path.endswith("/chat/completions"):
                self.send_error(404)
                return
            user = next((m.get("content", "") for m in reversed(body.get("messages", [])) if m.get("role") == "user"), "")
            text = chat.reply(user)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for piece in _pieces(text):
                    if chat.delay_s:
                        time.sleep(chat.delay_s)
                    self._event({"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
                self._event({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
            except OSError:
                pass  # the client hung up (a cancelled review)

        def _json(self, obj: dict) -> None:
            out = json.dumps(obj).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def _event(self, obj: dict) -> None:
            self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
            self.wfile.flush()

    with serve_local(Handler, lifetime_s) as chat.base_url:
        yield chat


@contextmanager
def serve_local(handler: type[BaseHTTPRequestHandler], lifetime_s: float) -> Iterator[str]:
    """`handler` served on 127.0.0.1 (a free port) in a thread; yields the `/v1` base URL.
    Stops when the block ends, and by itself after lifetime_s whatever the caller does.
    Also used by bench/load_kit.py's embeddings endpoint."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    stopper = threading.Timer(lifetime_s, server.shutdown)
    stopper.daemon = True
    stopper.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        stopper.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _texts(value: object) -> list[str]:
    return [value] if isinstance(value, str) else [str(t) for t in value] if isinstance(value, list) else []


def _vector(text: str, dims: int = 8) -> list[float]:
    """A fixed vector per text (its bytes' sums), so an index can be built; meaning is not the point."""
    data = text.encode()
    return [float(sum(data[i::dims]) % 97 + 1) for i in range(dims)]


def _pieces(text: str, size: int = 12) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]
