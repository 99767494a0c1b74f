"""How assembled parts read: one labelled block per section, one line per summary.

The label ``[§entity#anchor]`` (a section) or ``[§entity]`` (an entity, or its
entity tree) always opens the part's first line, so the zoom module can find
the part any line of a view belongs to without keeping state. Summary lines
carry their level (``summary L0`` a section, ``L1`` an entity, ``L2+`` a tree):
definition on a summary of summaries goes one level down first.
"""

from __future__ import annotations

import re

LABEL_RE = re.compile(r"^\[§(?P<entity>[^\]#\s]+)(?:#(?P<anchor>[^\]\s]+))?\]")
LEVEL_RE = re.compile(r"\(summary L(?P<level>\d+)")
TRUNCATED = "[… truncated: {shown} of {total} tokens shown; zoom in on {label} for the rest]"


def label_of(entity: str, anchor: str | None = None) -> str:
    return f"§{entity}#{anchor}" if anchor else f"§{entity}"


def full_block(label: str, heading: str, body: str) -> str:
    """A section in full: the label line, then the body exactly as written (trimmed)."""
    body = body_for_view(body)
    return f"[{label}] {heading} (full)\n{body}\n" if body else f"[{label}] {heading} (full)\n"


def summary_line(label: str, heading: str, level: int, text: str, source: str) -> str:
    """A summary on one line: the label, what it stands for, its level and its writer."""
    flat = " ".join(text.split())
    return f"[{label}] {heading} (summary L{level}, {source}): {flat}\n"


def body_for_view(body: str) -> str:
    """The body without leading blank lines or trailing space (see :func:`leading_blank_lines`)."""
    return body.lstrip("\n").rstrip()


def leading_blank_lines(body: str) -> int:
    """How many lines :func:`body_for_view` drops at the top: zoom maps view lines back with it."""
    return len(body) - len(body.lstrip("\n"))
