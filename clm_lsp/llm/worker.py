"""One thread that owns a non-thread-safe model object (a llama.cpp ``Llama``).

llama.cpp's context is not safe to use from two threads at once, and the server
calls models from several (the event loop's executor, the summary worker). So the
object is created, used and freed on one worker thread; callers on any thread
submit jobs through a queue and read results from a per-job queue.

A job is a function ``fn(obj, stop) -> Iterator[item]``. The worker stops pulling
items as soon as ``stop`` is set (the caller cancelled or walked away), so a
cancelled generation ends within one token.
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from clm_lsp.background import lower_priority
from clm_lsp.llm.base import ModelError
from clm_lsp.llm.cancel import CancelToken

T = TypeVar("T")

# How often a waiting caller wakes up to look at its cancel token.
_POLL_S = 0.05

_ITEM, _DONE, _ERROR = "item", "done", "error"


class _Job:
    def __init__(self, fn: Callable[[Any, threading.Event], Iterator[Any]]) -> None:
        self.fn = fn
        self.stop = threading.Event()
        self.out: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()


class ModelWorker(Generic[T]):
    """Owns the object ``factory()`` returns; runs jobs on it one at a time."""

    def __init__(
        self,
        factory: Callable[[], T],
        *,
        name: str,
        describe_error: Callable[[BaseException], ModelError],
    ) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._describe_error = describe_error
        self._closed = False
        loaded: queue.SimpleQueue[BaseException | None] = queue.SimpleQueue()
        self._thread = threading.Thread(
            target=_run, args=(factory, self._jobs, loaded, describe_error),
            name=name, daemon=True,
        )
        self._thread.start()
        error = loaded.get()
        if error is not None:
            self._closed = True
            raise error
        # Stop the thread when the owner is garbage-collected without close().
        self._finalizer = weakref.finalize(self, self._jobs.put, None)

    def stream(
        self,
        fn: Callable[[T, threading.Event], Iterator[Any]],
        cancel: CancelToken | None = None,
    ) -> Iterator[Any]:
        """Run ``fn`` on the worker; yield its items here, on the caller's thread."""
        if self._closed:
            raise ModelError("the model was closed")
        job = _Job(fn)
        self._jobs.put(job)
        try:
            yield from _drain(job, cancel)
        finally:
            # Also reached when the caller stops iterating early (GeneratorExit).
            job.stop.set()

    def call(self, fn: Callable[[T], Any]) -> Any:
        """Run ``fn(obj)`` on the worker and return its result."""
        for item in self.stream(lambda obj, _stop: iter((fn(obj),))):
            return item
        raise ModelError("the model worker returned nothing")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._finalizer.detach()
        self._jobs.put(None)
        self._thread.join(timeout=30)


def _drain(job: _Job, cancel: CancelToken | None) -> Iterator[Any]:
    while True:
        if cancel is not None and cancel.cancelled:
            return
        try:
            kind, value = job.out.get(timeout=_POLL_S)
        except queue.Empty:
            continue
        if kind == _ITEM:
            yield value
        elif kind == _DONE:
            return
        else:
            raise value


def _run(
    factory: Callable[[], Any],
    jobs: queue.SimpleQueue[_Job | None],
    loaded: queue.SimpleQueue[BaseException | None],
    describe_error: Callable[[BaseException], ModelError],
) -> None:
    # Before the model is created: the native threads it starts inherit the priority.
    lower_priority()
    try:
        obj = factory()
    except BaseException as exc:  # noqa: BLE001 - reported to the caller as ModelError
        loaded.put(exc if isinstance(exc, ModelError) else describe_error(exc))
        return
    loaded.put(None)
    try:
        while (job := jobs.get()) is not None:
            _run_job(obj, job, describe_error)
    finally:
        close = getattr(obj, "close", None)
        if close is not None:
            close()


def _run_job(obj: Any, job: _Job, describe_error: Callable[[BaseException], ModelError]) -> None:
    if job.stop.is_set():  # cancelled while it waited in the queue
        job.out.put((_DONE, None))
        return
    items = None
    try:
        items = job.fn(obj, job.stop)
        for item in items:
            job.out.put((_ITEM, item))
            if job.stop.is_set():
                break
        job.out.put((_DONE, None))
    except Exception as exc:  # noqa: BLE001 - every failure reaches the caller
        job.out.put((_ERROR, exc if isinstance(exc, ModelError) else describe_error(exc)))
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()  # ends llama.cpp's token generator right here, on its thread
