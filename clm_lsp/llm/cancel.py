"""Cooperative cancellation shared by every model backend.

A backend checks the token between tokens; the caller (the server, a CLI command)
cancels it from any thread. Kept in ``clm_lsp.llm`` because the blueprint core has
no token of its own.
"""

from __future__ import annotations

import threading


class Cancelled(Exception):
    """Raised by :meth:`CancelToken.check` once the token is cancelled."""


class CancelToken:
    """A thread-safe, one-way flag: once cancelled it stays cancelled."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if the token was cancelled."""
        if self._event.is_set():
            raise Cancelled("cancelled")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until cancelled or ``timeout`` seconds pass; True if cancelled."""
        return self._event.wait(timeout)
