"""An immutable snapshot of every blueprint in a workspace, with lookup indexes.

A new snapshot per edit is cheap: ``with_document`` copies the dicts (a few
microseconds per thousand files) and reparses nothing. Indexes that only some
requests need (reverse links, children, sorted ids) are built lazily, once per
snapshot, and cached on it; they are derived data, so the snapshot stays
logically immutable.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from .config import DEFAULT_CONFIG, FormatConfig
from .model import Blueprint, Link, LinkKind, Section

_T = TypeVar("_T")

ENTITY_DERIVED = "entities:"
"""Prefix of ``Workspace.derived`` names whose value depends only on the ids and titles."""

PathKey = tuple[str, str, str]
"""(scheme, authority, unquoted path): how two spellings of one URI compare equal."""


def path_key(uri: str) -> PathKey:
    parts = urlsplit(uri)
    return parts.scheme.lower(), parts.netloc, unquote(parts.path)


@dataclass(frozen=True, slots=True)
class Target:
    uri: str
    blueprint: Blueprint
    section: Section | None
    """None when the link names the whole blueprint."""


class Workspace:
    """Snapshot: ``docs`` (uri -> Blueprint), ``root_uri``, ``config``, and indexes."""

    __slots__ = ("_docs", "root_uri", "config", "_ids", "_paths", "_root", "_lazy")

    def __init__(
        self,
        docs: dict[str, Blueprint],
        root_uri: str,
        config: FormatConfig,
        ids: dict[str, tuple[str, ...]],
        paths: dict[PathKey, str],
        lazy: dict[str, object] | None = None,
    ) -> None:
        self._docs = docs
        self.root_uri = root_uri
        self.config = config
        self._ids = ids
        self._paths = paths
        root = path_key(root_uri) if root_uri else None
        self._root = (root[0], root[1], root[2].rstrip("/")) if root else None
        self._lazy: dict[str, object] = lazy if lazy is not None else {}

    # -- building -------------------------------------------------------------------

    @classmethod
    def build(cls, blueprints: Iterable[Blueprint], root_uri: str, config: FormatConfig = DEFAULT_CONFIG) -> Workspace:
        docs = {bp.uri: bp for bp in blueprints}
        ids: dict[str, list[str]] = {}
        for uri in sorted(docs):
            ent_id = docs[uri].entity.id
            if ent_id is not None:
                ids.setdefault(ent_id, []).append(uri)
        paths = {path_key(uri): uri for uri in docs}
        return cls(docs, root_uri, config, {k: tuple(v) for k, v in ids.items()}, paths)

    def with_document(self, bp: Blueprint) -> Workspace:
        """A new snapshot in which ``bp`` replaces (or adds) the document at ``bp.uri``."""
        old = self._docs.get(bp.uri)
        docs = dict(self._docs)
        docs[bp.uri] = bp
        ids = self._ids
        old_id = old.entity.id if old is not None else None
        if old_id != bp.entity.id or old is None:
            ids = dict(ids)
            _drop_id(ids, old_id, bp.uri)
            _add_id(ids, bp.entity.id, bp.uri)
        paths = self._paths
        if old is None:
            paths = dict(paths)
            paths[path_key(bp.uri)] = bp.uri
        # Suggestions depend only on the set of ids: keep them when the id did not change.
        lazy: dict[str, object] = {}
        if old is not None and old_id == bp.entity.id:
            # Same documents, same ids: every other link resolves as before, so the
            # did-you-mean cache stays valid and the reverse index needs a local patch only.
            if "suggest" in self._lazy:
                lazy["suggest"] = self._lazy["suggest"]
            if "ids" in self._lazy:
                lazy["ids"] = self._lazy["ids"]
            if old.entity.title == bp.entity.title:
                # An edit below the front matter (most keystrokes): what is derived from the
                # ids and titles alone (completion's search index) stays valid.
                lazy.update((k, v) for k, v in self._lazy.items() if k.startswith(ENTITY_DERIVED))
        new = Workspace(docs, self.root_uri, self.config, ids, paths, lazy)
        if old is not None and old_id == bp.entity.id and "reverse" in self._lazy:
            lazy["reverse"] = new._patched_reverse(self, old, bp)
        return new

    def without(self, uri: str) -> Workspace:
        old = self._docs.get(uri)
        if old is None:
            return self
        docs = dict(self._docs)
        del docs[uri]
        ids = dict(self._ids)
        _drop_id(ids, old.entity.id, uri)
        paths = dict(self._paths)
        paths.pop(path_key(uri), None)
        return Workspace(docs, self.root_uri, self.config, ids, paths)

    # -- documents and entities -----------------------------------------------------

    @property
    def docs(self) -> Mapping[str, Blueprint]:
        return MappingProxyType(self._docs)

    def entity(self, entity_id: str) -> Blueprint | None:
        """The blueprint with this id; with duplicates, the first by URI order."""
        uris = self._ids.get(entity_id)
        return self._docs[uris[0]] if uris else None

    def entity_ids(self) -> list[str]:
        """Every id in the workspace, sorted (a cached list: do not modify it)."""
        ids = self._lazy.get("ids")
        if ids is None:
            ids = self._lazy["ids"] = sorted(self._ids)
        return ids  # type: ignore[return-value]

    def derived(self, name: str, build: Callable[[Workspace], _T]) -> _T:
        """``build(self)``, computed once per snapshot and cached on it (derived data for request
        logic outside the core). A name starting with ``ENTITY_DERIVED`` promises the value
        depends only on the ids and titles: ``with_document`` hands it to the next snapshot
        while those stay the same. Building it twice (a worker thread and the loop) is harmless."""
        found = self._lazy.get(name)
        if found is None:
            found = self._lazy[name] = build(self)
        return found  # type: ignore[return-value]

    def has_derived(self, name: str) -> bool:
        """True when ``derived(name, ...)`` would answer without building."""
        return name in self._lazy

    def uris_for_id(self, entity_id: str) -> tuple[str, ...]:
        return self._ids.get(entity_id, ())

    def anchors(self, uri: str) -> Mapping[str, Section]:
        """anchor -> section of one document (cached per snapshot)."""
        cache: dict[str, dict[str, Section]] = self._lazy.setdefault("anchors", {})  # type: ignore[assignment]
        found = cache.get(uri)
        if found is None:
            bp = self._docs.get(uri)
            found = {} if bp is None else {s.anchor: s for s in reversed(bp.sections)}
            cache[uri] = found
        return found

    def section(self, uri: str, anchor: str) -> Section | None:
        return self.anchors(uri).get(anchor)

    def suggestions_cache(self) -> dict[tuple[str, ...], object]:
        """Scratch space for checks' did-you-mean lists (kept while the ids stay the same)."""
        cache: dict[tuple[str, ...], object] = self._lazy.setdefault("suggest", {})  # type: ignore[assignment]
        if len(cache) > 10_000:  # one entry per distinct unknown name: bound a long session
            cache.clear()
        return cache

    # -- links ----------------------------------------------------------------------

    def link_leaves_workspace(self, link: Link, from_uri: str) -> bool:
        """True for a Markdown link whose path is absolute, a file: URL, or climbs above the root."""
        if link.kind is not LinkKind.MARKDOWN or link.path is None:
            return False
        return self._path_target(link.path, from_uri) is None

    def _path_target(self, path: str, from_uri: str) -> PathKey | None:
        """Where a relative path from ``from_uri`` points; None when that is outside the workspace."""
        if path.startswith("/") or path.lower().startswith("file:"):
            return None
        scheme, netloc, from_path = path_key(from_uri)
        target = posixpath.normpath(posixpath.join(posixpath.dirname(from_path), path))
        if self._root is not None:
            r_scheme, r_netloc, r_path = self._root
            if (scheme, netloc) != (r_scheme, r_netloc) or not target.startswith(r_path + "/"):
                return None
        return scheme, netloc, target

    def target_document(self, link: Link, from_uri: str) -> Blueprint | None:
        """The blueprint a link names (ignoring its anchor), or None when there is none."""
        if link.kind is LinkKind.MARKDOWN and link.path is not None:
            key = self._path_target(link.path, from_uri)
            uri = self._paths.get(key) if key is not None else None
            return self._docs.get(uri) if uri is not None else None
        if link.entity is None:
            return self._docs.get(from_uri)
        return self.entity(link.entity)

    def resolve(self, link: Link, from_uri: str) -> Target | None:
        """The document and section a link points at; None when either is missing."""
        bp = self.target_document(link, from_uri)
        if bp is None:
            return None
        if link.anchor is None:
            return Target(bp.uri, bp, None)
        section = self.section(bp.uri, link.anchor)
        if section is not None:
            return Target(bp.uri, bp, section)
        if link.anchor == bp.extra.get("title_anchor"):
            return Target(bp.uri, bp, None)  # the title's GitHub anchor: the top of the document
        return None

    def incoming(self, entity_id: str, anchor: str | None = None) -> list[tuple[str, Link]]:
        """Links that point at an entity (``anchor`` None) or at one of its sections.

        With ``anchor`` None: every link whose target document is this entity's,
        whatever its anchor, including anchors that do not exist (so a rename of
        the id reaches them too). With an anchor: the links naming exactly that
        anchor of this entity. Sorted by source URI, then position.
        """
        bp = self.entity(entity_id)
        if bp is None:
            return []
        by_source = self._reverse().get(bp.uri, {})
        found = [(uri, link) for uri in sorted(by_source) for link in by_source[uri]]
        if anchor is None:
            return found
        return [(uri, link) for uri, link in found if link.anchor == anchor]

    def incoming_ready(self) -> bool:
        """True when ``incoming`` answers from an index already built (it builds it otherwise:
        O(all links), a second at 10,000 files)."""
        return "reverse" in self._lazy

    def _reverse(self) -> dict[str, dict[str, tuple[Link, ...]]]:
        """target uri -> {source uri -> links from it to the target, in document order}."""
        rev = self._lazy.get("reverse")
        if rev is None:
            rev = {}
            for uri, bp in self._docs.items():
                for target, links in self._links_by_target(bp).items():
                    rev.setdefault(target, {})[uri] = links
            self._lazy["reverse"] = rev
        return rev  # type: ignore[return-value]

    def _links_by_target(self, bp: Blueprint) -> dict[str, tuple[Link, ...]]:
        grouped: dict[str, list[Link]] = {}
        for link in bp.links:
            target = self.target_document(link, bp.uri)
            if target is not None:
                grouped.setdefault(target.uri, []).append(link)
        return {t: tuple(links) for t, links in grouped.items()}

    def _patched_reverse(self, before: Workspace, old: Blueprint, bp: Blueprint) -> dict[str, dict[str, tuple[Link, ...]]]:
        """``before``'s reverse index with ``old``'s links replaced by ``bp``'s (copy on write)."""
        rev = dict(before._reverse())
        for target in before._links_by_target(old):
            inner = dict(rev[target])
            inner.pop(old.uri, None)
            rev[target] = inner
        for target, links in self._links_by_target(bp).items():
            inner = dict(rev.get(target, {}))
            inner[bp.uri] = links
            rev[target] = inner
        return {t: inner for t, inner in rev.items() if inner}

    # -- hierarchy ------------------------------------------------------------------

    def ancestors(self, entity_id: str) -> list[Blueprint]:
        """Parent, grandparent... nearest first; stops at an unknown parent or a cycle."""
        bp = self.entity(entity_id)
        out: list[Blueprint] = []
        seen = {entity_id}
        parent = bp.entity.parent if bp is not None else None
        while parent is not None and parent not in seen:
            seen.add(parent)
            up = self.entity(parent)
            if up is None:
                break
            out.append(up)
            parent = up.entity.parent
        return out

    def children(self, entity_id: str) -> list[Blueprint]:
        """Blueprints whose `parent:` is this id, by URI order."""
        index = self._lazy.get("children")
        if index is None:
            index = {}
            for uri in sorted(self._docs):
                parent = self._docs[uri].entity.parent
                if parent is not None:
                    index.setdefault(parent, []).append(self._docs[uri])
            self._lazy["children"] = index
        return list(index.get(entity_id, []))  # type: ignore[union-attr]

    def breadcrumbs(self, uri: str, section: Section | None = None) -> list[str]:
        """Titles from the top ancestor down to the entity, then its enclosing sections."""
        bp = self._docs.get(uri)
        if bp is None:
            return []
        chain = list(reversed(self.ancestors(bp.entity.id))) if bp.entity.id else []
        crumbs = [display_title(b) for b in chain] + [display_title(bp)]
        trail: list[str] = []
        seen: set[int] = set()
        while section is not None and section.index not in seen:
            seen.add(section.index)
            trail.append(section.title)
            section = bp.sections[section.parent] if section.parent is not None and section.parent < len(bp.sections) else None
        return crumbs + trail[::-1]


def display_title(bp: Blueprint) -> str:
    """What to call a blueprint in a list: its title, else its id, else its file name."""
    if bp.entity.title:
        return bp.entity.title
    if bp.entity.id:
        return bp.entity.id
    return posixpath.basename(unquote(urlsplit(bp.uri).path)) or bp.uri


def _drop_id(ids: dict[str, tuple[str, ...]], ent_id: str | None, uri: str) -> None:
    if ent_id is None or ent_id not in ids:
        return
    rest = tuple(u for u in ids[ent_id] if u != uri)
    if rest:
        ids[ent_id] = rest
    else:
        del ids[ent_id]


def _add_id(ids: dict[str, tuple[str, ...]], ent_id: str | None, uri: str) -> None:
    if ent_id is None:
        return
    ids[ent_id] = tuple(sorted({*ids.get(ent_id, ()), uri}))
