"""The stdio transport (clm_lsp/server/stdio.py): messages read by the event loop from a
pipe however the client cuts or batches its writes, and from a regular file through
pygls's threaded reader; the end of input ends the server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clm_lsp.server.stdio import watchable

SERVER = [sys.executable, "-m", "clm_lsp", "serve"]


def frame(obj: dict) -> bytes:
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def session(root: Path) -> list[bytes]:
    return [
        frame({"jsonrpc": "2.0", "id": 1, "method": "initialize",
               "params": {"processId": None, "rootUri": root.as_uri(), "capabilities": {},
                          "initializationOptions": {"index": {"enable": False}, "summaries": {"enable": False}}}}),
        frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
        frame({"jsonrpc": "2.0", "id": 2, "method": "workspace/symbol", "params": {"query": "zzz-nothing"}}),
        frame({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}),
        frame({"jsonrpc": "2.0", "method": "exit"}),
    ]


def replies(out: bytes) -> dict:
    """The id -> message map of every framed message in ``out``."""
    found, rest = {}, out
    while rest:
        head, sep, rest = rest.partition(b"\r\n\r\n")
        if not sep:
            break
        length = int(head.split(b"Content-Length:")[1].split(b"\r\n")[0])
        msg, rest = json.loads(rest[:length]), rest[length:]
        if "id" in msg and "method" not in msg:
            found[msg["id"]] = msg
    return found


def test_a_pipe_is_read_by_the_loop_and_a_file_is_not(tmp_path: Path):
    r, w = os.pipe()
    try:
        with os.fdopen(r, "rb", closefd=False) as pipe:
            assert watchable(pipe)
    finally:
        os.close(r)
        os.close(w)
    f = tmp_path / "in"
    f.write_bytes(b"")
    with f.open("rb") as fh:
        assert not watchable(fh)


@pytest.mark.parametrize("cut", ["one byte at a time", "all at once"])
def test_messages_cut_anywhere_or_batched_are_all_answered(tmp_path: Path, cut: str):
    proc = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None
    data = b"".join(session(tmp_path))
    if cut == "all at once":
        proc.stdin.write(data)
        proc.stdin.flush()
    else:
        first = len(session(tmp_path)[0])  # the initialize message byte by byte, the rest in 7-byte pieces
        for i in range(first):
            proc.stdin.write(data[i:i + 1])
            proc.stdin.flush()
        for i in range(first, len(data), 7):
            proc.stdin.write(data[i:i + 7])
            proc.stdin.flush()
            time.sleep(0.001)
    out, _ = proc.communicate(timeout=60)
    got = replies(out)
    assert set(got) == {1, 2, 3}, got
    # The symbol request waits for the folder's first read; a shutdown right behind it cancels
    # it, and the cancel is answered before the process ends.
    assert got[2].get("result") == [] or got[2]["error"]["code"] == -32800, got[2]
    assert got[3]["result"] is None
    assert proc.returncode == 0  # exit after shutdown


def test_stdin_from_a_regular_file_is_served_to_its_end(tmp_path: Path):
    script = tmp_path / "session.bin"
    script.write_bytes(b"".join(session(tmp_path)))
    with script.open("rb") as stdin:
        done = subprocess.run(SERVER, stdin=stdin, capture_output=True, timeout=60)
    assert set(replies(done.stdout)) == {1, 2, 3}
    assert done.returncode == 0


def test_input_ending_inside_a_message_ends_the_server(tmp_path: Path):
    first = session(tmp_path)[0]
    proc = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    # No hang: the half message is dropped and the server stops at the end of its input.
    out, _ = proc.communicate(first + b"Content-Length: 500\r\n\r\n{\"jsonrpc\": \"2.0\"", timeout=30)
    assert 1 in replies(out)
