"""Background threads run at a lower CPU priority than the event loop (clm_lsp/background.py),
and the native threads they start inherit it (Linux keeps a nice value per thread)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from clm_lsp.background import BACKGROUND_NICE, lower_priority
from clm_lsp.llm.base import ModelError
from clm_lsp.llm.worker import ModelWorker

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a per-thread nice value is Linux's")


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_a_lowered_thread_and_the_threads_it_starts_run_niced_the_caller_does_not():
    before = _nice()
    seen: dict[str, int] = {}

    def child() -> None:
        seen["child"] = _nice()

    def body() -> None:
        lower_priority()
        seen["lowered"] = _nice()
        t = threading.Thread(target=child)
        t.start()
        t.join()

    t = threading.Thread(target=body)
    t.start()
    t.join()
    assert seen == {"lowered": max(before, BACKGROUND_NICE), "child": max(before, BACKGROUND_NICE)}
    assert _nice() == before


def test_the_model_worker_creates_its_model_at_background_priority():
    worker = ModelWorker(lambda: {"nice": _nice()}, name="nice-probe", describe_error=lambda e: ModelError(str(e)))
    try:
        got = list(worker.stream(lambda obj, stop: iter([obj["nice"]])))
    finally:
        worker.close()
    assert got == [max(_nice(), BACKGROUND_NICE)]
