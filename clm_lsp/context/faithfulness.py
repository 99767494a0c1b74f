"""The faithfulness guard: facts in a summary that its source does not state.

A small model writes fluent summaries that invent numbers, dates and names. This
module is pure (text in, findings out): :func:`invented` returns every number,
date and capitalised name in a summary that does not appear in its source, so the
worker can retry with a stricter prompt or fall back to an extractive summary.

Matching is generous where the form differs but the fact is the same:

- numbers: ``1,200`` = ``1 200`` = ``1200``; ``3.0`` = ``3``; ``40%`` = ``40 percent``;
  ``1.2 million`` = ``1,200,000``; ``twelve`` = ``12``; ``12k`` = ``12000``;
- dates: ``March 2024`` = ``2024-03``; ``Q1 2024`` = ``2024-Q1``; a year matches any
  date in that year; a month name alone matches that month in any date;
- names: case-insensitive, word by word, so ``Riverside`` matches the id
  ``riverside-district``; possessives (``Kestrel's``) count as the name.

What it does not catch: a wrong relation between true facts ("A funds B" when B
funds A), and lower-case inventions. Those need a bigger model or a reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTHS = {
    m: i
    for i, name in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"),
        start=1,
    )
    for m in (name, name[:3])
}
MONTHS["sept"] = 9

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}
# "one" and "two"... are also ordinary words ("one of the ..."): only the ones a
# small model uses to restate a figure are checked in summaries (see _SPELLED_CHECKED).
_SPELLED_CHECKED = {k for k, v in _UNITS.items() if v >= 3}
_SCALE = {"thousand": 1_000, "k": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "bn": 1_000_000_000}

# Words that start sentences (or are capitalised by habit) without naming anything.
STOPWORDS = frozenset(
    """a an the this that these those it its it's they their them there here we our us you your i he she his her
    in on at by for from to of with without within into onto over under after before during since until while
    and or but nor so yet also then thus therefore however moreover overall finally first second third next last
    as if when where which who whom whose what why how because although though unless whether each every all
    both either neither some many most more few several any no not none one two other another such same
    is are was were be been being has have had do does did will would can could should may might must shall
    summary section text document plan plans vision timeslice decisions decision goal goals note notes
    key main new current future today now year years month months day days people residents members
    local regional community city district region town village building neighbourhood neighborhood
    mr mrs ms dr st""".split()
)

_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:[,\u202f\u00a0' ]\d{3})+|\d+)(?:\.(\d+))?(?:\s*(%|percent|per cent))?"
    r"(?:\s*(thousand|million|billion|bn|k)\b)?",
    re.IGNORECASE,
)
_SPELLED = re.compile(r"\b(" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})(?:-(\d{2}))?\b")
_QUARTER = re.compile(r"\b(?:(\d{4})-Q([1-4])|Q([1-4])\s+(\d{4}))\b", re.IGNORECASE)
_MONTH_YEAR = re.compile(
    r"\b(?:(\d{1,2})\s+)?(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?(?:\s+(\d{1,2}),?)?\s+(\d{4})\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][\w'’-]*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n\s*[-*]?\s*)$")


@dataclass(frozen=True, slots=True)
class Claim:
    kind: str
    """"number", "date" or "name"."""
    text: str
    """As the summary wrote it."""


def invented(summary: str, source: str) -> list[Claim]:
    """Every number, date and capitalised name in ``summary`` that ``source`` does not state."""
    facts = _Facts(source)
    out: list[Claim] = []
    masked = summary
    for claim, span in _dates(summary):
        if not facts.has_date(claim):
            out.append(Claim("date", summary[span[0]:span[1]]))
        masked = masked[: span[0]] + " " * (span[1] - span[0]) + masked[span[1]:]
    for value, text in _numbers(masked, spelled=True):
        if not facts.has_number(value, text):
            out.append(Claim("number", text))
    for name in names(masked):
        if not facts.has_name(name):
            out.append(Claim("name", name))
    return _unique(out)


def is_faithful(summary: str, source: str) -> bool:
    return not invented(summary, source)


# -- facts of the source ---------------------------------------------------------------


class _Facts:
    def __init__(self, source: str) -> None:
        self.dates: set[str] = {d for d, _ in _dates(source)}
        self.years = {d[:4] for d in self.dates}
        self.months = {int(d[5:7]) for d in self.dates if len(d) >= 7 and d[5:7].isdigit()}
        self.numbers: set[float] = {v for v, _ in _numbers(source, spelled=True)}
        self.words = {_fold(w) for w in _WORD.findall(source)} | {_fold(w) for w in re.findall(r"[^\W_]+", source)}
        self.months |= {MONTHS[w] for w in self.words if w in MONTHS}

    def has_date(self, date: str) -> bool:
        if date in self.dates:
            return True
        # "2024-03" in the summary is stated by "2024-03-15" in the source.
        return any(d.startswith(date + "-") for d in self.dates)

    def has_number(self, value: float, text: str) -> bool:
        if value in self.numbers:
            return True
        # A bare year in the summary is stated by any date of that year.
        return text.isdigit() and len(text) == 4 and text in self.years

    def has_name(self, name: str) -> bool:
        word = _fold(name)
        if word in MONTHS:
            return MONTHS[word] in self.months
        return word in self.words


# -- extraction ------------------------------------------------------------------------


def _dates(text: str) -> list[tuple[str, tuple[int, int]]]:
    """(normalised date, span) of every date: YYYY-MM[-DD], YYYY-Qn, "[D] Month [D,] YYYY"."""
    found: list[tuple[str, tuple[int, int]]] = []
    for m in _QUARTER.finditer(text):
        year, quarter = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        found.append((f"{year}-Q{quarter}", m.span()))
    for m in _ISO_DATE.finditer(text):
        if 1 <= int(m.group(2)) <= 12:
            found.append((m.group(0), m.span()))
    for m in _MONTH_YEAR.finditer(text):
        month = MONTHS[m.group(2).lower()]
        day = m.group(1) or m.group(3)
        norm = f"{m.group(4)}-{month:02d}" + (f"-{int(day):02d}" if day else "")
        found.append((norm, m.span()))
    return _without_overlaps(found)


def _without_overlaps(found: list[tuple[str, tuple[int, int]]]) -> list[tuple[str, tuple[int, int]]]:
    found.sort(key=lambda f: (f[1][0], -f[1][1]))
    out: list[tuple[str, tuple[int, int]]] = []
    for item in found:
        if out and item[1][0] < out[-1][1][1]:
            continue
        out.append(item)
    return out


def _numbers(text: str, *, spelled: bool) -> list[tuple[float, str]]:
    """(value, as written) of every figure; digits with separators, decimals, %, scale words."""
    out: list[tuple[float, str]] = []
    for m in _NUMBER.finditer(text):
        whole = re.sub(r"[,\u202f\u00a0' ]", "", m.group(1))
        value = float(f"{whole}.{m.group(2)}" if m.group(2) else whole)
        scale = (m.group(4) or "").lower()
        if scale:
            value *= _SCALE[scale]
        out.append((value, m.group(0).strip()))
    if spelled:
        for m in _SPELLED.finditer(text):
            word = m.group(1).lower()
            if word in _SPELLED_CHECKED:
                out.append((float(_UNITS[word]), m.group(1)))
    return out


def names(text: str) -> list[str]:
    """Capitalised words that name something: not sentence-initial function words, not stopwords."""
    out: list[str] = []
    for m in _WORD.finditer(text):
        word = m.group(0).rstrip("'’-")
        if not word[:1].isupper():
            continue
        folded = _fold(word)
        if folded in STOPWORDS or folded in _UNITS:
            continue
        if _SENTENCE_START.search(text[: m.start()]) and (folded in _COMMON_STARTERS or folded.endswith(_VERB_ENDINGS)):
            continue  # "Founded in ...", "Currently ...": capitalised only by position
        out.append(word)
    return out


# Ordinary words a summary capitalises only because a sentence starts with them.
_COMMON_STARTERS = frozenset(
    """aims aim focus focuses describes describe outlines outline explains covers sets set includes include
    proposes propose establishes ensures ensure provides provide builds build creates create makes make
    supports support shows show details lists list defines define uses use gives give seeks seek""".split()
)


_VERB_ENDINGS = ("ed", "ing", "ly")


def _fold(word: str) -> str:
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    return word.strip("'-")


def _unique(claims: list[Claim]) -> list[Claim]:
    seen: set[tuple[str, str]] = set()
    out = []
    for c in claims:
        key = (c.kind, c.text.lower())
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out
