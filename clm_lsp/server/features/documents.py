"""Document sync: open buffers overlay the disk; changes only update text and schedule a re-check."""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types as lsp

from ..project import canonical_uri
from ..scanning import scan_project
from ..server import ClmLanguageServer
from ..session import ClientRange, reload_from_disk
from ..contextview import is_view

log = logging.getLogger(__name__)


def _changes(params: lsp.DidChangeTextDocumentParams) -> list[tuple[ClientRange | None, str]]:
    out: list[tuple[ClientRange | None, str]] = []
    for change in params.content_changes:
        rng = getattr(change, "range", None)
        if rng is None:
            out.append((None, change.text))
        else:
            out.append(((rng.start.line, rng.start.character, rng.end.line, rng.end.character), change.text))
    return out


def register(server: ClmLanguageServer) -> None:
    checker = server.extensions["checker"]

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ClmLanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
        """loop: remember the text; parse and check after the debounce."""
        doc = params.text_document
        if is_view(doc.uri):
            return  # a generated context view (.clm/views/): not a blueprint, never checked
        uri = ls.session.open(doc.uri, doc.text, doc.version)
        checker.opened(ls.session.project_for(uri), uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ClmLanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
        """loop: apply the edits to the text (no parsing here) and re-schedule the check."""
        doc = params.text_document
        if is_view(doc.uri):
            return
        uri = ls.session.change(doc.uri, doc.version, _changes(params), ls.encoding)
        if uri is not None:
            checker.schedule(ls.session.project_for(uri))

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: ClmLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
        """async: drop the buffer; the file's disk version (read in a thread) takes its place."""
        uri = ls.session.close(params.text_document.uri)
        project = ls.session.project_for(uri)
        await reload_from_disk(ls.session, project, uri)
        checker.closed(project, uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ClmLanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
        """loop: the buffer already holds the text; the index picks the file up from disk."""
        uri = canonical_uri(params.text_document.uri)
        doc = ls.session.open_docs.get(uri)
        ls.extensions["indexing"].file_changed(uri, doc.text if doc is not None else params.text)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(ls: ClmLanguageServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        """loop: files changed on disk (git checkout, another editor): re-read those not open, later."""
        by_project: dict[int, tuple[Any, list[str]]] = {}
        for event in params.changes:
            uri = canonical_uri(event.uri)
            if uri.endswith("/clm.toml"):
                _rescan(ls, uri)
                continue
            if uri in ls.session.open_docs:
                continue  # the buffer wins until it is closed
            project = ls.session.project_for(uri)
            if project.root is None:
                continue
            by_project.setdefault(id(project), (project, []))[1].append(uri)
        # Per folder, gathered with the other messages of the same checkout (and our watcher's
        # batches): a few files one by one, a burst as one new snapshot.
        for project, uris in by_project.values():
            ls.extensions["indexing"].changed_on_disk(project, uris)


def _rescan(ls: ClmLanguageServer, settings_uri: str) -> None:
    """clm.toml changed: read that folder again with its new settings (scales, globs, limits)."""
    for project in ls.session.projects:
        if project.root is not None and project.root.joinpath("clm.toml").as_uri() == settings_uri:
            for doc in ls.session.open_docs.values():
                doc.parsed = False  # the new settings may parse them differently
            ls.tasks.start(scan_project(ls, project), name=f"rescan:{project.root}")
