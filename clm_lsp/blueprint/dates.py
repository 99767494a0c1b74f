"""Timeslice dates: `YYYY`, `YYYY-MM`, `YYYY-MM-DD` (a real calendar day) or `YYYY-Qn`."""

from __future__ import annotations

import calendar
import re

from .model import TimesliceDate

_DATE = re.compile(r"(\d{4})(?:-(?:(\d{2})(?:-(\d{2}))?|[Qq]([1-4])))?")


def parse_date(raw: str) -> TimesliceDate | None:
    """The date named by ``raw`` (surrounding whitespace ignored), or None."""
    text = raw.strip()
    m = _DATE.fullmatch(text)
    if m is None:
        return None
    year = int(m.group(1))
    if m.group(4):
        return TimesliceDate(text, year, quarter=int(m.group(4)))
    if m.group(2) is None:
        return TimesliceDate(text, year)
    month = int(m.group(2))
    if not 1 <= month <= 12:
        return None
    if m.group(3) is None:
        return TimesliceDate(text, year, month=month)
    day = int(m.group(3))
    # Year 0 does not exist in the proleptic calendar module; monthrange handles 1..9999.
    if year < 1 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return TimesliceDate(text, year, month=month, day=day)
