"""Zoom-in: from a line of a rendered context back to the full text it stands for.

Stateless on purpose: the view's own text says everything needed (each part
opens with its label; summary lines carry their level), so definition works
after a server restart and on a view saved long ago, against the current
snapshot. Rules:

- a label line of a section (full or summarised) -> that section;
- a line inside a section shown in full -> the same line in the source;
- an entity summary (level 1) -> the entity's sections, one level down;
- an entity-tree summary (level 2+) -> the entity and its child entities.

The view header (:func:`view_header`) records focus, budget, task and the
expanded labels, so ``clm.zoomIn`` can re-assemble with one more label.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from clm_lsp.blueprint import Blueprint, Position, Range, Workspace

from .assemble_parts import doc_range
from .render import LABEL_RE, LEVEL_RE, leading_blank_lines

_HEADER = re.compile(r"^<!-- clm-context (\{.*\}) -->$")


@dataclass(frozen=True, slots=True)
class Jump:
    uri: str
    range: Range


@dataclass(frozen=True, slots=True)
class ViewSpec:
    """What a view was assembled from: enough to assemble it again."""

    focus: str
    budget: int
    task: str = ""
    expand: tuple[str, ...] = ()


def view_header(spec: ViewSpec, tokens: int) -> str:
    meta = {"focus": spec.focus, "budget": spec.budget, "task": spec.task, "expand": list(spec.expand)}
    return (f"<!-- clm-context {json.dumps(meta, ensure_ascii=False)} -->\n"
            f"# Context for [{spec.focus}] ({tokens} of {spec.budget} tokens)\n\n"
            "Go to definition on a label or summary line opens the full text; "
            "the clm.zoomIn command shows a summarised part in full.\n\n")


def read_header(view_text: str) -> ViewSpec | None:
    first = view_text.split("\n", 1)[0]
    m = _HEADER.match(first)
    if m is None:
        return None
    try:
        meta = json.loads(m.group(1))
        return ViewSpec(str(meta["focus"]), int(meta["budget"]), str(meta.get("task") or ""),
                        tuple(str(x) for x in meta.get("expand") or ()))
    except (ValueError, KeyError, TypeError):
        return None


def label_at(view_text: str, line: int) -> tuple[int, re.Match[str]] | None:
    """The label line the given line belongs to (itself or the nearest above), with its match."""
    lines = view_text.split("\n")
    for i in range(min(line, len(lines) - 1), -1, -1):
        m = LABEL_RE.match(lines[i])
        if m is not None:
            return i, m
        if i < line and lines[i].startswith("<!-- clm-context"):
            break
    return None


def jumps(ws: Workspace, view_text: str, line: int) -> list[Jump]:
    """Where definition at ``line`` of a context view goes; [] when the line stands for nothing."""
    found = label_at(view_text, line)
    if found is None:
        return []
    at, m = found
    label_line = view_text.split("\n")[at]
    bp = ws.entity(m.group("entity"))
    if bp is None:
        return []
    anchor = m.group("anchor")
    if anchor is None:
        return _entity_jumps(ws, bp, label_line) if at == line else []
    section = ws.section(bp.uri, anchor)
    if section is None:
        return []
    if at == line:
        return [Jump(bp.uri, section.range)]
    if not label_line.rstrip().endswith("(full)"):
        return []  # the blank line after a summary
    src = section.body_range.start.line + leading_blank_lines(section.text) + (line - at - 1)
    if src > section.body_range.end.line:
        return []
    return [Jump(bp.uri, Range(Position(src, 0), Position(src, 0)))]


def _entity_jumps(ws: Workspace, bp: Blueprint, label_line: str) -> list[Jump]:
    m = LEVEL_RE.search(label_line)
    level = int(m.group("level")) if m else 1
    if level <= 1:
        # One level down from an entity summary: the sections it was made from.
        return [Jump(bp.uri, s.range) for s in bp.sections if s.parent is None] or [Jump(bp.uri, doc_range(bp))]
    kids = ws.children(bp.entity.id or "")
    return [Jump(bp.uri, doc_range(bp))] + [Jump(k.uri, doc_range(k)) for k in kids]


def with_expanded(spec: ViewSpec, label: str) -> ViewSpec:
    """``spec`` with ``label`` (brackets and § optional) added to the expanded parts."""
    clean = "§" + label.strip().strip("[]").lstrip("§")
    if clean in spec.expand:
        return spec
    return ViewSpec(spec.focus, spec.budget, spec.task, (*spec.expand, clean))


def view_text(spec: ViewSpec, context_text: str, tokens: int) -> str:
    """The whole view file: the header, then the assembled context exactly as the model sees it."""
    return view_header(spec, tokens) + context_text
