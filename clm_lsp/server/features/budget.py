"""The context budget in the editor: a code lens on each blueprint's title.

The lens says how many tokens the blueprint is, the KV cache holding it would
take, and whether weights + cache + buffers stay inside the memory: "fits",
"over the memory boundary" or "over the model's window". Command
``clm.contextBudget`` returns the same figures as data.

Where the numbers come from, first match wins:
- the workspace's ``clm.toml`` ``[hardware]`` table: ``model`` (a built-in name
  such as "qwen2.5-32b" or a GGUF path), ``quant``, ``vram_gb``, ``kv_cache_type``;
- the server's model settings (``clm.model``), then ``clm.toml`` ``[model]``:
  ``model_path`` (a GGUF), an Ollama tag that names a built-in model, ``kv_cache_type``;
- the bundled GGUF.
Memory is ``vram_gb`` when given, else detected once (nvidia-smi, Apple, RAM) in a
worker thread. Reading a GGUF header or detecting memory never runs on the event
loop: both start when the server is built, and until they are known the lens says so.

A blueprint over a boundary also gets the CLM025 diagnostic on its title
(clm_lsp.hardware.budget_check.problem), merged into the checker's reports as an
extra producer; its verdict's fingerprint gives pull clients a new result id
when the verdict changes. When the model's shape or the memory becomes known
later (worker thread), every document is compared again and the changed ones
are reported.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from clm_lsp.blueprint import Blueprint, estimate_tokens
from clm_lsp.blueprint.model import Range
from clm_lsp.hardware import GGUFError, MemoryPool, ModelShape, best_pool, detect, find_model, given_pool, read_gguf
from clm_lsp.hardware.budget_check import FITS, ContextCheck, check_blueprint, lens_title, problem
from clm_lsp.hardware.kv import KV_TYPES

from .. import convert
from ..project import Project
from ..server import ClmLanguageServer

log = logging.getLogger(__name__)
BUDGET_COMMAND = "clm.contextBudget"


@dataclass(frozen=True)
class Source:
    """What to size: a GGUF file or a built-in model, with the cache type and memory to use."""

    gguf: str | None = None
    builtin: str | None = None
    quant: str = "Q4_K_M"
    kv_type: str = "f16"
    vram_gb: float | None = None
    problem: str | None = None


class BudgetController:
    def __init__(self, server: ClmLanguageServer) -> None:
        self.server = server
        self.machine_pool: MemoryPool | None = None
        self.shapes: dict[tuple[Any, ...], ModelShape | str] = {}
        """GGUF (path, mtime, size) or built-in (name, quant) -> shape, or the reason it failed."""
        self._pending: set[tuple[Any, ...]] = set()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clm-budget")
        self._loop: asyncio.AbstractEventLoop | None = None
        """The server's loop, seen on the first check: a worker's answer is reported there."""
        self._bundled: tuple[Path | None] | None = None
        self._verdicts: dict[tuple[Any, ...], ContextCheck] = {}
        """(tokens, shape, memory, kv type) -> verdict: re-checks after edits cost a dict lookup."""

    # -- what to size -------------------------------------------------------------------

    def source(self, project: Project) -> Source:
        raw = project.settings.raw if isinstance(project.settings.raw, dict) else {}
        hw = raw.get("hardware") if isinstance(raw.get("hardware"), dict) else {}
        model_cfg = getattr(self.server.config, "model", None)  # the server's model settings, when present
        table = raw.get("model") if isinstance(raw.get("model"), dict) else {}
        kv = hw.get("kv_cache_type") or getattr(model_cfg, "kv_cache_type", None) or table.get("kv_cache_type") or "f16"
        vram = hw.get("vram_gb")
        vram = float(vram) if isinstance(vram, (int, float)) and not isinstance(vram, bool) and vram > 0 else None
        base = Source(kv_type=kv if kv in KV_TYPES else "f16", vram_gb=vram, quant=str(hw.get("quant") or "Q4_K_M"))
        named = hw.get("model") or getattr(model_cfg, "model_path", None) or getattr(model_cfg, "model", None) \
            or table.get("model_path") or table.get("model")
        if not named:
            path = self._bundled_gguf()
            return _with(base, gguf=str(path)) if path else _with(base, problem="no model configured and no bundled model")
        if find_model(str(named)) is not None:
            return _with(base, builtin=str(named))
        if str(named).endswith(".gguf"):
            path = Path(str(named)).expanduser()
            if not path.is_absolute() and project.root is not None:
                path = project.root / path
            return _with(base, gguf=str(path))
        return _with(base, problem=f"model {named!r} is neither a GGUF file nor a built-in model; set [hardware] model in clm.toml")

    # -- cached lookups that never block the loop -----------------------------------------

    def shape(self, src: Source) -> ModelShape | str | None:
        if src.problem:
            return src.problem
        if src.builtin:
            spec = find_model(src.builtin)
            try:
                return spec.shape(src.quant) if spec else f"unknown model {src.builtin!r}"
            except ValueError as exc:
                return str(exc)
        key = _file_key(src.gguf or "")
        if key in self.shapes:
            return self.shapes[key]
        self._later(key, lambda: _read_shape(src.gguf or ""))
        return None

    def pool(self, src: Source) -> MemoryPool | None:
        if src.vram_gb is not None:
            return given_pool(src.vram_gb)
        if self.machine_pool is None:
            self._later(("machine",), lambda: best_pool(detect()))
        return self.machine_pool

    def _later(self, key: tuple[Any, ...], work: Any) -> None:
        """Run ``work`` on the budget's own worker thread; the answer lands in the caches.

        No codeLens/refresh request follows: clients that do not implement it (test
        harnesses, some editors) fail on it, and editors ask for lenses again on the
        next edit or focus change. Warming up at startup makes "reading" rare.
        """
        if key in self._pending:
            return
        self._pending.add(key)
        future = self._worker.submit(work)

        def done(f: Any) -> None:
            self._pending.discard(key)
            if f.exception() is not None:
                log.error("context budget: %s failed: %s", key[0], f.exception())
                value: Any = f"cannot size the model: {f.exception()}"
            else:
                value = f.result()
            if key == ("machine",):
                self.machine_pool = value if isinstance(value, MemoryPool) else given_pool(0.0)
            else:
                self.shapes[key] = value
            if self._loop is not None and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self._known)

        future.add_done_callback(done)

    def _bundled_gguf(self) -> Path | None:
        """The bundled GGUF, located once: the package metadata lookup costs ~0.2 ms and the
        check runs on every keystroke. Whether the file is still there is asked each time."""
        if self._bundled is None:
            from clm_lsp.llm.bundled import bundled_gguf_path

            self._bundled = (bundled_gguf_path(),)
        path = self._bundled[0]
        return path if path is not None and path.is_file() else None

    def warm_up(self) -> None:
        """Detect the machine and read the bundled model's header before anyone asks."""
        self.pool(Source())
        path = self._bundled_gguf()
        if path is not None:
            self.shape(Source(gguf=str(path)))

    # -- answers ----------------------------------------------------------------------------

    def check(self, project: Project, bp: Blueprint) -> ContextCheck | str | None:
        """The verdict for ``bp``; a reason string when it cannot be sized; None while loading."""
        src = self.source(project)
        shape, pool = self.shape(src), self.pool(src)
        if isinstance(shape, str):
            return shape
        if shape is None or pool is None:
            return None
        key = (estimate_tokens(bp.text), shape, pool, src.kv_type)
        found = self._verdicts.get(key)
        if found is None:
            if len(self._verdicts) > 4096:
                self._verdicts.clear()
            found = self._verdicts[key] = check_blueprint(bp, shape, pool, src.kv_type)
        return found

    # -- the CLM025 diagnostic ------------------------------------------------------------

    def _verdict(self, project: Project, uri: str) -> tuple[ContextCheck | None, Blueprint | None]:
        if self._loop is None:
            try:
                self._loop = asyncio.get_running_loop()
            except RuntimeError:
                pass
        bp = project.ws.docs.get(uri)
        found = self.check(project, bp) if bp is not None else None
        return (found if isinstance(found, ContextCheck) else None), bp

    def diagnostics(self, project: Project, uri: str) -> list[lsp.Diagnostic]:
        found, bp = self._verdict(project, uri)
        if found is None or bp is None:
            return []
        p = problem(found, bp)
        if p is None:
            return []
        return [convert.diagnostic(uri, p, convert.text_source(project.ws), self.server.encoding)]

    def fingerprint(self, project: Project, uri: str) -> Any:
        found, _bp = self._verdict(project, uri)
        if found is None or found.state == FITS:
            return None
        return (found.state, found.tokens, found.budget.n_ctx, found.budget.pool.usable_bytes)

    def _known(self) -> None:
        """A model shape or the memory just became known: report every verdict that changed."""
        checker = self.server.extensions.get("checker")
        if checker is None:
            return
        pulled = False
        for project in self.server.session.all_projects():
            for uri in sorted(project.ws.docs):
                if not checker.sync_extras(project, uri):
                    continue
                if self.server.use_pull:
                    pulled = True
                else:
                    checker.push(project, uri)
        if pulled and self.server.client.diagnostic_refresh:
            self.server.workspace_diagnostic_refresh(None)

    def lenses(self, ls: ClmLanguageServer, project: Project, bp: Blueprint, client_uri: str) -> list[lsp.CodeLens]:
        found = self.check(project, bp)
        if isinstance(found, ContextCheck):
            title = lens_title(found)
        else:
            title = "Context budget: reading the model and the machine…" if found is None else f"Context budget unknown: {found}"
        where = bp.title_range or Range.of(0, 0)  # no `# Title`: the first line, never a section's heading
        command = lsp.Command(title=title, command=BUDGET_COMMAND, arguments=[client_uri])
        return [lsp.CodeLens(range=convert.range_to_lsp(bp.text, where, ls.encoding), command=command)]


def _with(src: Source, **changes: Any) -> Source:
    from dataclasses import replace

    return replace(src, **changes)


def _file_key(path: str) -> tuple[Any, ...]:
    try:
        st = Path(path).stat()
        return ("gguf", path, st.st_mtime_ns, st.st_size)
    except OSError:
        return ("gguf", path, 0, 0)


def _read_shape(path: str) -> ModelShape | str:
    try:
        return read_gguf(path).shape()
    except GGUFError as exc:
        log.warning("context budget: %s", exc)
        return str(exc)


def figures(found: ContextCheck) -> dict[str, Any]:
    b = found.budget
    return {
        "state": found.state, "tokens": found.tokens, "contextTokens": b.n_ctx, "model": b.model,
        "window": found.window, "kvType": b.kv_type, "kvBytes": b.kv.bytes, "weightBytes": b.weights,
        "computeBytes": b.compute + b.overhead, "totalBytes": b.total, "memory": b.pool.name,
        "memoryBytes": b.pool.usable_bytes, "maxFit": found.max_fit,
    }


def register(server: ClmLanguageServer) -> None:
    controller = BudgetController(server)
    server.extensions["budget"] = controller
    controller.warm_up()

    def provide(ls: ClmLanguageServer, project: Project, bp: Blueprint, client_uri: str) -> list[lsp.CodeLens]:
        return controller.lenses(ls, project, bp, client_uri)

    server.extensions.setdefault("lens_providers", []).append(provide)
    checker = server.extensions["checker"]
    checker.extra["budget"] = controller.diagnostics
    checker.fingerprints["budget"] = controller.fingerprint

    @server.command(BUDGET_COMMAND)
    def context_budget(ls: ClmLanguageServer, uri: str, *args: Any) -> dict[str, Any] | None:
        """loop: the figures behind the title lens of one blueprint (None while still loading)."""
        project, ws, canonical = ls.session.snapshot(uri)
        bp = ws.docs.get(canonical)
        if bp is None:
            return None
        found = controller.check(project, bp)
        if isinstance(found, str):
            return {"state": "unknown", "reason": found}
        return figures(found) if found is not None else None
