"""Rename (with prepareRename), completion (with resolve), quick fixes and the synthesis code actions."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

from clm_lsp.blueprint import check_document

from .. import convert
from ..ide import completion as ide_completion
from ..ide import fixes as ide_fixes
from ..ide import rename as ide_rename
from ..ide.types import Refusal
from ..project import uri_to_path
from ..server import ClmLanguageServer
from . import synthesis

TRIGGERS = ["[", "#", " "]
"""`[[` opens a link, `#` starts an anchor, a space follows `parent:` / `scale:` / `status:`."""


class RequestFailed(JsonRpcException):
    """LSP's RequestFailed: the request was valid but cannot be done (the message says why)."""

    CODE = -32803


def _exists(uri: str) -> bool:
    path = uri_to_path(uri)
    return path is not None and Path(path).exists()


def register(server: ClmLanguageServer) -> None:
    _register_rename(server)
    _register_completion(server)
    _register_code_actions(server)


def _register_rename(server: ClmLanguageServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
    def prepare_rename(ls: ClmLanguageServer, params: lsp.PrepareRenameParams) -> lsp.PrepareRenamePlaceholder | None:
        """loop: the id or anchor under the cursor, or a clear refusal."""
        _project, ws, uri = ls.session.snapshot(params.text_document.uri)
        bp = ws.docs.get(uri)
        if bp is None:
            return None
        spot = ide_rename.prepare(ws, uri, convert.position_from_lsp(bp.text, params.position, ls.encoding))
        if isinstance(spot, Refusal):
            raise RequestFailed(spot.message)
        if spot is None:
            return None
        return lsp.PrepareRenamePlaceholder(range=convert.range_to_lsp(bp.text, spot.range, ls.encoding), placeholder=spot.placeholder)

    @server.feature(lsp.TEXT_DOCUMENT_RENAME, lsp.RenameOptions(prepare_provider=True))
    def rename(ls: ClmLanguageServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
        """loop: one WorkspaceEdit rewriting the id or anchor and every link to it."""
        _project, ws, uri = ls.session.snapshot(params.text_document.uri)
        bp = ws.docs.get(uri)
        if bp is None:
            return None
        pos = convert.position_from_lsp(bp.text, params.position, ls.encoding)
        plan = ide_rename.rename(ws, uri, pos, params.new_name)
        if isinstance(plan, Refusal):
            raise RequestFailed(plan.message)
        return convert.workspace_edit(plan, convert.text_source(ws), ls.encoding, ls.client.document_changes, ls.session.version_of)


def _register_completion(server: ClmLanguageServer) -> None:
    options = lsp.CompletionOptions(trigger_characters=TRIGGERS, resolve_provider=True)

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, options)
    async def completion(ls: ClmLanguageServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
        """loop: ids after `[[`, anchors after `#`, front matter values; fuzzy ranked. The entity
        indexes, when this snapshot has none yet, are built in a thread (0.4 s at 10,000
        entities): this request waits for them, the others do not."""
        _project, ws, uri = ls.session.snapshot(params.text_document.uri)
        bp = ws.docs.get(uri)
        if bp is None:
            return None
        if ide_completion.indexes_missing(ws):
            await asyncio.to_thread(ide_completion.prepare, ws)
        pos = convert.position_from_lsp(bp.text, params.position, ls.encoding)
        found = ide_completion.complete(ws, uri, pos, ls.config.completion.max_items)
        ranges: dict = {}
        items = [convert.completion_item(c, bp.text, ls.encoding, ranges) for c in found.items]
        return lsp.CompletionList(is_incomplete=found.incomplete, items=items)

    @server.feature(lsp.COMPLETION_ITEM_RESOLVE)
    def completion_resolve(ls: ClmLanguageServer, item: lsp.CompletionItem) -> lsp.CompletionItem:
        """loop: add the target's first lines (found again from the item's data: stateless)."""
        data = item.data if isinstance(item.data, dict) else None
        if data is None:
            return item
        ls.session.flush()
        text = None
        for project in ls.session.all_projects():
            text = text or ide_completion.resolve_documentation(project.ws, data)
        if text:
            kind = lsp.MarkupKind.Markdown if ls.client.markdown_hover else lsp.MarkupKind.PlainText
            item.documentation = lsp.MarkupContent(kind=kind, value=text)
        return item


def _register_code_actions(server: ClmLanguageServer) -> None:
    # refactor.rewrite: the synthesis actions (features/synthesis.py).
    actions = lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix, synthesis.KIND])

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, actions)
    def code_action(ls: ClmLanguageServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        """loop: quick fixes for the problems in the range, from the current snapshot."""
        project, ws, uri = ls.session.snapshot(params.text_document.uri)
        bp = ws.docs.get(uri)
        if bp is None:
            return None
        rng = convert.range_from_lsp(bp.text, params.range, ls.encoding)
        rewrites = synthesis.code_actions(ls, project, bp, rng, params.context.only)
        if not synthesis.wanted(lsp.CodeActionKind.QuickFix.value, params.context.only):
            return rewrites or None
        # Stale problems are recomputed, not stored: storing is the checker's job (it also reports them).
        problems = check_document(ws, uri) if uri in project.stale or uri not in project.problems else project.problems[uri]
        ctx = ide_fixes.FixContext(project.templates, _exists, ls.client.create_files and ls.client.document_changes)
        found = ide_fixes.fixes(ws, uri, problems, rng, ctx)
        text_of = convert.text_source(ws)
        out = []
        for fix in found:
            edit = convert.workspace_edit(fix.plan, text_of, ls.encoding, ls.client.document_changes or bool(fix.plan.creates), ls.session.version_of)
            diags = [convert.diagnostic(uri, fix.problem, text_of, ls.encoding)] if fix.problem is not None else None
            out.append(lsp.CodeAction(title=fix.title, kind=lsp.CodeActionKind.QuickFix, diagnostics=diags, edit=edit, is_preferred=fix.preferred or None))
        out.extend(rewrites)
        return out or None
