"""Long parameter lists go to Kuzu in pieces, so the event loop is never held for long.

Kuzu's Python binding converts a statement's parameters to its own values while it
holds the GIL: ``UNWIND $rows`` with 20,000 section rows held it for 215 ms in one
piece (measured on the 2-core machine), and the event loop, which needs the GIL to
answer a hover, waited that long. The index writer applies up to 1,000 files per
transaction (26,000 sections at 10,000 files), so a checkout made such waits one after
the other. Run as pieces of ``PIECE_ROWS`` rows, each conversion takes a few ms and the
loop gets the GIL between them; the pieces run in the caller's transaction, so the
result is the same. Only statements whose rows are independent are split: one that
sorts, limits or aggregates over the whole list goes in one piece.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

PIECE_ROWS = 256
"""Rows per execute: ~3 ms of conversion for section rows; a statement costs ~1 ms more."""

_UNWIND = re.compile(r"\s*UNWIND \$(\w+) AS ")
_WHOLE = re.compile(r"ORDER BY|LIMIT|SKIP|DISTINCT|count\(|sum\(|min\(|max\(|avg\(|collect\(", re.IGNORECASE)


def in_pieces(run: Callable[[dict[str, Any]], list[list[Any]]], query: str, params: dict[str, Any]) -> list[list[Any]]:
    """``run(params)``, or ``run`` once per piece of the unwound list with the results joined."""
    m = _UNWIND.match(query)
    rows = params.get(m.group(1)) if m else None
    if m is None or not isinstance(rows, list) or len(rows) <= PIECE_ROWS or _WHOLE.search(query):
        return run(params)
    name = m.group(1)
    out: list[list[Any]] = []
    for k in range(0, len(rows), PIECE_ROWS):
        out.extend(run({**params, name: rows[k : k + PIECE_ROWS]}))
    return out
