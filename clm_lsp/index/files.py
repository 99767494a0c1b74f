"""Which files the index covers, and what is on disk for them now.

Membership is `clm_lsp.workspace_io`'s decision (include/exclude globs, no
directory symlinks, no file symlinks leaving the root, `.clm/` and `.git/`
skipped), so the checker, the server and the index agree on the workspace.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from clm_lsp.workspace_io import (
    BLUEPRINT_SUFFIX,
    SKIP_DIRS,
    WorkspaceSettings,
    is_selected,  # the one glob rule of the project: reuse it rather than restate it
    is_inside,
    iter_blueprint_files,
    read_limited,
)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class DiskFile:
    rel: str
    path: Path
    mtime_ns: int
    size: int


class WorkspaceFiles:
    def __init__(self, root: Path, settings: WorkspaceSettings, max_bytes: int) -> None:
        self.root = root
        self.settings = settings
        self.max_bytes = max_bytes

    def walk(self) -> dict[str, Path]:
        """rel path -> path of every blueprint file of the workspace."""
        return {p.relative_to(self.root).as_posix(): p for p in iter_blueprint_files(self.root, self.settings)}

    def stat(self, rel: str, path: Path | None = None) -> DiskFile | None:
        path = path or self.root / rel
        try:
            st = path.stat()
        except (OSError, RuntimeError):  # vanished, a dangling symlink, a symlink loop
            return None
        if not os.path.isfile(path):
            return None
        return DiskFile(rel, path, st.st_mtime_ns, st.st_size)

    def read(self, path: Path) -> bytes | None:
        try:
            return read_limited(path, self.max_bytes)
        except OSError:
            return None

    def rel(self, path: str | os.PathLike[str]) -> str | None:
        """The workspace-relative path of a file the index covers; None for anything else."""
        p = Path(path)
        if not p.is_absolute():
            p = self.root / p
        p = Path(os.path.normpath(p))
        try:
            rel = p.relative_to(self.root).as_posix()
        except ValueError:
            # Maybe a spelling of the root through a symlink: compare resolved forms.
            try:
                rel = p.resolve().relative_to(self.root).as_posix()
            except (ValueError, OSError, RuntimeError):
                return None
        if rel == "." or rel.startswith("../"):
            return None
        return rel

    def is_member(self, rel: str) -> bool:
        """True when ``rel`` names a file the walk would include (it need not exist)."""
        if not rel.endswith(BLUEPRINT_SUFFIX):
            return False
        parts = rel.split("/")
        if any(part in SKIP_DIRS or part.startswith(".") for part in parts[:-1]):
            return False
        if not is_selected(rel, self.settings):
            return False
        # The walk never enters a symlinked folder, so a file below one is not a member.
        for i in range(1, len(parts)):
            if (self.root.joinpath(*parts[:i])).is_symlink():
                return False
        path = self.root / rel
        return not path.is_symlink() or is_inside(path, self.root)
