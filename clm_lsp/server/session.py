"""The server's state: the workspace folders (projects) and the open documents over them.

didOpen/didChange/didClose only touch the text here (cheap, on the event loop:
a change splices the lines it touches). Parsing happens in ``flush``: when the
debounced re-check runs, or when a request needs a document whose text changed
since its last parse; it re-reads only the changed region of the last parse
(blueprint/incremental.py), so a keystroke costs about the same in a 300 KB file
as in a 3 KB one. Open buffers overlay the files on disk; closing a buffer brings
the disk version back.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from clm_lsp.blueprint import Blueprint, FormatConfig, LineIndex, Workspace, parse
from clm_lsp.blueprint.incremental import reparse
from clm_lsp.blueprint.parser import Parts, parse_parts
from clm_lsp.workspace_io import read_limited

from .project import Project, canonical_uri, uri_to_path

log = logging.getLogger(__name__)

ClientRange = tuple[int, int, int, int]
"""(start line, start character, end line, end character) in the client's encoding."""


class OpenDocument:
    """One open buffer. Its text is kept as lines (a keystroke splices one or two lines in
    place, no O(file) work) and joined only when read; a text with a carriage return
    anywhere keeps the plain string instead, edited and parsed whole (lines would lose
    which terminator each line had)."""

    __slots__ = ("uri", "client_uri", "version", "parsed", "lines", "_text", "base", "lo", "tail")

    def __init__(self, uri: str, client_uri: str, text: str, version: int) -> None:
        self.uri = uri
        self.client_uri = client_uri
        """The URI as the client spelt it (used when talking back about this document)."""
        self.version = version
        self.parsed = False
        self._text: str | None = text
        self.lines: list[str] | None = None if "\r" in text else text.split("\n")
        self.base: tuple[Blueprint, Parts, FormatConfig] | None = None
        """The last parse of this buffer and its parts, for the next incremental re-parse."""
        self.lo = self.tail = 0
        """Since ``base``: lines before ``lo`` and the last ``tail`` lines are unchanged."""

    @property
    def text(self) -> str:
        if self._text is None:
            assert self.lines is not None
            self._text = "\n".join(self.lines)
        return self._text

    @text.setter
    def text(self, text: str) -> None:
        self._text = text
        self.lines = None if "\r" in text else text.split("\n")
        self.base = None

    def splice(self, rng: ClientRange, new_text: str, encoding: str) -> None:
        """Apply one ranged change (LSP clamps positions past a line's or the text's end)."""
        lines = self.lines
        if lines is None or "\r" in new_text:
            self.text = apply_change(self.text, rng, new_text, encoding)
            return
        (a, ca), (b, cb) = _at(lines, rng[0], rng[1], encoding), _at(lines, rng[2], rng[3], encoding)
        if (b, cb) < (a, ca):  # a reversed range from a confused client: treat it as the same span
            (a, ca), (b, cb) = (b, cb), (a, ca)
        if self.base is not None:
            self.lo = min(self.lo, a)
            self.tail = min(self.tail, len(lines) - b - 1)
        lines[a : b + 1] = (lines[a][:ca] + new_text + lines[b][cb:]).split("\n")
        self._text = None

    def parsed_as(self, bp: Blueprint, parts: Parts | None, fmt: FormatConfig) -> None:
        """Remember a parse of the current text as the base of the next re-parse."""
        self.parsed = True
        if parts is None or self.lines is None:
            self.base = None
            return
        self.base = (bp, parts, fmt)
        self.lo = self.tail = len(self.lines)

    def parse(self, fmt: FormatConfig) -> Blueprint:
        """The parse of the current text: the changed lines re-read when a base is there."""
        if self.base is not None and self.lines is not None and self.base[2] == fmt:
            bp, parts, _fmt = self.base
            lines = list(self.lines)  # the base's parts keep this copy; edits go on splicing ours
            done = reparse(bp, parts, self.text, lines, self.lo, self.tail, fmt)
            if done is not None:
                self.parsed_as(done[0], done[1], fmt)
                return done[0]
        bp, parts = parse_parts(self.text, self.uri, fmt)
        self.parsed_as(bp, parts, fmt)
        return bp


def _at(lines: list[str], line: int, character: int, encoding: str) -> tuple[int, int]:
    """A client position -> (line, code point column), clamped to the text like LineIndex."""
    if line < 0:
        return 0, 0
    if line >= len(lines):
        return len(lines) - 1, len(lines[-1])
    return line, LineIndex(lines[line]).from_client(0, character, encoding).character


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
        for rng, new_text in changes:
            if rng is None:
                doc.text = new_text
            else:
                doc.splice(rng, new_text, encoding)
        doc.version, doc.parsed = version, False
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
            project.replace(doc.parse(project.settings.format))
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
                out.append(doc.parse(fmt))
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
