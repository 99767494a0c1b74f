"""Load: a large generated workspace, reading and typing while the model writes summaries,
then a burst of file events like a git checkout, with the server's own watcher on.

Settings: index on, summaries on, the bundled SmolLM2 run by the llama_cpp backend,
and an embedder that cannot load (``embedModel`` names a missing file), so the index
is full-text only (the fallback of issue 10) and a cold index of thousands of files
takes seconds instead of the hours MiniLM would need on 2 cores.

Phases, every request timed at the client (JSON-RPC round trip included):
1. reading: hover and completion at 20 requests/s while the model generates;
2. typing: 20 edits/s in the largest file, a completion or hover after each;
3. burst: half the files rewritten, a fifth deleted, three tenths created, as fast as
   the disk allows; hovers go on meanwhile; the server's document count and its
   index (clm/status ``index.updating``) must settle.
RSS is sampled all along. Figures are printed (docs/reliability.md has the last
ones); the assertions only catch what would be a bug: an unanswered request, a
p99 that means a request waited on the model or the writer, a queue that never
drains, memory that keeps growing. 300 files in `make test`; CLM_SOAK=1 or
CLM_LOAD=1: 10,000 files and 5,000 events.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

import pytest
from rawlsp import REPO, RawServer

BIG = any(os.environ.get(v, "") not in ("", "0") for v in ("CLM_SOAK", "CLM_LOAD"))
FILES = 10_000 if BIG else 300
EVENTS = 5_000 if BIG else 200
PHASE_S = 10.0 if BIG else 3.0
RATE_HZ = 20
TARGET_MS = 5.0  # bench/lsp_latency.py: p99 < 5 ms for hover, definition and completion (idle server)
BUG_MS = 500.0  # a p99 above this means a request waited on the model, the writer or the watcher
WIKI = re.compile(r"\[\[[a-z0-9-]+")

sys.path.insert(0, str(REPO / "bench"))


def rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]  # nearest rank


def status_of(server: RawServer, key: str) -> dict:
    for n in reversed(server.notifications):
        if n.get("method") == "clm/status" and key in n["params"]:
            return n["params"][key] if isinstance(n["params"][key], dict) else n["params"]
    return {}


class Timer:
    def __init__(self, server: RawServer) -> None:
        self.server = server
        self.ms: dict[str, list[float]] = {}

    def request(self, method: str, params: dict) -> dict:
        t = time.perf_counter()
        reply = self.server.request(method, params, timeout=30)
        self.ms.setdefault(method.split("/")[-1], []).append((time.perf_counter() - t) * 1000)
        assert "error" not in reply, reply
        return reply

    def line(self, name: str) -> str:
        v = self.ms.get(name, [])
        if not v:
            return f"{name}: none"
        return f"{name} n={len(v)} p50 {statistics.median(v):.1f} / p99 {pct(v, 99):.1f} / max {max(v):.1f} ms"


def link_positions(text: str) -> list[dict]:
    out = []
    for i, line in enumerate(text.split("\n")):
        for m in WIKI.finditer(line):
            out.append({"line": i, "character": m.start() + 3})
    return out


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for RSS")
def test_reading_typing_and_a_checkout_burst_under_load(tmp_path: Path) -> None:
    from gen_workspace import generate

    from clm_lsp.llm.bundled import bundled_gguf_path

    root = tmp_path / "big"
    t0 = time.monotonic()
    counts = generate(root, tokens=FILES * 1000, seed=3)
    gen_s = time.monotonic() - t0
    files = sorted(root.rglob("*.blueprint.md"))
    options = {
        "index": {"enable": True}, "summaries": {"enable": True},
        "model": {"backend": "llama_cpp", "modelPath": str(bundled_gguf_path()), "embedModel": str(tmp_path / "no-embedder.gguf")},
    }
    server = RawServer()
    samples: list[float] = []
    figures = [f"workspace: {len(files)} files, {counts['tokens']:,} tokens, {counts['links']:,} links (generated in {gen_s:.1f} s)"]
    try:
        t0 = time.monotonic()
        server.initialize(root, options=options, wait_ready=False)
        server.wait_for(lambda n: n.get("method") == "clm/status" and n["params"].get("state") == "ready", timeout=900)
        scan_s = time.monotonic() - t0
        server.wait_for(lambda n: n.get("method") == "clm/status" and (n["params"].get("index") or {}).get("state") in ("ready", "failed"), timeout=1800)
        index_s = time.monotonic() - t0
        assert status_of(server, "index").get("state") == "ready", status_of(server, "index")
        server.wait_for(lambda n: n.get("method") == "clm/status" and ((n["params"].get("model") or {}).get("summaries") or {}).get("state") == "running", timeout=600)
        figures.append(f"start: read and checked in {scan_s:.1f} s, full-text index ready at {index_s:.1f} s, summaries running")
        pid = server.proc.pid
        samples.append(rss_mb(pid)[0])

        big = max(files, key=lambda p: p.stat().st_size)
        text = big.read_text(encoding="utf-8")
        uri = big.as_uri()
        server.open(uri, text)
        positions = link_positions(text)
        assert positions, "the largest file has no wiki links"
        doc = {"uri": uri}

        # 1. reading while the model generates
        reading = Timer(server)
        rng = random.Random(1)
        end = time.monotonic() + PHASE_S
        while time.monotonic() < end:
            pos = rng.choice(positions)
            reading.request("textDocument/hover", {"textDocument": doc, "position": pos})
            reading.request("textDocument/completion", {"textDocument": doc, "position": pos})
            time.sleep(2 / RATE_HZ)
        generating = ((status_of(server, "model").get("summaries") or {}).get("state"))
        samples.append(rss_mb(pid)[0])
        figures.append(f"reading at {RATE_HZ}/s while summaries were {generating}: {reading.line('hover')}; {reading.line('completion')}")

        # 2. typing at 20 edits/s: one character after a link, then completion there (or a hover)
        typing = Timer(server)
        version, lines = 1, text.split("\n")
        edits = 0
        end = time.monotonic() + PHASE_S
        while time.monotonic() < end:
            pos = rng.choice(positions)
            col = len(lines[pos["line"]])
            change = {"range": {"start": {"line": pos["line"], "character": col}, "end": {"line": pos["line"], "character": col}}, "text": "x"}
            version += 1
            lines[pos["line"]] += "x"
            server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
            edits += 1
            method = "textDocument/completion" if edits % 2 else "textDocument/hover"
            typing.request(method, {"textDocument": doc, "position": pos})
            time.sleep(1 / RATE_HZ)
        assert server.view(uri)["text"] == "\n".join(lines), "the buffer went out of step while typing"
        samples.append(rss_mb(pid)[0])
        figures.append(f"typing {edits} edits at {RATE_HZ}/s: {typing.line('completion')}; {typing.line('hover')}")

        # 3. a checkout burst: rewrite, delete, create
        before_docs = status_of(server, "documents") or {}
        others = [p for p in files if p != big]
        rng.shuffle(others)
        n_mod, n_del = EVENTS // 2, EVENTS // 5
        n_new = EVENTS - n_mod - n_del  # more created than deleted: the document count shows the end
        mark = len(server.notifications)
        t0 = time.monotonic()
        for p in others[:n_mod]:
            p.write_text(p.read_text(encoding="utf-8") + "\n## Checked out\n\nOther branch.\n", encoding="utf-8")
        for p in others[n_mod : n_mod + n_del]:
            p.unlink()
        for i in range(n_new):
            (root / f"new-{i:05d}.blueprint.md").write_text(f"---\nid: branch-new-{i}\ntitle: New {i}\nscale: team\n---\n\n# New {i}\n\n## Vision\n\nFrom the other branch.\n", encoding="utf-8")
        burst_s = time.monotonic() - t0
        expected_docs = len(files) - n_del + n_new
        during = Timer(server)
        drained_docs = drained_index = quiet_since = None
        deadline = time.monotonic() + (1800 if BIG else 300)
        while time.monotonic() < deadline and (drained_docs is None or drained_index is None):
            during.request("textDocument/hover", {"textDocument": doc, "position": rng.choice(positions)})
            params = status_of(server, "documents")
            if drained_docs is None and params.get("documents") == expected_docs:
                drained_docs = time.monotonic() - t0
            updating = [(n["params"]["index"] or {}).get("updating") for n in server.notifications[mark:]
                         if n.get("method") == "clm/status" and "index" in n["params"]]
            # index.updating is said only for updates that outlast 0.5 s: settled = not updating for 1 s
            settled = not updating or updating[-1] is False
            if drained_docs is None or not settled:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic() - t0
            elif time.monotonic() - t0 - quiet_since >= 1.0:
                drained_index = quiet_since
            samples.append(rss_mb(pid)[0])
            time.sleep(0.1)
        current, peak = rss_mb(pid)
        figures.append(f"burst: {n_mod} rewritten, {n_del} deleted, {n_new} created in {burst_s:.1f} s ({EVENTS} events); documents settled at "
                       f"{drained_docs if drained_docs is None else round(drained_docs, 1)} s, index updated at "
                       f"{drained_index if drained_index is None else round(drained_index, 1)} s; {during.line('hover')}")
        figures.append(f"RSS: {samples[0]:.0f} MB after start, {max(samples):.0f} MB highest sample, {current:.0f} MB at the end, peak (VmHWM) {peak:.0f} MB; "
                       f"documents before the burst: {before_docs.get('documents')}")
    finally:
        print("\n" + "\n".join(figures))
        server.close(timeout=60)
    assert drained_docs is not None, "the watcher's events never settled in the session"
    assert drained_index is not None, "the index never caught up with the burst"
    for timer in (reading, typing, during):
        for name, values in timer.ms.items():
            assert pct(values, 99) < BUG_MS, timer.line(name)
    assert max(samples) < (6000 if BIG else 2500), samples


# -- What the test above leaves out, through the functions of bench/load.py (which runs them at
# full size and prints the figures): a checkout reported by the client (didChangeWatchedFiles)
# checked in the snapshot and in the index; typing while the model is verifiably busy, and
# the last version's diagnostics after the typing stops; requests while the index opens.
# Latency bounds here catch waiting (on the model, the writer, an import), not slowness: the
# machine is shared, so p95 and max are bounded, never p99 of a few dozen samples.

SMALL_FILES, SMALL_EVENTS = (FILES, EVENTS) if BIG else (150, 100)
"""Sizes of the tests below in `make test` (the test above already reads 300 files)."""
WAIT_MS = 1000.0
"""p95 above this while the index drains a burst: requests are waiting on the writer."""
STALL_MS = 5000.0
"""Any single request slower than this waited on a whole batch, a model load or an import."""
DRAIN_MS = 10_000.0
"""While typing on 2 busy cores each keystroke is re-parsed incrementally (about 1 ms at 180 KB,
blueprint/incremental.py) but still checked and published, and the model takes a core, so
requests can queue behind edits for hundreds of ms when other agents load the machine
(docs/reliability.md, Load): only a backlog that does not drain fails."""


def _bounded(fig, names: list[str]) -> None:
    for name in names:
        v = fig.values.get(name)
        if not v or not v["n"]:
            continue
        assert v["max"] < STALL_MS, f"{name}: {v}"


@pytest.mark.slow
def test_a_checkout_reported_by_the_client_reaches_the_snapshot_and_the_index(tmp_path: Path) -> None:
    from load import run_burst, run_workspace
    from load_kit import hashed_embeddings, hashed_index_options, pct

    root = tmp_path / "ws"
    with hashed_embeddings() as endpoint:
        start, server = run_workspace(root, SMALL_FILES, options=hashed_index_options(endpoint), file_bytes=1000, after_samples=10, settle_s=0)
        burst = None
        try:
            burst = run_burst(server, root, SMALL_EVENTS, watch=True, tag="A", timeout_s=1800 if BIG else 120)
        finally:
            print("\n" + start.text() + ("\n" + burst.text() if burst else ""))
            code = server.close(60)
    assert code == 0, "".join(server.stderr_lines[-30:])
    assert start.values["snapshot"]["documents"] == SMALL_FILES
    assert start.values["index state at the end"] == "ready"
    # The checkout came in 5 didChangeWatchedFiles messages, sent back to back: gathered into
    # one new snapshot (two when the first was already being applied), not one per message.
    snapshots = [n for n in server.notifications if n.get("method") == "window/logMessage"
                 and "one new snapshot" in (n.get("params") or {}).get("message", "")]
    assert 1 <= len(snapshots) <= 2, [n["params"]["message"] for n in snapshots]
    for probe in ("new entity found", "renamed entity found", "deleted entity gone"):
        assert burst.values[f"snapshot: {probe} after s"] < 120, burst.text()
    # clm.reindex answers once every queued update is written; then nothing is left to do.
    left = burst.values["index: what clm.reindex still found to do"]
    assert left["files"] == len(list(root.rglob("*.blueprint.md"))), left
    assert (left["parsed"], left["deleted"], left["files_deleted"], left["embedded"]) == (0, 0, 0, 0), left
    drain = [v for k, v in server.latencies.items() if k.endswith("/drain")]
    assert all(pct(v, 95) < WAIT_MS for v in drain), burst.text()
    _bounded(burst, ["hover during the drain", "definition during the drain", "completion during the drain"])
    assert burst.values["RSS MB before / peak / after"][1] < (6000 if BIG else 2500), burst.text()


@pytest.mark.slow
def test_typing_while_the_model_summarises_another_folder(tmp_path: Path) -> None:
    """Edits cancel summaries of their own folder, so the model is kept busy by a second folder."""
    import shutil

    from load import run_typing

    from clm_lsp.llm.bundled import bundled_gguf_path

    other = tmp_path / "other"
    other.mkdir()
    for p in sorted((REPO / "fixtures" / "commons").rglob("*.blueprint.md"))[: None if BIG else 5]:
        shutil.copy(p, other / p.name)
    # The real bundled model writes the summaries; the embedder cannot load, so the index is
    # full-text only and ready in seconds (MiniLM would take minutes here).
    options = {"index": {"enable": True}, "summaries": {"enable": True},
               "model": {"backend": "llama_cpp", "modelPath": str(bundled_gguf_path()), "embedModel": str(tmp_path / "no-embedder.gguf")}}
    seconds = 30.0 if BIG else 2.0
    fig = run_typing(tmp_path, seconds=seconds, kb=200 if BIG else 40, options=options, other=other, wait_busy_s=180)
    print("\n" + fig.text())
    assert fig.values["exit"] == 0, "".join(fig.values["stderr"])
    assert fig.values["summaries running before typing (waited s)"], "the model never started on the other folder"
    assert fig.values["summaries running during typing"] >= 0.25, fig.text()
    assert fig.values["edits sent"] >= 0.7 * 20 * seconds, fig.text()
    assert fig.values["requests unanswered"] == 0, fig.text()
    # The checker keeps up: the last version's diagnostics come soon after the last keystroke.
    assert fig.values["last version's diagnostics after the last keystroke ms"] < DRAIN_MS, fig.text()
    for name in ("hover", "completion"):
        assert fig.values[name]["n"] > 0 and fig.values[name]["max"] < DRAIN_MS, fig.text()
    assert fig.values["RSS MB before / peak / after"][1] < (6000 if BIG else 2500), fig.text()


@pytest.mark.slow
def test_requests_are_answered_while_the_index_opens(tmp_path: Path) -> None:
    from load import run_workspace
    from load_kit import hashed_embeddings, hashed_index_options

    with hashed_embeddings() as endpoint:
        fig, server = run_workspace(tmp_path / "ws", 10, options=hashed_index_options(endpoint), file_bytes=1000, after_samples=1, settle_s=0)
        print("\n" + fig.text())
        assert server.close(60) == 0
    early = [v for k, v in server.latencies.items() if k.endswith(("/scan", "/index"))]
    assert early, "no request was sent before the index was ready"
    worst = max(max(v) for v in early)
    assert worst < 1000, f"a request sent while the folder was read or the index opened took {worst:.0f} ms"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/sys/fs/inotify/max_queued_events").exists(), reason="inotify only")
def test_a_checkout_that_overflows_the_inotify_queue_still_reaches_the_snapshot(tmp_path: Path) -> None:
    """The server's own watcher (the client does not watch) is paused (SIGSTOP) while a file is
    rewritten until the kernel's queue (fs.inotify.max_queued_events) is full, then a checkout
    changes the folder: its events are really lost. Once resumed, the watcher compares the
    folder with the disk and the snapshot ends equal to the disk: every created, rewritten and
    deleted blueprint, none missed."""
    import signal

    from load_kit import LoadServer, blueprint_files, make_workspace

    queue = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
    if queue > 200_000:
        pytest.skip(f"max_queued_events is {queue}: too many events to overflow it here")
    created = 200
    root = tmp_path / "ws"
    make_workspace(root, 40, 1000)
    old = blueprint_files(root)
    server = LoadServer()

    def documents() -> int | None:
        return server.timed("workspace/executeCommand", {"command": "clm.status", "arguments": []}, "status").get("documents")

    def wait_documents(n: int, timeout: float) -> float:
        t0 = time.monotonic()
        while documents() != n:
            assert time.monotonic() - t0 < timeout, f"{documents()} documents, {n} files on disk"
            time.sleep(0.5)
        return time.monotonic() - t0

    def titled(title: str) -> list[str]:
        return [(s.get("location") or {}).get("uri") for s in server.symbols(title) if s.get("name") == title]

    try:
        server.initialize_load(root, {"index": {"enable": False}, "summaries": {"enable": False}}, watch=False)
        server.wait_status(lambda p: p.get("state") == "ready", 300)
        # The watcher starts once watchdog is imported (in a thread): a first file says when.
        (root / "first.blueprint.md").write_text("---\nid: first-one\ntitle: First\nscale: team\n---\n\n# First\n", encoding="utf-8")
        wait_documents(len(old) + 1, 120)
        server.proc.send_signal(signal.SIGSTOP)
        try:
            notes = root / "notes.txt"  # open, modify, close: 3 events a write, none merged
            for i in range(queue // 3 + 100):
                notes.write_text(str(i))
            rewritten, deleted = old[:5], old[5:10]
            for i, path in enumerate(rewritten):
                text = path.read_text(encoding="utf-8").split("\n")
                path.write_text("\n".join(f'title: "Moved {i}"' if ln.startswith("title:") else ln for ln in text), encoding="utf-8")
            gone_titles = [next(ln.split(":", 1)[1].strip().strip('"') for ln in p.read_text(encoding="utf-8").split("\n") if ln.startswith("title:"))
                           for p in deleted]
            for path in deleted:
                path.unlink()
            for i in range(created):  # in a watched folder: a new folder's files make no events until it is seen
                (root / f"n{i:05d}.blueprint.md").write_text(f"---\nid: n{i:05d}\ntitle: Arrived {i}\nscale: team\n---\n\n# Arrived {i}\n", encoding="utf-8")
        finally:
            server.proc.send_signal(signal.SIGCONT)
        on_disk = len(blueprint_files(root))
        settled_s = wait_documents(on_disk, 300)
        for i, path in enumerate(rewritten):
            assert titled(f"Moved {i}") == [path.as_uri()]
        for title, path in zip(gone_titles, deleted):
            assert path.as_uri() not in titled(title)
        for i in (0, created // 2, created - 1):
            assert titled(f"Arrived {i}") == [(root / f"n{i:05d}.blueprint.md").as_uri()]
        print(f"\n{created + 10} blueprints changed after the {queue}-event queue was full: "
              f"{on_disk} documents {settled_s:.1f} s after the server resumed")
    finally:
        code = server.close(60)
    log = "".join(server.stderr_lines)
    assert "file events were lost" in log, "the kernel queue did not overflow: the test proves nothing here"
    assert code == 0, log[-3000:]
