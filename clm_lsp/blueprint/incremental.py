"""Re-parse after an edit, re-scanning only what the edit can change.

A keystroke in a 300 KB blueprint must not cost a full parse (tens of ms on the
server's event loop). ``reparse`` takes the previous parse (its Blueprint and the
``Parts`` kept beside it) and the new lines, with how far the change can reach:
the lines before ``lo`` and the last ``tail`` lines are the old ones. It returns a
Blueprint equal to ``parse(text)`` (tests/blueprint/test_bp_incremental.py checks
exactly that on random documents and edits), or None when the caller must parse
from scratch.

How: the block scanner leaves a mark after each blank line outside fences and
HTML blocks; there its whole state is the open list items' indents. The re-scan
starts after the last mark before the change, and stops at the first mark past
the change where the old scan had a mark on the same (shifted) line with the same
list indents: from there on the old scan's headings and link runs hold, moved by
the change in line count. An edit that opens a fence or an HTML block finds no
such mark and re-scans to the end (a full scan's cost, still no full parse of the
front matter). Links are read again only in the re-scanned runs; the others are
moved. The section tree is built again from the headings (cheap: one hash per
section over text already in memory). The front matter is kept when the change
starts below it; a change on its lines, or on the first line, re-parses everything.
"""

from __future__ import annotations

import bisect
from dataclasses import replace

from .blocks import Heading, Scan, rescan_from
from .config import FormatConfig
from .model import Blueprint, Link, Position, Problem, Range, Section
from .parser import Parts, _links, assemble, too_large_or_binary
from .positions import split_lines
from .sections import SectionTree, build_sections, section_body


def _mark_line(mark: tuple) -> int:
    return mark[0]


def _start_line(item: Link | Problem) -> int:
    return item.range.start.line


def reparse(
    old_bp: Blueprint, old: Parts, text: str, lines: list[str], lo: int, tail: int, config: FormatConfig
) -> tuple[Blueprint, Parts] | None:
    """The parse of ``text`` (split into ``lines``), from the parse of an earlier text whose
    first ``lo`` lines and last ``tail`` lines it shares; None: parse it from scratch."""
    fm = old.fm
    if fm.front_matter is None:
        if lo < 1:
            return None  # the first line decides whether there is front matter at all
    elif fm.front_matter.range.end.line < 1 or lo < fm.body_start:
        return None  # front matter changed, or not terminated (any later line may close it)
    n_old, n_new = len(old.lines), len(lines)
    tail = min(tail, n_old - lo, n_new - lo)
    if tail < 0:
        return None
    delta = n_new - n_old
    dirty_end = n_new - tail  # first new line of the unchanged tail
    # The old text had no NUL (else no parts), so only the changed lines can bring one.
    if any("\x00" in line for line in lines[lo:dirty_end]):
        return None
    if len(text) > config.max_bytes // 4 and too_large_or_binary(text, old_bp.uri, config) is not None:
        return None

    old_scan = old.scan
    k = bisect.bisect_left(old_scan.marks, lo, key=_mark_line) - 1
    found: list[int] = []

    def stop(mark: tuple) -> bool:
        line = mark[0]
        if line < dirty_end:
            return False
        j = bisect.bisect_left(old_scan.marks, line - delta, key=_mark_line)
        if j < len(old_scan.marks) and old_scan.marks[j][0] == line - delta and old_scan.marks[j][1] == mark[1]:
            found.append(j)
            return True
        return False

    fresh = rescan_from(lines, old_scan, k, fm.body_start, stop)
    first = old_scan.marks[k][0] + 1 if k >= 0 else fm.body_start  # first re-scanned line
    runs_before = old_scan.marks[k][3] if k >= 0 else 0
    old_h = new_h = -1
    if fresh.stopped is None:
        scan, old_resume = fresh, n_old  # scanned to the end: nothing of the old scan after
        new_runs = fresh.runs[runs_before:]
    else:
        j = found[-1]
        old_line, _lists, old_h, old_r = old_scan.marks[j]
        new_h, new_r = fresh.stopped[2], fresh.stopped[3]
        new_runs = fresh.runs[runs_before:new_r]
        headings = fresh.headings + [_shift_heading(h, delta) for h in old_scan.headings[old_h:]]
        runs = fresh.runs + [(a + delta, b + delta) for a, b in old_scan.runs[old_r:]]
        marks = fresh.marks + [(m[0] + delta, m[1], m[2] - old_h + new_h, m[3] - old_r + new_r) for m in old_scan.marks[j + 1 :]]
        scan, old_resume = Scan(headings, runs, marks), old_line

    heads_before = old_scan.marks[k][2] if k >= 0 else 0
    if fresh.stopped is not None and old_h == heads_before and new_h == heads_before:
        # No heading in the re-scanned lines, before or after: the same sections, moved.
        tree = _moved_tree(old.tree, lines, first, old_resume, delta)
    else:
        tree = build_sections(scan.headings, lines, old_bp.uri)
    mid_problems: list[Problem] = []
    mid_links = _links(lines, new_runs, tree.sections, mid_problems)
    heading_lines = [s.heading_range.start.line for s in tree.sections]
    links = _around(old_bp.links, first, old_resume, mid_links, lambda ln: _shift_link(ln, delta, heading_lines))
    link_problems = _around(old.link_problems, first, old_resume, mid_problems, lambda p: _shift_problem(p, delta))
    bp = assemble(text, old_bp.uri, config, lines, fm, tree, links, link_problems)
    return bp, Parts(lines, fm, scan, tree, link_problems)


def reparse_text(old_bp: Blueprint, old: Parts, text: str, config: FormatConfig) -> tuple[Blueprint, Parts] | None:
    """``reparse`` for a whole new text: finds the shared first and last lines itself (O(lines))."""
    lines = split_lines(text)
    lo = 0
    limit = min(len(lines), len(old.lines))
    while lo < limit and lines[lo] == old.lines[lo]:
        lo += 1
    tail = 0
    while tail < limit - lo and lines[-1 - tail] == old.lines[-1 - tail]:
        tail += 1
    return reparse(old_bp, old, text, lines, lo, tail, config)


def _around(items, first: int, old_resume: int, middle: list, shift) -> list:  # type: ignore[no-untyped-def]
    """Old items on lines before ``first``, then ``middle``, then the old items from line
    ``old_resume`` on, moved (items are in line order)."""
    a = bisect.bisect_left(items, first, key=_start_line)
    b = bisect.bisect_left(items, old_resume, key=_start_line)
    return [*items[:a], *middle, *(shift(x) for x in items[b:])]


def _move(r: Range | None, delta: int) -> Range | None:
    if r is None or not delta:
        return r
    return Range(Position(r.start.line + delta, r.start.character), Position(r.end.line + delta, r.end.character))


def _shift_heading(h: Heading, delta: int) -> Heading:
    return Heading(h.level, h.first_line + delta, h.last_line + delta, h.text, h.text_col, h.setext)


def _shift_link(link: Link, delta: int, heading_lines: list[int]) -> Link:
    line = link.range.start.line + delta
    s = bisect.bisect_right(heading_lines, line) - 1
    section = s if s >= 0 else None
    if not delta and section == link.section:
        return link
    return replace(
        link,
        range=_move(link.range, delta),
        target_range=_move(link.target_range, delta),
        entity_range=_move(link.entity_range, delta),
        anchor_range=_move(link.anchor_range, delta),
        section=section,
    )


def _shift_problem(p: Problem, delta: int) -> Problem:
    return p if not delta else replace(p, range=_move(p.range, delta))


def _moved_tree(old: SectionTree, lines: list[str], first: int, old_resume: int, delta: int) -> SectionTree:
    """The section tree when no heading was in the changed lines: old lines before ``first``
    stay, those from ``old_resume`` on move by ``delta``; the one body holding the change
    is read again, and every subtree's end is taken from the new lines."""

    def at(line: int) -> int:
        return line if line < first else line + delta

    def move(r: Range | None) -> Range | None:
        if r is None or not delta or r.end.line < first:
            return r
        return Range(Position(at(r.start.line), r.start.character), Position(at(r.end.line), r.end.character))

    old_secs = old.sections
    n = len(lines)
    starts = [at(s.heading_range.start.line) for s in old_secs]
    ends = [n] * len(old_secs)  # first line after each section's subtree
    stack: list[int] = []
    for i, s in enumerate(old_secs):
        while stack and old_secs[stack[-1]].level >= s.level:
            ends[stack.pop()] = starts[i]
        stack.append(i)
    out: list[Section] = []
    for i, s in enumerate(old_secs):
        last = s.heading_range.end.line
        old_next = old_secs[i + 1].heading_range.start.line if i + 1 < len(old_secs) else n - delta
        heading_range = move(s.heading_range)
        assert heading_range is not None
        if old_next <= first or last + 1 >= old_resume:
            body_range, text, placeholder, digest = move(s.body_range), s.text, s.placeholder, s.content_hash
        else:  # the body holding the change
            next_start = starts[i + 1] if i + 1 < len(old_secs) else n
            body_range, text, placeholder, digest = section_body(s.level, s.title, at(last), next_start, lines, s.children)
        end = ends[i] - 1
        rng = Range(heading_range.start, Position(end, len(lines[end])))
        if heading_range is s.heading_range and body_range is s.body_range and rng == s.range:
            out.append(s)
            continue
        out.append(replace(s, heading_range=heading_range, anchor_range=move(s.anchor_range), body_range=body_range,
                           range=rng, text=text, placeholder=placeholder, content_hash=digest))
    problems = old.problems
    if delta:
        problems = [replace(p, range=move(p.range), related=tuple(replace(r, range=move(r.range)) for r in p.related)) for p in problems]
    return SectionTree(old.title, move(old.title_range), old.title_anchor, tuple(out), list(problems))
