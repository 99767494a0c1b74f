"""LSP handlers, one module per group. Each module has ``register(server)``.

Handlers are thin: take a snapshot, call a pure function from ``ide``, convert
the answer with ``convert``. Each says how it runs: "loop" handlers are cheap
and synchronous on the event loop (document sync, lookups on a snapshot);
"async" handlers await something (the client, a scan, a worker thread).
"""

from __future__ import annotations
