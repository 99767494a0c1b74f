"""A bound on streamed replies, so a misbehaving endpoint cannot stream forever.

A server that ignores max_tokens, or sends keep-alive chunks without text
forever, would otherwise keep a caller reading indefinitely: each chunk resets
the read timeout. We stop after ``max_tokens`` non-empty pieces (each piece is
at least one token) or after a generous number of chunks of any kind.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from typing import TypeVar

from clm_lsp.llm.cancel import CancelToken

Event = TypeVar("Event")

# Chunks without text allowed per token requested, plus a fixed allowance for
# role-only and final chunks.
EMPTY_CHUNKS_PER_TOKEN = 4
EMPTY_CHUNKS_BASE = 64


class StreamBound:
    def __init__(self, max_tokens: int) -> None:
        self.max_pieces = max(1, max_tokens)
        self.max_chunks = self.max_pieces * EMPTY_CHUNKS_PER_TOKEN + EMPTY_CHUNKS_BASE
        self.pieces = 0
        self.chunks = 0

    def accept(self, piece: str) -> bool:
        """Count a chunk; False once the stream must stop (this chunk is dropped)."""
        self.chunks += 1
        if piece:
            self.pieces += 1
        return self.pieces <= self.max_pieces and self.chunks <= self.max_chunks


def bounded_pieces(
    events: Iterable[Event], parse: Callable[[Event], tuple[str, bool]], max_tokens: int, cancel: CancelToken | None
) -> Generator[str, None, bool]:
    """The text of a streamed reply, for every streaming backend: `parse(event)` gives
    (piece, finished) per event (only after `cancel` is checked, so a cancelled stream never
    parses another event); stops quietly on a finished event, on `cancel` or at the bound.
    Returns False when the events ran out before a finished one (the caller decides if
    that is an error)."""
    bound = StreamBound(max_tokens)
    for event in events:
        if cancel is not None and cancel.cancelled:
            return True
        piece, finished = parse(event)
        if not bound.accept(piece):
            return True
        if piece:
            yield piece
        if finished:
            return True
    return False
