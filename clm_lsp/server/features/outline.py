"""Document symbols, workspace symbols, folding ranges and code lenses."""

from __future__ import annotations

import asyncio

from lsprotocol import types as lsp

from clm_lsp.blueprint import Blueprint, Workspace

from .. import convert
from ..ide import fuzzy, symbols
from ..server import ClmLanguageServer

LENS_COMMAND = "clm.sectionInfo"


class SymbolEntries:
    """workspace/symbol entries per document, rebuilt only for documents that changed."""

    def __init__(self) -> None:
        self._by_uri: dict[str, tuple[Blueprint, list[symbols.WorkspaceSymbol]]] = {}

    def collect(self, docs: dict[str, Blueprint] | object) -> list[symbols.WorkspaceSymbol]:
        out: list[symbols.WorkspaceSymbol] = []
        seen = set()
        for uri, bp in docs.items():  # type: ignore[attr-defined]
            seen.add(uri)
            hit = self._by_uri.get(uri)
            if hit is None or hit[0] is not bp:
                hit = self._by_uri[uri] = (bp, symbols.symbol_entries(bp))
            out += hit[1]
        return out

    def forget_missing(self, live: set[str]) -> None:
        for uri in [u for u in self._by_uri if u not in live]:
            del self._by_uri[uri]


class SymbolSearch:
    """The workspace/symbol pool (every heading: 130,000 at 10,000 files) and its search index,
    for one set of snapshots (the latest asked about). Built in a worker thread: 0.3-0.6 s at
    10,000 files, and on the loop it held every request behind it after each snapshot change;
    now only the workspace/symbol query waits for it. One build at a time (the entries cache is
    not shared between threads); a query that finds the index built for its snapshots reuses it."""

    def __init__(self) -> None:
        self._entries = SymbolEntries()
        self._built_for: tuple[Workspace, ...] | None = None
        self._index: fuzzy.Index[symbols.WorkspaceSymbol] | None = None
        self._lock = asyncio.Lock()

    async def index_for(self, snapshots: tuple[Workspace, ...]) -> fuzzy.Index[symbols.WorkspaceSymbol]:
        async with self._lock:
            if self._index is None or not self._same(snapshots):
                self._index = await asyncio.to_thread(self._build, snapshots)
                self._built_for = snapshots
            return self._index

    def _same(self, snapshots: tuple[Workspace, ...]) -> bool:
        built = self._built_for
        return built is not None and len(built) == len(snapshots) and all(a is b for a, b in zip(built, snapshots))

    def _build(self, snapshots: tuple[Workspace, ...]) -> fuzzy.Index[symbols.WorkspaceSymbol]:
        """Worker thread: reads only the immutable snapshots and this object's entries cache."""
        pool: list[symbols.WorkspaceSymbol] = []
        for ws in snapshots:
            pool += self._entries.collect(ws.docs)
        self._entries.forget_missing({uri for ws in snapshots for uri in ws.docs})
        return symbols.symbol_index(pool)


def register(server: ClmLanguageServer) -> None:
    search = SymbolSearch()

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(ls: ClmLanguageServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol] | None:
        """loop: entity > sections > subsections (timeslices included), as a tree."""
        _project, ws, uri = ls.session.snapshot(params.text_document.uri)
        bp = ws.docs.get(uri)
        if bp is None:
            return None
        return [convert.document_symbol(s, bp.text, ls.encoding) for s in symbols.document_symbols(bp)]

    @server.feature(lsp.WORKSPACE_SYMBOL)
    async def workspace_symbol(ls: ClmLanguageServer, params: lsp.WorkspaceSymbolParams) -> list[lsp.WorkspaceSymbol] | None:
        """loop: fuzzy search over ids, titles and anchors of every folder; the index of the
        current snapshots is built in a thread when they changed (ranking every heading afresh
        took 2 s at 10,000 files), and the answer is for the snapshots the query saw."""
        ls.session.flush()
        snapshots = tuple(project.ws for project in ls.session.all_projects())
        index = await search.index_for(snapshots)
        # The query runs in a thread too: a long query that matches nothing scans every key
        # (430 ms of loop once at 10,000 files under load); it only adds to the index's answer memo.
        found = await asyncio.to_thread(symbols.workspace_symbols, index, params.query, ls.config.symbols.max_items)

        def text_of(uri: str) -> str | None:
            return next((ws.docs[uri].text for ws in snapshots if uri in ws.docs), None)

        return [convert.workspace_symbol(s, text_of, ls.encoding) for s in found]

    @server.feature(lsp.TEXT_DOCUMENT_FOLDING_RANGE)
    def folding_range(ls: ClmLanguageServer, params: lsp.FoldingRangeParams) -> list[lsp.FoldingRange] | None:
        """loop: front matter and sections (folding is by whole lines, so no encoding applies)."""
        _project, ws, uri = ls.session.snapshot(params.text_document.uri)
        bp = ws.docs.get(uri)
        if bp is None:
            return None
        return [convert.folding_range(f) for f in symbols.folding_ranges(bp)]

    @server.feature(lsp.TEXT_DOCUMENT_CODE_LENS, lsp.CodeLensOptions(resolve_provider=False))
    def code_lens(ls: ClmLanguageServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens] | None:
        """loop: per section, its size in tokens and its incoming links."""
        _project, ws, uri = ls.session.snapshot(params.text_document.uri)
        bp = ws.docs.get(uri)
        if bp is None:
            return None
        out = []
        for lens in symbols.section_lenses(ws, uri):
            command = lsp.Command(title=lens.title, command=LENS_COMMAND, arguments=[params.text_document.uri, lens.anchor])
            out.append(lsp.CodeLens(range=convert.range_to_lsp(bp.text, lens.range, ls.encoding), command=command))
        # LSP allows one codeLens handler: other features add theirs here (features/budget.py).
        for provide in ls.extensions.get("lens_providers", ()):
            out += provide(ls, _project, bp, params.text_document.uri)
        return out
