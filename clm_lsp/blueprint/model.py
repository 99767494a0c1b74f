"""The blueprint data model: plain, immutable values produced by the parser.

Positions are 0-based (line, character) where ``character`` counts Unicode
code points (Python ``str`` indices within the line). The LSP boundary
converts them to the encoding the client negotiated (UTF-16 by default,
UTF-8 or UTF-32 when offered) with :mod:`clm_lsp.blueprint.positions`.
Keeping code points inside the core means slicing the text is always
correct, and only one place knows about encodings.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True, order=True)
class Position:
    line: int
    character: int


@dataclass(frozen=True, slots=True)
class Range:
    start: Position
    end: Position

    def contains(self, pos: Position) -> bool:
        """Inclusive of both ends, so a cursor just after a link still hits it."""
        return self.start <= pos <= self.end

    @staticmethod
    def of(line: int, start: int, end_line: int | None = None, end: int | None = None) -> "Range":
        return Range(Position(line, start), Position(line if end_line is None else end_line, start if end is None else end))


class Severity(enum.IntEnum):
    """Same numbers as LSP's DiagnosticSeverity, so conversion is trivial."""

    ERROR = 1
    WARNING = 2
    INFORMATION = 3
    HINT = 4


@dataclass(frozen=True, slots=True)
class Related:
    """A place elsewhere that explains a problem (the other duplicate, say)."""

    uri: str
    range: Range
    message: str


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    severity: Severity
    range: Range
    message: str
    related: tuple[Related, ...] = ()
    data: Any = None
    """Machine-readable details for quick fixes (a missing anchor, a suggestion...)."""


class SectionKind(str, enum.Enum):
    VISION = "vision"
    TIMESLICE = "timeslice"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class TimesliceDate:
    """`YYYY`, `YYYY-MM`, `YYYY-MM-DD` or `YYYY-Qn`."""

    raw: str
    year: int
    month: int | None = None
    day: int | None = None
    quarter: int | None = None

    @property
    def sort_key(self) -> tuple[int, int, int]:
        """The first day of the period the date names."""
        if self.quarter is not None:
            return (self.year, (self.quarter - 1) * 3 + 1, 1)
        return (self.year, self.month or 1, self.day or 1)


@dataclass(frozen=True, slots=True)
class Field:
    """One front matter key with the ranges of its key and its value."""

    key: str
    value: Any
    key_range: Range
    value_range: Range


@dataclass(frozen=True, slots=True)
class FrontMatter:
    fields: dict[str, Field]
    range: Range
    """From the opening `---` to the closing `---` inclusive."""
    ok: bool
    """False when the YAML could not be read (the problem says why)."""

    def get(self, key: str) -> Any:
        f = self.fields.get(key)
        return None if f is None else f.value


@dataclass(frozen=True, slots=True)
class Section:
    index: int
    """Position in ``Blueprint.sections`` (document order)."""
    level: int
    title: str
    anchor: str
    explicit_anchor: bool
    kind: SectionKind
    placeholder: bool
    """Body empty, only `TODO` or only `<!-- synthesize -->`: a synthesis target."""
    date: TimesliceDate | None
    heading_range: Range
    anchor_range: Range | None
    """The anchor text inside `{#...}` when explicit, else None."""
    body_range: Range
    """From the line after the heading to the end of this section's own body
    (before its first subsection or the next heading of the same or higher level)."""
    range: Range
    """Heading plus body plus subsections: what folding covers."""
    text: str
    """The section's own body text (not its subsections)."""
    content_hash: str
    """sha256 (hex, 16 chars) of level, title and body: unchanged text keeps its hash."""
    parent: int | None = None
    children: tuple[int, ...] = ()


class LinkKind(str, enum.Enum):
    WIKI = "wiki"
    MARKDOWN = "markdown"


@dataclass(frozen=True, slots=True)
class Link:
    kind: LinkKind
    raw: str
    range: Range
    """The whole link, `[[...]]` or `[text](...)`."""
    entity: str | None
    """Target entity id; None for a same-document link (`[[#anchor]]`)."""
    anchor: str | None
    alias: str | None
    target_range: Range
    """The part naming the target (inside the brackets, before `|`)."""
    entity_range: Range | None = None
    """The entity-id part of the target, for rename."""
    anchor_range: Range | None = None
    """The anchor part after `#`, for rename."""
    path: str | None = None
    """For Markdown links: the relative path as written (resolved by the workspace)."""
    section: int | None = None
    """Index of the section the link sits in (None: before the first section)."""


@dataclass(frozen=True, slots=True)
class Entity:
    id: str | None
    title: str | None
    scale: str | None
    parent: str | None
    status: str | None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Blueprint:
    uri: str
    text: str
    entity: Entity
    front_matter: FrontMatter | None
    title_range: Range | None
    """The `# Title` heading that names the document, if any."""
    sections: tuple[Section, ...]
    links: tuple[Link, ...]
    problems: tuple[Problem, ...]
    """What the parser found wrong with this file alone."""
    line_count: int = 0
    skipped: bool = False
    """True when the file was not parsed as a blueprint (binary, too large...)."""
    extra: dict[str, Any] = field(default_factory=dict)

    def section_by_anchor(self, anchor: str) -> Section | None:
        for s in self.sections:
            if s.anchor == anchor:
                return s
        return None

    @property
    def timeslices(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.kind is SectionKind.TIMESLICE)
