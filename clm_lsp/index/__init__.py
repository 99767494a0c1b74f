"""The persistent knowledge index of a workspace: a Kuzu graph and a LanceDB vector table.

Names are loaded on first use, so importing this package (or the server) does
not load Kuzu, LanceDB or watchdog until the index is actually opened.

- :class:`Indexer` (sync.py): reconcile with the disk, apply changes, search.
- :class:`Watcher` (watcher.py): debounced, coalesced file-change batches.
- :class:`IndexStats`, :class:`StoreError`, the row types of records.py.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Indexer": "sync",
    "IndexStats": "stats",
    "StoreError": "store",
    "Watcher": "watcher",
    "ChunkHit": "vectors",
    "EntityRow": "records",
    "SectionRow": "records",
    "LinkHit": "records",
    "SummaryRow": "records",
    "Graph": "graph",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
