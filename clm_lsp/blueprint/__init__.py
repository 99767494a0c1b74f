"""The pure blueprint core: text -> Blueprint, anchors, positions, workspace snapshot, checks.

No file or network I/O and no service library lives here (see
tests/blueprint/test_import_rules.py and the import-linter contracts).
"""

from __future__ import annotations

from .checks import check_document, check_workspace
from .config import DEFAULT_CONFIG, DEFAULT_SCALES, FormatConfig
from .dates import parse_date
from .model import (
    Blueprint,
    Entity,
    Field,
    FrontMatter,
    Link,
    LinkKind,
    Position,
    Problem,
    Range,
    Related,
    Section,
    SectionKind,
    Severity,
    TimesliceDate,
)
from .parser import parse
from .positions import ENCODINGS, LineIndex, split_lines
from .slugs import Slugger, github_slug, plain_heading_text, slug_of_heading
from .suggest import NameIndex, closest
from .summary import extractive_summary
from .tokens import estimate_tokens
from .workspace import Target, Workspace, display_title

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_SCALES",
    "ENCODINGS",
    "Blueprint",
    "Entity",
    "Field",
    "FormatConfig",
    "FrontMatter",
    "LineIndex",
    "Link",
    "LinkKind",
    "NameIndex",
    "Position",
    "Problem",
    "Range",
    "Related",
    "Section",
    "SectionKind",
    "Severity",
    "Slugger",
    "Target",
    "TimesliceDate",
    "Workspace",
    "check_document",
    "check_workspace",
    "closest",
    "display_title",
    "estimate_tokens",
    "extractive_summary",
    "github_slug",
    "parse",
    "parse_date",
    "plain_heading_text",
    "slug_of_heading",
    "split_lines",
]
