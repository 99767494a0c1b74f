"""The server's state: the workspace folders (projects) and the open documents over them.

didOpen/didChange/didClose only touch the text here (cheap, on the event loop).
Parsing happens in ``flush``: when the debounced re-check runs, or when a request
needs a document whose text changed since its last parse. Open buffers overlay
the files on disk; closing a buffer brings the disk version back.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from clm_lsp.blueprint import Blueprint, FormatConfig, LineIndex, Workspace, parse
from clm_lsp.workspace_io import read_limited

from .project import Project, canonical_uri, uri_to_path

log = logging.getLogger(__name__)

ClientRange = tuple[int, int, int, int]
"""(start line, start character, end line, end character) in the client's encoding."""


@dataclass
class OpenDocument:
    uri: str
    client_uri: str
    """The URI as the client spelt it (used when talking back about this document)."""
    text: str
    version: int
    parsed: bool = False


class Session:
    def __init__(self, roots: list[Path]) -> None:
        # Nested folders: the innermost root owns a file, so try the longest first.
        unique = sorted({r.resolve() for r in roots}, key=lambda p: len(p.parts), reverse=True)
        self.projects = [Project(root) for root in unique]
        self.loose = Project(None)
        self.open_docs: dict[str, OpenDocument] = {}
        self.client_uris: dict[str, str] = {}

    # -- routing --------------------------------------------------------------------

    def project_for(self, uri: str) -> Project:
        for project in self.projects:
            if project.contains(uri):
                return project
        return self.loose

    def all_projects(self) -> list[Project]:
        return [*self.projects, self.loose]

    def client_uri(self, uri: str) -> str:
        return self.client_uris.get(uri, uri)

    # -- document sync --------------------------------------------------------------

    def open(self, client_uri: str, text: str, version: int) -> str:
        uri = canonical_uri(client_uri)
        self.open_docs[uri] = OpenDocument(uri, client_uri, text, version)
        self.client_uris[uri] = client_uri
        return uri

    def change(self, client_uri: str, version: int, changes: list[tuple[ClientRange | None, str]], encoding: str) -> str | None:
        """Apply content changes in order; each range refers to the text after the previous change."""
        uri = canonical_uri(client_uri)
        doc = self.open_docs.get(uri)
        if doc is None:
            log.warning("change for a document that is not open: %s", client_uri)
            return None
        text = doc.text
        for rng, new_text in changes:
            text = new_text if rng is None else apply_change(text, rng, new_text, encoding)
        doc.text, doc.version, doc.parsed = text, version, False
        return uri

    def close(self, client_uri: str) -> str:
        uri = canonical_uri(client_uri)
        self.open_docs.pop(uri, None)
        return uri

    # -- parsing --------------------------------------------------------------------

    def dirty(self, project: Project | None = None) -> list[OpenDocument]:
        return [d for d in self.open_docs.values() if not d.parsed and (project is None or self.project_for(d.uri) is project)]

    def flush(self, uri: str | None = None) -> set[Project]:
        """Parse open documents whose text changed (just ``uri``, or all); returns the projects touched."""
        docs = [self.open_docs[uri]] if uri is not None and uri in self.open_docs else ([] if uri is not None else self.dirty())
        touched: set[Project] = set()
        for doc in docs:
            if doc.parsed:
                continue
            project = self.project_for(doc.uri)
            doc.parsed = True
            current = project.ws.docs.get(doc.uri)
            if current is not None and current.text == doc.text:
                continue  # opened with the text already on disk: nothing to redo
            bp, _problems = parse(doc.text, doc.uri, project.settings.format)
            project.replace(bp)
            touched.add(project)
        return touched

    def snapshot(self, client_uri: str) -> tuple[Project, Workspace, str]:
        """The project, its up-to-date snapshot and the canonical URI, for a request on ``client_uri``."""
        uri = canonical_uri(client_uri)
        self.flush(uri)
        project = self.project_for(uri)
        return project, project.ws, uri

    def overlay(self, project: Project, fmt: FormatConfig) -> list[Blueprint]:
        """The open documents of ``project`` parsed with ``fmt`` (the settings of a new scan)."""
        out = []
        for doc in self.open_docs.values():
            if self.project_for(doc.uri) is project:
                out.append(parse(doc.text, doc.uri, fmt)[0])
                doc.parsed = True
        return out

    def version_of(self, uri: str) -> int | None:
        doc = self.open_docs.get(canonical_uri(uri))
        return doc.version if doc is not None else None


def apply_change(text: str, rng: ClientRange, new_text: str, encoding: str) -> str:
    index = LineIndex(text)
    start = index.offset_at(index.from_client(rng[0], rng[1], encoding))
    end = index.offset_at(index.from_client(rng[2], rng[3], encoding))
    if end < start:  # a reversed range from a confused client: treat it as the same span
        start, end = end, start
    return text[:start] + new_text + text[end:]


def read_disk(project: Project, uri: str) -> Blueprint | None:
    """The disk version of a file the project may read, or None (absent, unreadable, not ours)."""
    if not project.may_read(uri):
        return None
    path = uri_to_path(uri)
    assert path is not None
    try:
        data = read_limited(path, project.settings.format.max_bytes)
    except OSError:
        return None
    return parse(data, path.as_uri(), project.settings.format)[0]


async def reload_from_disk(session: Session, project: Project, uri: str) -> Blueprint | None:
    """Put the disk version of a closed file in the snapshot (read in a thread), or drop it
    when it is gone. Returns the new parse, or None when the file was dropped or is open."""
    if uri in session.open_docs:
        return None  # the buffer wins until it is closed
    bp = await asyncio.to_thread(read_disk, project, uri) if project.root is not None else None
    if uri in session.open_docs:
        return None  # re-opened while the file was being read
    if bp is not None:
        project.replace(bp)
    else:
        project.remove(uri)
    return bp
