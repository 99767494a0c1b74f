"""Plain values the ide functions return; ``server.convert`` maps them to LSP types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clm_lsp.blueprint import Problem, Range


@dataclass(frozen=True, slots=True)
class Location:
    uri: str
    range: Range


@dataclass(frozen=True, slots=True)
class TextEdit:
    uri: str
    range: Range
    new_text: str


@dataclass(frozen=True, slots=True)
class EditPlan:
    """A workspace edit: files to create (empty), then text edits (possibly into them)."""

    edits: tuple[TextEdit, ...]
    creates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Fix:
    """One quick fix: a title for the menu, its edit, and the problem it fixes."""

    title: str
    plan: EditPlan
    problem: Problem | None = None
    preferred: bool = False


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an operation (rename) cannot be done, in words for the user."""

    message: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """One completion item, in core positions."""

    label: str
    kind: str
    """entity | anchor | scale | status | key"""
    detail: str
    insert_text: str
    range: Range
    """The text the item replaces."""
    sort_text: str
    filter_text: str
    data: dict[str, Any] = field(default_factory=dict)
    """What resolve needs to find the target again (stateless: uri and anchor)."""
