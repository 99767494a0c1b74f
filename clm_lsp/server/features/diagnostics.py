"""Pull diagnostics (textDocument/diagnostic, workspace/diagnostic), for clients that ask.

Registered at initialize only when the client supports pulling (or the user
forces it): otherwise the checker pushes with textDocument/publishDiagnostics.
"""

from __future__ import annotations

import asyncio

from lsprotocol import types as lsp

from ..project import Project
from ..server import ClmLanguageServer

_SLICE = 64


def _report(ls: ClmLanguageServer, project: Project, uri: str, previous: str | None) -> tuple[str, list[lsp.Diagnostic] | None]:
    """(result id, diagnostics), or diagnostics None when the client's copy is current."""
    if uri in project.stale or uri not in project.result_ids:
        project.recheck(uri)
    ls.extensions["checker"].sync_extras(project, uri)
    result_id = f"{project.result_ids.get(uri, 0)}-{_settings_tag(ls)}"
    if previous == result_id:
        return result_id, None
    return result_id, ls.extensions["checker"].diagnostics_for(project, uri)


def _settings_tag(ls: ClmLanguageServer) -> str:
    # Turning diagnostics off (or workspace-wide reporting) changes every report: part of the id.
    cfg = ls.config.diagnostics
    return f"{int(cfg.enable)}{int(cfg.workspace)}"


def register_pull(server: ClmLanguageServer) -> None:
    options = lsp.DiagnosticOptions(identifier="clm", inter_file_dependencies=True, workspace_diagnostics=True)

    @server.feature(lsp.TEXT_DOCUMENT_DIAGNOSTIC, options)
    async def document_diagnostic(ls: ClmLanguageServer, params: lsp.DocumentDiagnosticParams) -> lsp.DocumentDiagnosticReport:
        """async: waits for the first read of the folder (until then links would look broken)."""
        project, _ws, uri = ls.session.snapshot(params.text_document.uri)
        await ls.extensions["checker"].scanned_event(project).wait()
        project, _ws, uri = ls.session.snapshot(params.text_document.uri)
        result_id, items = _report(ls, project, uri, params.previous_result_id)
        if items is None:
            return lsp.UnchangedDocumentDiagnosticReport(result_id=result_id)
        return lsp.FullDocumentDiagnosticReport(items=items, result_id=result_id)

    @server.feature(lsp.WORKSPACE_DIAGNOSTIC)
    async def workspace_diagnostic(ls: ClmLanguageServer, params: lsp.WorkspaceDiagnosticParams) -> lsp.WorkspaceDiagnosticReport:
        """async: every file of every folder, in slices that let other requests through."""
        previous = {p.uri: p.value for p in params.previous_result_ids}
        reports: list[lsp.WorkspaceDocumentDiagnosticReport] = []
        ls.session.flush()
        for project in ls.session.all_projects():
            await ls.extensions["checker"].scanned_event(project).wait()
            for n, uri in enumerate(sorted(project.ws.docs), 1):
                reports.append(_workspace_item(ls, project, uri, previous.get(ls.session.client_uri(uri))))
                if n % _SLICE == 0:
                    await asyncio.sleep(0)
        return lsp.WorkspaceDiagnosticReport(items=reports)


def _workspace_item(ls: ClmLanguageServer, project: Project, uri: str, previous: str | None) -> lsp.WorkspaceDocumentDiagnosticReport:
    result_id, items = _report(ls, project, uri, previous)
    client_uri, version = ls.session.client_uri(uri), ls.session.version_of(uri)
    if items is None:
        return lsp.WorkspaceUnchangedDocumentDiagnosticReport(uri=client_uri, version=version, result_id=result_id)
    return lsp.WorkspaceFullDocumentDiagnosticReport(uri=client_uri, version=version, items=items, result_id=result_id)


def register(server: ClmLanguageServer) -> None:
    server.extensions["register_pull"] = register_pull
