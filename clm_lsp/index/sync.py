"""The indexer: the one owner of every write to the graph and the vectors.

The workspace state is the files on disk, overlaid by editor buffers handed to
:meth:`Indexer.apply`. :meth:`Indexer.reconcile` compares the disk with the
stored ``File`` nodes (mtime and size first, then the content hash), reparses
only what changed and re-derives only what the change touched: a section whose
content hash is unchanged keeps its node, its summaries and its vectors; a
changed one is re-embedded and its summaries (and those above them) are marked
stale; a deleted one leaves no node, edge, summary or vector behind.

Call every method from one thread (the server's index writer, or the CLI).
Search and graph reads are safe from other threads.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from clm_lsp.blueprint import Blueprint, FormatConfig, parse
from clm_lsp.workspace_io import WorkspaceSettings, load_settings

from .embedding import VectorSync
from .files import WorkspaceFiles, content_hash
from .graph import Graph, GraphBroken
from .planner import Parsed, plan_batch
from .records import Derived, FileRow, derive
from .stats import IndexStats
from .store import OpenedStore, StoreError, first_line, open_store, store_dir_for
from .vectors import ChunkHit, VectorStore

log = logging.getLogger(__name__)

MIN_FREE_MB = 64
"""Writes stop (with a clear message) below this much free space on the store's disk."""
BATCH_FILES = 200
"""Files per transaction: progress survives a cancel or a crash, memory stays bounded."""


class EmbedderLike(Protocol):
    model_id: str
    dimensions: int

    def embed_batch(self, texts: list[str]) -> list[list[float]]: ...


class CancelLike(Protocol):
    def is_set(self) -> bool: ...


Progress = Callable[[int, int, str], Any]


class Indexer:
    """The persistent index of one workspace folder.

    ``embedder`` None indexes without vectors (search is then full-text only).
    ``store_dir`` defaults to ``<root>/.clm``; a relative one is taken from the root.
    """

    def __init__(
        self,
        root: Path,
        embedder: EmbedderLike | None,
        config: FormatConfig,
        store_dir: Path | None = None,
        *,
        settings: WorkspaceSettings | None = None,
        min_free_mb: int = MIN_FREE_MB,
    ) -> None:
        self.root = Path(root).resolve()
        self.min_free_bytes = min_free_mb * 1024 * 1024
        self.embedder = embedder
        self.config = config
        self._store_arg = store_dir
        self.settings = settings or load_settings(self.root)
        self.files = WorkspaceFiles(self.root, self.settings, config.max_bytes)
        self.messages: list[str] = []
        self._store: OpenedStore | None = None
        self._touch: list[FileRow] = []
        """Files whose bytes did not change but whose mtime did: recorded with the next commit."""
        self._open()

    # -- the stores ------------------------------------------------------------------------

    def _open(self) -> None:
        model_id = self.embedder.model_id if self.embedder is not None else ""
        dims = int(self.embedder.dimensions) if self.embedder is not None else 0
        self._store = open_store(self.root, self._store_arg, model_id, dims)
        self.messages.extend(self._store.messages)

    @property
    def graph(self) -> Graph:
        assert self._store is not None, "the indexer is closed"
        return self._store.graph

    @property
    def vectors(self) -> VectorStore:
        assert self._store is not None, "the indexer is closed"
        return self._store.vectors

    @property
    def store_dir(self) -> Path:
        assert self._store is not None
        return self._store.dir

    @property
    def private(self) -> bool:
        return bool(self._store and self._store.private)

    def _store_lost(self) -> bool:
        """True (after reopening a fresh store) when the store folder was deleted under us."""
        store = self._store
        if store is not None and (store.dir / "graph.kuzu").exists():
            return False
        where = store.dir if store is not None else store_dir_for(self.root, self._store_arg)
        message = f"the index in {where} was removed while in use; rebuilding it from the files"
        log.warning("%s", message)
        self.messages.append(message)
        if store is not None:
            store.close()
        self._store = None
        self._open()
        return True

    def close(self) -> None:
        store, self._store = self._store, None
        if store is None:
            return
        try:
            store.vectors.maintain(force=True)
        except Exception as exc:  # noqa: BLE001 - compaction is housekeeping; closing must go on
            log.info("index compaction skipped: %s", exc)
        store.close()

    # -- reconcile: the disk against the stored File nodes ---------------------------------

    def reconcile(self, progress: Progress | None = None, cancel: CancelLike | None = None) -> IndexStats:
        stats = IndexStats()
        start = time.perf_counter()
        with self._store_errors():
            self._store_lost()
            self._reconcile(stats, progress, cancel)
            stats.seconds = time.perf_counter() - start
            return self._finish(stats)

    @contextlib.contextmanager
    def _store_errors(self) -> Iterator[None]:
        """Store failures (a full disk, a broken graph) become one StoreError with a clear message."""
        try:
            yield
        except StoreError:
            raise
        except GraphBroken as exc:
            raise StoreError(f"{exc}; {self._free_text()}. The index stays as it was until clm-lsp restarts") from exc
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"the index in {self.store_dir} could not be written ({first_line(exc)}); {self._free_text()}") from exc

    def _free_text(self) -> str:
        try:
            return f"{shutil.disk_usage(self.store_dir).free / 1e6:.0f} MB free on its disk"
        except OSError:
            return "its disk could not be inspected"

    def _check_space(self) -> None:
        """Refuse to write with too little free space: Kuzu does not survive a full disk mid-checkpoint."""
        try:
            free = shutil.disk_usage(self.store_dir).free
        except OSError:
            return
        if free < self.min_free_bytes:
            raise StoreError(
                f"only {free / 1e6:.0f} MB free on the disk of {self.store_dir} (the index needs "
                f"{self.min_free_bytes / 1e6:.0f} MB to write safely); it is not updated until space is freed"
            )

    def _reconcile(self, stats: IndexStats, progress: Progress | None, cancel: CancelLike | None) -> None:
        t = time.perf_counter()
        disk = self.files.walk()
        known = self.graph.files()
        stats.walk_s += time.perf_counter() - t
        deleted = sorted(set(known) - set(disk))
        total, done = len(disk) + len(deleted), 0
        batch: list[Parsed] = []
        for rel, path in sorted(disk.items()):
            if cancel is not None and cancel.is_set():
                stats.cancelled = True
                break
            parsed = self._examine(rel, path, known.get(rel), stats)
            if parsed is not None:
                batch.append(parsed)
            done += 1
            if progress is not None and (parsed is not None or done % 100 == 0):
                progress(done, total, rel)
            if len(batch) >= BATCH_FILES:
                self._commit(batch, [], known, stats)
                batch = []
        if stats.cancelled:
            self._commit(batch, [], known, stats)
            return
        self._commit(batch, deleted, known, stats)
        if progress is not None:
            progress(total, total, "")
        self._repair_graph(stats)
        self._repair_vectors(stats)
        t = time.perf_counter()
        self.vectors.maintain(force=True)
        stats.vectors_s += time.perf_counter() - t

    def _examine(self, rel: str, path: Path, old: FileRow | None, stats: IndexStats) -> Parsed | None:
        """A Parsed for a changed file; None when unchanged (a touched mtime is recorded)."""
        t = time.perf_counter()
        disk = self.files.stat(rel, path)
        if disk is None:
            return None
        if old is not None and old.mtime_ns == disk.mtime_ns and old.size == disk.size:
            return None
        data = self.files.read(path)
        stats.walk_s += time.perf_counter() - t
        if data is None:
            return None
        digest = content_hash(data)
        if old is not None and old.hash == digest:
            # Same bytes, new mtime (a checkout, a touch): remember the stat, derive nothing.
            self._touch.append(FileRow(rel, disk.mtime_ns, disk.size, digest, old.entity, old.ok))
            return None
        return self._parse(rel, data, disk.mtime_ns, disk.size, old, stats)

    def _parse(self, rel: str, data: bytes | str, mtime_ns: int, size: int, old: FileRow | None, stats: IndexStats,
               parsed: Blueprint | None = None) -> Parsed:
        t = time.perf_counter()
        raw = data.encode("utf-8") if isinstance(data, str) else data
        bp = parsed if parsed is not None else parse(data, (self.root / rel).as_uri(), self.config)[0]
        derived = derive(bp, rel)
        stats.parsed += 1
        stats.parse_s += time.perf_counter() - t
        broken = derived is None and not bp.skipped and (bp.front_matter is None or not bp.front_matter.ok)
        if broken and old is not None and old.entity:
            return Parsed(rel, FileRow(rel, mtime_ns, size, content_hash(raw), old.entity, ok=False), None, keep=True)
        entity = derived.entity.id if derived is not None else None
        return Parsed(rel, FileRow(rel, mtime_ns, size, content_hash(raw), entity), derived)

    def _load_owner(self, rel: str) -> Derived | None:
        """Parse a file that was not in the batch (a duplicate promoted to owner)."""
        data = self.files.read(self.root / rel)
        if data is None:
            return None
        bp, _ = parse(data, (self.root / rel).as_uri(), self.config)
        return derive(bp, rel)

    def _commit(self, batch: list[Parsed], deleted: list[str], known: dict[str, FileRow], stats: IndexStats) -> None:
        touch, self._touch = self._touch, []
        if not batch and not deleted and not touch:
            return
        self._check_space()
        t = time.perf_counter()
        plan = plan_batch(self.graph, batch, deleted, known, self._load_owner)
        plan.graph.files_upsert.extend(touch)
        stats.graph_s += time.perf_counter() - t
        # Vectors first: if embedding fails, nothing is committed and the files are retried.
        VectorSync(self.vectors, self.embedder, self._donor()).sync(plan.entities, stats)
        t = time.perf_counter()
        self.graph.apply(plan.graph)
        stats.graph_s += time.perf_counter() - t
        stats.deleted += len(plan.graph.sections_delete)
        stats.files_deleted += len(deleted)

    def _donor(self) -> VectorStore | None:
        return self._store.donor if self._store is not None else None

    def _repair_graph(self, stats: IndexStats) -> None:
        """Derived edges that disagree with the nodes (an interrupted write): fixed and said once."""
        t = time.perf_counter()
        fixed = self.graph.repair()
        stats.graph_s += time.perf_counter() - t
        if fixed:
            message = "the index was repaired (" + ", ".join(f"{n} {what}" for what, n in sorted(fixed.items())) + ")"
            log.warning("%s in %s", message, self.store_dir)
            self.messages.append(message)

    def _repair_vectors(self, stats: IndexStats) -> None:
        """Vectors for entities that have none (a new embedding model), none for unknown ones."""
        t = time.perf_counter()
        in_graph = self.graph.entity_ids()
        have = self.vectors.entity_ids()
        missing = self.graph.entities_with_text() - have
        orphans = have - in_graph
        stats.vectors_s += time.perf_counter() - t
        if not missing and not orphans:
            return
        rows = self.graph.entities_with_sections(missing)
        entities: dict[str, Derived | None] = {
            ent: Derived(row, tuple(secs), ()) for ent, (row, secs) in rows.items()
        }
        entities.update({ent: None for ent in orphans})
        VectorSync(self.vectors, self.embedder, self._donor()).sync(entities, stats)

    def _finish(self, stats: IndexStats) -> IndexStats:
        counts = self.graph.counts()
        stats.files = counts["files"]
        stats.entities = counts["entities"]
        stats.sections = counts["sections"]
        stats.links = counts["links"]
        stats.resolved_links = counts["resolved_links"]
        stats.summaries = counts["summaries"]
        stats.chunks = self.vectors.count()
        stats.reused = max(0, stats.chunks - stats.embedded)
        stats.store = str(self.store_dir)
        stats.private = self.private
        return stats

    # -- apply: editor buffers and watcher batches -------------------------------------------

    def apply(self, changes: Iterable[tuple[str | Path, str | Blueprint | None]]) -> IndexStats:
        """Index these files now: ``text`` is a buffer's content, None means "as on disk".

        A Blueprint is a text already parsed with this folder's settings (the server's
        snapshot after a checkout): its ``text`` is indexed without parsing it again.

        A path that no longer exists is deleted from the index, and a vanished
        folder deletes every file below it. Paths outside the workspace, or not
        covered by its include/exclude settings, are ignored.
        """
        stats = IndexStats()
        start = time.perf_counter()
        with self._store_errors():
            if self._store_lost():
                return self.reconcile()
            known = self.graph.files()
            batch, deleted = self._apply_inputs(changes, known, stats)
            self._commit(batch, sorted(deleted), known, stats)
            self.vectors.maintain()
            stats.seconds = time.perf_counter() - start
            return self._finish(stats)

    def _apply_inputs(self, changes, known: dict[str, FileRow], stats: IndexStats) -> tuple[list[Parsed], set[str]]:
        latest: dict[str, str | Blueprint | None] = {}
        deleted: set[str] = set()
        for path, text in changes:
            rel = self.files.rel(path)
            if rel is None:
                continue
            if self.files.is_member(rel):
                latest[rel] = text  # the last change of a path wins
            elif text is None and not (self.root / rel).exists():
                prefix = rel.rstrip("/") + "/"
                deleted.update(p for p in known if p.startswith(prefix))
        batch = []
        for rel, text in latest.items():
            parsed = self._apply_one(rel, text, known.get(rel), stats)
            if parsed is None and rel in known and self.files.stat(rel) is None:
                deleted.add(rel)
            elif parsed is not None:
                batch.append(parsed)
        return batch, deleted - {p.rel for p in batch}

    def _apply_one(self, rel: str, given: str | Blueprint | None, old: FileRow | None, stats: IndexStats) -> Parsed | None:
        parsed = given if isinstance(given, Blueprint) else None
        text = parsed.text if parsed is not None else given
        disk = self.files.stat(rel)
        on_disk = self.files.read(disk.path) if disk is not None else None
        if text is None:
            if on_disk is None:
                return None
            data: bytes | str = on_disk
        else:
            data = text
        digest = content_hash(data.encode("utf-8") if isinstance(data, str) else data)
        if old is not None and old.hash == digest:
            return None
        # A buffer that differs from the disk is stored with mtime -1, so the next
        # reconcile compares the disk by hash and re-indexes the saved text.
        same_as_disk = on_disk is not None and content_hash(on_disk) == digest
        mtime, size = (disk.mtime_ns, disk.size) if same_as_disk and disk is not None else (-1, -1)
        return self._parse(rel, data, mtime, size, old, stats, parsed)

    # -- search --------------------------------------------------------------------------------

    def search(self, query: str, k: int = 10, *, entity: str | None = None, scale: str | None = None, mode: str = "hybrid") -> list[ChunkHit]:
        """The best sections for ``query`` (one hit per section), hybrid by default."""
        vector = None
        if self.embedder is not None and mode != "text" and query.strip():
            vector = self.embedder.embed_batch([query])[0]
        hits = self.vectors.search(query, vector, k=k * 3, entity=entity, scale=scale, mode=mode)
        seen: set[str] = set()
        out = []
        for hit in hits:
            if hit.section_id not in seen:
                seen.add(hit.section_id)
                out.append(hit)
        return out[:k]
