"""Latency of `clm-lsp serve`, driven over stdio like an editor, on a generated workspace.

Usage: python bench/lsp_latency.py [--tokens 1000000 | --files 10000] [--seed 0] [--samples 300] [--workspace DIR]

Generates a workspace (bench/gen_workspace.py, ~1M tokens, ~1000 files), starts
the server as a subprocess, waits for it to read everything, opens a few dozen
files and prints, measured at the client (JSON-RPC round trip included):

- p50 / p99 / max of hover, definition, references, completion and workspace/symbol;
- completion right after a keystroke (the edited file is re-parsed first);
- time from a didChange to the publishDiagnostics of the edited file, with the
  default debounce (10 ms) and with the debounce set to 0;
- the time to read and check the workspace at start-up, and the server's peak RSS
  (VmHWM from /proc, else the largest sample taken every 50 ms with psutil).

Figures are printed, never asserted: they depend on the machine (and on what else
runs on it). Targets: p99 < 5 ms for hover, definition and completion; < 20 ms from
didChange to diagnostics; peak RSS < 300 MB without a model.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from gen_workspace import generate  # noqa: E402

_WIKI = re.compile(r"\[\[([a-z0-9-]+)(#[^\]|]+)?(\|[^\]]*)?\]\]")
_HEADING = re.compile(r"^#{2,3} .+$", re.MULTILINE)


def _capabilities() -> lsp.ClientCapabilities:
    """A plain editor: UTF-16, push diagnostics, Markdown hover, progress, no dynamic registration."""
    return lsp.ClientCapabilities(
        general=lsp.GeneralClientCapabilities(position_encodings=[lsp.PositionEncodingKind.Utf16]),
        window=lsp.WindowClientCapabilities(work_done_progress=True),
        text_document=lsp.TextDocumentClientCapabilities(
            hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown]),
            publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(version_support=True),
        ),
    )


class Bench:
    def __init__(self) -> None:
        self.client = LanguageClient("clm-bench", "0")
        self.status: dict[str, Any] = {}
        self.ready = asyncio.Event()
        self.published: dict[tuple[str, int | None], float] = {}
        self.rss_peak = 0
        c = self.client

        @c.feature("clm/status")
        def on_status(params: Any) -> None:
            self.status = params._asdict() if hasattr(params, "_asdict") else dict(params)
            if self.status.get("state") == "ready":
                self.ready.set()

        @c.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            self.published[(params.uri, params.version)] = time.perf_counter()

        @c.feature(lsp.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def on_progress_create(params: Any) -> None:
            return None

        for method in (lsp.PROGRESS, lsp.WINDOW_LOG_MESSAGE, lsp.WINDOW_SHOW_MESSAGE):
            c.feature(method)(lambda *_a: None)

    async def start(self, root: Path) -> float:
        await self.client.start_io(sys.executable, "-m", "clm_lsp", "serve")
        server = self.client._server  # type: ignore[attr-defined]
        asyncio.get_running_loop().create_task(_drain(server.stderr))
        asyncio.get_running_loop().create_task(self._sample_rss(server.pid))
        params = lsp.InitializeParams(
            capabilities=_capabilities(),
            root_uri=root.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        )
        t0 = time.perf_counter()
        await self.client.initialize_async(params)
        self.client.initialized(lsp.InitializedParams())
        await asyncio.wait_for(self.ready.wait(), timeout=600)
        return time.perf_counter() - t0

    async def _sample_rss(self, pid: int) -> None:
        try:
            import psutil
        except ImportError:
            return
        proc = psutil.Process(pid)
        while True:
            try:
                self.rss_peak = max(self.rss_peak, proc.memory_info().rss)
            except psutil.Error:
                return
            await asyncio.sleep(0.05)

    def peak_rss_mb(self) -> float:
        pid = self.client._server.pid  # type: ignore[attr-defined]
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return self.rss_peak / 2**20

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


async def _drain(stream: asyncio.StreamReader | None) -> None:
    while stream is not None and await stream.readline():
        pass


async def _timed(samples: list[float], coro: Any) -> Any:
    t0 = time.perf_counter()
    result = await coro
    samples.append((time.perf_counter() - t0) * 1000)
    return result


def _pos(text: str, offset: int) -> lsp.Position:
    before = text[:offset]
    line = before.count("\n")
    col = before[before.rfind("\n") + 1 :]
    return lsp.Position(line=line, character=len(col.encode("utf-16-le")) // 2)


def _report(name: str, samples: list[float]) -> None:
    if not samples:
        print(f"{name:<34} (no samples)")
        return
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    print(f"{name:<34} n={len(samples):<5} p50 {statistics.median(samples):7.2f} ms   p99 {p99:7.2f} ms   max {ordered[-1]:7.2f} ms")


async def run(root: Path, samples: int, seed: int) -> None:
    rng = random.Random(seed)
    bench = Bench()
    startup = await bench.start(root)
    st = bench.status
    print(f"server ready in {startup:.2f} s: {st.get('documents')} documents, {st.get('entities')} entities, "
          f"{st.get('sections')} sections, {st.get('links')} links")
    files = sorted(root.rglob("*.blueprint.md"))
    opened = rng.sample(files, min(40, len(files)))
    docs = {}
    for path in opened:
        text = path.read_text(encoding="utf-8")
        uri = path.as_uri()
        bench.client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri=uri, language_id="markdown", version=1, text=text)))
        docs[uri] = text
    await asyncio.sleep(1.0)  # let the first checks of the opened files finish

    links = [(uri, m) for uri, text in docs.items() for m in _WIKI.finditer(text) if m.group(2)]
    headings = [(uri, m) for uri, text in docs.items() for m in _HEADING.finditer(text)]
    c = bench.client
    timings: dict[str, list[float]] = {
        k: [] for k in ("hover", "definition", "references", "completion", "workspace/symbol", "keystroke + completion", "keystroke + completion, new query")
    }
    for _ in range(samples):
        uri, m = rng.choice(links)
        at = _pos(docs[uri], m.start(2) + 2)
        ident = lsp.TextDocumentIdentifier(uri=uri)
        await _timed(timings["hover"], c.text_document_hover_async(lsp.HoverParams(text_document=ident, position=at)))
        await _timed(timings["definition"], c.text_document_definition_async(lsp.DefinitionParams(text_document=ident, position=at)))
    for _ in range(max(1, samples // 3)):
        uri, m = rng.choice(headings)
        ctx = lsp.ReferenceContext(include_declaration=True)
        params = lsp.ReferenceParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=_pos(docs[uri], m.start() + 4), context=ctx)
        await _timed(timings["references"], c.text_document_references_async(params))
    await _completion(bench, docs, rng, samples, timings)
    for _ in range(max(1, samples // 3)):
        query = rng.choice(["gov", "hou", "team", "budget", "rep", "tl", "timeslice 2021", "north", "kpi", "cafe"])
        await _timed(timings["workspace/symbol"], c.workspace_symbol_async(lsp.WorkspaceSymbolParams(query=query)))
    for name, values in timings.items():
        _report(name, values)
    default_debounce = await _diagnostics_latency(bench, docs, rng, max(20, samples // 5))
    c.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings={"clm": {"diagnostics": {"debounceMs": 0}}}))
    await asyncio.sleep(0.5)
    no_debounce = await _diagnostics_latency(bench, docs, rng, max(20, samples // 5))
    _report("didChange -> diagnostics (10 ms debounce)", default_debounce)
    _report("didChange -> diagnostics (no debounce)", no_debounce)
    print(f"server peak RSS: {bench.peak_rss_mb():.0f} MB (no model loaded)")
    await bench.stop()


async def _completion(bench: Bench, docs: dict[str, str], rng: random.Random, samples: int, timings: dict[str, list[float]]) -> None:
    """Type `[[ho` at the end of a file, then ask for completions there (steady state and after a keystroke)."""
    uri = rng.choice(sorted(docs))
    text = docs[uri]
    version = 100
    typed = text.rstrip("\n") + "\nSee [[ho"
    _change(bench, uri, version, text, typed)
    text, at = typed, _pos(typed, len(typed))
    ident = lsp.TextDocumentIdentifier(uri=uri)
    for _ in range(samples):
        await _timed(timings["completion"], bench.client.text_document_completion_async(lsp.CompletionParams(text_document=ident, position=at)))
    for n in range(max(1, samples // 3)):
        version += 1
        typed = text + "u" if n % 2 == 0 else text[:-1]
        _change(bench, uri, version, text, typed)
        text = typed
        at = _pos(text, len(text))
        await _timed(timings["keystroke + completion"], bench.client.text_document_completion_async(lsp.CompletionParams(text_document=ident, position=at)))
    # Typing ids: each keystroke a query not asked before (nothing remembered from the last one).
    ids = sorted({m.group(1) for t in docs.values() for m in _WIKI.finditer(t)})
    base = text
    for n in range(max(1, samples // 3)):
        target = rng.choice(ids)
        typed = base[: base.rfind("[[") + 2] + target[: 1 + n % 6]
        version += 1
        _change(bench, uri, version, text, typed)
        text = typed
        at = _pos(text, len(text))
        await _timed(timings["keystroke + completion, new query"], bench.client.text_document_completion_async(lsp.CompletionParams(text_document=ident, position=at)))
    docs[uri] = text


def _change(bench: Bench, uri: str, version: int, old: str, new: str) -> None:
    """Send the difference as one incremental change (common prefix and suffix kept)."""
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old, end_new = end_old - 1, end_new - 1
    change = lsp.TextDocumentContentChangePartial(range=lsp.Range(_pos(old, start), _pos(old, end_old)), text=new[start:end_new])
    ident = lsp.VersionedTextDocumentIdentifier(uri=uri, version=version)
    bench.client.text_document_did_change(lsp.DidChangeTextDocumentParams(text_document=ident, content_changes=[change]))


async def _diagnostics_latency(bench: Bench, docs: dict[str, str], rng: random.Random, n: int) -> list[float]:
    out: list[float] = []
    version = 1000 + len(bench.published)
    for _ in range(n):
        uri = rng.choice(sorted(docs))
        text = docs[uri]
        version += 1
        cut = text.rfind("\n", 0, len(text) - 1) + 1
        new = text[:cut] + "x" + text[cut:]
        t0 = time.perf_counter()
        _change(bench, uri, version, text, new)
        docs[uri] = new
        deadline = t0 + 5
        while (uri, version) not in bench.published and time.perf_counter() < deadline:
            await asyncio.sleep(0.0005)
        if (uri, version) in bench.published:
            out.append((bench.published[(uri, version)] - t0) * 1000)
        await asyncio.sleep(0.05)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, help="about this many files instead (--tokens = 1,000 per file): the same rows at scale")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--workspace", type=Path, help="use this workspace instead of generating one")
    args = parser.parse_args(argv)
    if args.files:
        args.tokens = args.files * 1000  # the generator's files average 4,000 bytes
    with tempfile.TemporaryDirectory(prefix="clm-bench-") as tmp:
        root = args.workspace
        if root is None:
            root = Path(tmp) / "ws"
            t0 = time.perf_counter()
            counts = generate(root, args.tokens, args.seed)
            print(f"generated {counts['files']} files, {counts['tokens']:,} tokens, {counts['links']:,} links in {time.perf_counter() - t0:.1f} s")
        asyncio.run(run(root.resolve(), args.samples, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
