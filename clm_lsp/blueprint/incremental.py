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
from .model import Blueprint, Link, Position, Problem, Range
from .parser import Parts, _links, assemble, too_large_or_binary
from .positions import split_lines
from .sections import build_sections


def _mark_line(mark: tuple) -> int:
    return mark[0]


def _start_line(item: Link | Problem) -> int:
    return item.range.start.line


def reparse(
    old_bp: Blueprint, old: Parts, text: str, lines: list[str], lo: int, tail: int, config: FormatConfig
) -> tuple[Blueprint, Parts] | None:
    """The parse of ``text`` (split into ``lines``), from the parse of an earlier text whose
    first ``lo`` lines and last ``tail`` lines it shares; None: parse it from scratch."""
    if too_large_or_binary(text, old_bp.uri, config) is not None:
        return None
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

    tree = build_sections(scan.headings, lines, old_bp.uri)
    mid_problems: list[Problem] = []
    mid_links = _links(lines, new_runs, tree.sections, mid_problems)
    heading_lines = [s.heading_range.start.line for s in tree.sections]
    links = _around(old_bp.links, first, old_resume, mid_links, lambda ln: _shift_link(ln, delta, heading_lines))
    link_problems = _around(old.link_problems, first, old_resume, mid_problems, lambda p: _shift_problem(p, delta))
    bp = assemble(text, old_bp.uri, config, lines, fm, tree, links, link_problems)
    return bp, Parts(lines, fm, scan, link_problems)


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
