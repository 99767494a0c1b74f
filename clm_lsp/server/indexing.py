"""The persistent index (Kuzu graph + LanceDB vectors), kept in step by one writer thread,
and the file watcher used when the client does not report file changes itself.

Requests never wait on either: navigation, hover and checks read the in-memory
snapshot. Every index call runs on the single writer thread (Kuzu allows one
writer per database). When the index cannot open (the layer is missing, the
embedder cannot load, a store is held or corrupt), the user is told once and
everything else keeps working.

An embedder that cannot load or fails (a dead or hanging endpoint, garbage, the
wrong number of vectors: embedder_guard.py) leaves the index without vectors:
the folder is re-indexed full-text only, the user is told once, and the
embedder is tried again in the background with a doubling delay (60 s up to an
hour); when it answers, the index is reopened with it and the vectors are built.

The summary worker (summarizing.py) reads and writes the graph through
:meth:`IndexController.on_writer`, on the same writer thread, and is told when
a folder's index is ready and when a file's index entry changed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clm_lsp.background import lower_priority
from clm_lsp.blueprint.checks import warm_suggestions

from .embedder_guard import Backoff, EmbedderFailed, GuardedEmbedder
from .project import Project, parsed_one, replaced_many, uri_to_path
from .scanning import Progress, warm_navigation
from .session import read_disk, reload_from_disk

if TYPE_CHECKING:
    from .server import ClmLanguageServer

log = logging.getLogger(__name__)

BURST_FILES = 32
"""More files than this in one watcher batch are a burst: one snapshot for all of them."""
DRAIN_BATCH = 1000
"""Files per apply() when pending changes are drained (one transaction each). Kuzu 0.11.3
checkpoints at every commit that COPYed edges, and those checkpoints dominated a checkout's
drain at 10,000 files (2-32 s each, growing with the file's waste): 1,000 files per commit
drained 5,000 changes in 95 s in process instead of 345 s with 200 (peak RSS 1.17 vs 1.04 GB;
docs/reliability.md, Load)."""
HOLD_CHECK_S = 600.0
"""The re-check waits at most this long for a burst's new snapshot (it is released when ready)."""
GATHER_S = 0.05
"""File changes reported within this long of each other are applied together."""
BURST_REBUILDS = 3
"""Tries at building a burst's snapshot in a thread before the last one is built on the loop."""
UPDATING_AFTER_S = 0.5
"""Updates still running after this long are shown in clm/status (index.updating)."""
CLOSE_WAIT_S = 5.0
"""How long shutdown waits for the index writer to close the stores."""


class IndexController:
    def __init__(self, server: ClmLanguageServer) -> None:
        self.server = server
        self.state = "off"
        self._writer: concurrent.futures.ThreadPoolExecutor | None = None
        self._indexers: dict[Path, Any] = {}
        self._watchers: list[Any] = []
        self._since_ns = time.time_ns()
        """Before any folder is read: a watcher started later re-reads what changed since."""
        self._cancel = threading.Event()
        self._indexer_cls: Any = None
        self._full_text: set[Path] = set()
        """Folders indexed without vectors because the embedder failed (retried with backoff)."""
        self._backoff = Backoff()
        self._retrying = False
        self._stopped = False
        self._pending: dict[Path, dict[Path, str | None]] = {}
        """Changes waiting for the writer, per folder (the last text of a path wins)."""
        self._pending_lock = threading.Lock()
        self._draining: set[Path] = set()
        self.queued = 0
        """Drains submitted and not finished (clm/status `index.updating` while a burst lasts)."""
        self._said_updating = False
        self._disk_waiting: dict[int, list[Any]] = {}
        """Watcher batches waiting for the one being applied, per folder."""
        self._disk_running: set[int] = set()

    # -- life cycle --------------------------------------------------------------------

    def start(self) -> None:
        """Called once the folders are known (at `initialized`); never blocks."""
        enabled = self.server.config.index.enable
        if not enabled:
            self._status("off", message="disabled (set clm.index.enable to true to build the index)")
        else:
            self._status("opening")  # at once: "off" until the libraries load would read as disabled
        if enabled or self._needs_watchers():
            self.server.tasks.start(self._start(enabled), name="index:open")

    async def _start(self, enabled: bool) -> None:
        # kuzu, lancedb and watchdog take about 2 s to import: on the event loop that would
        # hold every request sent at start-up, so they load on a worker thread.
        names = (["Watcher"] if self._needs_watchers() else []) + (["Indexer"] if enabled else [])
        loaded = await asyncio.to_thread(_load, names)
        if self._stopped:
            return
        await self._start_watchers(loaded.get("Watcher"))
        indexer_cls, failure = loaded.get("Indexer"), loaded.get("error")
        if not enabled:
            return
        if indexer_cls is None:
            self._status("unavailable", message=str(failure))
            self.server.show_once("the persistent index is not available in this build; navigation works from memory.")
            return
        self._writer = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="clm-index", initializer=lower_priority)
        self._indexer_cls = indexer_cls
        await self._open_all(indexer_cls)

    def stop(self) -> None:
        self._stopped = True
        self._cancel.set()
        # Summaries write through our writer and use the model: stop them before the stores close.
        for name in ("summaries", "model"):
            part = self.server.extensions.get(name)
            if part is not None:
                try:
                    part.stop() if name == "summaries" else part.close()
                except Exception:  # noqa: BLE001 - shutting down: log and go on
                    log.exception("%s did not stop cleanly", name)
        for watcher in self._watchers:
            try:
                watcher.stop()
            except Exception:  # noqa: BLE001 - shutting down: log and go on
                log.exception("file watcher did not stop cleanly")
        self._watchers.clear()
        writer, self._writer = self._writer, None
        if writer is None:
            return
        # At most CLOSE_WAIT_S in all: a writer busy with a long batch (embedding, say) stops at
        # the next file; the shutdown reply does not wait for it (the store survives a kill).
        deadline = time.monotonic() + CLOSE_WAIT_S
        for root, indexer in list(self._indexers.items()):
            try:
                writer.submit(indexer.close).result(timeout=max(0.1, deadline - time.monotonic()))
            except concurrent.futures.TimeoutError:
                log.warning("the index for %s was busy and is left to close on its own", root)
            except Exception:  # noqa: BLE001
                log.exception("index for %s did not close cleanly", root)
        self._indexers.clear()
        writer.shutdown(wait=False, cancel_futures=True)

    def _status(self, state: str, **extra: Any) -> None:
        self.state = state
        self.server.extensions["status"].update(index={"state": state, **extra})

    # -- opening and the first reconcile -------------------------------------------------

    async def _open_all(self, indexer_cls: Any) -> None:
        loop = asyncio.get_running_loop()
        self._status("opening")
        for project in list(self.server.session.projects):
            try:
                indexer, failure = await loop.run_in_executor(self._writer, self._open, indexer_cls, project, True)
            except Exception as exc:  # noqa: BLE001 - the index is derived data: serve without it
                log.exception("the index for %s could not open", project.root)
                self._status("failed", message=f"{type(exc).__name__}: {exc}")
                self.server.show_once(f"the index for {project.root} could not open ({exc}); navigation works from memory.")
                return
            self._indexers[project.root] = indexer
            self._tell_messages(indexer)
            if failure is not None:
                self._embedder_failed(project, failure)
            await self._reconcile(project, indexer)
            self._tell_summaries("index_ready", project)
        self._status("ready", folders=len(self._indexers), **self._search_mode())

    def _tell_messages(self, indexer: Any) -> None:
        """loop: what the store said (in use by another process: a private index; rebuilt;
        repaired after an interrupted write), once each."""
        said, indexer.messages[:] = list(indexer.messages), []
        for message in said:
            self.server.show_once(message, lsp_info())

    def _search_mode(self) -> dict[str, Any]:
        return {"search": "full-text (the embedder failed; retrying)"} if self._full_text else {}

    def _open(self, indexer_cls: Any, project: Project, with_embedder: bool) -> tuple[Any, EmbedderFailed | None]:
        """Writer thread: the folder's Indexer, with the embedder when it works; else without
        vectors, and the embedder's failure."""
        store = self.server.config.index.store_dir
        store_dir = Path(store) if store else None
        failure = None
        if with_embedder:
            try:
                embedder = self._embedder()
                return indexer_cls(project.root, embedder, project.settings.format, store_dir=store_dir), None
            except EmbedderFailed as exc:
                failure = exc
        return indexer_cls(project.root, None, project.settings.format, store_dir=store_dir), failure

    def _embedder(self) -> GuardedEmbedder:
        """The configured embedder (clm.model), guarded; raises EmbedderFailed when it cannot load."""
        from clm_lsp.llm import ModelError, get_embedder

        from .config import model_config

        cfg, _warning = model_config(self.server.config.model)  # the model host reports the warning
        try:
            return GuardedEmbedder(get_embedder(cfg))
        except ModelError as exc:
            raise EmbedderFailed(f"the embedder could not load: {exc}") from exc

    # -- a failing embedder: full-text only, retried with backoff ------------------------

    def _embedder_failed(self, project: Project, exc: BaseException) -> None:
        """loop: remember the folder as full-text only, say so once, start the retries."""
        if project.root is None:
            return
        first = not self._full_text
        self._full_text.add(project.root)
        log.log(logging.WARNING if first else logging.INFO, "the embedder failed (%s): the index of %s keeps no vectors and search is full-text only; "
                "the embedder is tried again in the background", exc, project.root)
        # The cause of a load failure (a missing file, a bad setting) is what the user can act on: shown.
        what = str(exc) if str(exc).startswith("the embedder could not load") else "the embedder failed"
        self.server.show_once(f"{what}; so the index keeps no vectors and search is full-text only; "
                              "it is tried again in the background (details in the log).")
        if not self._retrying and not self._stopped:
            self._retrying = True
            self.server.tasks.start(self._retry_embedder(), name="index:embedder-retry")

    async def _without_vectors(self, project: Project, indexer: Any, exc: BaseException) -> Any:
        """loop: replace the folder's indexer by one without an embedder (same store)."""
        self._embedder_failed(project, exc)

        def reopen() -> Any:
            _close_quietly(indexer)
            return self._open(self._indexer_cls, project, False)[0]

        fresh = await asyncio.get_running_loop().run_in_executor(self._writer, reopen)
        self._indexers[project.root] = fresh
        return fresh

    async def _retry_embedder(self) -> None:
        """loop: try the embedder again after a doubling delay until it works for every folder."""
        try:
            while self._full_text and not self._stopped:
                delay = self._backoff.next()
                log.info("the embedder is tried again in %g s", delay)
                await asyncio.sleep(delay)
                if self._stopped or self._writer is None:
                    return
                for root in sorted(self._full_text):
                    project = next((p for p in self.server.session.projects if p.root == root), None)
                    if project is None or root not in self._indexers:
                        self._full_text.discard(root)
                        continue
                    if not await self._reopen_with_embedder(project):
                        break
                else:
                    self._backoff.reset()
            if not self._full_text and not self._stopped:
                self._status("ready", folders=len(self._indexers))
        finally:
            self._retrying = False

    async def _reopen_with_embedder(self, project: Project) -> bool:
        """loop: probe the embedder; when it answers, reopen the folder's index with it and
        reconcile (the store sees a new embedder and builds the vectors). False: still failing."""
        old = self._indexers[project.root]

        def attempt() -> Any:
            embedder = self._embedder()
            try:
                embedder.embed_batch(["clm-lsp embedder probe"])
            except EmbedderFailed:
                _close_quietly(embedder)
                raise
            _close_quietly(old)
            return self._indexer_cls(project.root, embedder, project.settings.format,
                                     store_dir=Path(self.server.config.index.store_dir) if self.server.config.index.store_dir else None)

        try:
            fresh = await asyncio.get_running_loop().run_in_executor(self._writer, attempt)
        except EmbedderFailed as exc:
            log.info("the embedder still fails (%s)", exc)
            return False
        except Exception:  # noqa: BLE001 - the store would not reopen: keep serving from memory
            log.exception("the index of %s could not reopen with the embedder", project.root)
            self._indexers.pop(project.root, None)
            self._full_text.discard(project.root)
            return True
        self._indexers[project.root] = fresh
        self._full_text.discard(project.root)
        log.warning("the embedder works again: the index of %s gets its vectors back", project.root)
        self._cancel.clear()
        await self._reconcile(project, fresh)
        return True

    # -- the summary worker's access to the graph ----------------------------------------

    def has_index(self, project: Project) -> bool:
        return self._writer is not None and project.root in self._indexers

    async def on_writer(self, project: Project, fn: Any) -> Any:
        """``fn(graph)`` on the writer thread (Kuzu: one writer per database); raises when
        the folder has no open index (stopped, failed)."""
        writer, indexer = self._writer, self._indexers.get(project.root) if project.root is not None else None
        if writer is None or indexer is None:
            raise RuntimeError(f"no index is open for {project.root}")
        return await asyncio.get_running_loop().run_in_executor(writer, lambda: fn(indexer.graph))

    async def search(self, project: Project, query: str, k: int = 10) -> list[Any]:
        """The index's hybrid search (ChunkHit: section_id, score...). Reads are safe off the
        writer thread (sync.py), so a search never queues behind a long reconcile. When the
        embedder fails here, the search is full-text and the folder falls back to it."""
        indexer = self._indexers.get(project.root) if project.root is not None else None
        if indexer is None:
            raise RuntimeError(f"no index is open for {project.root}")
        try:
            return await asyncio.to_thread(indexer.search, query, k)
        except EmbedderFailed as exc:
            self._embedder_failed_later(project, indexer, exc)
            return await asyncio.to_thread(lambda: indexer.search(query, k, mode="text"))

    def _embedder_failed_later(self, project: Project, indexer: Any, exc: BaseException) -> None:
        """loop: an update or a search found the embedder failing: go full-text for this folder."""
        if self._stopped or self._indexers.get(project.root) is not indexer or project.root in self._full_text:
            return

        async def fall_back() -> None:
            fresh = await self._without_vectors(project, indexer, exc)
            await self._reconcile(project, fresh)
            self._status("ready", folders=len(self._indexers), **self._search_mode())

        self.server.tasks.start(fall_back(), name=f"index:full-text:{project.root}")

    def _tell_summaries(self, event: str, project: Project) -> None:
        summaries = self.server.extensions.get("summaries")
        if summaries is not None:
            getattr(summaries, event)(project)

    async def _reconcile(self, project: Project, indexer: Any) -> Any:
        progress = Progress(self.server, f"clm: indexing {project.root.name if project.root else ''}")
        await progress.begin()
        loop = asyncio.get_running_loop()

        def report(*args: Any) -> None:
            # Called on the writer thread: check the user's cancel, then hop to the loop.
            if progress.cancelled():
                self._cancel.set()
            if len(args) >= 2 and all(isinstance(a, int) for a in args[:2]):
                loop.call_soon_threadsafe(progress.report, args[0], args[1])

        self._status("indexing", folder=str(project.root))
        try:
            stats = await loop.run_in_executor(self._writer, lambda: indexer.reconcile(progress=report, cancel=self._cancel))
        except EmbedderFailed as exc:
            progress.end("the embedder failed: indexing without vectors")
            if not self._stopped:
                await self._reconcile(project, await self._without_vectors(project, indexer, exc))
            return
        except Exception as exc:  # noqa: BLE001
            progress.end("failed: see the log")
            log.exception("indexing %s failed", project.root)
            self.server.show_once(f"indexing {project.root} failed ({exc}); navigation works from memory.")
            return None
        self._tell_messages(indexer)
        progress.end("cancelled" if self._cancel.is_set() else "done")
        log.info("index of %s: %s", project.root, stats)
        return stats

    # -- clm.reindex ---------------------------------------------------------------------

    async def reindex(self, projects: list[Project]) -> dict[str, Any]:
        """Bring each folder's index back in line with its files now (the `clm.reindex` command):
        a reconcile on the writer thread with $/progress, then the summary worker looks again.
        Returns counts per folder, or an error in words when there is no index to rebuild."""
        if not self.server.config.index.enable:
            return {"error": "the index is off (clm.index.enable is false)"}
        if self._writer is None:
            return {"error": f"the index is not available ({self.state})"}
        folders = []
        for project in projects:
            indexer = self._indexers.get(project.root) if project.root is not None else None
            if indexer is None:
                folders.append({"root": str(project.root), "error": "no index is open for this folder (yet)"})
                continue
            self._cancel.clear()
            stats = await self._reconcile(project, indexer)
            if stats is None:
                folders.append({"root": str(project.root), "error": "indexing failed: see the log"})
                continue
            self._tell_summaries("index_changed", project)
            folders.append({"root": str(project.root), "files": stats.files, "entities": stats.entities,
                            "sections": stats.sections, "links": stats.links, "parsed": stats.parsed,
                            "deleted": stats.deleted, "files_deleted": stats.files_deleted,
                            "embedded": stats.embedded, "cancelled": stats.cancelled,
                            "seconds": round(stats.seconds, 3)})
        self._status("ready", folders=len(self._indexers))
        return {"folders": folders}

    # -- changes -----------------------------------------------------------------------

    def file_changed(self, uri: str, text: Any) -> None:
        """A file was saved or changed on disk (``text`` None: deleted; a Blueprint: the text as
        parsed for the snapshot); the writer updates the index.

        Changes are coalesced per folder: while the writer is busy, later changes wait in
        one pending map (the last text of a path wins) and are applied together, in one
        transaction per 200 files, so a burst (a git checkout of thousands of files) is a
        few batches rather than thousands of single-file commits."""
        path = uri_to_path(uri)
        if path is not None:
            self.files_changed(self.server.session.project_for(uri), {path: text})

    def files_changed(self, project: Project, changes: dict[Path, Any]) -> None:
        """loop: :meth:`file_changed` for many files of one folder at once (a checkout)."""
        indexer = self._indexers.get(project.root) if project.root is not None else None
        if self._writer is None or indexer is None or not changes:
            return
        with self._pending_lock:
            pending = self._pending.setdefault(project.root, {})
            pending.update(changes)
            scheduled = project.root in self._draining
            self._draining.add(project.root)
        if scheduled:
            return
        loop = asyncio.get_running_loop()
        if self.queued == 0:
            loop.call_later(UPDATING_AFTER_S, self._say_updating)
        self.queued += 1
        future = self._writer.submit(self._drain, project, indexer)

        def done(f: concurrent.futures.Future[Any]) -> None:
            exc = None if f.cancelled() else f.exception()
            if isinstance(exc, EmbedderFailed):
                _soon(loop, self._embedder_failed_later, project, indexer, exc)
            else:
                _log_failure(f)
            _soon(loop, self._drained)

        future.add_done_callback(done)
        # Once the graph has the new sections, the summary worker looks again.
        future.add_done_callback(lambda _f: _soon(loop, self._tell_summaries, "index_changed", project))

    def _drain(self, project: Project, indexer: Any) -> None:
        """Writer thread: apply the folder's pending changes until none are left."""
        try:
            while True:
                with self._pending_lock:
                    changes = self._pending.pop(project.root, {})
                    if not changes:
                        self._draining.discard(project.root)
                        return
                current = self._indexers.get(project.root, indexer)  # replaced when the embedder failed
                items = list(changes.items())
                for i in range(0, len(items), DRAIN_BATCH):
                    current.apply(items[i : i + DRAIN_BATCH])
        except BaseException:
            with self._pending_lock:  # the next change starts a new drain (reconcile catches up the rest)
                self._draining.discard(project.root)
            raise

    def _say_updating(self) -> None:
        """loop: updates still running UPDATING_AFTER_S after they started: clm/status says so
        (a save's update is over long before; only a burst shows)."""
        if self.queued > 0 and not self._said_updating:
            self._said_updating = True
            self._status(self.state, folders=len(self._indexers), updating=True, **self._search_mode())

    def _drained(self) -> None:
        """loop: one drain finished; when none is left after a burst, clm/status says so."""
        self.queued = max(0, self.queued - 1)
        if self.queued == 0 and self._said_updating:
            self._said_updating = False
            self._status(self.state, folders=len(self._indexers), updating=False, **self._search_mode())

    # -- the watchdog fallback ---------------------------------------------------------

    def _needs_watchers(self) -> bool:
        return not self.server.watching and bool(self.server.session.projects)

    async def _start_watchers(self, Watcher: Any) -> None:  # noqa: N803 - the class, as imported elsewhere
        """Watch the folders ourselves only when the client does not report file changes. Each
        starts in a thread: the start walks and stats the folder (and watchdog adds an inotify
        watch per subfolder), half a second of loop time at 2,000 files under load."""
        if not self._needs_watchers():
            return
        if Watcher is None:
            log.info("no file watcher available: files changed outside the editor are seen when opened")
            return
        loop = asyncio.get_running_loop()
        for project in self.server.session.projects:
            assert project.root is not None

            def on_batch(paths: Any, project: Project = project) -> None:
                # The watcher's thread: hand the batch to the event loop, nothing else.
                loop.call_soon_threadsafe(self._on_disk_batch, project, list(paths))

            ws = project.ws if project.scanned else None

            def start(watcher: Any, ws: Any = ws) -> None:
                # The folder was read before the watch began: what changed in between (since
                # this server started) is handed on in the watcher's first batch.
                baseline = [str(uri_to_path(uri)) for uri in ws.docs] if ws is not None else None
                watcher.start(baseline=baseline, since_ns=self._since_ns)

            try:
                watcher = Watcher(project.root, on_batch, debounce_s=0.3)
                await asyncio.to_thread(start, watcher)
            except Exception:  # noqa: BLE001 - no watcher is a degraded mode, not a failure
                log.exception("could not watch %s", project.root)
                continue
            if self._stopped:  # shut down while it started: nobody else will stop it
                watcher.stop()
                return
            self._watchers.append(watcher)

    def _on_disk_batch(self, project: Project, paths: list[Any]) -> None:
        """loop: a watcher batch; its paths become URIs in a thread (resolve() is a few system
        calls a path: a checkout's thousands, not on the loop), then join the folder's queue."""

        async def resolved() -> None:
            uris = await asyncio.to_thread(lambda: [Path(path).resolve().as_uri() for path in paths])
            self.changed_on_disk(project, uris)

        self.server.tasks.start(resolved(), name="watch:resolve")

    def changed_on_disk(self, project: Project, uris: list[str]) -> None:
        """loop: files of ``project`` changed on disk (our watcher, or the client's
        didChangeWatchedFiles). Changes that arrive within GATHER_S of each other, or while
        earlier ones are applied, go together: a checkout reported in several messages or
        watcher batches is one new snapshot and one re-check, not one per message."""
        self._disk_waiting.setdefault(id(project), []).extend(uris)
        if id(project) not in self._disk_running:
            self._disk_running.add(id(project))
            self.server.tasks.start(self._apply_disk_batches(project), name="watch:batch")

    async def _apply_disk_batches(self, project: Project) -> None:
        try:
            await asyncio.sleep(GATHER_S)
            while uris := self._disk_waiting.pop(id(project), None):
                await self.reload_changed(project, uris)
        finally:
            self._disk_running.discard(id(project))

    async def reload_changed(self, project: Project, uris: list[str]) -> None:
        """Files of ``project`` changed on disk (our watcher, or the client's
        didChangeWatchedFiles): the snapshot, the checker and the index follow."""
        uris = list(dict.fromkeys(uris))
        if len(uris) > BURST_FILES:  # a checkout's thousands of glob matches: 185 ms of loop at 5,000
            uris = await asyncio.to_thread(lambda: [u for u in uris if project.contains(u)])
        else:
            uris = [u for u in uris if project.contains(u)]
        uris = [u for u in uris if u not in self.server.session.open_docs]
        if len(uris) <= BURST_FILES:
            for uri in uris:
                bp = await reload_from_disk(self.server.session, project, uri)
                self.file_changed(uri, bp.text if bp is not None else None)
        else:
            await self._reload_burst(project, uris)
            return
        self.server.extensions["checker"].schedule(project)
        await warm_navigation(project.ws)

    async def _reload_burst(self, project: Project, uris: list[str]) -> None:
        """loop: a burst (a checkout): read and parse in a thread, then one new snapshot, and
        every document re-checked once it is ready."""
        checker = self.server.extensions["checker"]
        # A re-check in progress would go on with a snapshot about to be replaced (and compute
        # its did-you-mean lists on the loop): held until the new one is ready. What it had
        # not checked yet stays stale, so nothing is lost.
        checker.schedule(project, HOLD_CHECK_S)
        try:
            parsed = await asyncio.to_thread(_read_all, project, uris)
            changes = await self._install_burst(project, parsed)
            # Parsed: not parsed again for the index. (5,000 URIs to paths: in the thread too.)
            paths = await asyncio.to_thread(lambda: {uri_to_path(uri): bp for uri, bp in changes.items()})
            self.files_changed(project, {path: bp for path, bp in paths.items() if path is not None})
            log.info("%d files changed on disk under %s: one new snapshot", len(changes), project.root)
            # Every document is re-checked after a burst, and the did-you-mean lists of the links
            # it broke were most of that on the loop (52 of its 118 busy seconds in a 5,000-file
            # checkout of 10,000 files, under load): computed in a thread first, the re-check
            # finds them ready.
            ws = project.ws
            await asyncio.gather(asyncio.to_thread(warm_suggestions, ws), warm_navigation(ws))
        finally:
            checker.schedule(project)

    async def _install_burst(self, project: Project, parsed: dict[str, Any]) -> dict[str, Any]:
        """loop: the burst's new snapshot is built in a thread (10,000 documents: seconds of loop
        time under load when built here) while requests read the current one; installed by one
        assignment if nothing replaced the snapshot meanwhile (an edit, a single file's reload),
        else built again on top of the new one. Returns the changes applied."""
        session = self.server.session
        def closed() -> dict[str, Any]:
            return {u: bp for u, bp in parsed.items() if u not in session.open_docs}  # opened meanwhile: the buffer wins

        for _attempt in range(BURST_REBUILDS):
            changes, base = closed(), project.ws
            new = await asyncio.to_thread(replaced_many, base, changes)
            if closed().keys() == changes.keys() and project.install_many(base, new, changes):
                return changes
        changes = closed()
        # Replaced under it every time (a client typing fast into a folder being checked out):
        # the last try on the loop, which nothing can overtake.
        project.replace_many(changes)
        return changes


def _read_all(project: Project, uris: list[str]) -> dict[str, Any]:
    """Worker thread: the disk version of each file (None: gone), with what is parsed frozen
    out of the collector's sight as it goes (project.parsed_one)."""
    out = {}
    for n, uri in enumerate(uris):
        out[uri] = read_disk(project, uri)
        parsed_one(n)
    return out


def lsp_info() -> Any:
    from lsprotocol import types as lsp

    return lsp.MessageType.Info


def _soon(loop: asyncio.AbstractEventLoop, fn: Any, *args: Any) -> None:
    try:
        loop.call_soon_threadsafe(fn, *args)
    except RuntimeError:  # the loop closed (shutdown): nobody is left to tell
        pass


def _close_quietly(thing: Any) -> None:
    try:
        thing.close()
    except Exception:  # noqa: BLE001 - releasing a failed part is best effort
        log.exception("%s did not close cleanly", type(thing).__name__)


def _log_failure(future: concurrent.futures.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        exc = future.exception()
        log.error("index update failed", exc_info=(type(exc), exc, exc.__traceback__))


def _load(names: list[str]) -> dict[str, Any]:
    """A worker thread: clm_lsp.index's lazily loaded names (kuzu, lancedb, watchdog behind them),
    one after the other in one thread; "error" holds the ImportError that stopped it."""
    found: dict[str, Any] = {}
    try:
        index = importlib.import_module("clm_lsp.index")
        for name in names:
            found[name] = getattr(index, name)
    except ImportError as exc:
        found["error"] = exc
    return found
