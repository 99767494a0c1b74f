"""Core values <-> LSP types: the one place that knows both, and the position encodings.

Core positions count code points; the client counts in the encoding negotiated
at initialize (UTF-16 unless it offered UTF-8 or UTF-32). Every conversion
needs the text of the document the position is in, taken from the snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from lsprotocol import types as lsp

from clm_lsp.blueprint import Position, Problem, Range, Workspace

from .ide.completion import Candidate
from .ide.navigation import DocLink
from .ide.symbols import Fold, Symbol, WorkspaceSymbol
from .ide.textutil import line_index
from .ide.types import EditPlan, Location

TextOf = Callable[[str], "str | None"]
"""uri -> the text positions in that document refer to (None: unknown; code points pass through)."""

SYMBOL_KINDS = {
    "entity": lsp.SymbolKind.Module,
    "vision": lsp.SymbolKind.Constant,
    "timeslice": lsp.SymbolKind.Event,
    "section": lsp.SymbolKind.Namespace,
}
COMPLETION_KINDS = {
    "entity": lsp.CompletionItemKind.Module,
    "anchor": lsp.CompletionItemKind.Reference,
    "scale": lsp.CompletionItemKind.EnumMember,
    "status": lsp.CompletionItemKind.EnumMember,
    "key": lsp.CompletionItemKind.Property,
}


def encoding_name(kind: Any) -> str:
    value = getattr(kind, "value", kind)
    return value if value in ("utf-8", "utf-16", "utf-32") else "utf-16"


def text_source(ws: Workspace) -> TextOf:
    def text_of(uri: str) -> str | None:
        bp = ws.docs.get(uri)
        return bp.text if bp is not None else None

    return text_of


def position_from_lsp(text: str, pos: lsp.Position, enc: str) -> Position:
    return line_index(text).from_client(pos.line, pos.character, enc)


def range_from_lsp(text: str, rng: lsp.Range, enc: str) -> Range:
    index = line_index(text)
    return Range(index.from_client(rng.start.line, rng.start.character, enc), index.from_client(rng.end.line, rng.end.character, enc))


def range_to_lsp(text: str | None, rng: Range, enc: str) -> lsp.Range:
    if text is None:
        return lsp.Range(lsp.Position(rng.start.line, rng.start.character), lsp.Position(rng.end.line, rng.end.character))
    (sl, sc), (el, ec) = line_index(text).to_client_range(rng, enc)
    return lsp.Range(lsp.Position(sl, sc), lsp.Position(el, ec))


def location(loc: Location, text_of: TextOf, enc: str) -> lsp.Location:
    return lsp.Location(loc.uri, range_to_lsp(text_of(loc.uri), loc.range, enc))


def diagnostic(uri: str, problem: Problem, text_of: TextOf, enc: str, source: str = "clm") -> lsp.Diagnostic:
    related = [
        lsp.DiagnosticRelatedInformation(lsp.Location(r.uri, range_to_lsp(text_of(r.uri), r.range, enc)), r.message)
        for r in problem.related
    ]
    return lsp.Diagnostic(
        range=range_to_lsp(text_of(uri), problem.range, enc),
        message=problem.message,
        severity=lsp.DiagnosticSeverity(int(problem.severity)),
        code=problem.code,
        source=source,
        related_information=related or None,
        data=_json_data(problem.data),
    )


def _json_data(data: Any) -> Any:
    if data is None:
        return None
    try:
        json.dumps(data)
    except (TypeError, ValueError):
        return None
    return data


def workspace_edit(plan: EditPlan, text_of: TextOf, enc: str, document_changes: bool, version_of: Callable[[str], int | None]) -> lsp.WorkspaceEdit:
    """``document_changes`` when the client takes them (required to create files)."""
    by_uri: dict[str, list[lsp.TextEdit]] = {}
    for e in plan.edits:
        text = None if e.uri in plan.creates else text_of(e.uri)
        by_uri.setdefault(e.uri, []).append(lsp.TextEdit(range_to_lsp(text, e.range, enc), e.new_text))
    if not document_changes:
        return lsp.WorkspaceEdit(changes=by_uri)
    changes: list[Any] = [lsp.CreateFile(kind="create", uri=u, options=lsp.CreateFileOptions(overwrite=False, ignore_if_exists=False)) for u in plan.creates]
    for uri, edits in by_uri.items():
        version = None if uri in plan.creates else version_of(uri)
        ident = lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
        changes.append(lsp.TextDocumentEdit(text_document=ident, edits=edits))
    return lsp.WorkspaceEdit(document_changes=changes)


def document_symbol(sym: Symbol, text: str, enc: str) -> lsp.DocumentSymbol:
    return lsp.DocumentSymbol(
        name=sym.name or "(untitled)",
        detail=sym.detail or None,
        kind=SYMBOL_KINDS.get(sym.kind, lsp.SymbolKind.String),
        range=range_to_lsp(text, sym.range, enc),
        selection_range=range_to_lsp(text, sym.selection_range, enc),
        children=[document_symbol(c, text, enc) for c in sym.children],
    )


def workspace_symbol(sym: WorkspaceSymbol, text_of: TextOf, enc: str) -> lsp.WorkspaceSymbol:
    loc = lsp.Location(sym.uri, range_to_lsp(text_of(sym.uri), sym.range, enc))
    return lsp.WorkspaceSymbol(
        name=sym.name or "(untitled)", kind=SYMBOL_KINDS.get(sym.kind, lsp.SymbolKind.String), location=loc, container_name=sym.container or None
    )


def completion_item(c: Candidate, text: str, enc: str, ranges: dict[Range, lsp.Range] | None = None) -> lsp.CompletionItem:
    """``ranges``: conversions already made for this text (every item of a list shares one range:
    converting it once per item was half of a completion request's time)."""
    rng = ranges.get(c.range) if ranges is not None else None
    if rng is None:
        rng = range_to_lsp(text, c.range, enc)
        if ranges is not None:
            ranges[c.range] = rng
    return lsp.CompletionItem(
        label=c.label,
        kind=COMPLETION_KINDS.get(c.kind),
        detail=c.detail or None,
        sort_text=c.sort_text,
        filter_text=c.filter_text,
        text_edit=lsp.TextEdit(rng, c.insert_text),
        data=c.data or None,
    )


def folding_range(fold: Fold) -> lsp.FoldingRange:
    kind = lsp.FoldingRangeKind.Comment if fold.kind == "comment" else lsp.FoldingRangeKind.Region
    return lsp.FoldingRange(start_line=fold.start_line, end_line=fold.end_line, kind=kind)


def document_link(link: DocLink, text: str, enc: str, tooltips: bool) -> lsp.DocumentLink:
    # `#L12` is the fragment editors (VS Code) understand as "open at line 12" (1-based).
    target = link.target_uri if link.target_line is None else f"{link.target_uri}#L{link.target_line + 1}"
    return lsp.DocumentLink(range=range_to_lsp(text, link.range, enc), target=target, tooltip=link.tooltip if tooltips else None)
