"""`clm/status`: what the server knows and what its parts are doing, for a status bar."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from clm_lsp.blueprint import Severity, Workspace

if TYPE_CHECKING:
    from .server import ClmLanguageServer

STATUS_NOTIFICATION = "clm/status"


def _counts(ws: Workspace) -> tuple[int, int]:
    return sum(len(bp.sections) for bp in ws.docs.values()), sum(len(bp.links) for bp in ws.docs.values())


class StatusBoard:
    def __init__(self, server: ClmLanguageServer) -> None:
        self.server = server
        self.state = "starting"
        self.index: dict[str, Any] = {"state": "off"}
        self.model: dict[str, Any] = {"state": "none", "summaries": "extractive"}

    def payload(self) -> dict[str, Any]:
        docs = entities = sections = links = 0
        problems: Counter[str] = Counter()
        for project in self.server.session.all_projects():
            ws = project.ws
            docs += len(ws.docs)
            entities += len(ws.entity_ids())
            # Counted once per snapshot: a status goes out on every index and model change,
            # and walking 10,000 documents each time held the event loop for milliseconds.
            n_sections, n_links = ws.derived("status:counts", _counts)
            sections += n_sections
            links += n_links
            for found in project.problems.values():
                problems.update(Severity(p.severity).name.lower() for p in found)
        return {
            "state": self.state,
            "folders": [str(p.root) for p in self.server.session.projects],
            "documents": docs,
            "entities": entities,
            "sections": sections,
            "links": links,
            "open": len(self.server.session.open_docs),
            "problems": {k: problems.get(k, 0) for k in ("error", "warning", "information", "hint")},
            "diagnostics": "pull" if self.server.use_pull else "push",
            "positionEncoding": self.server.encoding,
            "index": dict(self.index),
            "model": dict(self.model),
            "failedTasks": self.server.tasks.failures,
        }

    def update(self, **changes: Any) -> None:
        if "state" in changes:
            self.state = changes.pop("state")
        if "index" in changes:
            self.index = changes.pop("index")
        if "model" in changes:
            self.model = changes.pop("model")
        self.send()

    def send(self) -> None:
        self.server.protocol.notify(STATUS_NOTIFICATION, self.payload())
