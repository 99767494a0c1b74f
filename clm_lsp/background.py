"""Background threads yield the CPU to the thread that answers the editor.

The model (llama.cpp's compute threads), the embedder and the index writer can keep
both cores of a small machine busy for minutes. The event loop thread, which answers
hover, definition and completion, then waits its turn behind them in the kernel's
scheduler: measured on 2 cores while SmolLM2 wrote summaries and the user typed at 20
edits/s, hover p50 went from ~0.3 ms of work to 18 ms of waiting. A lower priority
("nice") for the background threads lets the kernel run the loop first; they still
get every cycle the loop does not use.

Linux keeps a nice value per thread, and threads a thread creates inherit it, so
lowering it where the model or a database is created also covers the native threads
they start (ggml's workers, Kuzu's and ONNX Runtime's pools). Elsewhere (macOS,
Windows) ``setpriority`` would change the whole process, so this does nothing there.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

log = logging.getLogger(__name__)

BACKGROUND_NICE = 10
"""Not 19: a background thread may hold the GIL when it is preempted, and the loop then
waits until the kernel runs that thread again; at nice 10 it still gets ~10% of a core
against a busy competitor (19: ~1.5%), so that wait stays short on a loaded machine."""


def lower_priority(nice: int = BACKGROUND_NICE) -> None:
    """Lower the calling thread's CPU priority (Linux only; a failure is logged, not raised)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, tid) < nice:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
    except OSError as exc:  # a container without the right to renice: run as is
        log.debug("could not lower the priority of thread %s: %s", threading.current_thread().name, exc)
