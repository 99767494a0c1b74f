"""The review prompt, and a tolerant reader of the model's reply.

The reply format is one finding per line, fields split by ``|``::

    CONTRADICTION | <words copied from the section> | <reference number> | <why>
    GAP | <what the section leaves out> | <reference number> | <why>
    NONE

A fixed line format rather than JSON: a 135M model keeps a short prefix and a
separator more often than it closes braces and quotes; two worked examples, given
as earlier chat turns, keep the bundled model in the format (bench/review_eval.py:
100 % parsable replies with them; without them it echoed the prompt). The reader also takes one
JSON object per line (``{"kind": ..., "quote": ..., "ref": ..., "reason": ...}``),
Markdown bullets, bold labels, ``:`` after the label, ``[2]`` or ``reference 2``.
Anything else is ignored: garbage gives no findings, never an exception.

``REVIEW_PROMPT_VERSION`` is part of every cached review's key: bump it when the
prompt changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from clm_lsp.llm import Message

from .review import Finding, ReviewInput
from .review_locate import clean_quote

REVIEW_PROMPT_VERSION = "r2"

MAX_REPLY_CHARS = 20_000
"""Only this much of a reply is read (a runaway model is cut off by max_tokens anyway)."""
MAX_FINDINGS = 6
"""More than this from one section is noise, not review."""
MAX_FIELD_CHARS = 300

SYSTEM = (
    "You check one section of a plan against reference texts. Report a CONTRADICTION when the section "
    "says something different from a reference (another number, date, name or decision). Report a GAP when "
    "a reference requires something the section does not address. Answer with one line per problem:\n"
    "CONTRADICTION | words copied from the section | reference number | short reason\n"
    "GAP | what is missing | reference number | short reason\n"
    "Answer NONE when nothing conflicts."
)

# Two worked examples as earlier turns: with them the bundled 135M model keeps the line
# format (without them it echoes the prompt). Their answers are filtered out of replies
# (_EXAMPLE_WORDS) in case a model copies them.
_EXAMPLES = (
    ("[1] Town Library › Vision (vision):\nThe library opens every day of the week.",
     "Timeslice 2024", "The library now opens only on Mondays.",
     "CONTRADICTION | now opens only on Mondays | 1 | the vision says it opens every day"),
    ("[1] School Garden › Vision (vision):\nThe garden grows food for the school kitchen.",
     "Work", "Volunteers weed the beds on Saturdays.",
     "NONE"),
)
_EXAMPLE_WORDS = ("now opens only on mondays", "the vision says it opens every day")


def review_messages(item: ReviewInput) -> list[Message]:
    messages = [Message("system", SYSTEM)]
    for refs, title, text, answer in _EXAMPLES:
        messages += [Message("user", _user(refs, title, text)), Message("assistant", answer)]
    refs = "\n\n".join(f"[{r.number}] {r.title} ({r.role}):\n{r.text}" for r in item.references)
    messages.append(Message("user", _user(refs, item.title, item.text)))
    return messages


def _user(refs: str, title: str, text: str) -> str:
    return f"References:\n{refs}\n\nSection to review: {title}\n{text.strip()}\n\nProblems:"


_LABEL = re.compile(r"^\W*(contradiction|contradicts|conflict|gap|missing)\b\W*\s*(.*)$", re.IGNORECASE | re.DOTALL)
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
_REF = re.compile(r"^\W*(?:ref(?:erence)?\.?|source|\[)?\s*#?\s*(\d{1,2})\s*\]?\W*$", re.IGNORECASE)
_REF_LOOSE = re.compile(r"\[(\d{1,2})\]|\breference\s*#?(\d{1,2})\b", re.IGNORECASE)


def parse_review(reply: object, known_refs: Iterable[int] = ()) -> tuple[Finding, ...]:
    """The findings in ``reply``; () for NONE, garbage or anything unexpected. Never raises.

    ``known_refs``: the reference numbers the prompt showed; a finding naming another
    number keeps its text but loses the reference.
    """
    try:
        return _parse(reply, set(known_refs))
    except Exception:  # noqa: BLE001 - a reply is untrusted input: garbage means no findings
        return ()


def _parse(reply: object, known: set[int]) -> tuple[Finding, ...]:
    if not isinstance(reply, str):
        return ()
    text = reply[:MAX_REPLY_CHARS].replace("\r", "\n")
    found: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for raw in text.split("\n"):
        line = _BULLET.sub("", raw.strip().replace("**", ""))
        if not line:
            continue
        finding = _from_json(line, known) if line.startswith("{") else _from_fields(line, known)
        if finding is None:
            continue
        key = (finding.kind, finding.quote.lower(), finding.reason.lower())
        if key in seen:
            continue  # small models repeat a line until max_tokens
        seen.add(key)
        found.append(finding)
        if len(found) >= MAX_FINDINGS:
            break
    return tuple(found)


def _kind(label: str) -> str | None:
    label = label.lower()
    if label.startswith(("contradict", "conflict")):
        return "contradiction"
    if label in ("gap", "missing"):
        return "gap"
    return None


def _from_fields(line: str, known: set[int]) -> Finding | None:
    m = _LABEL.match(line)
    if m is None:
        return None
    kind = _kind(m.group(1))
    rest = m.group(2)
    if kind is None:
        return None
    fields = [f.strip() for f in rest.split("|")]
    fields = [f for f in fields if f] if len(fields) > 1 else fields
    quote = reason = ""
    ref: int | None = None
    other: list[str] = []
    for i, f in enumerate(fields):
        r = _REF.match(f)
        if r is not None and ref is None and i > 0:
            ref = int(r.group(1))
            continue
        other.append(f)
    if other:
        quote = other[0]
        reason = " ".join(other[1:])
    if ref is None:
        loose = _REF_LOOSE.search(rest)
        if loose is not None:
            ref = int(loose.group(1) or loose.group(2))
    return _finding(kind, quote, ref, reason, known)


def _from_json(line: str, known: set[int]) -> Finding | None:
    end = line.rfind("}")
    try:
        obj = json.loads(line[: end + 1])
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    kind = _kind(str(obj.get("kind") or obj.get("type") or ""))
    if kind is None:
        return None
    ref_raw = obj.get("ref", obj.get("reference"))
    ref = None
    if isinstance(ref_raw, int) and not isinstance(ref_raw, bool):
        ref = ref_raw
    elif isinstance(ref_raw, str):
        digits = re.search(r"\d{1,2}", ref_raw)
        ref = int(digits.group()) if digits else None
    quote = obj.get("quote", obj.get("text", ""))
    reason = obj.get("reason", obj.get("why", ""))
    other = obj.get("other_quote", obj.get("other", ""))
    return _finding(kind, quote if isinstance(quote, str) else "", ref, reason if isinstance(reason, str) else "",
                    known, other if isinstance(other, str) else "")


def _finding(kind: str, quote: str, ref: int | None, reason: str, known: set[int], other: str = "") -> Finding | None:
    quote = clean_quote(_one_line(quote))[:MAX_FIELD_CHARS]
    reason = _one_line(reason)[:MAX_FIELD_CHARS]
    if not quote and not reason:
        return None  # a bare label ("CONTRADICTION") says nothing
    if _is_placeholder(quote) or _is_placeholder(reason):
        return None  # the format line copied back, not a finding
    if known and ref not in known:
        ref = None
    return Finding(kind, quote, ref, reason, clean_quote(_one_line(other))[:MAX_FIELD_CHARS])


def _one_line(text: str) -> str:
    return " ".join(text.split())


_PLACEHOLDERS = ("words copied from the section", "what is missing", "short reason", "reference number")


def _is_placeholder(text: str) -> bool:
    low = text.lower().strip("<>[]() ")
    return any(low == p or low.startswith(p) for p in _PLACEHOLDERS) or any(w in low for w in _EXAMPLE_WORDS)
