"""Text -> Blueprint. Never raises: every defect of the input becomes a Problem."""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass
from typing import Any

from . import codes
from .blocks import Scan, scan_blocks
from .config import DEFAULT_CONFIG, FormatConfig
from .fields import entity_from
from .frontmatter import FrontMatterResult, read_front_matter
from .inline import RawLink, classify_destination, find_links, parse_wiki_target
from .model import Blueprint, Entity, Link, LinkKind, Position, Problem, Range, Section
from .positions import split_lines
from .sections import SectionTree, build_sections

log = logging.getLogger(__name__)
_BOM = "\ufeff"


def _problem(code: str, rng: Range, message: str, data: Any = None) -> Problem:
    return Problem(code, codes.severity(code), rng, message, data=data)


def parse(text: str | bytes, uri: str, config: FormatConfig = DEFAULT_CONFIG) -> tuple[Blueprint, tuple[Problem, ...]]:
    """Parse one blueprint. The problems are also in ``blueprint.problems``."""
    try:
        bp = _parse(text, uri, config)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a bug must not kill the caller
        log.exception("blueprint parser failed on %s", uri)
        msg = f"Internal error while reading this file ({type(exc).__name__}: {exc}); please report it. The file is skipped."
        shown = text if isinstance(text, str) else ""
        bp = _skipped(uri, shown, _problem(codes.INTERNAL_ERROR, Range.of(0, 0), msg))
    return bp, bp.problems


def _skipped(uri: str, text: str, problem: Problem) -> Blueprint:
    return Blueprint(
        uri=uri,
        text=text,
        entity=Entity(None, None, None, None, None),
        front_matter=None,
        title_range=None,
        sections=(),
        links=(),
        problems=(problem,),
        line_count=len(split_lines(text)) if text else 1,
        skipped=True,
    )


def _decode(data: bytes, uri: str, config: FormatConfig) -> str | Blueprint:
    if len(data) > config.max_bytes:
        msg = f"File is {len(data):,} bytes, over the {config.max_bytes:,}-byte limit; it is not analysed."
        return _skipped(uri, "", _problem(codes.TOO_LARGE, Range.of(0, 0), msg))
    if b"\x00" in data:
        where = data.index(b"\x00")
        msg = f"File contains NUL bytes (offset {where}): it looks binary, not a UTF-8 blueprint; skipped."
        return _skipped(uri, "", _problem(codes.NOT_TEXT, Range.of(0, 0), msg))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8")
        lines = split_lines(good)
        pos = Range.of(len(lines) - 1, len(lines[-1]))
        msg = f"File is not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at byte offset {exc.start}); skipped."
        return _skipped(uri, "", _problem(codes.NOT_TEXT, pos, msg))


def _parse(text: str | bytes, uri: str, config: FormatConfig) -> Blueprint:
    return parse_parts(text, uri, config)[0]


@dataclass(slots=True)
class Parts:
    """What a parse found on the way, kept so the next edit can re-parse only what it touched
    (incremental.py). Never shared: a new parse makes new parts."""

    lines: list[str]
    fm: FrontMatterResult
    scan: Scan
    tree: SectionTree
    link_problems: list[Problem]
    """Problems found while reading links (in the order a full parse finds them)."""


def parse_parts(text: str | bytes, uri: str, config: FormatConfig) -> tuple[Blueprint, Parts | None]:
    """``parse`` without the last line of defence, with its parts (None for a skipped file)."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        decoded = _decode(bytes(text), uri, config)
        if isinstance(decoded, Blueprint):
            return decoded, None
        text = decoded
    skipped = too_large_or_binary(text, uri, config)
    if skipped is not None:
        return skipped, None
    lines = split_lines(text)
    # An editor may hand us a BOM it did not show; the front matter test must not trip on it.
    fm_lines = [lines[0].removeprefix(_BOM), *lines[1:]] if lines[0].startswith(_BOM) else lines
    fm = read_front_matter(fm_lines, config)
    scan = scan_blocks(lines, fm.body_start)
    tree = build_sections(scan.headings, lines, uri)
    link_problems: list[Problem] = []
    links = _links(lines, scan.runs, tree.sections, link_problems)
    bp = assemble(text, uri, config, lines, fm, tree, links, link_problems)
    return bp, Parts(lines, fm, scan, tree, link_problems)


def too_large_or_binary(text: str, uri: str, config: FormatConfig) -> Blueprint | None:
    if len(text) > config.max_bytes // 4 and len(text.encode("utf-8", "surrogatepass")) > config.max_bytes:
        msg = f"File is over the {config.max_bytes:,}-byte limit; it is not analysed."
        return _skipped(uri, text, _problem(codes.TOO_LARGE, Range.of(0, 0), msg))
    if "\x00" in text:
        msg = "File contains NUL characters: it looks binary, not a blueprint; skipped."
        return _skipped(uri, text, _problem(codes.NOT_TEXT, Range.of(0, 0), msg))
    return None


def assemble(
    text: str,
    uri: str,
    config: FormatConfig,
    lines: list[str],
    fm: FrontMatterResult,
    tree: SectionTree,
    links: list[Link],
    link_problems: list[Problem],
) -> Blueprint:
    """The Blueprint from its parts; the problems in the one order every parse gives them."""
    entity, field_problems = entity_from(fm.front_matter, tree.title, config)
    problems: list[Problem] = [*fm.problems, *field_problems, *tree.problems]
    if entity.title is None and tree.title_range is None:
        msg = "No title: start the body with a `# Title` heading, or add `title:` to the front matter."
        problems.append(_problem(codes.TITLE, Range.of(fm.body_start if fm.body_start < len(lines) else 0, 0), msg))
    problems.extend(link_problems)
    problems.sort(key=lambda p: (p.range.start, p.code))
    extra: dict[str, Any] = {}
    if tree.title_anchor is not None:
        extra["title_anchor"] = tree.title_anchor
    return Blueprint(
        uri=uri,
        text=text,
        entity=entity,
        front_matter=fm.front_matter,
        title_range=tree.title_range,
        sections=tree.sections,
        links=tuple(links),
        problems=tuple(problems),
        line_count=len(lines),
        extra=extra,
    )


class _LineSpan:
    """Maps offsets of one link (a link never spans lines) to positions on its line."""

    __slots__ = ("line", "base")

    def __init__(self, line: int, base: int) -> None:
        self.line = line
        self.base = base  # offset of the line's first character in the run text

    def range(self, start: int, end: int) -> Range:
        return Range(Position(self.line, start - self.base), Position(self.line, end - self.base))


def _line_starts(lines: list[str], first: int, end: int) -> list[int]:
    starts: list[int] = []
    offset = 0
    for i in range(first, end):
        starts.append(offset)
        offset += len(lines[i]) + 1
    return starts


def _links(lines: list[str], runs: list[tuple[int, int]], sections: tuple[Section, ...], problems: list[Problem]) -> list[Link]:
    heading_lines = [s.heading_range.start.line for s in sections]
    out: list[Link] = []
    for first, end in runs:
        text = lines[first] if end - first == 1 else "\n".join(lines[first:end])
        raws = find_links(text)
        if not raws:
            continue
        starts = _line_starts(lines, first, end) if end - first > 1 else [0]
        for raw in raws:
            k = bisect.bisect_right(starts, raw.start) - 1
            where = _LineSpan(first + k, starts[k])
            s = bisect.bisect_right(heading_lines, first + k) - 1
            section = s if s >= 0 else None
            link = _wiki_link(raw, text, where, section, problems) if raw.wiki else _markdown_link(raw, text, where, section)
            if link is not None:
                out.append(link)
    return out


def _wiki_link(raw: RawLink, text: str, where: _LineSpan, section: int | None, problems: list[Problem]) -> Link | None:
    target = parse_wiki_target(raw.target)
    target_range = where.range(raw.target_start, raw.target_start + len(raw.target))
    if target.error is not None:
        problems.append(_problem(codes.MALFORMED_LINK, where.range(raw.start, raw.end), f"Malformed link: {target.error}."))
        return None
    lead = len(raw.target) - len(raw.target.lstrip())
    entity_start = raw.target_start + lead
    entity_range = where.range(entity_start, entity_start + len(target.entity)) if target.entity else None
    anchor_range = None
    if target.anchor is not None:
        anchor_start = entity_start + len(target.entity or "") + 1
        anchor_range = where.range(anchor_start, anchor_start + len(target.anchor))
    return Link(
        kind=LinkKind.WIKI,
        raw=text[raw.start : raw.end],
        range=where.range(raw.start, raw.end),
        entity=target.entity,
        anchor=target.anchor,
        alias=raw.alias,
        target_range=target_range,
        entity_range=entity_range,
        anchor_range=anchor_range,
        section=section,
    )


def _markdown_link(raw: RawLink, text: str, where: _LineSpan, section: int | None) -> Link | None:
    dest = classify_destination(raw.target)
    if dest.kind in ("external", "other"):
        return None
    anchor_range = None
    if dest.anchor is not None and dest.anchor_offset >= 0:
        a = raw.target_start + dest.anchor_offset
        anchor_range = where.range(a, raw.target_start + len(raw.target))
    return Link(
        kind=LinkKind.MARKDOWN,
        raw=text[raw.start : raw.end],
        range=where.range(raw.start, raw.end),
        entity=None,
        anchor=dest.anchor,
        alias=raw.alias,
        target_range=where.range(raw.target_start, raw.target_start + len(raw.target)),
        entity_range=None,
        anchor_range=anchor_range,
        path=dest.path,
        section=section,
    )
