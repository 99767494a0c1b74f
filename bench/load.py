"""Load: a big workspace, a burst of file events, and typing while the model works.

    .venv/bin/python bench/load.py                       # all three rows at full size (~10+ min on 2 cores)
    .venv/bin/python bench/load.py --files 2000 --events 1000 --typing-s 10
    .venv/bin/python bench/load.py --only workspace,burst --embedder minilm

Prints figures; never fails on a missed target (docs/reliability.md, "Load").
tests/reliability/test_rel_load.py runs small versions of the same functions and
checks behaviour (answers, drains, bounded memory), not speed.

1. workspace: N generated blueprints (bench/gen_workspace.py), `clm-lsp serve` over
   stdio with the index on and summaries off; time to the first answer, to the end
   of the scan and of the index; hover / definition / completion p50 and p99 while
   the folder is read, while it is indexed, and after; RSS peak and settled.
   The embedder is the hashed endpoint of load_kit.py unless --embedder minilm
   (the default MiniLM: a cold 10,000-file index takes about an hour here).
2. burst: a `git checkout` of another branch on that workspace: E file events
   (60% rewritten, 20% deleted, 20% created), reported by the client in 5
   didChangeWatchedFiles messages, then again with a client that does not watch
   (the server's watchdog fallback sees the disk). Time until workspace/symbol sees
   the new, renamed and deleted entities, until `clm.reindex` (queued behind every
   pending index update on the one writer thread) answers with nothing left to do,
   hover p99 meanwhile, RSS.
3. typing: 20 edits/s for T seconds in a ~200 KB blueprint while the bundled model
   writes anchor summaries for a second folder (default settings: index and
   summaries on, MiniLM, SmolLM2); hover and completion p99, how long after the last
   keystroke its diagnostics arrive, RSS, and how much of the time summaries ran.
4. churn (--only churn): in process, batches of 200 edited files through Indexer.apply
   on a 1,000-file index: time, RSS and graph.kuzu size per batch (the graph is rewritten fresh when grown).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_kit import (  # noqa: E402
    ROOT,
    Figures,
    LoadServer,
    blueprint_files,
    hashed_embeddings,
    hashed_index_options,
    link_positions,
    make_workspace,
    position,
)

TARGET_MS = {"hover": 5.0, "definition": 5.0, "completion": 5.0}
"""bench/lsp_latency.py's targets: p99 < 5 ms for hover, definition and completion."""
DIAG_TARGET_MS = 20.0
RSS_TARGET_MB = 300.0
"""Peak RSS without a model (bench/lsp_latency.py)."""


# -- 1. a big workspace ------------------------------------------------------------------------


def _probe_doc(root: Path, rng: random.Random) -> tuple[str, str, list[tuple[int, int]]]:
    """A file with links to open: (uri, text with `See [[ho` typed at the end, link positions)."""
    files = blueprint_files(root)
    for path in rng.sample(files, min(len(files), 200)):
        text = path.read_text(encoding="utf-8")
        links = link_positions(text)
        if len(links) >= 3:
            return path.as_uri(), text.rstrip("\n") + "\n\nSee [[ho", links
    path = files[0]
    return path.as_uri(), path.read_text(encoding="utf-8") + "\n\nSee [[ho", [(0, 0)]


def _probe_round(server: LoadServer, uri: str, text: str, links: list[tuple[int, int]], rng: random.Random, phase: str) -> None:
    at = rng.choice(links)
    end = position(text, len(text))
    # One request at a time: the server answers in order, so three sent together would time the
    # completion as hover + definition + completion (the figures before 2 Dec 2026 did).
    for send in (lambda: server.hover(uri, at, f"hover/{phase}"), lambda: server.definition(uri, at, f"definition/{phase}"),
                 lambda: server.completion(uri, end, f"completion/{phase}")):
        i = send()
        deadline = time.perf_counter() + 120
        while i in server.sent and time.perf_counter() < deadline:
            server.pump(min(deadline, time.perf_counter() + 0.05))
        server.replies.pop(i, None)


def run_workspace(root: Path, files: int, *, options: dict[str, Any], file_bytes: int = 4000, seed: int = 0,
                  after_samples: int = 300, settle_s: float = 5.0, timeout_s: float = 3600, generate: bool = True,
                  watch: bool = True) -> tuple[Figures, LoadServer]:
    """Start a server on a (generated) workspace and watch it read and index; returns the figures and
    the still-running server (the burst row continues with it)."""
    fig = Figures(f"workspace: {files} blueprints")
    if generate:
        t = time.perf_counter()
        counts = make_workspace(root, files, file_bytes, seed)
        fig.add("workspace", counts, f"{counts['files']} files, {counts['bytes'] / 1e6:.1f} MB, {counts['sections']} sections, "
                f"{counts['links']} links (generated in {time.perf_counter() - t:.0f} s)")
    rng = random.Random(seed)
    uri, text, links = _probe_doc(root, rng)
    server = LoadServer()
    fig.add("first answer (initialize reply) s", server.initialize_load(root, options, watch=watch))
    server.open(uri, text)
    index_on = bool(options.get("index", {}).get("enable", True))
    t0 = server.t_spawn
    scanned = indexed = None
    deadline = time.perf_counter() + timeout_s
    after = 0
    while time.perf_counter() < deadline:
        st = server.status
        if scanned is None and st.get("state") == "ready":
            scanned = time.perf_counter()
        if indexed is None and (not index_on or (st.get("index") or {}).get("state") in ("ready", "failed", "unavailable", "off")) and scanned:
            indexed = time.perf_counter()
            fig.add("index state at the end", (st.get("index") or {}).get("state"))
        phase = "scan" if scanned is None else "index" if indexed is None else "after"
        _probe_round(server, uri, text, links, rng, phase)
        if phase == "after":
            after += 1
            if after >= after_samples:
                break
        else:
            server.pump(time.perf_counter() + 0.02)
    fig.add("scan done (state ready) s", (scanned - t0) if scanned else float("nan"))
    fig.add("index done s", (indexed - t0) if indexed else float("nan"))
    for kind in ("hover", "definition", "completion"):
        for phase in ("scan", "index", "after"):
            samples = server.latencies.get(f"{kind}/{phase}", [])
            if samples:
                fig.latency(f"{kind} while {phase_name(phase)}", samples, TARGET_MS[kind])
    fig.add("RSS peak MB", server.rss.peak_mb(), f"{server.rss.peak_mb():.0f} (target without a model < {RSS_TARGET_MB:.0f}: "
            f"{'met' if server.rss.peak_mb() < RSS_TARGET_MB else 'MISSED'})")
    server.pump(time.perf_counter() + settle_s)
    fig.add("RSS settled MB", server.rss.now_mb(), f"{server.rss.now_mb():.0f} ({settle_s:.0f} s after the last request)")
    st = server.status
    fig.add("snapshot", {k: st.get(k) for k in ("documents", "entities", "sections", "links")},
            f"{st.get('documents')} documents, {st.get('entities')} entities, {st.get('sections')} sections, {st.get('links')} links")
    return fig, server


def phase_name(phase: str) -> str:
    return {"scan": "the folder is read", "index": "the index is built", "after": "idle (after both)"}[phase]


# -- 2. a burst of file events -------------------------------------------------------------------


def _with_field(text: str, key: str, value: str) -> str:
    """``text`` with its front-matter line ``key: ...`` set to ``value``."""
    lines = text.split("\n")
    for i, line in enumerate(lines[:12]):
        if line.startswith(f"{key}:"):
            lines[i] = f"{key}: {value}"
            break
    return "\n".join(lines)


def checkout(root: Path, events: int, tag: str, rng: random.Random, avoid: set[Path]) -> dict[str, Any]:
    """Change the disk as a checkout of another branch would: 60% rewritten (new title), 20% deleted,
    20% created (new ids under branch-<tag>/). Returns the changes (LSP FileChangeType) and probes."""
    files = [p for p in blueprint_files(root) if p not in avoid and "branch-" not in str(p.relative_to(root))]
    n_new = n_del = events // 5
    n_mod = events - n_new - n_del
    picked = rng.sample(files, n_mod + n_del)
    modified, deleted = picked[:n_mod], picked[n_mod:]
    changes: list[dict[str, Any]] = []
    renamed: dict[str, str] = {}
    for i, path in enumerate(modified):
        title = f"Rev{tag}{i:05d} moved"
        path.write_text(_with_field(path.read_text(encoding="utf-8"), "title", f'"{title}"'), encoding="utf-8")
        renamed[title] = path.as_uri()
        changes.append({"uri": path.as_uri(), "type": 2})
    gone: dict[str, str] = {}
    for path in deleted:
        head = path.read_text(encoding="utf-8")[:400]
        title = next((ln.split(":", 1)[1].strip().strip('"') for ln in head.split("\n") if ln.startswith("title:")), "")
        gone[title] = path.as_uri()
        path.unlink()
        changes.append({"uri": path.as_uri(), "type": 3})
    created: dict[str, str] = {}
    sources = rng.sample(files, min(len(files), n_new))
    folder = root / f"branch-{tag}"
    folder.mkdir(exist_ok=True)
    for i in range(n_new):
        src = sources[i % len(sources)]
        text = src.read_text(encoding="utf-8") if src.exists() else "---\nid: x\ntitle: x\n---\n# x\n"
        title = f"New{tag}{i:05d} arrived"
        path = folder / f"new-{tag}-{i:05d}.blueprint.md"
        path.write_text(_with_field(_with_field(text, "id", f"new-{tag.lower()}-{i:05d}"), "title", f'"{title}"'), encoding="utf-8")
        created[title] = path.as_uri()
        changes.append({"uri": path.as_uri(), "type": 1})
    return {"changes": changes, "renamed": renamed, "gone": gone, "created": created}


def _sees(server: LoadServer, title: str, uri: str) -> bool:
    return any(s.get("name") == title and (s.get("location") or {}).get("uri") == uri for s in server.symbols(title))


def _still_there(server: LoadServer, title: str, uri: str) -> bool:
    return any((s.get("location") or {}).get("uri") == uri and s.get("name") == title for s in server.symbols(title))


def run_burst(server: LoadServer, root: Path, events: int, *, watch: bool, tag: str, seed: int = 0,
              timeout_s: float = 1800, index_on: bool = True) -> Figures:
    """A checkout of `events` files under a running, settled server; `watch`: the client reports them."""
    how = "client didChangeWatchedFiles" if watch else "watchdog fallback (client does not watch)"
    fig = Figures(f"burst: {events} file events, {how}")
    rng = random.Random(seed + (1 if watch else 2))
    uri, text, links = _probe_doc(root, rng)
    if uri not in server.opened:
        server.open(uri, text)
    # Open documents are left alone: their buffers win over the disk (the checkout of a file
    # with unsaved edits is the editor's business), so only closed files change.
    avoid = {Path(unquote(urlparse(u).path)) for u in server.opened}
    server.latencies = {}
    rss_before = server.rss.now_mb()
    t_disk = time.perf_counter()
    plan = checkout(root, events, tag, rng, avoid)
    t_written = time.perf_counter()
    fig.add("disk changes written s", t_written - t_disk)
    t0 = time.perf_counter()
    if watch:
        changes = plan["changes"]
        step = -(-len(changes) // 5)
        for k in range(0, len(changes), step):
            server.notify("workspace/didChangeWatchedFiles", {"changes": changes[k:k + step]})
    # Probes: the last of each kind (they are applied in order, so the last is the latest).
    probes = [("new entity found", list(plan["created"].items())[-1], True),
              ("renamed entity found", list(plan["renamed"].items())[-1], True),
              ("deleted entity gone", list(plan["gone"].items())[-1], False)]
    seen: dict[str, float] = {}
    deadline = t0 + timeout_s
    next_probe = t0
    while len(seen) < len(probes) and time.perf_counter() < deadline:
        _probe_round(server, uri, text, links, rng, "drain")
        # workspace/symbol ranks every heading (130,000 at 10,000 files) and its cache goes
        # with every new snapshot: asked every round it would be most of the load. Twice a
        # second is enough to time the drain (the figures are +- 0.5 s).
        if time.perf_counter() >= next_probe:
            for name, (title, where), want in probes:
                if name not in seen and (_sees(server, title, where) if want else not _still_there(server, title, where)):
                    seen[name] = time.perf_counter() - t0
            next_probe = time.perf_counter() + 0.5
        server.pump(time.perf_counter() + 0.05)
    for name, _p, _w in probes:
        fig.add(f"snapshot: {name} after s", seen.get(name, float("nan")))
    snapshot_done = max(seen.values(), default=float("nan"))
    # The documents count must match the disk once everything is in.
    disk_count = len(blueprint_files(root))
    while time.perf_counter() < deadline:
        docs = server.timed("workspace/executeCommand", {"command": "clm.status", "arguments": []}, "status").get("documents")
        if docs == disk_count:
            break
        _probe_round(server, uri, text, links, rng, "drain")
        server.pump(time.perf_counter() + 0.5)
    fig.add("snapshot: document count = files on disk after s", time.perf_counter() - t0,
            f"{time.perf_counter() - t0:.2f} ({docs} documents, {disk_count} files)")
    if index_on:
        # clm.reindex runs on the index writer thread after every update already queued there:
        # its answer comes when the queue has drained, and its counts say what was left to do.
        t_rx = time.perf_counter()
        rid = server.send_request("workspace/executeCommand", {"command": "clm.reindex", "arguments": []}, "reindex")
        while rid in server.sent and time.perf_counter() < deadline:
            _probe_round(server, uri, text, links, rng, "drain")
            server.pump(time.perf_counter() + 0.05)
        if rid in server.sent:  # --burst-timeout reached: the drain goes on in the server
            fig.add("index: writer queue drained (clm.reindex answered) after s", float("nan"),
                    f"not within the time limit ({timeout_s:.0f} s after the checkout; reindex asked at {t_rx - t0:.2f} s)")
        else:
            raw = server.replies.pop(rid, {})
            reply = raw.get("result") or {}
            folder = (reply.get("folders") or [{}])[0]
            if "files" not in folder:
                fig.add("index: clm.reindex reply", raw)
            fig.add("index: writer queue drained (clm.reindex answered) after s", time.perf_counter() - t0,
                    f"{time.perf_counter() - t0:.2f} (reindex itself asked at {t_rx - t0:.2f} s)")
            fig.add("index: what clm.reindex still found to do", {k: folder.get(k) for k in ("files", "parsed", "deleted", "files_deleted", "embedded", "seconds")},
                    f"files {folder.get('files')}, parsed {folder.get('parsed')}, sections deleted {folder.get('deleted')}, "
                    f"files deleted {folder.get('files_deleted')}, embedded {folder.get('embedded')} ({folder.get('seconds')} s)")
    fig.add("snapshot reflected every probe s", snapshot_done)
    for kind in ("hover", "definition", "completion"):
        samples = server.latencies.get(f"{kind}/drain", [])
        if samples:
            fig.latency(f"{kind} during the drain", samples, TARGET_MS[kind])
    sym = server.latencies.get("workspace/symbol", [])
    if sym:
        fig.latency("workspace/symbol during the drain", sym)
    peak = server.rss.peak_mb(since=t_disk)
    server.pump(time.perf_counter() + 3)
    fig.add("RSS MB before / peak / after", (rss_before, peak, server.rss.now_mb()),
            f"{rss_before:.0f} / {peak:.0f} / {server.rss.now_mb():.0f}")
    return fig


# -- 3. typing while the model works --------------------------------------------------------------


def big_blueprint(folder: Path, kb: int, seed: int = 0) -> Path:
    """One generated blueprint of about `kb` KB (the closest of three made at that size)."""
    tmp = folder / "_gen"
    make_workspace(tmp, 3, kb * 1000, seed)
    biggest = min(blueprint_files(tmp), key=lambda p: abs(p.stat().st_size - kb * 1000))
    dest = folder / "big.blueprint.md"
    # Links point at the other generated files: bring them along so they resolve.
    for p in blueprint_files(tmp):
        target = dest if p == biggest else folder / p.name
        p.replace(target)
    shutil.rmtree(tmp)
    return dest


TYPED = " The crew meets weekly; see [[ho"
TYPED_TAIL = "]] for more. "


def run_typing(base: Path, *, seconds: float, rate: float = 20.0, kb: int = 200, options: dict[str, Any] | None = None,
               other: Path | None = None, wait_busy_s: float = 240.0, seed: int = 0) -> Figures:
    """Type `rate` edits/s for `seconds` in a big blueprint while summaries run for `other`."""
    fig = Figures(f"typing: {rate:.0f} edits/s for {seconds:.0f} s in a {kb} KB blueprint, model busy")
    big_folder = base / "big"
    big_folder.mkdir(parents=True, exist_ok=True)
    big = big_blueprint(big_folder, kb, seed)
    other = other or base / "other"
    if not other.exists():
        shutil.copytree(ROOT / "fixtures" / "commons", other)
    text = big.read_text(encoding="utf-8")
    fig.add("big file KB", len(text.encode()) / 1000)
    server = LoadServer()
    # The summarised folder first: the index opens folders in order, so its summaries start early.
    server.initialize_load([other, big_folder], options if options is not None else {}, watch=True)
    t_start = time.perf_counter()
    settled = lambda st: st.get("state") == "ready" and (st.get("index") or {}).get("state") in ("ready", "off", "failed", "unavailable")  # noqa: E731
    while time.perf_counter() - t_start < 600 and not settled(server.status):
        server.pump(time.perf_counter() + 0.2)
    fig.add("read and indexed before typing s", time.perf_counter() - t_start)
    busy = lambda st: ((st.get("model") or {}).get("summaries") or {}).get("state") == "running"  # noqa: E731
    while time.perf_counter() - t_start < wait_busy_s and not busy(server.status):
        server.pump(time.perf_counter() + 0.2)
    fig.add("summaries running before typing (waited s)", busy(server.status), f"{busy(server.status)} ({time.perf_counter() - t_start:.1f} s)")
    uri = big.as_uri()
    server.open(uri, text, 1)
    links = link_positions(text)
    rng = random.Random(seed)
    # Type in the middle of the file: after the middle paragraph's end.
    cut = text.find("\n\n", len(text) // 2)
    cursor = cut if cut > 0 else len(text)
    links = [p for p in links if p[0] < position(text, cursor)[0]] or [(0, 0)]
    server.pump(time.perf_counter() + 1.0)
    server.latencies = {}
    rss_before = server.rss.now_mb()
    typed = TYPED + TYPED_TAIL
    cpu_before = server.loop_cpu_s()
    print(f"  (typing into {uri}: server pid {server.proc.pid})", file=sys.stderr, flush=True)
    version, k = 1, 0
    busy_ticks = ticks = 0
    t0 = time.perf_counter()
    next_at = t_last_edit = t0
    line, col = position(text, cursor)
    while (now := time.perf_counter()) - t0 < seconds:
        ch = typed[k % len(typed)]
        k += 1
        version += 1
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                "contentChanges": [{"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col}}, "text": ch}]})
        t_last_edit = time.perf_counter()
        col += len(ch.encode("utf-16-le")) // 2
        server.hover(uri, rng.choice(links))
        in_link = typed[: k % len(typed)].endswith(("[[h", "[[ho"))
        server.completion(uri, (line, col), "completion in [[" if in_link else "completion")
        ticks += 1
        busy_ticks += busy(server.status)
        next_at += 1.0 / rate
        server.pump(next_at)
        if time.perf_counter() - next_at > 1.0:  # fell behind by a second: do not burst to catch up
            next_at = time.perf_counter()
    t_stop = t_last_edit
    elapsed = time.perf_counter() - t0
    last = (uri, version)
    deadline = t_stop + 60
    while last not in server.diagnostics and time.perf_counter() < deadline:
        server.pump(time.perf_counter() + 0.01)
    server.drain_replies(60)
    fig.add("requests unanswered", len(server.sent))
    fig.add("edits sent", version - 1, f"{version - 1} in {elapsed:.1f} s ({(version - 1) / elapsed:.1f}/s)")
    fig.add("event loop CPU per edit (didChange, hover, completion, check) ms",
            (server.loop_cpu_s() - cpu_before) * 1000 / max(version - 1, 1))
    for kind, target in (("hover", 5.0), ("completion", 5.0), ("completion in [[", 5.0)):
        samples = server.latencies.get(kind, [])
        if samples:
            fig.latency(kind, samples, target)
    got = server.diagnostics.get(last)
    fig.add("last version's diagnostics after the last keystroke ms", (got - t_stop) * 1000 if got else float("nan"))
    versions = {v for (u, v) in server.diagnostics if u == uri and v is not None and v > 1}
    fig.add("versions that got diagnostics", len(versions), f"{len(versions)} of {version - 1} (debounced)")
    fig.add("summaries running during typing", busy_ticks / max(ticks, 1), f"{100 * busy_ticks / max(ticks, 1):.0f}% of the ticks")
    fig.add("summary status after", (server.status.get("model") or {}).get("summaries"))
    fig.add("RSS MB before / peak / after", (rss_before, server.rss.peak_mb(since=t0), server.rss.now_mb()),
            f"{rss_before:.0f} / {server.rss.peak_mb(since=t0):.0f} / {server.rss.now_mb():.0f}")
    fig.add("server answered after", server.symbols("big") is not None)
    fig.values["exit"] = server.close(30)
    fig.values["stderr"] = server.stderr_lines[-30:]
    return fig


# -- 4. index churn: many updates through one Indexer ----------------------------------------------


def run_churn(root: Path, files: int, rounds: int, batch: int = 200, seed: int = 0) -> Figures:
    """In process, no server: a cold index of `files` blueprints (hashed vectors), then `rounds`
    batches of `batch` edited files through Indexer.apply (what the server's writer does with a
    burst); time, RSS and graph.kuzu's size per batch, until the first failure. Found: Kuzu
    0.11.3 never reuses the space an update frees; before the graph was rewritten fresh when
    grown (index/graph_compact.py), its 256 MB buffer pool filled after ~3,500 file updates
    and the graph could no longer be written."""
    import psutil

    from clm_lsp.blueprint import DEFAULT_CONFIG
    from clm_lsp.index import Indexer
    from load_kit import hashed_vector

    class Hashed:
        model_id, dimensions = "hashed-64", 64

        def embed_batch(self, texts: list[str]) -> list[list[float]]:
            return [hashed_vector(t) for t in texts]

    fig = Figures(f"index churn: {files} blueprints, batches of {batch} edited files through Indexer.apply")
    make_workspace(root, files, 4000, seed)
    proc = psutil.Process()
    ix = Indexer(root, Hashed(), DEFAULT_CONFIG)
    t = time.perf_counter()
    ix.reconcile()
    fig.add("cold index s", time.perf_counter() - t, f"{time.perf_counter() - t:.1f} (RSS {proc.memory_info().rss / 2**20:.0f} MB)")
    paths = blueprint_files(root)
    rng = random.Random(seed)
    per_round = []
    failure = None
    for n in range(rounds):
        changes = []
        for path in rng.sample(paths, min(batch, len(paths))):
            text = path.read_text(encoding="utf-8") + f"\n\nEdited in round {n}.\n"
            path.write_text(text, encoding="utf-8")
            changes.append((path, text))
        t = time.perf_counter()
        try:
            ix.apply(changes)
        except Exception as exc:  # noqa: BLE001 - the finding: report it and stop
            failure = f"round {n + 1} ({(n + 1) * batch} file updates): {type(exc).__name__}: {str(exc)[:160]}"
            break
        graph_mb = (ix.store_dir / "graph.kuzu").stat().st_size / 2**20
        per_round.append((time.perf_counter() - t, proc.memory_info().rss / 2**20, graph_mb))
    fig.add("rounds done", len(per_round))
    fig.add("apply s per batch (first / last)", (per_round[0][0], per_round[-1][0]) if per_round else None,
            f"{per_round[0][0]:.1f} / {per_round[-1][0]:.1f}" if per_round else "-")
    fig.add("apply s per batch", [round(t, 1) for t, _r, _g in per_round], " ".join(f"{t:.1f}" for t, _r, _g in per_round))
    fig.add("RSS MB after each batch", [round(r) for _t, r, _g in per_round], " ".join(f"{r:.0f}" for _t, r, _g in per_round))
    fig.add("graph.kuzu MB after each batch", [round(g) for _t, _r, g in per_round], " ".join(f"{g:.0f}" for _t, _r, g in per_round))
    fig.add("graph rewritten fresh", getattr(ix.graph, "compactions", 0))
    fig.add("failure", failure, failure or "none")
    try:
        ix.close()
    except Exception:  # noqa: BLE001 - a broken graph may refuse to close
        pass
    return fig


# -- the command ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--file-bytes", type=int, default=4000, help="average blueprint size (the generator's own is 4,000)")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--typing-s", type=float, default=30.0)
    parser.add_argument("--big-kb", type=int, default=200)
    parser.add_argument("--embedder", choices=("hashed", "minilm"), default="hashed")
    parser.add_argument("--only", default="workspace,burst,typing", help="any of workspace,burst,typing,churn")
    parser.add_argument("--churn-rounds", type=int, default=40)
    parser.add_argument("--burst-timeout", type=float, default=1800, help="seconds a burst row waits for the snapshot and the index")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tags", default="A,B", help="names of the two checkouts (new ones when --keep reuses a workspace)")
    args = parser.parse_args(argv)
    tag_watch, tag_disk = args.tags.split(",")
    only = set(args.only.split(","))
    base = args.keep or Path(tempfile.mkdtemp(prefix="clm-load-"))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()}, work folder {base}", flush=True)
    try:
        if only & {"workspace", "burst"}:
            with hashed_embeddings() as endpoint:
                options = hashed_index_options(endpoint) if args.embedder == "hashed" else {"index": {"enable": True}, "summaries": {"enable": False}}
                root = base / "ws"
                fig, server = run_workspace(root, args.files, options=options, file_bytes=args.file_bytes, seed=args.seed,
                                            generate=not root.exists())
                print(fig.text(), flush=True)
                if "burst" in only:
                    print(run_burst(server, root, args.events, watch=True, tag=tag_watch, seed=args.seed, timeout_s=args.burst_timeout).text(), flush=True)
                print(f"  server exit status {server.close(60)}")
                if "burst" in only:
                    fig, server = run_workspace(root, args.files, options=options, seed=args.seed, generate=False, after_samples=50, watch=False)
                    print("(restart on the same workspace, client not watching)")
                    server_nw = server
                    print(run_burst(server_nw, root, args.events, watch=False, tag=tag_disk, seed=args.seed, timeout_s=args.burst_timeout).text(), flush=True)
                    print(f"  server exit status {server_nw.close(60)}")
        if "churn" in only:
            print(run_churn(base / "churn", args.files if args.files < 10_000 else 1000, args.churn_rounds).text(), flush=True)
        if "typing" in only:
            fig = run_typing(base / "typing", seconds=args.typing_s, kb=args.big_kb, seed=args.seed)
            print(fig.text())
            print(f"  server exit status {fig.values['exit']}")
    finally:
        print(f"load average at the end {os.getloadavg()}")
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
