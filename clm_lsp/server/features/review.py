"""Commands for the model review and the index: `clm.reindex`, `clm.reviewStats`.

The review diagnostics themselves need no handler: the review controller
(server/reviewing.py) is a producer of the checker's reports.
"""

from __future__ import annotations

from typing import Any

from ..project import canonical_uri
from ..server import ClmLanguageServer


def register(server: ClmLanguageServer) -> None:
    @server.command("clm.reindex")
    async def reindex(ls: ClmLanguageServer, *args: Any) -> dict[str, Any]:
        """async: rebuild the index of every folder (no arguments) or of the folder of ``[uri]``,
        from the files, with $/progress; returns counts per folder or ``{error}``."""
        uri = args[0] if args and isinstance(args[0], str) else None
        if args and uri is None:
            return {"error": "clm.reindex takes no arguments or [uri]"}
        if uri is not None:
            project = ls.session.project_for(canonical_uri(uri))
            if project.root is None:
                return {"error": f"{uri} is not inside a workspace folder"}
            projects = [project]
        else:
            projects = list(ls.session.projects)
        return await ls.extensions["indexing"].reindex(projects)

    @server.command("clm.reviewStats")
    def review_stats(ls: ClmLanguageServer, *args: Any) -> dict[str, Any]:
        """loop: what the model review did in this session (tests and the status tooltip)."""
        return ls.extensions["reviews"].stats.as_dict()
