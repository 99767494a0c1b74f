"""Stable diagnostic codes. Never renumber: editors and users filter by code.

Each entry: code -> (default severity, short name). The message of each
problem is written where it is found; the short name is what docs and
`clm-lsp check --format json` use to describe the code.
"""

from __future__ import annotations

from .model import Severity

E, W, I, H = Severity.ERROR, Severity.WARNING, Severity.INFORMATION, Severity.HINT

BROKEN_ENTITY = "CLM001"
BROKEN_ANCHOR = "CLM002"
DUPLICATE_ID = "CLM003"
DUPLICATE_ANCHOR = "CLM004"
YAML_ERROR = "CLM005"
NO_FRONT_MATTER = "CLM006"
MISSING_ID = "CLM007"
MISSING_SCALE = "CLM008"
BAD_ID = "CLM009"
UNKNOWN_SCALE = "CLM010"
UNKNOWN_PARENT = "CLM011"
PARENT_CYCLE = "CLM012"
SCALE_ABOVE_PARENT = "CLM013"
MISSING_VISION = "CLM014"
DUPLICATE_VISION = "CLM015"
BAD_DATE = "CLM016"
TIMESLICE_ORDER = "CLM017"
LINK_LEAVES_WORKSPACE = "CLM018"
NOT_TEXT = "CLM019"
TOO_LARGE = "CLM020"
BAD_FIELD = "CLM021"
EMPTY_HEADING = "CLM022"
TITLE = "CLM023"
MALFORMED_LINK = "CLM024"
CONTEXT_BUDGET = "CLM025"  # emitted by clm_lsp/hardware/budget_check.py, not by the core checks
YAML_TOO_COMPLEX = "CLM026"
INTERNAL_ERROR = "CLM027"

CODES: dict[str, tuple[Severity, str]] = {
    BROKEN_ENTITY: (E, "link to an unknown entity"),
    BROKEN_ANCHOR: (E, "link to an unknown section anchor"),
    DUPLICATE_ID: (E, "entity id used by more than one file"),
    DUPLICATE_ANCHOR: (E, "explicit anchor used twice in one file"),
    YAML_ERROR: (E, "front matter is not valid YAML"),
    NO_FRONT_MATTER: (E, "front matter missing or not terminated"),
    MISSING_ID: (E, "front matter has no id"),
    MISSING_SCALE: (E, "front matter has no scale"),
    BAD_ID: (E, "id is not a slug [a-z0-9][a-z0-9-]*"),
    UNKNOWN_SCALE: (E, "scale is not one of the workspace's scales"),
    UNKNOWN_PARENT: (E, "parent is not an entity of the workspace"),
    PARENT_CYCLE: (E, "parent chain loops back"),
    SCALE_ABOVE_PARENT: (E, "scale larger than the parent's"),
    MISSING_VISION: (W, "no ## Vision section"),
    DUPLICATE_VISION: (W, "more than one ## Vision section"),
    BAD_DATE: (E, "timeslice date is not YYYY, YYYY-MM, YYYY-MM-DD or YYYY-Qn"),
    TIMESLICE_ORDER: (W, "timeslices out of chronological order"),
    LINK_LEAVES_WORKSPACE: (E, "link points outside the workspace"),
    NOT_TEXT: (E, "file is not UTF-8 text; skipped"),
    TOO_LARGE: (W, "file too large to analyse; skipped"),
    BAD_FIELD: (W, "front matter field has a wrong type or value"),
    EMPTY_HEADING: (W, "heading without text"),
    TITLE: (W, "missing or repeated # Title"),
    MALFORMED_LINK: (W, "link target is malformed"),
    CONTEXT_BUDGET: (W, "a blueprint's context crosses the model's window or the memory boundary"),
    YAML_TOO_COMPLEX: (E, "front matter too deeply nested or uses too many aliases"),
    INTERNAL_ERROR: (E, "internal error while analysing the file (a bug: please report it)"),
}


def severity(code: str) -> Severity:
    return CODES[code][0]
