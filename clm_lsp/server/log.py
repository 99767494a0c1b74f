"""Logging: the `clm_lsp` logger tree goes to window/logMessage and, optionally, a file.

Never stdout: with the stdio transport, stdout is the protocol stream. Before
the client is ready, records wait in a small buffer; pygls's own records are
not forwarded (they would echo every message back to the client).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

LEVELS = {"error": logging.ERROR, "warning": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}
_LSP_TYPES = {logging.ERROR: 1, logging.WARNING: 2, logging.INFO: 3, logging.DEBUG: 4}


class ClientLogHandler(logging.Handler):
    """Forwards records to ``send(type, message)`` once ``ready`` is called."""

    def __init__(self, send: Callable[[int, str], None], buffer_size: int = 200) -> None:
        super().__init__()
        self._send = send
        self._ready = False
        self._buffer: list[logging.LogRecord] = []
        self._buffer_size = buffer_size
        self._sending = False
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def ready(self) -> None:
        self._ready = True
        buffered, self._buffer = self._buffer, []
        for record in buffered:
            self.emit(record)

    def emit(self, record: logging.LogRecord) -> None:
        if self._sending:  # a log call made while sending a log message: drop it, no recursion
            return
        if not self._ready:
            if len(self._buffer) < self._buffer_size:
                self._buffer.append(record)
            return
        kind = next((t for lvl, t in _LSP_TYPES.items() if record.levelno >= lvl), 4)
        self._sending = True
        try:
            self._send(kind, self.format(record))
        except Exception:  # noqa: BLE001 - a closed stream must not break the code that logged
            pass
        finally:
            self._sending = False


def setup_logging(level: str = "info", log_file: str | None = None) -> logging.Logger:
    """Configure the `clm_lsp` logger (stderr for warnings, a file when asked)."""
    logger = logging.getLogger("clm_lsp")
    logger.setLevel(LEVELS.get(level, logging.INFO))
    logger.propagate = False
    if not any(isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler) for h in logger.handlers):
        err = logging.StreamHandler()  # stderr by default
        err.setLevel(logging.WARNING)
        err.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(err)
    if log_file:
        add_file_handler(logger, log_file)
    return logger


def add_file_handler(logger: logging.Logger, log_file: str) -> str | None:
    """Also log to ``log_file``; returns an error message instead of raising."""
    for h in logger.handlers:
        if isinstance(h, logging.FileHandler) and Path(h.baseFilename) == Path(log_file).resolve():
            return None
    try:
        handler = logging.FileHandler(log_file, encoding="utf-8")
    except OSError as exc:
        return f"cannot open the log file {log_file}: {exc}"
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    # pygls's records are useful in a file (not in the client's log): send them here too.
    logging.getLogger("pygls").addHandler(handler)
    return None
