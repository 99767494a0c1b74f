"""The stdio transport: the client's messages read by the event loop itself.

pygls reads stdin on a worker thread, one ``readline`` or ``read`` per call (three or
four per message), each handed back to the loop through ``call_soon_threadsafe``. Every
hand-over needs the GIL twice and a wake-up of the loop, and while the model, the
embedder or the index writer run, each waits its turn for the GIL: typing at 20 edits/s
(a didChange, a hover and a completion per edit) made about twelve such hops per
keystroke, and the profile showed the reader's plumbing as a tenth of the loop's time.

Here stdin is registered with the loop (``connect_read_pipe``: epoll on Linux, kqueue
on macOS), so one wake-up reads every message the client has sent so far and no thread
is involved. Where stdin cannot be watched that way (a regular file, Windows' pipes
under the default loop) pygls's own threaded reader is used, as before.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import sys
import threading
from typing import BinaryIO

from pygls.io_ import StdinAsyncReader, StdoutWriter, run_async
from pygls.server import JsonRPCServer

log = logging.getLogger(__name__)

_LIMIT = 1 << 20
"""StreamReader's buffer limit; a header line longer than this is not LSP."""


class PipeReader:
    """pygls's reader interface (``readline``, ``readexactly``) over an asyncio stream."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.stream = stream

    async def readline(self) -> bytes:
        try:
            return await self.stream.readline()
        except ValueError:  # a line over the limit: the stream is not LSP; end as on EOF
            log.error("a header line over %d bytes: closing the connection", _LIMIT)
            return b""

    async def readexactly(self, n: int) -> bytes:
        try:
            return await self.stream.readexactly(n)
        except asyncio.IncompleteReadError as exc:  # EOF inside a body: what arrived, then EOF
            return exc.partial


def watchable(stdin: BinaryIO) -> bool:
    """Whether the loop can watch this file for reads: a pipe or a socket."""
    if sys.platform == "win32":
        return False
    try:
        mode = os.fstat(stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    # Not a terminal: the loop sets the file non-blocking, which a shell would inherit after exit.
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


async def _serve(server: JsonRPCServer, stdin: BinaryIO, stop_event: threading.Event) -> None:
    loop = asyncio.get_running_loop()
    if watchable(stdin):
        stream = asyncio.StreamReader(limit=_LIMIT, loop=loop)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream, loop=loop), stdin)
        reader: PipeReader | StdinAsyncReader = PipeReader(stream)
    else:
        log.info("stdin cannot be watched by the event loop: reading it on a thread")
        reader = StdinAsyncReader(stdin, server.thread_pool)
    await run_async(stop_event=stop_event, reader=reader, protocol=server.protocol, logger=log,
                    error_handler=server.report_server_error)


def serve_stdio(server: JsonRPCServer, stdin: BinaryIO, stdout: BinaryIO) -> None:
    """pygls's ``start_io`` with the loop reading stdin (same writer, same ending)."""
    server._stop_event = stop_event = threading.Event()  # pygls's shutdown() sets it
    server.protocol.set_writer(StdoutWriter(stdout))
    try:
        asyncio.run(_serve(server, stdin, stop_event))
    except BrokenPipeError:
        log.error("connection to the client lost: shutting down")
    except (KeyboardInterrupt, SystemExit, asyncio.CancelledError):
        pass  # `exit` ends the serve loop: SystemExit as in pygls, or a cancel (protocol.lsp_exit)
    finally:
        server.shutdown()
