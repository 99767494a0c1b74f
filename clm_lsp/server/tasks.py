"""Owned background tasks and per-key debouncing on the event loop.

Every task is kept in a set until it finishes, and its exception (other than
cancellation) is logged with its traceback: nothing runs unobserved. Debouncing
cancels the pending task for a key and starts a new one (never threading.Timer).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskSet:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._keyed: dict[str, asyncio.Task[Any]] = {}
        self.failures = 0

    def start(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.failures += 1
            log.error("background task %s failed", task.get_name(), exc_info=(type(exc), exc, exc.__traceback__))

    def debounce(self, key: str, delay_s: float, work: Callable[[], Awaitable[Any]]) -> asyncio.Task[Any]:
        """Run ``work`` after ``delay_s`` unless another call with the same key comes first."""
        pending = self._keyed.get(key)
        if pending is not None and not pending.done():
            pending.cancel()

        async def later() -> None:
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            await work()

        task = self.start(later(), name=f"debounce:{key}")
        self._keyed[key] = task
        task.add_done_callback(lambda t: self._keyed.pop(key, None) if self._keyed.get(key) is t else None)
        return task

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    def __len__(self) -> int:
        return len(self._tasks)
