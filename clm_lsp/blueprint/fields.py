"""Front matter fields -> Entity, with a problem for each missing or ill-typed field."""

from __future__ import annotations

from typing import Any

from . import codes
from .config import FormatConfig
from .frontmatter import ID_RE, KNOWN_KEYS, STATUSES
from .model import Entity, Field, FrontMatter, Problem, Range
from .suggest import closest


def _problem(code: str, rng: Range, message: str, data: Any = None) -> Problem:
    return Problem(code, codes.severity(code), rng, message, data=data)


def _kind(value: Any) -> str:
    return {type(None): "empty", bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "a mapping"}.get(
        type(value), type(value).__name__
    )


def _did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> tuple[str, list[str]]:
    close = closest(word, choices)
    return (f"; did you mean '{close[0]}'?" if close else "."), close


def entity_from(fm: FrontMatter | None, h1_title: str | None, config: FormatConfig) -> tuple[Entity, list[Problem]]:
    """Build the entity; ``fm`` None means there is no front matter (already reported)."""
    problems: list[Problem] = []
    fields = fm.fields if fm is not None else {}
    whole = fm.range if fm is not None else Range.of(0, 0)
    ent_id = _check_id(fields.get("id"), whole, fm, problems)
    scale = _check_scale(fields.get("scale"), whole, fm, config, problems)
    title = _string_field(fields.get("title"), problems)
    parent = _string_field(fields.get("parent"), problems)
    status = _check_status(fields.get("status"), problems)
    tags = _check_tags(fields.get("tags"), problems)
    for key, f in fields.items():
        if key not in KNOWN_KEYS:
            hint, close = _did_you_mean(key, KNOWN_KEYS)
            msg = f"Unknown front matter key '{key}'{hint} Known keys: {', '.join(KNOWN_KEYS)}."
            problems.append(_problem(codes.BAD_FIELD, f.key_range, msg, {"suggestions": close}))
    return Entity(ent_id, title if title else h1_title, scale, parent, status, tags), problems


def _check_id(f: Field | None, whole: Range, fm: FrontMatter | None, problems: list[Problem]) -> str | None:
    if f is None or f.value is None or f.value == "":
        if fm is not None and fm.ok:
            rng = f.key_range if f is not None else whole
            problems.append(_problem(codes.MISSING_ID, rng, "Front matter has no `id:`; add one such as `id: riverside-housing-coop`."))
        return None
    if not isinstance(f.value, str):
        problems.append(_problem(codes.BAD_ID, f.value_range, f"The id must be a slug like `riverside-coop` ([a-z0-9][a-z0-9-]*), not {_kind(f.value)}."))
        return None
    if not ID_RE.fullmatch(f.value):
        msg = f"The id '{f.value}' is not a slug: use lowercase letters, digits and `-`, starting with a letter or digit."
        problems.append(_problem(codes.BAD_ID, f.value_range, msg))
    # An ill-formed id still names the entity, so links to it keep resolving while it is fixed.
    return f.value


def _check_scale(f: Field | None, whole: Range, fm: FrontMatter | None, config: FormatConfig, problems: list[Problem]) -> str | None:
    if f is None or f.value is None or f.value == "":
        if fm is not None and fm.ok:
            rng = f.key_range if f is not None else whole
            msg = f"Front matter has no `scale:`; use one of: {', '.join(config.scales)}."
            problems.append(_problem(codes.MISSING_SCALE, rng, msg))
        return None
    if not isinstance(f.value, str) or f.value not in config.scales:
        hint, close = _did_you_mean(str(f.value), config.scales)
        msg = f"Unknown scale '{f.value}'{hint} Scales, smallest to largest: {', '.join(config.scales)}."
        problems.append(_problem(codes.UNKNOWN_SCALE, f.value_range, msg, {"suggestions": close}))
        return f.value if isinstance(f.value, str) else None
    return f.value


def _string_field(f: Field | None, problems: list[Problem]) -> str | None:
    if f is None or f.value is None:
        return None
    if isinstance(f.value, str):
        return f.value
    if isinstance(f.value, (int, float)) and not isinstance(f.value, bool):
        # `title: 1984` is clearly meant as text; accept it but say it was converted.
        problems.append(_problem(codes.BAD_FIELD, f.value_range, f"The field '{f.key}' should be text; quote it: {f.key}: \"{f.value}\"."))
        return str(f.value)
    problems.append(_problem(codes.BAD_FIELD, f.value_range, f"The field '{f.key}' must be text, not {_kind(f.value)}."))
    return None


def _check_status(f: Field | None, problems: list[Problem]) -> str | None:
    if f is None or f.value is None:
        return None
    if f.value in STATUSES:
        return f.value
    hint, close = _did_you_mean(str(f.value), STATUSES)
    msg = f"Status '{f.value}' is not one of {', '.join(STATUSES)}{hint}"
    problems.append(_problem(codes.BAD_FIELD, f.value_range, msg, {"suggestions": close}))
    return None


def _check_tags(f: Field | None, problems: list[Problem]) -> tuple[str, ...]:
    if f is None or f.value is None:
        return ()
    if not isinstance(f.value, list):
        problems.append(_problem(codes.BAD_FIELD, f.value_range, f"The field 'tags' must be a list such as [housing, cooperative], not {_kind(f.value)}."))
        return (f.value,) if isinstance(f.value, str) else ()
    good = tuple(t for t in f.value if isinstance(t, str))
    if len(good) != len(f.value):
        problems.append(_problem(codes.BAD_FIELD, f.value_range, "Every tag must be text; non-text tags are ignored."))
    return good
