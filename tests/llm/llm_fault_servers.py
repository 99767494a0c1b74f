"""Loopback servers that misbehave on purpose: hang, send garbage, never stop.

Raw sockets rather than http.server so a reply can be exactly as broken as a
real failing endpoint's (no Content-Length, bytes that are not UTF-8, ...).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Handler = Callable[[socket.socket], None]


def free_port() -> int:
    """A loopback port with nothing listening on it (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def raw_server(handler: Handler | None) -> Iterator[str]:
    """Serve on 127.0.0.1; yield the base URL. ``None`` accepts and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            held.append(conn)
            if handler is not None:
                threading.Thread(target=_handle, args=(handler, conn, stop), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


def _handle(handler: Handler, conn: socket.socket, stop: threading.Event) -> None:
    try:
        _read_request(conn)
        handler(conn)
    except OSError:
        pass  # the client went away: the expected end of an endless stream


def _read_request(conn: socket.socket) -> None:
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(body) < length:
        body += conn.recv(65536)


def reply(status: str, content_type: str, body: bytes) -> Handler:
    def handler(conn: socket.socket) -> None:
        conn.sendall(
            f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body
        )

    return handler


def endless(content_type: str, line: bytes, delay_s: float = 0.002) -> Handler:
    """Send ``line`` forever (no Content-Length) until the client hangs up."""

    def handler(conn: socket.socket) -> None:
        conn.sendall(
            f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nConnection: close\r\n\r\n".encode()
        )
        deadline = time.monotonic() + 60  # a safety net for a broken test only
        while time.monotonic() < deadline:
            conn.sendall(line)
            time.sleep(delay_s)

    return handler
