"""Changes made outside the editor, as debounced batches of blueprint paths: the only watchdog importer.

watchdog's observer thread only records paths; a flusher thread hands them on
once the folder has been quiet for ``debounce_s`` (or ``max_delay_s`` after the
first event of a continuous stream), so a `git checkout` that touches a
thousand files is one batch and one re-index pass.

``on_batch(paths)`` runs on the flusher thread with a sorted list of absolute
paths of ``*.blueprint.md`` files that were created, modified, moved or
deleted. A folder that is deleted or moved away is reported as the blueprint
files that were known below it. The server hops to its event loop from there
(``loop.call_soon_threadsafe``); nothing else should happen on this thread.

Lost events: a burst larger than the kernel's inotify queue
(``fs.inotify.max_queued_events``, 16,384 by default: a checkout of 5,000 files
is about 20,000 events) makes the kernel drop events. watchdog only logs that
(and re-adds its watches), so a logging hook tells every watcher; the next flush
then walks the folder on the flusher thread and compares each file's
(mtime_ns, size) with what the watcher last handed on, and adds the files that
differ, appeared or vanished to the batch. Nothing is missed silently; a file
rewritten with the same size within the filesystem's timestamp granularity of
the last look is the one case a stat cannot tell.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from clm_lsp.workspace_io import BLUEPRINT_SUFFIX, SKIP_DIRS

log = logging.getLogger(__name__)

Stat = tuple[int, int]
"""(mtime_ns, size) of a file, as last handed on."""


class Watcher:
    def __init__(
        self,
        root: Path,
        on_batch: Callable[[list[Path]], object],
        debounce_s: float = 0.3,
        *,
        max_delay_s: float = 5.0,
        ignore: Iterable[Path] = (),
    ) -> None:
        self.root = Path(root).resolve()
        self.on_batch = on_batch
        self.debounce_s = debounce_s
        self.max_delay_s = max(max_delay_s, debounce_s)
        self._ignore = tuple(Path(p).resolve() for p in ignore)
        self._pending: set[str] = set()
        self._known: dict[str, Stat] = {}
        """What was last handed on, per blueprint path: compared with the disk after lost events."""
        self._lost = False
        self.rescans = 0
        """Rescans done after lost events (clm/status and the tests read it)."""
        self._first = self._last = 0.0
        self._cond = threading.Condition()
        self._stopping = False
        self._observer: Observer | None = None
        self._flusher: threading.Thread | None = None

    def start(self, *, baseline: Iterable[str] | None = None, since_ns: int | None = None) -> None:
        """Start watching (recursively). Raises OSError when the folder cannot be watched.

        The caller read the folder before this (the server's scan), and a file written in
        between makes no event: with ``baseline`` (the paths it read) and ``since_ns`` (when it
        began reading, wall clock), the first batch also carries the files that appeared,
        vanished or were modified since, so nothing written before the watch began is missed."""
        _watch_for_lost_events(self)
        observer = Observer()
        observer.schedule(_Handler(self), str(self.root), recursive=True)
        observer.daemon = True
        observer.start()
        # After the watch is in place: a write from here on makes an event, one before it is
        # in this look at the disk.
        disk = _stats(p for p in self._scan(self.root) if not self._ignored(p, False))
        missed = _since(disk, None if baseline is None else {str(p) for p in baseline}, since_ns)
        with self._cond:
            self._known = disk
            if missed:
                now = time.monotonic()
                self._pending |= missed
                self._first = self._last = now
        if missed:
            log.info("%d blueprint files changed under %s before the watch began: re-read", len(missed), self.root)
        self._observer = observer
        self._flusher = threading.Thread(target=self._run, name="clm-watch-flush", daemon=True)
        self._flusher.start()

    def stop(self) -> None:
        _LIVE.discard(self)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._flusher is not None:
            self._flusher.join(timeout=5)

    def events_lost(self) -> None:
        """Any thread: the kernel dropped events; the next flush compares the folder with the disk.

        Counts as an event for the debounce, so the rescan waits for the burst to quiet down."""
        now = time.monotonic()
        with self._cond:
            if not self._pending and not self._lost:
                self._first = now
            self._lost = True
            self._last = now
            self._cond.notify_all()

    # -- the observer thread ------------------------------------------------------------------

    def _ignored(self, path: str, is_dir: bool) -> bool:
        try:
            rel = Path(path).relative_to(self.root)
        except ValueError:
            return True
        folders = rel.parts if is_dir else rel.parts[:-1]
        if any(part in SKIP_DIRS or part.startswith(".") for part in folders):
            return True
        return any(Path(path).is_relative_to(ig) for ig in self._ignore)

    def _record(self, event: FileSystemEvent) -> None:
        if event.is_directory and event.event_type not in ("created", "deleted", "moved"):
            # A folder "modified" is one of its entries coming or going, and each has an event
            # of its own: looking below the folder for each (every file of a checkout into the
            # root walked the whole tree) was most of the watcher's work in a checkout.
            return
        paths = [os.fsdecode(event.src_path)]
        if getattr(event, "dest_path", ""):
            paths.append(os.fsdecode(event.dest_path))
        found: set[str] = set()
        for path in paths:
            if self._ignored(path, event.is_directory):
                continue
            if path.endswith(BLUEPRINT_SUFFIX) and not event.is_directory:
                found.add(path)
            elif event.is_directory:
                found.update(self._below(path))
        if found:
            now = time.monotonic()
            with self._cond:
                if not self._pending:
                    self._first = now
                self._pending |= found
                self._last = now
                self._cond.notify_all()

    def _below(self, folder: str) -> set[str]:
        """Blueprint files under a folder that appeared (scan it) or vanished (what we knew there)."""
        prefix = folder.rstrip(os.sep) + os.sep
        with self._cond:  # _known is updated by the flusher thread
            known = {p for p in list(self._known) if p.startswith(prefix)}
        return known | set(self._scan(Path(folder))) if os.path.isdir(folder) else known

    def _scan(self, folder: Path) -> list[str]:
        out = []
        for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
            out.extend(os.path.join(dirpath, n) for n in filenames if n.endswith(BLUEPRINT_SUFFIX))
        return out

    # -- the flusher thread ---------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and not self._pending and not self._lost:
                    self._cond.wait()
                if self._stopping:
                    return
                now = time.monotonic()
                quiet_at = self._last + self.debounce_s
                cap_at = self._first + self.max_delay_s
                if now < min(quiet_at, cap_at):
                    self._cond.wait(timeout=min(quiet_at, cap_at) - now)
                    continue
                paths, self._pending = self._pending, set()
                lost, self._lost = self._lost, False
            if lost:
                paths |= self._differences()
            if paths:
                self._deliver(sorted(paths))

    def _differences(self) -> set[str]:
        """Flusher thread, after lost events: the blueprint files whose (mtime_ns, size) differ
        from what was last handed on, new ones and vanished ones."""
        start = time.perf_counter()
        disk = _stats(p for p in self._scan(self.root) if not self._ignored(p, False))
        with self._cond:
            known = dict(self._known)
        changed = {p for p, st in disk.items() if known.get(p) != st} | (set(known) - set(disk))
        self.rescans += 1
        log.warning("file events were lost (the kernel's inotify queue overflowed): %s compared with the disk in %.1f s, "
                    "%d files differ", self.root, time.perf_counter() - start, len(changed))
        return changed

    def _deliver(self, batch: list[str]) -> None:
        stats = _stats(batch)
        with self._cond:
            for path in batch:
                if path in stats:
                    self._known[path] = stats[path]
                else:
                    self._known.pop(path, None)
        try:
            self.on_batch([Path(p) for p in batch])
        except Exception:  # noqa: BLE001 - a failing consumer must not stop the watching
            log.exception("file-change handler failed for %d paths", len(batch))


SINCE_SLACK_NS = 100_000_000
"""Linux stamps mtimes from a coarse clock (a tick, 1-10 ms, behind the time read just
before): a file modified up to 100 ms before the reading began is re-read too, which costs
a parse, where missing it would cost a wrong view. (File systems with 1-2 s stamps, FAT or
HFS+, can still miss a write in the second the reading began.)"""


def _since(disk: dict[str, Stat], baseline: set[str] | None, since_ns: int | None) -> set[str]:
    """Files of ``disk`` not in ``baseline`` or modified since ``since_ns``, and ``baseline``
    files no longer on disk."""
    out: set[str] = set()
    if baseline is not None:
        out |= (set(disk) - baseline) | (baseline - set(disk))
    if since_ns is not None:
        out |= {p for p, (mtime_ns, _size) in disk.items() if mtime_ns >= since_ns - SINCE_SLACK_NS}
    return out


def _stats(paths: Iterable[str]) -> dict[str, Stat]:
    """(mtime_ns, size) of those paths that are files now."""
    out: dict[str, Stat] = {}
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            continue
        out[path] = (st.st_mtime_ns, st.st_size)
    return out


_LIVE: weakref.WeakSet[Watcher] = weakref.WeakSet()
_HOOKED = threading.Lock()


class _LostEvents(logging.Handler):
    """watchdog's inotify backend logs an overflow of the kernel queue and calls no handler:
    this hook turns that log record into :meth:`Watcher.events_lost` for every live watcher
    (the record does not say which inotify instance overflowed; a rescan is cheap)."""

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in str(record.msg).lower():
            for watcher in list(_LIVE):
                watcher.events_lost()


_OVERFLOW_LOGGER = "watchdog.observers.inotify_c"


def _watch_for_lost_events(watcher: Watcher) -> None:
    _LIVE.add(watcher)
    with _HOOKED:
        logger = logging.getLogger(_OVERFLOW_LOGGER)
        if not any(isinstance(h, _LostEvents) for h in logger.handlers):
            logger.addHandler(_LostEvents(logging.WARNING))
        if logger.getEffectiveLevel() > logging.WARNING:
            logger.setLevel(logging.WARNING)  # a quieter root must not hide the overflow from the hook


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher) -> None:
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reads (our own included) are not changes
        try:
            self._watcher._record(event)
        except Exception:  # noqa: BLE001 - never kill watchdog's thread
            log.exception("could not record a file event")
