"""`clm-lsp serve`: stdio by default, TCP on the loopback interface when asked."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

from clm_lsp.commands.serve import _host_port


def _frame(payload: dict) -> bytes:
    body = json.dumps(payload).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def _read_message(sock: socket.socket) -> dict:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, rest = data.split(b"\r\n\r\n", 1)
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    while len(rest) < length:
        rest += sock.recv(4096)
    return json.loads(rest[:length])


def test_host_port_parsing() -> None:
    assert _host_port("2087") == ("127.0.0.1", 2087)
    assert _host_port("localhost:9000") == ("localhost", 9000)
    assert _host_port("[::1]:9000") == ("::1", 9000)
    import argparse

    for bad in ("host:port", "1:99999", "127.0.0.1:0"):
        with pytest.raises(argparse.ArgumentTypeError):
            _host_port(bad)


def test_serve_over_tcp_answers_initialize(tmp_path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "clm_lsp", "serve", "--tcp", f"127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        with sock:
            sock.sendall(_frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}}))
            reply = _read_message(sock)
            while "id" not in reply:  # log and status notifications may come first
                reply = _read_message(sock)
        assert reply["id"] == 1 and reply["result"]["serverInfo"]["name"] == "clm-lsp"
        assert reply["result"]["capabilities"]["hoverProvider"] is True
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert proc.stdout.read() == b"", "nothing is written to stdout in TCP mode either"


def test_bad_tcp_argument_is_a_usage_error() -> None:
    done = subprocess.run([sys.executable, "-m", "clm_lsp", "serve", "--tcp", "nonsense:port"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "expected HOST:PORT" in done.stderr
