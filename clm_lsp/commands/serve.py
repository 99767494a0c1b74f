"""`clm-lsp serve`: run the language server over stdio (default) or TCP.

TCP binds to the loopback interface unless another host is given explicitly:
the protocol has no authentication, so it must not be reachable from the network
by accident.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, BinaryIO

LOOPBACK = "127.0.0.1"


def _host_port(value: str) -> tuple[str, int]:
    """`PORT`, `HOST:PORT` or `[IPv6]:PORT` -> (host, port)."""
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = LOOPBACK, value
    host = host.strip("[]") or LOOPBACK
    try:
        number = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: expected HOST:PORT, e.g. 127.0.0.1:2087") from None
    if not 0 < number < 65536:
        raise argparse.ArgumentTypeError(f"{value!r}: the port must be between 1 and 65535")
    return host, number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    parser.add_argument("--tcp", type=_host_port, metavar="HOST:PORT", help="listen on TCP instead (default host 127.0.0.1)")
    parser.add_argument("--log-file", metavar="PATH", help="also write the server's log to this file")
    parser.add_argument("--log-level", choices=("error", "warning", "info", "debug"), default="info")


def _private_stdout(real_stdout: Any) -> BinaryIO:
    """The protocol stream on a file descriptor of its own; fd 1 then points at stderr.

    Native libraries write to, and even redirect, fd 1: llama-cpp-python points fd 1
    at /dev/null while it loads a model (``suppress_stdout_stderr``), so a reply the
    server wrote meanwhile (a `shutdown` reply, say) vanished and the client waited
    forever. With the protocol on a duplicate of the original fd, whatever happens to
    fd 1 only touches a copy of stderr. Falls back to stdout itself where fds cannot
    be duplicated."""
    try:
        real_stdout.flush()
        fd = os.dup(real_stdout.fileno())
        os.dup2(sys.stderr.fileno(), real_stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return real_stdout.buffer
    return os.fdopen(fd, "wb")


class _Discard:
    """The transport after the client has gone."""

    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


def run(args: argparse.Namespace) -> int:
    from clm_lsp.server import create_server
    from clm_lsp.server.log import setup_logging
    from clm_lsp.server.stdio import serve_stdio

    logger = setup_logging(args.log_level, args.log_file)
    # The event loop shares the GIL with CPU-bound threads (the folder scan, the index writer,
    # the embedder), and a request may need it more than once: at the default 5 ms switch
    # interval each hand-over can wait that long (pygls read stdin on a worker thread, three or
    # four hand-overs a message; server/stdio.py now reads it on the loop). 1 ms brought a
    # request's p50 next to two busy threads from 33 to 6 ms (docs/reliability.md, Load,
    # 10,000 blueprints), for some throughput on those threads.
    sys.setswitchinterval(0.001)
    server = create_server()
    if args.tcp:
        host, port = args.tcp
        if host not in (LOOPBACK, "localhost", "::1"):
            logger.warning("listening on %s:%d: anyone who can reach this address can talk to the server", host, port)
        try:
            server.start_tcp(host, port)
        finally:
            code = _end(server)
        return code
    # stdout is the protocol stream from here on: anything else printed there would corrupt it.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    protocol_out = _private_stdout(real_stdout)
    try:
        serve_stdio(server, sys.stdin.buffer, protocol_out)
    finally:
        sys.stdout = real_stdout
        code = _end(server)
    return code


def _end(server: Any) -> int:
    """The client is gone (exit, or the connection closed): stop the background work, and
    make sure a stuck thread cannot keep the process alive. This is the one exit watchdog
    (server.EXIT_GRACE_S); it ends the process with the code LSP asks for, which the `exit`
    handler set (pygls's own sys.exit code is lost: its serve loop swallows SystemExit).
    What the stopping parts still report (status) has nowhere to go: drop it quietly."""
    server.protocol.set_writer(_Discard())
    server.stop_background()
    server.exit_watchdog(server.exit_code)
    return server.exit_code
