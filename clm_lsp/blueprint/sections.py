"""Headings -> the title and the Section tree (anchors, kinds, dates, ranges, hashes)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from . import codes
from .blocks import Heading
from .dates import parse_date
from .model import Position, Problem, Range, Related, Section, SectionKind, TimesliceDate
from .slugs import Slugger, slug_of_heading, split_explicit_anchor

_TIMESLICE = re.compile(r"timeslice(?:[ \t]+(.*))?", re.IGNORECASE | re.DOTALL)
_PLACEHOLDERS = ("", "TODO", "<!--synthesize-->")


@dataclass(slots=True)
class _Named:
    """A heading with its title and anchor worked out."""

    h: Heading
    title: str
    explicit: str | None
    anchor_range: Range | None
    anchor: str = ""


@dataclass(slots=True)
class SectionTree:
    title: str | None
    title_range: Range | None
    title_anchor: str | None
    sections: tuple[Section, ...]
    problems: list[Problem] = field(default_factory=list)


def _problem(code: str, rng: Range, message: str, related: tuple[Related, ...] = ()) -> Problem:
    return Problem(code, codes.severity(code), rng, message, related=related)


def _name(h: Heading, lines: list[str]) -> _Named:
    text, explicit, col = split_explicit_anchor(h.text)
    anchor_range = None
    if explicit is not None and col is not None:
        line = h.first_line + text.count("\n")
        before = h.text[:col]
        start_in_line = col - (before.rfind("\n") + 1)
        if line == h.first_line:
            start_in_line += h.text_col
        else:  # setext text lines were stripped: add the line's own indent back
            src = lines[line]
            start_in_line += len(src) - len(src.lstrip(" \t"))
        anchor_range = Range.of(line, start_in_line, line, start_in_line + len(explicit))
    title = " ".join(part.strip() for part in text.split("\n")).strip()
    return _Named(h, title, explicit, anchor_range)


def _heading_range(h: Heading, lines: list[str]) -> Range:
    first = lines[h.first_line]
    return Range.of(h.first_line, len(first) - len(first.lstrip(" \t")), h.last_line, len(lines[h.last_line]))


def _assign_anchors(named: list[_Named], lines: list[str], uri: str, problems: list[Problem]) -> None:
    slugger = Slugger()
    first_use: dict[str, _Named] = {}
    duplicates: set[int] = set()
    for i, n in enumerate(named):
        if n.explicit is None:
            continue
        if not slugger.reserve(n.explicit):
            duplicates.add(i)
            other = first_use[n.explicit]
            related = (Related(uri, other.anchor_range or _heading_range(other.h, lines), "first use of this anchor"),)
            msg = f"The anchor '{n.explicit}' is already used by the heading '{other.title}'; anchors must be unique in a file."
            problems.append(_problem(codes.DUPLICATE_ANCHOR, n.anchor_range or Range.of(n.h.first_line, 0), msg, related))
        else:
            first_use[n.explicit] = n
    for i, n in enumerate(named):
        if n.explicit is not None and i not in duplicates:
            n.anchor = n.explicit
        else:
            # A colliding explicit anchor gets a suffix so anchors stay unique within a file.
            n.anchor = slugger.unique(n.explicit if n.explicit is not None else slug_of_heading(n.title))


def build_sections(headings: list[Heading], lines: list[str], uri: str) -> SectionTree:
    problems: list[Problem] = []
    named = [_name(h, lines) for h in headings]
    _assign_anchors(named, lines, uri, problems)
    title_named = named[0] if named and named[0].h.level == 1 else None
    body = named[1:] if title_named is not None else named
    title_range = _heading_range(title_named.h, lines) if title_named else None
    for n in named:
        if not n.title:
            msg = "Heading without text: write a title after the #s (it names the section and its anchor)."
            problems.append(_problem(codes.EMPTY_HEADING, _heading_range(n.h, lines), msg))
    sections = _make_sections(body, lines, problems)
    return SectionTree(
        title=(title_named.title or None) if title_named else None,
        title_range=title_range,
        title_anchor=title_named.anchor if title_named else None,
        sections=sections,
        problems=problems,
    )


def _kind_and_date(n: _Named, problems: list[Problem]) -> tuple[SectionKind, TimesliceDate | None]:
    if n.h.level != 2:
        return SectionKind.OTHER, None
    if n.title.lower() == "vision":
        return SectionKind.VISION, None
    m = _TIMESLICE.fullmatch(n.title)
    if m is None:
        return SectionKind.OTHER, None
    raw = (m.group(1) or "").strip()
    date = parse_date(raw)
    if date is None:
        rng = _date_range(n, raw)
        msg = (
            f"The date '{raw}' is not a timeslice date: use YYYY, YYYY-MM, YYYY-MM-DD or YYYY-Qn (e.g. 2025-Q2)."
            if raw
            else "This timeslice has no date: write `## Timeslice YYYY-MM-DD` (or YYYY, YYYY-MM, YYYY-Qn)."
        )
        problems.append(_problem(codes.BAD_DATE, rng, msg))
    return SectionKind.TIMESLICE, date


def _date_range(n: _Named, raw: str) -> Range:
    h = n.h
    if raw and not h.setext:
        col = h.text.find(raw)
        if col >= 0:
            return Range.of(h.first_line, h.text_col + col, h.first_line, h.text_col + col + len(raw))
    return Range.of(h.first_line, h.text_col, h.first_line, h.text_col + len(h.text.split("\n")[0]))


def _line_end(lines: list[str], line: int) -> Position:
    return Position(line, len(lines[line]))


def _make_sections(body: list[_Named], lines: list[str], problems: list[Problem]) -> tuple[Section, ...]:
    parents: list[int | None] = []
    ends = [len(lines)] * len(body)  # first line after each section's subtree
    stack: list[int] = []
    for i, n in enumerate(body):
        while stack and body[stack[-1]].h.level >= n.h.level:
            ends[stack.pop()] = n.h.first_line
        parents.append(stack[-1] if stack else None)
        stack.append(i)
    children: list[list[int]] = [[] for _ in body]
    for i, p in enumerate(parents):
        if p is not None:
            children[p].append(i)
    out = []
    for i, n in enumerate(body):
        kind, date = _kind_and_date(n, problems)
        out.append(_section(i, n, body, lines, kind, date, parents[i], tuple(children[i]), ends[i]))
    return tuple(out)


def _own_text(own: list[str]) -> str:
    """The body lines without leading and trailing blank lines."""
    end = len(own)
    while end and not own[end - 1].strip():
        end -= 1
    first = 0
    while first < end and not own[first].strip():
        first += 1
    return "\n".join(own[first:end])


def _section(
    i: int,
    n: _Named,
    body: list[_Named],
    lines: list[str],
    kind: SectionKind,
    date: TimesliceDate | None,
    parent: int | None,
    kids: tuple[int, ...],
    end_all: int,
) -> Section:
    h = n.h
    next_start = body[i + 1].h.first_line if i + 1 < len(body) else len(lines)
    body_range, text, placeholder, digest = section_body(h.level, n.title, h.last_line, next_start, lines, kids)
    heading_range = _heading_range(h, lines)
    return Section(
        index=i,
        level=h.level,
        title=n.title,
        anchor=n.anchor,
        explicit_anchor=n.explicit is not None and n.anchor == n.explicit,
        kind=kind,
        placeholder=placeholder,
        date=date,
        heading_range=heading_range,
        anchor_range=n.anchor_range,
        body_range=body_range,
        range=Range(heading_range.start, _line_end(lines, end_all - 1)),
        text=text,
        content_hash=digest,
        parent=parent,
        children=kids,
    )


def section_body(level: int, title: str, last_line: int, next_start: int, lines: list[str], kids: tuple[int, ...]) -> tuple[Range, str, bool, str]:
    """A section's own body from the heading's last line to the next heading: its range,
    text, placeholder flag and content hash (also used by the incremental re-parse)."""
    if next_start > last_line + 1:
        start, body_end = Position(last_line + 1, 0), _line_end(lines, next_start - 1)
    else:  # no body lines at all: an empty range at the end of the heading
        start = body_end = _line_end(lines, last_line)
    text = _own_text(lines[last_line + 1 : next_start])
    # Only a short body can be a placeholder: skip the whitespace squeeze for real text.
    compact = "".join(text.split()) if len(text) < 64 else text
    placeholder = compact in _PLACEHOLDERS and (compact != "" or not kids)
    digest = hashlib.sha256(f"{level}\n{title}\n{text}".encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return Range(start, body_end), text, placeholder, digest
