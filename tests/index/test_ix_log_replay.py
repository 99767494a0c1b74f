"""A graph left with a write-ahead log (its process was killed or stopped mid-write) is
replayed in a child process before this one opens it (graph.replay_log_apart).

Kuzu 0.11.3 segfaulted replaying the log of a 10,000-file graph whose server had been
stopped during an update, and then every later start crashed the same way (found by
bench/load.py; that 1 GB store is not reproducible in a unit test). So: a real log is
replayed apart and its writes are kept; a replay that crashes (the child kills itself
with SIGSEGV here: the crash is the plumbing under test) leaves this process alive and
the graph rebuilt from the files.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from ix_helpers import REPO

from clm_lsp.index import graph as graph_module


def _leave_a_log(graph_path: Path) -> None:
    """Write to the graph from a process that exits without closing it (as a kill would)."""
    code = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(REPO)!r})
        from pathlib import Path
        from clm_lsp.index.graph import Graph
        g = Graph(Path({str(graph_path)!r}))
        g.set_meta("left-by", "a killed writer")
        os._exit(0)
    """)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    wal = Path(str(graph_path) + ".wal")
    assert wal.exists() and wal.stat().st_size > 0, "the writer left no log: nothing would be replayed"


def test_a_log_left_by_a_killed_writer_is_replayed_apart_and_kept(commons, open_indexer):
    ix = open_indexer(commons)
    ix.reconcile()
    ix.close()
    graph_path = commons / ".clm" / "graph.kuzu"
    _leave_a_log(graph_path)
    again = open_indexer(commons)
    assert again.messages == []  # nothing rebuilt
    assert again.graph.meta("left-by") == "a killed writer"  # the killed writer's write survived
    assert again.reconcile().parsed == 0


def test_a_replay_that_crashes_rebuilds_the_graph_and_this_process_lives(commons, open_indexer, monkeypatch):
    ix = open_indexer(commons)
    built = ix.reconcile()
    ix.close()
    graph_path = commons / ".clm" / "graph.kuzu"
    _leave_a_log(graph_path)
    monkeypatch.setattr(graph_module, "_REPLAY", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    again = open_indexer(commons)
    assert len(again.messages) == 1, again.messages
    message = again.messages[0]
    assert "not closed cleanly" in message and "SIGSEGV" in message and "rebuilding" in message, message
    stats = again.reconcile()
    assert (stats.entities, stats.sections, stats.resolved_links) == (built.entities, built.sections, built.resolved_links)
    assert stats.embedded == 0  # the vectors were intact: only the graph was rebuilt
    assert again.graph.meta("left-by") is None


def test_no_log_no_child(tmp_path, monkeypatch):
    """A cleanly closed graph (or a missing one) starts no child process."""
    def refuse(*_a, **_k):
        raise AssertionError("a child process was started without a log to replay")

    monkeypatch.setattr(graph_module.subprocess, "run", refuse)
    assert graph_module.replay_log_apart(tmp_path / "graph.kuzu") is None
    Path(str(tmp_path / "graph.kuzu") + ".wal").write_bytes(b"")
    assert graph_module.replay_log_apart(tmp_path / "graph.kuzu") is None
