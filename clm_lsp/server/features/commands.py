"""Custom commands and requests: `clm.status`, `clm.sectionInfo`, `clm/debugDocument`."""

from __future__ import annotations

from typing import Any

from clm_lsp.blueprint import estimate_tokens

from ..ide.describe import describe
from ..ide.navigation import Subject, incoming_links
from ..ide.textutil import section_full_text
from ..server import ClmLanguageServer

DEBUG_DOCUMENT = "clm/debugDocument"


def register(server: ClmLanguageServer) -> None:
    @server.command("clm.status")
    def status(ls: ClmLanguageServer, *args: Any) -> dict[str, Any]:
        """loop: what the server knows (also sent as the `clm/status` notification)."""
        return ls.extensions["status"].payload()

    @server.command("clm.sectionInfo")
    def section_info(ls: ClmLanguageServer, uri: str, anchor: str) -> dict[str, Any] | None:
        """loop: the figures a code lens shows, for one section."""
        _project, ws, canonical = ls.session.snapshot(uri)
        bp = ws.docs.get(canonical)
        section = ws.section(canonical, anchor) if bp is not None else None
        if bp is None or section is None:
            return None
        incoming = incoming_links(ws, Subject(bp.entity.id, canonical, anchor))
        return {"anchor": anchor, "title": section.title, "tokens": estimate_tokens(section_full_text(bp, section)), "incoming": len(incoming)}

    @server.feature(DEBUG_DOCUMENT)
    def debug_document(ls: ClmLanguageServer, params: Any) -> dict[str, Any] | None:
        """loop: the server's parse of one document, as plain data (tests compare it to a fresh parse)."""
        uri = params.get("uri") if isinstance(params, dict) else getattr(params, "uri", None)
        if not isinstance(uri, str):
            return None
        _project, ws, canonical = ls.session.snapshot(uri)
        bp = ws.docs.get(canonical)
        if bp is None:
            return None
        return {"version": ls.session.version_of(canonical), **describe(bp)}
