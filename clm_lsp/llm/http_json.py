"""A small stdlib HTTP client for JSON and server-sent events, with hard timeouts.

Used by the OpenAI-compatible backend (no ``openai`` package). Every failure is
a :class:`ModelError` that names the endpoint: refused, timed out, HTTP error,
a body that is not JSON, bytes that are not UTF-8.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from clm_lsp.llm.base import ModelError

# Longest line or error body we read: an endpoint sending an endless line must
# not grow our memory without limit.
MAX_LINE_BYTES = 1 << 20
MAX_ERROR_BYTES = 4096
MAX_BODY_BYTES = 256 << 20


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        return f"the OpenAI-compatible endpoint at {self.base_url}"


def post_json(endpoint: Endpoint, path: str, body: dict[str, Any]) -> Any:
    """POST ``body``; the decoded JSON reply."""
    conn, response = _open(endpoint, path, body, accept="application/json")
    try:
        raw = _read_body(endpoint, response)
    finally:
        conn.close()
    return _decode_json(endpoint, raw)


def post_sse(endpoint: Endpoint, path: str, body: dict[str, Any]) -> Iterator[Any]:
    """POST ``body``; yield each ``data:`` event decoded from JSON, until ``[DONE]``.

    Lines that are not ``data:`` fields (comments, ``event:``, blank lines) are
    skipped as the SSE format says; a data line that is not JSON is an error.
    """
    conn, response = _open(endpoint, path, body, accept="text/event-stream")
    events = 0
    try:
        while True:
            line = _read_line(endpoint, response)
            if line is None:
                break
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                return
            if data:
                events += 1
                yield _decode_json(endpoint, data.encode("utf-8"))
        if events == 0:
            # A 200 reply with no event at all: an HTML page, a proxy's answer,
            # a wrong base_url. Ending silently would look like an empty reply.
            raise ModelError(f"{endpoint.label} sent no server-sent events (is base_url right?)")
        raise ModelError(f"{endpoint.label} ended the stream without [DONE] (connection dropped?)")
    finally:
        conn.close()  # also on early exit: the server sees the stream closed


def _open(endpoint: Endpoint, path: str, body: dict[str, Any], *, accept: str):
    url = urlsplit(endpoint.base_url.rstrip("/") + path)
    conn = _connection(endpoint, url)
    headers = {"Content-Type": "application/json", "Accept": accept, **dict(endpoint.headers)}
    target = url.path + (f"?{url.query}" if url.query else "")
    try:
        conn.connect()
        # The connect timeout is over; from here each read waits at most this long.
        conn.sock.settimeout(endpoint.read_timeout_s)
        conn.request("POST", target, body=json.dumps(body).encode("utf-8"), headers=headers)
        response = conn.getresponse()
    except BaseException as exc:
        conn.close()
        raise _describe(endpoint, exc) from None
    if response.status != 200:
        detail = _error_detail(endpoint, response)
        conn.close()
        raise ModelError(f"{endpoint.label} answered HTTP {response.status}{detail}")
    return conn, response


def _connection(endpoint: Endpoint, url) -> http.client.HTTPConnection:
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ModelError(f"{endpoint.base_url!r} is not an http(s) URL")
    try:
        port = url.port
    except ValueError:
        raise ModelError(f"{endpoint.base_url!r} has an invalid port") from None
    if url.scheme == "https":
        return http.client.HTTPSConnection(
            url.hostname, port, timeout=endpoint.connect_timeout_s,
            context=ssl.create_default_context(),
        )
    return http.client.HTTPConnection(url.hostname, port, timeout=endpoint.connect_timeout_s)


def _read_line(endpoint: Endpoint, response: http.client.HTTPResponse) -> str | None:
    try:
        raw = response.readline(MAX_LINE_BYTES + 1)
    except BaseException as exc:
        raise _describe(endpoint, exc) from None
    if not raw:
        return None
    if len(raw) > MAX_LINE_BYTES:
        raise ModelError(f"{endpoint.label} sent a line longer than {MAX_LINE_BYTES} bytes")
    try:
        return raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise ModelError(f"{endpoint.label} sent bytes that are not UTF-8") from None


def _read_body(endpoint: Endpoint, response: http.client.HTTPResponse) -> bytes:
    """The whole reply, within ``read_timeout_s`` in all: the socket timeout only bounds each
    read, so an endpoint that drips bytes forever would otherwise hold the caller (the
    index writer, for embeddings) for as long as it likes (found by tests/reliability)."""
    deadline = time.monotonic() + endpoint.read_timeout_s
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := response.read1(1 << 16):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise ModelError(f"{endpoint.label} sent a reply larger than {MAX_BODY_BYTES} bytes")
            if time.monotonic() > deadline:
                raise ModelError(f"{endpoint.label} was still sending its reply after {endpoint.read_timeout_s:g} s (an endless body)")
    except ModelError:
        raise
    except BaseException as exc:
        raise _describe(endpoint, exc) from None
    return b"".join(chunks)


def _decode_json(endpoint: Endpoint, raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ModelError(f"{endpoint.label} sent bytes that are not UTF-8") from None
    except ValueError:
        raise ModelError(f"{endpoint.label} sent a reply that is not JSON: {_snippet(raw)}") from None


def _error_detail(endpoint: Endpoint, response: http.client.HTTPResponse) -> str:
    try:
        raw = response.read(MAX_ERROR_BYTES)
    except (OSError, http.client.HTTPException):
        return ""
    try:
        message = json.loads(raw)["error"]
        message = message.get("message", message) if isinstance(message, dict) else message
    except (ValueError, KeyError, TypeError, AttributeError):
        message = raw.decode("utf-8", "replace")
    text = " ".join(str(message).split())[:200]
    return f": {text}" if text else ""


def _describe(endpoint: Endpoint, exc: BaseException) -> BaseException:
    if isinstance(exc, ModelError) or not isinstance(exc, Exception):
        return exc
    if isinstance(exc, ConnectionRefusedError):
        return ModelError(f"{endpoint.label} is not answering (connection refused)")
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return ModelError(
            f"{endpoint.label} did not answer within {endpoint.read_timeout_s:g} s "
            f"(timeout; connect limit {endpoint.connect_timeout_s:g} s)"
        )
    if isinstance(exc, socket.gaierror):
        return ModelError(f"{endpoint.label} is not answering (unknown host name)")
    if isinstance(exc, http.client.HTTPException):
        return ModelError(f"{endpoint.label} broke the HTTP protocol ({type(exc).__name__})")
    if isinstance(exc, ssl.SSLError):
        return ModelError(f"{endpoint.label} failed the TLS handshake ({exc.reason or exc})")
    if isinstance(exc, OSError):
        return ModelError(f"{endpoint.label} is not answering ({exc.strerror or exc})")
    return ModelError(f"{endpoint.label} failed: {type(exc).__name__}: {exc}")


def _snippet(raw: bytes) -> str:
    text = raw[:80].decode("utf-8", "replace")
    return repr(text) + ("..." if len(raw) > 80 else "")
