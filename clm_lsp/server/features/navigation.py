"""Definition, references, document links and hover: lookups on the current snapshot."""

from __future__ import annotations

from lsprotocol import types as lsp

from .. import convert
from ..contextview import context_view_definition, is_view
from ..ide import hover as ide_hover
from ..ide import navigation
from ..scanning import warm_navigation
from ..server import ClmLanguageServer


def register(server: ClmLanguageServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: ClmLanguageServer, params: lsp.DefinitionParams) -> list[lsp.Location] | None:
        """loop: a link's target heading (or file); a `parent:` value's blueprint."""
        if is_view(params.text_document.uri):  # a context view: zoom in to what the line stands for
            return context_view_definition(ls, params)
        _project, ws, uri = ls.session.snapshot(params.text_document.uri)
        bp = ws.docs.get(uri)
        if bp is None:
            return None
        pos = convert.position_from_lsp(bp.text, params.position, ls.encoding)
        found = navigation.definition(ws, uri, pos)
        text_of = convert.text_source(ws)
        return [convert.location(loc, text_of, ls.encoding) for loc in found] or None

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def references(ls: ClmLanguageServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
        """loop: every link to the entity or section under the cursor, across the workspace."""
        _project, ws, uri = ls.session.snapshot(params.text_document.uri)
        bp = ws.docs.get(uri)
        if bp is None:
            return None
        pos = convert.position_from_lsp(bp.text, params.position, ls.encoding)
        found = navigation.references(ws, uri, pos, params.context.include_declaration)
        text_of = convert.text_source(ws)
        return [convert.location(loc, text_of, ls.encoding) for loc in found] or None

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_LINK, lsp.DocumentLinkOptions(resolve_provider=False))
    def document_link(ls: ClmLanguageServer, params: lsp.DocumentLinkParams) -> list[lsp.DocumentLink] | None:
        """loop: the resolved links of the document, clickable."""
        _project, ws, uri = ls.session.snapshot(params.text_document.uri)
        bp = ws.docs.get(uri)
        if bp is None:
            return None
        return [convert.document_link(link, bp.text, ls.encoding, ls.client.link_tooltips) for link in navigation.document_links(ws, uri)]

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: ClmLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
        """loop: title, breadcrumbs, size, incoming links and a summary; never waits on a model."""
        _project, ws, uri = ls.session.snapshot(params.text_document.uri)
        bp = ws.docs.get(uri)
        if bp is None:
            return None
        pos = convert.position_from_lsp(bp.text, params.position, ls.encoding)
        summaries = ls.extensions.get("summaries")
        if not ws.incoming_ready() and len(ws.docs) > ide_hover.BUILD_ON_HOVER:
            # The card says "still counting" rather than build the reverse index here (a second
            # at 10,000 files, on the loop); built in a thread, later hovers count. Needed after
            # edits made before the scan's warm-up finished (they could not patch an index).
            ls.tasks.debounce("warm:hover", 0.05, lambda: warm_navigation(ws))
        found = ide_hover.hover(ws, uri, pos, summaries, ls.config.hover.summary_chars)
        if found is None:
            return None
        kind = lsp.MarkupKind.Markdown if ls.client.markdown_hover else lsp.MarkupKind.PlainText
        return lsp.Hover(contents=lsp.MarkupContent(kind=kind, value=found.markdown), range=convert.range_to_lsp(bp.text, found.range, ls.encoding))
