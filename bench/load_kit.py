"""Parts of the load runs (bench/load.py, tests/reliability/test_rel_load.py).

- `make_workspace`: N generated blueprints (bench/gen_workspace.py at a chosen file size).
- `hashed_embeddings`: an OpenAI-compatible `/v1/embeddings` endpoint on 127.0.0.1 whose
  vectors are hashed words, so a 10,000-file index is built in minutes, not the hour
  MiniLM takes on 2 cores (36 chunks/s, docs/benchmarks.md). The server reaches it
  through its real `openai` embedder; only the vectors' meaning is fake.
- `LoadServer`: the raw stdio client of tests/reliability/rawlsp.py, with the arrival
  time of every message (requests are timed send -> reply read by the client thread,
  so a busy test thread never inflates a figure) and an RSS sampler (psutil).
"""

from __future__ import annotations

import hashlib
import json
import math
import queue
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
for _p in (ROOT / "bench", ROOT / "tests" / "reliability", ROOT / "tests" / "server"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import gen_workspace  # noqa: E402
from fake_openai import serve_local  # noqa: E402  (the test kit's local HTTP server)
from rawlsp import RawServer  # noqa: E402

WIKI = re.compile(r"\[\[([a-z0-9-]+)(#[^\]|]+)?(\|[^\]]*)?\]\]")


# -- the workspace -------------------------------------------------------------------------


def make_workspace(root: Path, files: int, file_bytes: int = 4000, seed: int = 0) -> dict[str, Any]:
    """`files` valid blueprints of about `file_bytes` each (the generator's own size is 4,000)."""
    old = gen_workspace.AVG_FILE_BYTES
    gen_workspace.AVG_FILE_BYTES = file_bytes
    try:
        return gen_workspace.generate(root, tokens=files * file_bytes // 4, seed=seed)
    finally:
        gen_workspace.AVG_FILE_BYTES = old


def blueprint_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.blueprint.md") if ".clm" not in p.parts)


def link_positions(text: str) -> list[tuple[int, int]]:
    """(line, utf-16 column) inside the id of every wiki link with a fragment."""
    out = []
    for m in WIKI.finditer(text):
        out.append(position(text, m.start(1) + 1))
    return out


def position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    line = before.count("\n")
    col = before[before.rfind("\n") + 1 :]
    return line, len(col.encode("utf-16-le")) // 2


# -- a fast embedder ---------------------------------------------------------------------------

DIMS = 64


def hashed_vector(text: str) -> list[float]:
    vec = [0.0] * DIMS
    for word in re.findall(r"\w+", text.lower()):
        h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
        vec[h % DIMS] += 1.0 if h & 0x100 else -1.0
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]


@dataclass
class EmbeddingEndpoint:
    base_url: str = ""
    requests: int = 0
    texts: int = 0


@contextmanager
def hashed_embeddings(lifetime_s: float = 3600.0) -> Iterator[EmbeddingEndpoint]:
    """`/v1/embeddings` on 127.0.0.1 (stops with the block, or by itself after lifetime_s)."""
    info = EmbeddingEndpoint()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            if not self.path.endswith("/embeddings"):
                self.send_error(404)
                return
            texts = body.get("input") or []
            texts = [texts] if isinstance(texts, str) else texts
            info.requests += 1
            info.texts += len(texts)
            data = [{"object": "embedding", "index": i, "embedding": hashed_vector(t)} for i, t in enumerate(texts)]
            out = json.dumps({"object": "list", "data": data, "model": body.get("model", "hashed")}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    with serve_local(Handler, lifetime_s) as info.base_url:
        yield info


def hashed_index_options(endpoint: EmbeddingEndpoint) -> dict[str, Any]:
    """Index on, embedder = the hashed endpoint (through the real openai backend), summaries off."""
    return {"index": {"enable": True}, "summaries": {"enable": False},
            "model": {"backend": "openai", "base_url": endpoint.base_url, "model": "hashed", "timeout_s": 30}}


# -- the client ------------------------------------------------------------------------------


class _StampedQueue(queue.Queue):
    """Every message gets the time the client thread read it (before anyone looks at it)."""

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if isinstance(item, dict):
            item["_t"] = time.perf_counter()
        super().put(item, block, timeout)


class RssSampler:
    def __init__(self, pid: int, every_s: float = 0.1) -> None:
        self.proc = psutil.Process(pid)
        self.every_s = every_s
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append((time.perf_counter(), self.proc.memory_info().rss))
            except psutil.Error:
                return
            self._stop.wait(self.every_s)

    def now_mb(self) -> float:
        try:
            return self.proc.memory_info().rss / 2**20
        except psutil.Error:
            return float("nan")

    def peak_mb(self, since: float = 0.0) -> float:
        vals = [rss for t, rss in self.samples if t >= since]
        return max(vals, default=0) / 2**20

    def stop(self) -> None:
        self._stop.set()


class LoadServer(RawServer):
    """A RawServer whose messages carry their arrival time, with RSS sampling and
    asynchronous requests (sent now, collected later)."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.t_spawn = time.perf_counter()
        super().__init__(env=env)
        self.inbox = _StampedQueue()
        # The reader thread started with a plain queue: messages it already put there
        # are none yet (the process has not been sent anything), so swapping is safe.
        self.rss = RssSampler(self.proc.pid)
        self.sent: dict[int, tuple[str, float]] = {}
        self.latencies: dict[str, list[float]] = {}
        self.diagnostics: dict[tuple[str, int | None], float] = {}
        self.status: dict[str, Any] = {}
        self.opened: set[str] = set()

    def loop_cpu_s(self) -> float:
        """CPU seconds the server's main thread (the event loop) has used: unlike a latency,
        this does not grow when other processes load the machine."""
        try:
            main = next(t for t in self.rss.proc.threads() if t.id == self.rss.proc.pid)
        except (psutil.Error, StopIteration):
            return float("nan")
        return main.user_time + main.system_time

    def open(self, uri: str, text: str, version: int = 1) -> None:
        self.opened.add(uri)
        super().open(uri, text, version)

    # every message passes here: timings and the latest status
    def _dispatch(self, msg: dict[str, Any]) -> None:
        if msg.get("method") == "textDocument/publishDiagnostics":
            p = msg.get("params") or {}
            self.diagnostics.setdefault((p.get("uri"), p.get("version")), msg.get("_t", time.perf_counter()))
            return  # not kept: thousands of them would only grow the list
        if msg.get("method") == "clm/status":
            self.status = msg.get("params") or {}
        if msg.get("method") == "$/progress":
            return
        if "id" in msg and "method" not in msg and msg["id"] in self.sent:
            kind, t0 = self.sent.pop(msg["id"])
            self.latencies.setdefault(kind, []).append((msg.get("_t", time.perf_counter()) - t0) * 1000)
        super()._dispatch(msg)

    def send_request(self, method: str, params: Any, kind: str | None = None) -> int:
        msg_id = self.start_request(method, params)
        self.sent[msg_id] = (kind or method, time.perf_counter())
        return msg_id

    def timed(self, method: str, params: Any, kind: str | None = None, timeout: float = 60.0) -> Any:
        reply = self.wait_reply(self.send_request(method, params, kind), timeout)
        assert "error" not in reply, reply
        return reply.get("result")

    def pump(self, until: float) -> None:
        """Handle what arrives until perf_counter() reaches `until`."""
        while (left := until - time.perf_counter()) > 0:
            try:
                self._dispatch(self.inbox.get(timeout=left))
            except queue.Empty:
                return

    def drain_replies(self, timeout: float = 60.0) -> None:
        deadline = time.perf_counter() + timeout
        while self.sent and time.perf_counter() < deadline:
            self.pump(min(deadline, time.perf_counter() + 0.2))
        self.replies.clear()

    def hover(self, uri: str, at: tuple[int, int], kind: str = "hover") -> int:
        return self.send_request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": at[0], "character": at[1]}}, kind)

    def definition(self, uri: str, at: tuple[int, int], kind: str = "definition") -> int:
        return self.send_request("textDocument/definition", {"textDocument": {"uri": uri}, "position": {"line": at[0], "character": at[1]}}, kind)

    def completion(self, uri: str, at: tuple[int, int], kind: str = "completion") -> int:
        return self.send_request("textDocument/completion", {"textDocument": {"uri": uri}, "position": {"line": at[0], "character": at[1]}}, kind)

    def symbols(self, query: str) -> list[dict[str, Any]]:
        return self.timed("workspace/symbol", {"query": query}, "workspace/symbol") or []

    def initialize_load(self, root: Path | list[Path], options: dict[str, Any], *, watch: bool) -> float:
        """initialize (+ initialized) with a client that does or does not watch files; returns the
        seconds from spawning the process to the initialize reply."""
        roots = root if isinstance(root, list) else [root]
        caps: dict[str, Any] = {"general": {"positionEncodings": ["utf-16"]}, "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": watch}}}
        params = {"processId": None, "rootUri": roots[0].as_uri(), "capabilities": caps,
                  "workspaceFolders": [{"uri": r.as_uri(), "name": r.name} for r in roots], "initializationOptions": options}
        self.result("initialize", params, timeout=120)
        t = time.perf_counter() - self.t_spawn
        self.notify("initialized", {})
        return t

    def wait_status(self, predicate: Any, timeout: float) -> float:
        """Wait for a clm/status that matches; returns perf_counter() of its arrival."""
        found = self.wait_for(lambda n: n.get("method") == "clm/status" and predicate(n.get("params") or {}), timeout)
        return found.get("_t", time.perf_counter())

    def close(self, timeout: float = 20.0) -> int:
        self.rss.stop()
        return super().close(timeout)


# -- figures ---------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); nan when there is nothing."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


@dataclass
class Figures:
    """Named figures of one run, printed as a table and returned to the tests."""

    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, value: Any, shown: str | None = None) -> None:
        self.values[name] = value
        self.rows.append((name, shown if shown is not None else (f"{value:.2f}" if isinstance(value, float) else str(value))))

    def latency(self, name: str, samples: list[float], target_ms: float | None = None) -> None:
        p50, p99 = pct(samples, 50), pct(samples, 99)
        self.values[name] = {"n": len(samples), "p50": p50, "p99": p99, "max": max(samples, default=float("nan"))}
        verdict = "" if target_ms is None or not samples else (" (target p99 < %g ms: %s)" % (target_ms, "met" if p99 < target_ms else "MISSED"))
        self.rows.append((name, f"n={len(samples)} p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {max(samples, default=float('nan')):.1f} ms{verdict}"))

    def text(self) -> str:
        width = max((len(n) for n, _ in self.rows), default=10)
        return "\n".join([f"== {self.title}"] + [f"  {n:<{width}}  {v}" for n, v in self.rows])
