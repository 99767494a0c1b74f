"""Reading a workspace from disk: its settings (`clm.toml`) and its blueprint files.

This is the one place that decides which files belong to a workspace, so the
checker, the indexer and the server agree. Confinement rules live here too:
nothing outside the root is read, symlinks that leave the root are skipped,
and a file is never read past the size limit.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

from clm_lsp.blueprint import DEFAULT_CONFIG, FormatConfig, Workspace, parse

log = logging.getLogger(__name__)

BLUEPRINT_SUFFIX = ".blueprint.md"
SETTINGS_FILE = "clm.toml"
# Folders that never hold a user's blueprints and can be huge.
SKIP_DIRS = frozenset({".clm", ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__"})


@dataclass(frozen=True)
class WorkspaceSettings:
    format: FormatConfig = DEFAULT_CONFIG
    include: tuple[str, ...] = ("**/*.blueprint.md",)
    exclude: tuple[str, ...] = ()
    raw: dict = field(default_factory=dict)
    """The whole parsed clm.toml, for sections other layers read (model, context...)."""
    messages: tuple[str, ...] = ()
    """Problems found in clm.toml, each one line for a person."""


def load_settings(root: Path) -> WorkspaceSettings:
    """Read `clm.toml` at the root; a bad file or value warns and keeps the default."""
    path = root / SETTINGS_FILE
    if not path.is_file():
        return WorkspaceSettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return WorkspaceSettings(messages=(f"{path}: ignored, not valid TOML ({exc})",))
    ws = data.get("workspace", {})
    if not isinstance(ws, dict):
        return WorkspaceSettings(raw=data, messages=(f"{path}: [workspace] must be a table; using defaults",))
    fmt, messages = DEFAULT_CONFIG, []

    scales = ws.get("scales")
    if scales is not None:
        if isinstance(scales, list) and scales and all(isinstance(s, str) and s for s in scales):
            fmt = replace(fmt, scales=tuple(scales))
        else:
            messages.append(f"{path}: workspace.scales must be a non-empty list of names; using the default scales")
    max_bytes = ws.get("max_file_bytes")
    if max_bytes is not None:
        if isinstance(max_bytes, int) and not isinstance(max_bytes, bool) and max_bytes > 0:
            fmt = replace(fmt, max_bytes=max_bytes)
        else:
            messages.append(f"{path}: workspace.max_file_bytes must be a positive integer; using {fmt.max_bytes}")

    def globs(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = ws.get(key)
        if value is None:
            return default
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        messages.append(f"{path}: workspace.{key} must be a list of glob strings; ignored")
        return default

    return WorkspaceSettings(
        format=fmt,
        include=globs("include", WorkspaceSettings.include),
        exclude=globs("exclude", ()),
        raw=data,
        messages=tuple(messages),
    )


def _matches(rel: str, patterns: tuple[str, ...]) -> bool:
    # fnmatch's `*` crosses `/`, so `**/*.blueprint.md` also matches top-level
    # files once the leading `**/` is optional: try both forms.
    for pat in patterns:
        if fnmatch.fnmatchcase(rel, pat):
            return True
        if pat.startswith("**/") and fnmatch.fnmatchcase(rel, pat[3:]):
            return True
    return False


def is_selected(rel: str, settings: WorkspaceSettings) -> bool:
    """True when the workspace-relative posix path passes clm.toml's include and exclude globs."""
    return _matches(rel, settings.include) and not _matches(rel, settings.exclude)


def is_inside(path: Path, root: Path) -> bool:
    """True when `path`, with symlinks resolved, lies inside `root`."""
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False


def iter_blueprint_files(root: Path, settings: WorkspaceSettings | None = None) -> Iterator[Path]:
    """Every blueprint file of the workspace, in a stable (sorted) order.

    Directory symlinks are not followed (no loops, no escape); file symlinks
    are taken only when their target is inside the root.
    """
    settings = settings or WorkspaceSettings()
    root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=lambda e: log.warning("%s", e)):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if not name.endswith(BLUEPRINT_SUFFIX):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if not is_selected(rel, settings):
                continue
            if path.is_symlink() and not is_inside(path, root):
                log.info("skipping %s: symlink leads outside the workspace", rel)
                continue
            yield path


def read_limited(path: Path, max_bytes: int) -> bytes:
    """At most max_bytes + 1 bytes: enough for the parser to see the file is too large
    without reading a 50 MB file into memory."""
    with open(path, "rb") as f:
        return f.read(max_bytes + 1)


def load_workspace(root: Path, settings: WorkspaceSettings | None = None) -> tuple[Workspace, WorkspaceSettings]:
    """Parse every blueprint under root into an immutable Workspace snapshot."""
    root = root.resolve()
    settings = settings or load_settings(root)
    docs = []
    for path in iter_blueprint_files(root, settings):
        try:
            data = read_limited(path, settings.format.max_bytes)
        except OSError as exc:
            log.warning("cannot read %s: %s", path, exc)
            continue
        blueprint, _problems = parse(data, path.as_uri(), settings.format)
        docs.append(blueprint)
    return Workspace.build(docs, root.as_uri(), settings.format), settings
