"""YAML front matter: find it, load it safely, and check its fields.

Safety: the YAML is first read as a stream of events, counting aliases and
nesting depth, and rejected (CLM026) before PyYAML composes anything when it
exceeds the limits. So a billion-laughs document or a 100 000-deep nesting
never becomes a structure in memory or a deep recursion. Only ``compose`` with
the safe loader runs after that; no tag is ever evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from . import codes
from .config import FormatConfig
from .model import Field, FrontMatter, Position, Problem, Range

try:  # libyaml is 10-50x faster; the pure-Python loader gives the same marks.
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

ID_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
STATUSES = ("draft", "active", "archived")
KNOWN_KEYS = ("id", "title", "scale", "parent", "status", "tags")
_OPEN = re.compile(r"---[ \t]*")
_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*")


@dataclass
class FrontMatterResult:
    front_matter: FrontMatter | None
    body_start: int
    """First line of the Markdown body."""
    problems: list[Problem] = field(default_factory=list)


def _problem(code: str, rng: Range, message: str, data: Any = None) -> Problem:
    return Problem(code, codes.severity(code), rng, message, data=data)


def read_front_matter(lines: list[str], config: FormatConfig) -> FrontMatterResult:
    """Locate and load the front matter at the top of ``lines``."""
    if not _OPEN.fullmatch(lines[0]):
        rng = Range.of(0, 0, 0, len(lines[0]))
        msg = "No front matter: a blueprint starts with a `---` line, then YAML with at least `id:` and `scale:`, then `---`."
        return FrontMatterResult(None, 0, [_problem(codes.NO_FRONT_MATTER, rng, msg)])
    close = next((i for i in range(1, len(lines)) if _CLOSE.fullmatch(lines[i])), None)
    if close is None:
        rng = Range.of(0, 0, 0, len(lines[0]))
        msg = "Front matter is not terminated: add a line `---` after the YAML fields."
        fm = FrontMatter({}, rng, ok=False)
        return FrontMatterResult(fm, 1, [_problem(codes.NO_FRONT_MATTER, rng, msg)])
    rng = Range.of(0, 0, close, len(lines[close]))
    result = FrontMatterResult(None, close + 1)
    fields, ok = _load_fields(lines[1:close], config, result.problems)
    result.front_matter = FrontMatter(fields, rng, ok=ok)
    return result


def _load_fields(yaml_lines: list[str], config: FormatConfig, problems: list[Problem]) -> tuple[dict[str, Field], bool]:
    source = "\n".join(yaml_lines)
    try:
        if _too_complex(source, config, problems):
            return {}, False
        node = yaml.compose(source, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        problems.append(_yaml_error(exc, yaml_lines))
        return {}, False
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        problems.append(_problem(codes.YAML_ERROR, Range.of(1, 0), f"Front matter is not valid YAML: {exc}"))
        return {}, False
    if node is None:
        return {}, True
    if not isinstance(node, yaml.MappingNode):
        rng = _node_range(node)
        problems.append(_problem(codes.YAML_ERROR, rng, "Front matter must be a mapping of `key: value` lines."))
        return {}, False
    return _fields_of(node, problems), True


def _depth_bound(source: str) -> int:
    """An upper bound on the YAML nesting depth, from characters alone.

    Every level of nesting needs a `[`, `{`, `-`, `?` or a deeper indent, so when
    this bound is within the limit (typical front matter) the event scan is skipped.
    """
    indent = max((len(line) - len(line.lstrip(" ")) for line in source.split("\n")), default=0)
    return sum(source.count(c) for c in "[{-?") + indent + 2


def _too_complex(source: str, config: FormatConfig, problems: list[Problem]) -> bool:
    """Count aliases and depth on the event stream, before anything is built.

    The C loader composes recursively in C: a very deep document must never reach it.
    """
    if "*" not in source and _depth_bound(source) <= config.max_yaml_depth:
        return False
    try:
        return _scan_events(source, config, problems)
    except yaml.MarkedYAMLError as exc:
        # libyaml >= 0.2.6 (PyYAML 6.0.3+ wheels) stops deep flow nesting itself,
        # while scanning ahead, before our event count reaches its own limit.
        if "nesting depth" not in str(exc.problem or ""):
            raise
        msg = f"Front matter is nested more than {config.max_yaml_depth} levels deep; it is not read."
        mark = exc.problem_mark or exc.context_mark
        problems.append(_problem(codes.YAML_TOO_COMPLEX, _mark_range(mark) if mark else Range.of(1, 0), msg))
        return True


def _scan_events(source: str, config: FormatConfig, problems: list[Problem]) -> bool:
    depth = aliases = 0
    for event in yaml.parse(source, Loader=_Loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > config.max_yaml_depth:
                msg = f"Front matter is nested more than {config.max_yaml_depth} levels deep; it is not read."
                problems.append(_problem(codes.YAML_TOO_COMPLEX, _mark_range(event.start_mark), msg))
                return True
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > config.max_yaml_aliases:
                msg = f"Front matter uses more than {config.max_yaml_aliases} YAML aliases (*name); it is not read."
                problems.append(_problem(codes.YAML_TOO_COMPLEX, _mark_range(event.start_mark), msg))
                return True
    return False


def _mark_pos(mark: Any) -> Position:
    # YAML line 0 is document line 1 (line 0 is the opening `---`).
    return Position(mark.line + 1, mark.column)


def _mark_range(mark: Any) -> Range:
    p = _mark_pos(mark)
    return Range(p, p)


def _node_range(node: yaml.Node) -> Range:
    return Range(_mark_pos(node.start_mark), _mark_pos(node.end_mark))


def _yaml_error(exc: yaml.MarkedYAMLError, yaml_lines: list[str]) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    what = exc.problem or "syntax error"
    if mark is None:
        return _problem(codes.YAML_ERROR, Range.of(1, 0), f"Front matter is not valid YAML: {what}")
    line = min(mark.line, max(len(yaml_lines) - 1, 0))
    col = min(mark.column, len(yaml_lines[line]) if yaml_lines else 0)
    end = len(yaml_lines[line]) if yaml_lines else 0
    context = f" ({exc.context})" if exc.context else ""
    rng = Range.of(line + 1, col, line + 1, max(col, end))
    return _problem(codes.YAML_ERROR, rng, f"Front matter is not valid YAML: {what}{context}")


def _fields_of(node: yaml.MappingNode, problems: list[Problem]) -> dict[str, Field]:
    constructor = yaml.SafeLoader("")  # a constructor with no stream: turns nodes into values
    fields: dict[str, Field] = {}
    for key_node, value_node in node.value:
        key_rng, value_rng = _node_range(key_node), _node_range(value_node)
        if not isinstance(key_node, yaml.ScalarNode):
            problems.append(_problem(codes.BAD_FIELD, key_rng, "Front matter keys must be plain names."))
            continue
        key = str(key_node.value)
        if key in fields:
            problems.append(_problem(codes.BAD_FIELD, key_rng, f"Front matter key '{key}' is repeated; the last value wins."))
        try:
            value = constructor.construct_object(value_node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
            why = exc.problem if isinstance(exc, yaml.MarkedYAMLError) and exc.problem else str(exc)
            problems.append(_problem(codes.BAD_FIELD, value_rng, f"Value of '{key}' cannot be read: {why}"))
            value = None
        fields[key] = Field(key, value, key_rng, value_rng)
    return fields
