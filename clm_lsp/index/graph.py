"""The workspace graph in Kuzu: the only module that imports kuzu.

Every Cypher statement of the project lives here, in graph_write.py (the
indexer's write path) and in graph_repair.py (the consistency check every
reconcile runs), both mixed into :class:`Graph` and importing no engine, so
switching the engine is this module's import: ``ladybug`` 0.22, a fork of Kuzu,
runs the same schema and statements through the same Python API (checked by
running tests/index against it with ``sys.modules["kuzu"] = ladybug``), but
cannot open Kuzu 0.11 files: a switch means one rebuild of each store.

Schema (``SCHEMA_VERSION``): nodes ``File``, ``Entity``, ``Section``, ``Link``,
``Summary`` and ``Meta``; relations ``HAS_SECTION`` (entity to its sections),
``CHILD_OF`` (entity to parent entity), ``LINKS_TO`` (section or entity to
section or entity, with the link's range), ``NEXT`` (timeslice to the following
one) and ``SUMMARIZES`` (summary to section or to lower summaries).

``Link`` nodes hold every link as written, resolved or not: a link into a file
that does not exist yet becomes a ``LINKS_TO`` relation when its target appears,
without reparsing the file it sits in.

List filters are written ``UNWIND $ids AS i MATCH (n {id: i})``, never
``WHERE n.id IN $ids``: in Kuzu 0.11.3 an IN (or list_contains) filter on a node
property returns the wrong nodes for nodes created earlier in the same
transaction (``MATCH (b:E) WHERE b.id IN ['d']`` after inserting ``d`` yields
another node). The UNWIND form is also faster (a hash join). ladybug 0.22 does
not have the bug; test_ix_graph.py holds the regression.

Writes come from one thread (the indexer's); :meth:`Graph.apply` runs one
change set in one transaction, so readers (each thread gets its own connection)
see a workspace before or after a change, never half of one.

Kuzu 0.11.3 never reuses the space an update frees, so the file is rewritten
fresh now and then (:meth:`Graph.compact`, graph_compact.py says why and when);
readers pass a gate that only the swap of the database object closes.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import kuzu

from .graph_write import ENTITY_COLS as _ENTITY_COLS
from .graph_write import SECTION_COLS as _SECTION_COLS
from .graph_write import SUMMARY_COLS as _SUMMARY_COLS
from .graph_compact import BASELINE_KEY, COPY_POOL_BYTES, GROWTH_LIMIT, MIN_COMPACT_BYTES, copy_graph, is_pool_full, row_count
from .graph_repair import GraphRepair
from .graph_params import in_pieces
from .graph_write import GraphWriter, entity_from_row
from .graph_write import returns as _ret
from .records import EntityRow, FileRow, LinkHit, SectionRow, SummaryRow, section_id

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
MAX_SUMMARY_LEVELS = 16
"""Bound of SUMMARIZES chains walked when marking summaries stale."""

_SCHEMA = (
    "CREATE NODE TABLE IF NOT EXISTS Meta(key STRING, value STRING, PRIMARY KEY(key))",
    "CREATE NODE TABLE IF NOT EXISTS File(path STRING, mtime_ns INT64, size INT64, hash STRING,"
    " entity STRING, ok BOOLEAN, PRIMARY KEY(path))",
    "CREATE NODE TABLE IF NOT EXISTS Entity(id STRING, title STRING, scale STRING, status STRING,"
    " parent STRING, tags STRING[], path STRING, title_anchor STRING, PRIMARY KEY(id))",
    "CREATE NODE TABLE IF NOT EXISTS Section(id STRING, entity STRING, anchor STRING, title STRING,"
    " crumbs STRING, kind STRING, date STRING, date_key STRING, level INT64, ord INT64, parent STRING,"
    " start_line INT64, end_line INT64, body_start INT64, body_end INT64, hash STRING, tokens INT64,"
    " placeholder BOOLEAN, text STRING, PRIMARY KEY(id))",
    "CREATE NODE TABLE IF NOT EXISTS Link(id STRING, file STRING, src STRING, src_kind STRING,"
    " entity STRING, anchor STRING, path STRING, raw STRING, line INT64, character INT64,"
    " end_line INT64, end_character INT64, target_entity STRING, resolved BOOLEAN, PRIMARY KEY(id))",
    "CREATE NODE TABLE IF NOT EXISTS Summary(id STRING, level INT64, text STRING, model_id STRING,"
    " prompt_version STRING, source_hash STRING, stale BOOLEAN, PRIMARY KEY(id))",
    "CREATE REL TABLE IF NOT EXISTS HAS_SECTION(FROM Entity TO Section)",
    "CREATE REL TABLE IF NOT EXISTS CHILD_OF(FROM Entity TO Entity)",
    "CREATE REL TABLE IF NOT EXISTS LINKS_TO(FROM Section TO Section, FROM Section TO Entity,"
    " FROM Entity TO Section, FROM Entity TO Entity, link STRING, file STRING, line INT64,"
    " character INT64, end_line INT64, end_character INT64)",
    "CREATE REL TABLE IF NOT EXISTS NEXT(FROM Section TO Section)",
    "CREATE REL TABLE IF NOT EXISTS SUMMARIZES(FROM Summary TO Section, FROM Summary TO Summary)",
)


_REPLAY = (
    "import sys, importlib\n"
    "engine = importlib.import_module(sys.argv[1])\n"
    "engine.Database(sys.argv[2], buffer_pool_size=int(sys.argv[3])).close()\n"
)
"""The child's code: open the graph (Kuzu replays its log) and close it (Kuzu checkpoints)."""


def replay_log_apart(path: Path, *, buffer_pool_mb: int = 256, timeout_s: float = 600.0) -> str | None:
    """Replay, in a child process, the write-ahead log that a process which never closed the
    graph left behind (killed, crashed, or stopped mid-write); None when there is no log or
    the child replayed it and closed the graph cleanly, else what went wrong, in words.

    Kuzu 0.11.3 can crash the whole process while replaying a log: a segfault, seen on a
    10,000-file graph whose server was stopped during an update, after which every start
    crashed the same way (bench/load.py, docs/reliability.md). No handler can catch that in
    process, so the replay is tried where a crash costs nothing; the caller then rebuilds
    the graph from the files. A clean close leaves no log, so this costs nothing then."""
    try:
        if Path(str(path) + ".wal").stat().st_size == 0:
            return None
    except OSError:
        return None
    argv = [sys.executable, "-c", _REPLAY, kuzu.__name__, str(path), str(buffer_pool_mb * 1024 * 1024)]
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return f"replaying its log took longer than {timeout_s:.0f} s"
    except OSError as exc:  # no child process here: open in process, as without a log
        log.warning("could not replay the index log apart (%s)", exc)
        return None
    if done.returncode == 0:
        return None
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = f"signal {-done.returncode}"
        return f"replaying its log crashed ({name})"
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    last = lines[-1].strip() if lines else f"exit status {done.returncode}"
    if "lock" in last.lower():
        return None  # held by another process: the open in process says so (a private store)
    return f"replaying its log failed ({last[:200]})"


def _trim_heap() -> None:
    """Give the heap the closed database freed back to the system: without it, RSS grew ~9 MB
    per rewrite of a 1,000-file graph (glibc keeps the fragments; malloc_trim(0) kept RSS flat)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _drop_salvage(db: Any, conn: Any, folder: Path) -> None:
    with contextlib.suppress(Exception):
        conn.close()
    with contextlib.suppress(Exception):
        db.close()
    shutil.rmtree(folder, ignore_errors=True)


def _unlink_db(path: Path) -> None:
    """A database file and its log, if there."""
    for p in (path, Path(str(path) + ".wal")):
        p.unlink(missing_ok=True)


class GraphBroken(RuntimeError):
    """A commit failed half-way; this process must not write (or close) the graph again."""


class _Gate:
    """Many readers, or the one swap of the database object (compaction): a reader never
    runs a query on a connection that is being closed under it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._swapping = False

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._swapping:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._swapping = True
            while self._readers:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._swapping = False
                self._cond.notify_all()


class Graph(GraphWriter, GraphRepair):
    """One Kuzu database file. Raises RuntimeError (Kuzu's) when it cannot open."""

    broken: str | None = None
    _closable = False
    """Broken by a COMMIT that found the buffer pool full: the objects may be closed (_poison)."""

    def __init__(self, path: Path, *, buffer_pool_mb: int = 256) -> None:
        self.path = path
        self._pool_bytes = buffer_pool_mb * 1024 * 1024
        self._local = threading.local()
        self._readers: list[Any] = []
        self._readers_lock = threading.Lock()
        self._gate = _Gate()
        self._generation = 0
        self._bytes_per_row: float | None = None
        self._checked_size = -1
        self.compactions = 0
        """Files rewritten fresh by this object (graph_compact.py says why)."""
        _unlink_db(self._compact_path())  # a copy left half-written by a killed process
        self._open_engine()

    def _open_engine(self) -> None:
        # Kuzu's default buffer pool is 80% of RAM: far too greedy for an editor helper.
        self._db = kuzu.Database(str(self.path), buffer_pool_size=self._pool_bytes)
        self._w = kuzu.Connection(self._db)
        for stmt in _SCHEMA:
            self._w.execute(stmt)

    # -- plumbing ------------------------------------------------------------------------

    def close(self) -> None:
        if self.broken:
            return  # see _poison: closing would abort the process
        self._close_engine()

    def _close_engine(self) -> None:
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for conn in [*readers, self._w]:
            with contextlib.suppress(Exception):
                conn.close()
        with contextlib.suppress(Exception):
            self._db.close()

    def _reader(self) -> Any:
        generation, conn = getattr(self._local, "conn", (-1, None))
        if conn is None or generation != self._generation:  # none yet, or one of a replaced file
            conn = kuzu.Connection(self._db)
            self._local.conn = (self._generation, conn)
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _read(self, query: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        self._check()
        with self._gate.shared():
            conn = self._reader()
            return in_pieces(lambda p: conn.execute(query, p).get_all(), query, params or {})

    def _write(self, query: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        return in_pieces(lambda p: self._w.execute(query, p).get_all(), query, params or {})

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; Kuzu rolls back by itself when a statement fails."""
        self._check()
        self._w.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                self._w.execute("ROLLBACK")
            raise
        try:
            self._w.execute("COMMIT")
        except RuntimeError as exc:
            self._poison(exc)
            raise GraphBroken(self.broken or str(exc)) from exc

    def _poison(self, exc: Exception) -> None:
        """A failed COMMIT (a full disk during the checkpoint) leaves Kuzu 0.11.3 in a state
        where destroying the database throws from a C++ destructor, which aborts the whole
        process. So the database object is leaked on purpose (never destroyed, not even at
        exit) and every later call refuses with one clear message."""
        self.broken = f"the index graph could not be written ({str(exc).strip().splitlines()[0]})"
        if is_pool_full(exc):
            # Not this case: after a COMMIT that found the buffer pool full, closing the objects
            # works (tried 4 times with a 16 MB pool, /tmp experiments of 2 December) and gives
            # back their memory (RSS 364-386 -> 244-251 MB): compact() closes them at its swap,
            # after the files were copied for the salvage.
            self._closable = True
            return
        for obj in (self._db, self._w, *self._readers):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))

    def _check(self) -> None:
        if self.broken:
            raise GraphBroken(self.broken)

    # -- compaction (graph_compact.py: why the file grows) ---------------------------------

    def compaction_due(self) -> str | None:
        """Why the file should be rewritten now, or None: it is over MIN_COMPACT_BYTES and
        over GROWTH_LIMIT times what its rows took the last time it was written fresh (a
        graph with no such record is rewritten once, to learn it)."""
        if self.broken:
            return None
        try:
            size = self.path.stat().st_size
        except OSError:
            return None
        if size < MIN_COMPACT_BYTES or size == self._checked_size:
            return None  # the file grows only at checkpoints: no need to count rows again
        if self._bytes_per_row is None:
            recorded = self.meta(BASELINE_KEY)
            with contextlib.suppress(TypeError, ValueError):
                self._bytes_per_row = float(recorded) if recorded else None
        if self._bytes_per_row is None:
            return f"{size / 2**20:.0f} MB, never compacted"
        rows = row_count(self._w)
        fresh = self._bytes_per_row * max(rows, 1)
        if size <= GROWTH_LIMIT * fresh:
            self._checked_size = size
            return None
        return f"{size / 2**20:.0f} MB, {size / fresh:.1f}x the {fresh / 2**20:.0f} MB its {rows:,} rows took fresh"

    def _salvage(self) -> tuple[Any, Any, Path]:
        """(database, connection, folder) of a copy of the graph's files, its log replayed."""
        folder = Path(tempfile.mkdtemp(prefix=".graph-salvage-", dir=self.path.parent))
        try:
            for p in self.path.parent.glob(self.path.name + "*"):
                if p.is_file() and not p.name.startswith(self._compact_path().name):
                    shutil.copy2(p, folder / p.name)
            copy = folder / self.path.name
            problem = replay_log_apart(copy, buffer_pool_mb=max(self._pool_bytes, COPY_POOL_BYTES) // 2**20)
            if problem is not None:
                raise RuntimeError(f"the graph's files could not be read back: {problem}")
            db = kuzu.Database(str(copy), buffer_pool_size=max(self._pool_bytes, COPY_POOL_BYTES))
            return db, kuzu.Connection(db), folder
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def _compact_path(self) -> Path:
        return self.path.with_name(self.path.name + ".compact")

    def maybe_compact(self) -> bool:
        reason = self.compaction_due()
        return self.compact(reason) if reason else False

    def compact(self, reason: str) -> bool:
        """Rewrite the graph into a fresh file with the same rows (summaries included) and swap
        it in; False (the graph as it was, a warning logged) if the copy fails. Call from the
        writer's thread, outside a transaction: readers go on with the old file while the copy
        is made, and wait only for the swap (close, rename, open).

        Also the way back from a COMMIT that failed for want of buffer pool (_poison): Kuzu
        0.11.3 runs its checkpoint inside COMMIT, after the commit record is in the log. The
        poisoned objects cannot be closed (they stay leaked, their files unlinked under them)
        and what they read back cannot be trusted (section texts read back empty once), so the
        rows come from a copy of the files on disk, its log replayed in a child process as at
        a start (replay_log_apart). That copy has lost edges too (half of LINKS_TO, NEXT and
        CHILD_OF once, the nodes intact), so the derived edges are then repaired from the
        nodes (graph_repair.py), as after a kill -9."""
        poisoned = self.broken is not None
        start = time.perf_counter()
        before = self.path.stat().st_size
        tmp = self._compact_path()
        _unlink_db(tmp)
        salvage: tuple[Any, Any, Path] | None = None
        try:
            if poisoned:
                salvage = self._salvage()
            source = salvage[1] if salvage else self._w
            # A COPY holds a node group's columns at once: more than a small pool (24 MB) has.
            fresh_db = kuzu.Database(str(tmp), buffer_pool_size=max(self._pool_bytes, COPY_POOL_BYTES))
            fresh = kuzu.Connection(fresh_db)
            try:
                for stmt in _SCHEMA:
                    fresh.execute(stmt)
                copied = copy_graph(source, fresh)
            finally:
                fresh.close()
                fresh_db.close()
        except Exception as exc:  # noqa: BLE001 - the old graph stays; the next check tries again
            _unlink_db(tmp)
            if salvage:
                _drop_salvage(*salvage)
            text = str(exc).strip()
            log.warning("could not compact the index graph %s (%s): %s", self.path, reason, text.splitlines()[0] if text else type(exc).__name__)
            return False
        if salvage:
            _drop_salvage(*salvage)
        with self._gate.exclusive():
            if poisoned and not self._closable:
                with self._readers_lock:
                    self._readers = []  # leaked with the database (see _poison)
            else:
                self._close_engine()
            self._closable = False
            Path(str(self.path) + ".wal").unlink(missing_ok=True)
            os.replace(tmp, self.path)
            self._generation += 1
            self._open_engine()
            self.broken = None
        if poisoned:
            fixed = self.repair()
            if fixed:
                reason += "; repaired " + ", ".join(f"{n} {what}" for what, n in sorted(fixed.items()))
        after = self.path.stat().st_size
        rows = sum(copied.values())
        self._bytes_per_row = after / max(rows, 1)
        self.set_meta(BASELINE_KEY, repr(self._bytes_per_row))
        self.compactions += 1
        _trim_heap()
        log.warning("index graph rewritten fresh (%s): %.0f -> %.0f MB, %d rows, in %.1f s",
                    reason, before / 2**20, after / 2**20, rows, time.perf_counter() - start)
        return True

    def _copy_rel(self, table: str, src: str, dst: str, columns: dict[str, list[Any]]) -> None:
        # COPY from an Arrow table is ~40x faster than UNWIND ... MATCH ... CREATE for edges.
        if not columns["from"]:
            return
        import pyarrow as pa

        self._w.execute(f"COPY {table} FROM $t (from='{src}', to='{dst}')", {"t": pa.table(columns)})

    def query(self, cypher: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        """A read-only Cypher query on this thread's connection (for tools, tests and debugging)."""
        return self._read(cypher, params)

    # -- meta ----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        rows = self._read("MATCH (m:Meta {key: $k}) RETURN m.value", {"k": key})
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._write("MERGE (m:Meta {key: $k}) SET m.value = $v", {"k": key, "v": value})

    def counts(self) -> dict[str, int]:
        out = {}
        for label, key in (("File", "files"), ("Entity", "entities"), ("Section", "sections"),
                           ("Link", "links"), ("Summary", "summaries")):
            out[key] = int(self._read(f"MATCH (n:{label}) RETURN count(*)")[0][0])
        out["resolved_links"] = int(self._read("MATCH ()-[r:LINKS_TO]->() RETURN count(*)")[0][0])
        return out

    # -- reads for the indexer -----------------------------------------------------------

    def files(self) -> dict[str, FileRow]:
        rows = self._read("MATCH (f:File) RETURN f.path, f.mtime_ns, f.size, f.hash, f.entity, f.ok")
        return {r[0]: FileRow(r[0], r[1], r[2], r[3], r[4] or None, bool(r[5])) for r in rows}

    def entity_ids(self) -> set[str]:
        return {r[0] for r in self._read("MATCH (e:Entity) RETURN e.id")}

    def entity_paths(self, ids: Iterable[str]) -> dict[str, str]:
        rows = self._read("UNWIND $ids AS i MATCH (e:Entity {id: i}) RETURN e.id, e.path", {"ids": list(ids)})
        return {r[0]: r[1] for r in rows}

    def claims(self, ids: Iterable[str]) -> dict[str, list[str]]:
        """entity id -> paths of the files that claim it, sorted (the first one owns it)."""
        out: dict[str, list[str]] = {}
        for ent, path in self._read("UNWIND $ids AS i MATCH (f:File) WHERE f.entity = i RETURN f.entity, f.path", {"ids": list(ids)}):
            out.setdefault(ent, []).append(path)
        return {k: sorted(v) for k, v in out.items()}

    def section_hashes(self, entity_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """section id -> (entity id, content hash) for the given entities."""
        rows = self._read("UNWIND $ids AS i MATCH (s:Section) WHERE s.entity = i RETURN s.id, s.entity, s.hash", {"ids": list(entity_ids)})
        return {r[0]: (r[1], r[2]) for r in rows}

    def entities_with_text(self) -> set[str]:
        """Entities with at least one section that has body text (those that should have vectors)."""
        rows = self._read("MATCH (s:Section) WHERE s.placeholder = false AND trim(s.text) <> '' RETURN DISTINCT s.entity")
        return {r[0] for r in rows}

    def entities_with_sections(self, ids: Iterable[str]) -> dict[str, tuple[EntityRow, list[SectionRow]]]:
        ids = list(ids)
        ents = self._read(f"UNWIND $ids AS i MATCH (e:Entity {{id: i}}) RETURN {_ret('e', _ENTITY_COLS)}", {"ids": ids})
        out: dict[str, tuple[EntityRow, list[SectionRow]]] = {r[0]: (entity_from_row(r), []) for r in ents}
        rows = self._read(f"UNWIND $ids AS i MATCH (s:Section) WHERE s.entity = i RETURN {_ret('s', _SECTION_COLS)} ORDER BY s.ord", {"ids": ids})
        for r in rows:
            sec = SectionRow(*r)
            if sec.entity in out:
                out[sec.entity][1].append(sec)
        return out

    # -- reads for the server ------------------------------------------------------------

    def entity(self, entity_id: str) -> EntityRow | None:
        rows = self._read(f"MATCH (e:Entity {{id: $id}}) RETURN {_ret('e', _ENTITY_COLS)}", {"id": entity_id})
        return entity_from_row(rows[0]) if rows else None

    def section(self, sid: str) -> SectionRow | None:
        rows = self._read(f"MATCH (s:Section {{id: $id}}) RETURN {_ret('s', _SECTION_COLS)}", {"id": sid})
        return SectionRow(*rows[0]) if rows else None

    def sections(self, entity_id: str) -> list[SectionRow]:
        rows = self._read(
            f"MATCH (e:Entity {{id: $id}})-[:HAS_SECTION]->(s:Section) RETURN {_ret('s', _SECTION_COLS)} ORDER BY s.ord",
            {"id": entity_id},
        )
        return [SectionRow(*r) for r in rows]

    def resolve(self, entity_id: str, anchor: str | None = None) -> tuple[EntityRow, SectionRow | None] | None:
        """What ``[[entity_id#anchor]]`` names: (entity, section) or (entity, None); None if missing."""
        entity = self.entity(entity_id)
        if entity is None:
            return None
        if not anchor or anchor == entity.title_anchor:
            return entity, None
        section = self.section(section_id(entity_id, anchor))
        return (entity, section) if section is not None else None

    def resolve_path(self, path: str, anchor: str | None = None) -> tuple[EntityRow, SectionRow | None] | None:
        """Like :meth:`resolve` for a Markdown link's workspace-relative file path."""
        rows = self._read("MATCH (e:Entity {path: $p}) RETURN e.id", {"p": path})
        return self.resolve(rows[0][0], anchor) if rows else None

    def incoming(self, entity_id: str, anchor: str | None = None) -> list[LinkHit]:
        """Links naming this entity (``anchor`` None: any of its anchors, resolved or not)."""
        where = "l.target_entity = $e" + (" AND l.anchor = $a" if anchor is not None else "")
        return self._link_hits(where, {"e": entity_id, "a": anchor or ""})

    def outgoing(self, entity_id: str) -> list[LinkHit]:
        """Links written in this entity's blueprint, in document order."""
        return self._link_hits("l.file = $f", {"f": self._path_of(entity_id)})

    def _path_of(self, entity_id: str) -> str:
        rows = self._read("MATCH (e:Entity {id: $id}) RETURN e.path", {"id": entity_id})
        return rows[0][0] if rows else "\0"

    def _link_hits(self, where: str, params: dict[str, Any]) -> list[LinkHit]:
        cols = ("id", "file", "src", "src_kind", "raw", "line", "character", "end_line", "end_character",
                "target_entity", "anchor", "resolved")
        params = {k: v for k, v in params.items() if f"${k}" in where}
        rows = self._read(f"MATCH (l:Link) WHERE {where} RETURN {_ret('l', cols)} ORDER BY l.file, l.line, l.character", params)
        return [LinkHit(*r[:9], r[9] or "", r[10] or "", bool(r[11])) for r in rows]

    def neighbours(self, sid: str) -> list[tuple[str, str]]:
        """(direction, node id) of everything a section links to ('out') or is linked from ('in')."""
        out = self._read("MATCH (s:Section {id: $id})-[:LINKS_TO]->(t) RETURN DISTINCT t.id", {"id": sid})
        inc = self._read("MATCH (t)-[:LINKS_TO]->(s:Section {id: $id}) RETURN DISTINCT t.id", {"id": sid})
        return [("out", r[0]) for r in out] + [("in", r[0]) for r in inc]

    def ancestors(self, entity_id: str) -> list[EntityRow]:
        """Parent, grandparent... nearest first (a parent cycle stops at the start)."""
        out: list[EntityRow] = []
        seen = {entity_id}
        current = entity_id
        while True:
            rows = self._read(f"MATCH (:Entity {{id: $id}})-[:CHILD_OF]->(p:Entity) RETURN {_ret('p', _ENTITY_COLS)}", {"id": current})
            if not rows or rows[0][0] in seen:
                return out
            parent = entity_from_row(rows[0])
            seen.add(parent.id)
            out.append(parent)
            current = parent.id

    def children(self, entity_id: str) -> list[EntityRow]:
        rows = self._read(
            f"MATCH (c:Entity)-[:CHILD_OF]->(:Entity {{id: $id}}) RETURN {_ret('c', _ENTITY_COLS)} ORDER BY c.path",
            {"id": entity_id},
        )
        return [entity_from_row(r) for r in rows]

    def timeslices(self, entity_id: str) -> list[SectionRow]:
        """The entity's timeslices, oldest first (document order breaks ties)."""
        rows = self._read(
            f"MATCH (:Entity {{id: $id}})-[:HAS_SECTION]->(s:Section) WHERE s.kind = 'timeslice'"
            f" RETURN {_ret('s', _SECTION_COLS)} ORDER BY s.date_key, s.ord",
            {"id": entity_id},
        )
        return [SectionRow(*r) for r in rows]

    def next_timeslice(self, sid: str) -> SectionRow | None:
        rows = self._read(f"MATCH (:Section {{id: $id}})-[:NEXT]->(n:Section) RETURN {_ret('n', _SECTION_COLS)}", {"id": sid})
        return SectionRow(*rows[0]) if rows else None

    # -- summaries (written by the model layer's worker, through the indexer's thread) ----

    def put_summary(self, summary: SummaryRow, sources: Iterable[str]) -> None:
        """Create or replace a summary and what it stands for (section or summary ids).

        Unknown source ids are ignored: the section may have gone while the model wrote.
        """
        row = {c: getattr(summary, c) for c in _SUMMARY_COLS}
        ids = list(dict.fromkeys(sources))
        sets = ", ".join(f"u.{c} = ${c}" for c in _SUMMARY_COLS if c != "id")
        with self.transaction():
            self._write(f"MERGE (u:Summary {{id: $id}}) SET {sets}", row)
            self._write("MATCH (u:Summary {id: $id})-[r:SUMMARIZES]->() DELETE r", {"id": summary.id})
            for label in ("Section", "Summary"):
                self._write(
                    f"UNWIND $ids AS i MATCH (u:Summary {{id: $id}}), (x:{label} {{id: i}}) WHERE i <> $id CREATE (u)-[:SUMMARIZES]->(x)",
                    {"id": summary.id, "ids": ids},
                )
        self.maybe_compact()  # summaries are rewritten too (stale ones): their waste counts

    def summary(self, summary_id: str) -> SummaryRow | None:
        rows = self._read(f"MATCH (u:Summary {{id: $id}}) RETURN {_ret('u', _SUMMARY_COLS)}", {"id": summary_id})
        return SummaryRow(*rows[0]) if rows else None

    def summaries_of(self, sid: str) -> list[SummaryRow]:
        """Summaries that stand directly for this section (or this summary), lowest level first."""
        rows = self._read(
            f"MATCH (u:Summary)-[:SUMMARIZES]->(x) WHERE x.id = $id RETURN {_ret('u', _SUMMARY_COLS)} ORDER BY u.level, u.id",
            {"id": sid},
        )
        return [SummaryRow(*r) for r in rows]

    def summaries_of_many(self, ids: Iterable[str]) -> dict[str, list[SummaryRow]]:
        """:meth:`summaries_of` for many sections or summaries at once: node id -> its rows,
        lowest level first (ids with none are left out). Two queries, one per target table,
        instead of one per node: at startup the summary cache is filled for every section
        (130,000 at 10,000 files; ~14 ms a node one at a time, docs/reliability.md, Load)."""
        ids = list(dict.fromkeys(ids))
        out: dict[str, list[SummaryRow]] = {}
        if not ids:
            return out
        for label in ("Section", "Summary"):
            rows = self._read(
                f"UNWIND $ids AS i MATCH (u:Summary)-[:SUMMARIZES]->(x:{label} {{id: i}}) RETURN x.id, {_ret('u', _SUMMARY_COLS)}",
                {"ids": ids},
            )
            for r in rows:
                out.setdefault(r[0], []).append(SummaryRow(*r[1:]))
        for found in out.values():
            found.sort(key=lambda s: (s.level, s.id))
        return out

    def sources_of(self, summary_id: str) -> list[tuple[str, str]]:
        """What a summary stands for: ('section' | 'summary', id), sections in document order."""
        rows = self._read(
            "MATCH (:Summary {id: $id})-[:SUMMARIZES]->(x) RETURN label(x), x.id", {"id": summary_id}
        )
        return sorted(((str(r[0]).lower(), r[1]) for r in rows), key=lambda kr: (kr[0], kr[1]))

    def mark_stale(self, section_ids: Iterable[str]) -> int:
        """Mark the summaries of these sections, and every summary above them, stale."""
        ids = list(section_ids)
        if not ids:
            return 0
        rows = self._write(
            f"UNWIND $ids AS i MATCH (u:Summary)-[:SUMMARIZES*1..{MAX_SUMMARY_LEVELS}]->(:Section {{id: i}})"
            " WITH DISTINCT u SET u.stale = true RETURN count(u)",
            {"ids": ids},
        )
        return int(rows[0][0]) if rows else 0

    def _delete_orphan_summaries(self) -> int:
        """Summaries with nothing left to stand for go, level by level up the tree."""
        total = 0
        for _ in range(MAX_SUMMARY_LEVELS + 1):
            rows = self._write("MATCH (u:Summary) WHERE NOT EXISTS { MATCH (u)-[:SUMMARIZES]->() } RETURN u.id")
            if not rows:
                break
            self._write("UNWIND $ids AS i MATCH (u:Summary {id: i}) DETACH DELETE u", {"ids": [r[0] for r in rows]})
            total += len(rows)
        return total
