"""Context views: the assembled context as a read-only file under ``<root>/.clm/views/``.

Set as ``server.extensions["contexts"]``. ``clm.showContext`` assembles the
context for a section (clm_lsp.context.assemble), writes it to
``.clm/views/<entity>--<anchor>.context.md`` (a plain file: VS Code and Neovim both
open it; the store's .gitignore already covers .clm) and asks the client to show
it (window/showDocument) when it can. ``clm.zoomIn`` reads the view's header,
adds one label to the expanded parts and writes the view again. Definition in a
view is stateless (clm_lsp.context.zoom): it needs only the view text and the
current snapshot, so it still works after a restart.

Tokens are counted by the loaded chat model's tokenizer when there is one, else by
the estimate; summaries come from the summary controller's in-memory cache.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from clm_lsp.blueprint import Workspace, estimate_tokens
from clm_lsp.context.assemble import Context, ContextError, assemble
from clm_lsp.context.assemble_lexical import lexical_retriever
from clm_lsp.context.assemble_sources import RETRIEVE_K, resolve_focus, retrieval_query
from clm_lsp.context.summary_plan import plan
from clm_lsp.context.zoom import Jump, ViewSpec, jumps, read_header, view_text, with_expanded

if TYPE_CHECKING:
    from .project import Project
    from .server import ClmLanguageServer

log = logging.getLogger(__name__)

VIEWS_DIR = (".clm", "views")
DEFAULT_BUDGET = 2048


class ViewError(ValueError):
    """A command argument that cannot be used: the message goes back to the client."""


def is_view(uri: str) -> bool:
    path = unquote(urlsplit(uri).path)
    return "/.clm/views/" in path and path.endswith(".context.md")


class ContextViews:
    def __init__(self, server: ClmLanguageServer) -> None:
        self.server = server
        self._lexical: tuple[Workspace, Callable[[str, int], list[tuple[str, float]]]] | None = None
        """The BM25 retriever of the last snapshot: building it reads every section."""

    # -- commands ------------------------------------------------------------------------

    async def show(self, spec: ViewSpec, uri: str | None) -> dict[str, Any]:
        project = self._project(spec.focus, uri)
        count = await self._counter()
        summary_for = self._summaries(project)
        ws = project.ws
        retrieve = await self._retriever(project, ws, spec)
        try:
            ctx = await asyncio.to_thread(_assemble, ws, spec, count, summary_for, retrieve)
        except ContextError as exc:
            raise ViewError(str(exc)) from exc
        path = _view_path(project.root, spec.focus)  # type: ignore[arg-type]
        text = view_text(spec, ctx.text, ctx.tokens)
        await asyncio.to_thread(_write, path, text)
        view_uri = path.as_uri()
        shown = await self._show_document(view_uri)
        return {"uri": view_uri, "shown": shown, **_summary(ctx)}

    async def zoom_in(self, view_uri: str, label: str) -> dict[str, Any]:
        path = Path(unquote(urlsplit(view_uri).path))
        try:
            text = await asyncio.to_thread(path.read_text, encoding="utf-8")
        except OSError as exc:
            raise ViewError(f"cannot read the context view {view_uri}: {exc.strerror}") from exc
        spec = read_header(text)
        if spec is None:
            raise ViewError(f"{view_uri} is not a context view (no clm-context header)")
        return await self.show(with_expanded(spec, label), view_uri)

    async def assemble_for(self, project: Project, focus: str, task: str, budget: int, model: Any = None) -> Context:
        """The context for one section, from the same sources as a view (synthesis uses it).
        ``model``: count with its tokenizer (else as a view counts). Raises ContextError."""
        count = (lambda text: model.count_tokens(text) if text else 0) if model is not None else await self._counter()
        spec = ViewSpec("§" + focus.strip().strip("[]").lstrip("§"), budget, task)
        retrieve = await self._retriever(project, project.ws, spec)
        return await asyncio.to_thread(_assemble, project.ws, spec, count, self._summaries(project), retrieve)

    # -- definition ----------------------------------------------------------------------

    def definition(self, view_uri: str, line: int) -> tuple[Workspace, list[Jump]]:
        """Where definition on ``line`` of a view goes, against the current snapshot."""
        doc = self.server.session.open_docs.get(view_uri) or self.server.session.open_docs.get(_canonical(view_uri))
        if doc is not None:
            text = doc.text
        else:
            try:
                text = Path(unquote(urlsplit(view_uri).path)).read_text(encoding="utf-8")
            except OSError:
                return Workspace.build([], ""), []
        spec = read_header(text)
        project = self._project(spec.focus, view_uri) if spec is not None else self.server.session.project_for(view_uri)
        return project.ws, jumps(project.ws, text, line)

    # -- helpers -------------------------------------------------------------------------

    def _project(self, focus: str, uri: str | None) -> Project:
        entity = focus.strip().strip("[]").lstrip("§").partition("#")[0]
        session = self.server.session
        if uri is not None:
            project = session.project_for(_canonical(uri))
            if project.root is not None:
                return project
        for project in session.projects:
            if project.ws.entity(entity) is not None:
                return project
        raise ViewError(f"no workspace folder holds entity {entity!r}")

    async def _counter(self) -> Callable[[str], int]:
        host = self.server.extensions.get("model")
        model = None
        if host is not None and self.server.config.summaries.enable:
            try:
                model = await host.chat_model()
            except Exception as exc:  # a model that cannot load: count approximately, say why once
                log.warning("context views count tokens approximately: %s", exc)
        if model is None:
            return estimate_tokens
        return lambda text: model.count_tokens(text) if text else 0

    async def _retriever(self, project: Project, ws: Workspace, spec: ViewSpec) -> Callable[[str, int], list[tuple[str, float]]] | None:
        """The index's hybrid search, run before assembly (it lives on the index's writer
        thread); BM25 over the snapshot without an open index (or a focus to ask about)."""
        indexing = self.server.extensions.get("indexing")
        search = getattr(indexing, "search", None)
        found = resolve_focus(ws, spec.focus)
        if search is None or isinstance(found, str) or not indexing.has_index(project):
            return self._lexical_for(ws)
        try:
            hits = await search(project, retrieval_query(found[0], found[1], spec.task), RETRIEVE_K)
        except Exception as exc:  # a failed search must not cost the view: fall back to full text
            log.info("context view: index search failed, using full-text scoring: %s", exc)
            return self._lexical_for(ws)
        pairs = [(h.section_id, float(h.score)) for h in hits]
        return lambda _query, k: pairs[:k]

    def _lexical_for(self, ws: Workspace) -> Callable[[str, int], list[tuple[str, float]]]:
        if self._lexical is None or self._lexical[0] is not ws:
            self._lexical = (ws, lexical_retriever(ws))
        return self._lexical[1]

    def _summaries(self, project: Project) -> Callable[[str], Any]:
        controller = self.server.extensions.get("summaries")
        cache = controller.caches.get(project.root) if controller is not None else None
        if cache is None:
            return lambda _t: None
        table: dict[str, tuple[str, int, str]] = {}
        for target in plan(project.ws):  # sections, entities, then trees: a tree summary wins
            row = cache.current(target)
            if row is not None:
                table[target.section_id if target.level == 0 else target.entity] = (row.text, row.level, row.model_id)
        return table.get

    async def _show_document(self, uri: str) -> bool:
        caps = self.server.client_capabilities
        win = caps.window if caps is not None else None
        if not (win and win.show_document and win.show_document.support):
            return False
        from lsprotocol import types as lsp

        try:
            result = await self.server.window_show_document_async(lsp.ShowDocumentParams(uri=uri, take_focus=True))
        except Exception as exc:  # the client refused: the uri in the reply still lets it open the file
            log.info("window/showDocument failed: %s", exc)
            return False
        return bool(getattr(result, "success", False))


def _assemble(ws: Workspace, spec: ViewSpec, count: Callable[[str], int], summary_for: Callable[[str], Any],
              retrieve: Callable[[str, int], list[tuple[str, float]]] | None) -> Context:
    return assemble(ws, spec.focus, spec.task, spec.budget, count=count, summary_for=summary_for,
                    retrieve=retrieve, expand=spec.expand)


def _view_path(root: Path, focus: str) -> Path:
    entity, _, anchor = focus.strip().strip("[]").lstrip("§").partition("#")
    safe = "--".join(_safe(x) for x in (entity, anchor or "vision"))
    return root.joinpath(*VIEWS_DIR) / f"{safe}.context.md"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80] or "_"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _summary(ctx: Context) -> dict[str, Any]:
    return {"focus": ctx.focus, "tokens": ctx.tokens, "budget": ctx.budget, "truncated": ctx.truncated,
            "zoom": {label: z.as_dict() for label, z in ctx.zoom.items()},
            "parts": [p.as_dict() for p in ctx.parts]}


def _canonical(uri: str) -> str:
    from .project import canonical_uri

    return canonical_uri(uri)


def context_view_definition(ls: ClmLanguageServer, params: Any) -> list[Any] | None:
    """textDocument/definition in a context view: the full text the line stands for."""
    from . import convert

    views: ContextViews = ls.extensions["contexts"]
    ws, found = views.definition(params.text_document.uri, params.position.line)
    text_of = convert.text_source(ws)
    out = []
    for jump in found:
        text = text_of(jump.uri)
        if text is not None:
            from lsprotocol import types as lsp

            out.append(lsp.Location(jump.uri, convert.range_to_lsp(text, jump.range, ls.encoding)))
    return out or None
