"""One workspace folder: its settings, its current snapshot and the problems of every file.

Pure of LSP: the server drives it. The snapshot (``ws``) is immutable and is
replaced, never mutated, so a request that took it keeps a consistent view.
"""

from __future__ import annotations

import gc
import itertools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from clm_lsp.blueprint import Blueprint, Problem, Workspace, check_document, parse
from clm_lsp.workspace_io import WorkspaceSettings, is_inside, is_selected, iter_blueprint_files, load_settings, read_limited

log = logging.getLogger(__name__)

_RESULT_IDS = itertools.count(1)
"""Server-wide, so a result id is never reused for a document, even across projects."""

EVERYTHING = frozenset({"*"})
"""An 'affected' answer meaning: re-check every document of the project."""

FREEZE_EVERY = 256
"""Files parsed between two ``gc.freeze()`` calls while a folder or a burst is read."""


def parsed_one(n: int) -> None:
    """Call after the ``n``-th file parsed in a loop (a worker thread). Parsing allocates millions
    of long-lived objects, and Python's full collection runs each time the objects that survived
    grow by a quarter: every one of them walks everything parsed so far while holding the GIL,
    so the loop waits (a 10,000-file read did 12 full collections, 6.7 s, up to 1.1 s each).
    Freezing what is parsed so far every few hundred files keeps each collection small. Garbage
    cycles made meanwhile by other threads are frozen too (never freed): the read is short."""
    if n % FREEZE_EVERY == FREEZE_EVERY - 1:
        gc.freeze()


def uri_to_path(uri: str) -> Path | None:
    parts = urlsplit(uri)
    if parts.scheme != "file":
        return None
    return Path(unquote(parts.path))


def canonical_uri(uri: str) -> str:
    """One spelling per file (clients percent-encode differently); other schemes pass through."""
    path = uri_to_path(uri)
    return path.as_uri() if path is not None and path.is_absolute() else uri


@dataclass
class ScanResult:
    blueprints: list[Blueprint]
    settings: WorkspaceSettings
    cancelled: bool = False
    templates: dict[str, str] = field(default_factory=dict)
    ws: Workspace | None = None
    """The snapshot of ``blueprints``, built on the scan's thread (O(files), not on the loop)."""


TEMPLATES_DIR = ".clm/templates"


def read_templates(root: Path) -> dict[str, str]:
    """A workspace's own new-blueprint templates: `.clm/templates/<scale>.blueprint.md`."""
    folder = root / TEMPLATES_DIR
    out: dict[str, str] = {}
    if not folder.is_dir() or not is_inside(folder, root):
        return out
    for path in sorted(folder.glob("*.blueprint.md")):
        if path.is_file() and is_inside(path, root):
            try:
                out[path.name.removesuffix(".blueprint.md")] = path.read_text(encoding="utf-8")[:100_000]
            except (OSError, UnicodeDecodeError) as exc:
                log.warning("template %s ignored: %s", path, exc)
    return out


def scan(root: Path, progress: Callable[[int, int], None] | None = None, cancelled: Callable[[], bool] | None = None) -> ScanResult:
    """Read and parse every blueprint under ``root`` (run this in a worker thread)."""
    settings = load_settings(root)
    paths = list(iter_blueprint_files(root, settings))
    blueprints: list[Blueprint] = []
    for n, path in enumerate(paths):
        if cancelled is not None and n % 16 == 0 and cancelled():
            return ScanResult(blueprints, settings, cancelled=True, ws=Workspace.build(blueprints, root.as_uri(), settings.format))
        try:
            data = read_limited(path, settings.format.max_bytes)
        except OSError as exc:
            log.warning("cannot read %s: %s", path, exc)
            continue
        blueprints.append(parse(data, path.as_uri(), settings.format)[0])
        parsed_one(n)
        if progress is not None and (n % 16 == 0 or n + 1 == len(paths)):
            progress(n + 1, len(paths))
    ws = Workspace.build(blueprints, root.as_uri(), settings.format)
    return ScanResult(blueprints, settings, templates=read_templates(root), ws=ws)


@dataclass(eq=False)  # identity: projects are keys in sets and dicts
class Project:
    root: Path | None
    """None for the loose project: open files outside every workspace folder (never read from disk)."""
    settings: WorkspaceSettings = field(default_factory=WorkspaceSettings)
    ws: Workspace = field(init=False)
    scanned: bool = False
    """The first scan of the folder finished (until then, nothing is reported: links would look broken)."""
    problems: dict[str, list[Problem]] = field(default_factory=dict)
    result_ids: dict[str, int] = field(default_factory=dict)
    """Bumped each time a document's problems change (the pull-diagnostics result id)."""
    stale: set[str] = field(default_factory=set)
    """Documents whose problems must be recomputed."""
    generation: int = 0
    templates: dict[str, str] = field(default_factory=dict)
    """scale -> the workspace's own template for new blueprints."""

    def __post_init__(self) -> None:
        self.ws = Workspace.build([], self.root_uri, self.settings.format)
        self.scanned = self.root is None  # the loose project has nothing to scan

    @property
    def root_uri(self) -> str:
        return self.root.as_uri() if self.root is not None else ""

    def contains(self, uri: str) -> bool:
        """True for a blueprint file inside this folder that its include/exclude globs accept."""
        path = uri_to_path(uri)
        if self.root is None or path is None or not path.name.endswith(".blueprint.md"):
            return False
        try:
            rel = path.relative_to(self.root).as_posix()
        except ValueError:
            return False
        if any(part.startswith(".") or part in ("node_modules", "__pycache__") for part in rel.split("/")[:-1]):
            return False
        return is_selected(rel, self.settings)

    def may_read(self, uri: str) -> bool:
        """Reading from disk is allowed only inside the root, and never through a symlink that leaves it."""
        path = uri_to_path(uri)
        return self.root is not None and path is not None and self.contains(uri) and is_inside(path, self.root)

    def install(self, result: ScanResult, overlay: Iterable[Blueprint]) -> None:
        """Adopt a finished scan, with the open documents' current parses over the disk versions."""
        self.settings = result.settings
        self.templates = result.templates
        if result.ws is not None and result.ws.root_uri == self.root_uri:
            # Built with the scan, in its thread; the open buffers go over it one by one (a few).
            over = {bp.uri: bp for bp in overlay}
            if len(over) > 16:  # each with_document copies the document dicts
                self.ws = replaced_many(result.ws, dict(over))
            else:
                ws = result.ws
                for bp in over.values():
                    ws = ws.with_document(bp)
                self.ws = ws
        else:
            docs = {bp.uri: bp for bp in result.blueprints}
            for bp in overlay:
                docs[bp.uri] = bp
            self.ws = Workspace.build(docs.values(), self.root_uri, self.settings.format)
        self.scanned = True
        self.generation += 1
        self.stale = set(self.ws.docs)
        for uri in list(self.problems):
            if uri not in self.ws.docs:
                self.stale.add(uri)

    def replace(self, bp: Blueprint) -> set[str] | frozenset[str]:
        """Swap in a new parse of one document; returns the documents whose problems may change."""
        old_ws, old = self.ws, self.ws.docs.get(bp.uri)
        self.ws = old_ws.with_document(bp)
        self.generation += 1
        return self._mark(affected(old_ws, self.ws, old, bp))

    def replace_many(self, changes: dict[str, Blueprint | None]) -> None:
        """Swap in many documents at once (None: gone), as after a scan: one new snapshot
        built in one pass, every document to be checked again. For a burst of file events
        (a git checkout): one replace() per file derives a snapshot and an affected set per
        file, O(files) each, minutes for thousands of files on a large workspace.
        The server builds it in a thread instead: ``replaced_many`` there, then ``install_many``."""
        base = self.ws
        self.install_many(base, replaced_many(base, changes), changes)

    def install_many(self, base: Workspace, new: Workspace, changes: dict[str, Blueprint | None]) -> bool:
        """Adopt ``new`` (``replaced_many(base, changes)``, built in a thread) unless the snapshot
        is no longer ``base`` (an edit or another reload replaced it meanwhile: ``new`` would
        lose that change; the caller builds again on top of the current one). One assignment."""
        if self.ws is not base:
            return False
        self.ws = new
        self.generation += 1
        self.stale = set(new.docs) | {uri for uri, bp in changes.items() if bp is None and uri in self.problems}
        return True

    def remove(self, uri: str) -> set[str] | frozenset[str]:
        old_ws, old = self.ws, self.ws.docs.get(uri)
        if old is None:
            return set()
        self.ws = old_ws.without(uri)
        self.generation += 1
        self.stale.add(uri)  # so its old problems are cleared
        return self._mark(affected(old_ws, self.ws, old, None))

    def _mark(self, found: set[str] | frozenset[str]) -> set[str] | frozenset[str]:
        self.stale |= set(self.ws.docs) if found is EVERYTHING else set(found)
        return found

    def recheck(self, uri: str) -> bool:
        """Recompute one document's problems; True when they changed."""
        self.stale.discard(uri)
        new = check_document(self.ws, uri) if uri in self.ws.docs else []
        if self.problems.get(uri) == new and uri in self.problems:
            return False
        if new or uri in self.ws.docs:
            self.problems[uri] = new
        else:
            self.problems.pop(uri, None)
        self.result_ids[uri] = next(_RESULT_IDS)
        return True


def replaced_many(base: Workspace, changes: dict[str, Blueprint | None]) -> Workspace:
    """``base`` with many documents replaced (None: removed), in one pass: pure, reads only its
    arguments, so a worker thread can build it (10,000 documents) while requests read ``base``."""
    docs = dict(base.docs)
    for uri, bp in changes.items():
        if bp is None:
            docs.pop(uri, None)
        else:
            docs[uri] = bp
    return Workspace.build(docs.values(), base.root_uri, base.config)


def bump_result_id(project: Project, uri: str) -> None:
    """A document's report changed for a reason other than its own check (an extra producer):
    a new pull-diagnostics result id, so a client holding the old one pulls the new report."""
    if uri not in project.result_ids:
        project.stale.add(uri)  # never checked yet: the next report must still run the check
    project.result_ids[uri] = next(_RESULT_IDS)


def affected(old_ws: Workspace, new_ws: Workspace, old: Blueprint | None, new: Blueprint | None) -> set[str] | frozenset[str]:
    """Documents whose problems can change when ``old`` becomes ``new`` (None: absent).

    A new, removed or re-identified document changes which links resolve anywhere
    (and every did-you-mean list): everything. Otherwise only documents that link
    here (anchors), and the entity's descendants (scales, parent cycles) can change.
    """
    if old is None or new is None or old.entity.id != new.entity.id:
        return EVERYTHING
    uri = new.uri
    found = {uri}
    ent_id = new.entity.id
    if ent_id is None:
        return found
    found.update(u for u in old_ws.uris_for_id(ent_id))
    if _anchors(old) != _anchors(new):
        found.update(src for src, _link in new_ws.incoming(ent_id))
    if (old.entity.scale, old.entity.parent) != (new.entity.scale, new.entity.parent):
        found |= _descendants(old_ws, ent_id) | _descendants(new_ws, ent_id)
    return found


def _anchors(bp: Blueprint) -> tuple[object, ...]:
    return (bp.extra.get("title_anchor"), *(s.anchor for s in bp.sections))


def _descendants(ws: Workspace, ent_id: str) -> set[str]:
    seen: set[str] = set()
    todo = [ent_id]
    while todo:
        for child in ws.children(todo.pop()):
            if child.uri not in seen:
                seen.add(child.uri)
                if child.entity.id:
                    todo.append(child.entity.id)
    return seen
