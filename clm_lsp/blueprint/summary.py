"""Extractive summaries: a section's lead sentences as plain text, for hover.

Used until the model has written an anchor summary. Markup is skipped or
rendered: headings, HTML comments, code blocks, tables and images are
dropped; list bullets and quote markers are removed; links show their text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}(?:[ \t]|$)")
_BULLET = re.compile(r"^[ \t]*(?:>[ \t]?)*[ \t]*(?:[-+*]|\d{1,9}[.)])[ \t]+")
_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+")
_TABLE = re.compile(r"^[ \t]*\|")
_RULE = re.compile(r"^[ \t]*(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,}|=+[ \t]*)$")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_WIKI = re.compile(r"\[\[([^\[\]|]*)(?:\|([^\[\]]*))?\]\]")
_LINK = re.compile(r"\[([^\[\]]*)\](?:\([^)]*\)|\[[^\]]*\])?")
_CODE = re.compile(r"`+([^`]*)`+")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_EMPHASIS = re.compile(r"(\*{1,3}|(?<!\w)_{1,3}|_{1,3}(?!\w))")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")


def _wiki_text(m: re.Match[str]) -> str:
    if m.group(2):
        return m.group(2)
    target = m.group(1)
    return target.split("#", 1)[1] if target.startswith("#") else target


def render_inline(text: str) -> str:
    """Markdown inline syntax -> the text a reader sees."""
    text = _IMAGE.sub("", text)
    text = _WIKI.sub(_wiki_text, text)
    text = _LINK.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    text = _TAG.sub("", text)
    return _EMPHASIS.sub("", text)


def _prose_lines(text: str) -> Iterator[str]:
    """Lines of prose with block markup removed; '' marks a paragraph break."""
    fence = None
    for line in _COMMENT.sub("", text).split("\n"):
        m = _FENCE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence:
                fence = None
            continue
        if m:
            fence = m.group(1)[0]
            continue
        if _HEADING.match(line) or _TABLE.match(line) or _RULE.match(line) or not line.strip():
            yield ""
            continue
        if _BULLET.match(line):
            yield ""  # each list item reads as its own sentence
            line = _BULLET.sub("", line)
        yield render_inline(_QUOTE.sub("", line)).strip()


def _paragraphs(text: str) -> Iterator[str]:
    # Generators all the way: a summary needs the first few hundred characters, and hover
    # asks for one on every request, so a long section must not be rendered whole.
    current: list[str] = []
    for line in itertools.chain(_prose_lines(text), [""]):
        if line:
            current.append(line)
        elif current:
            yield " ".join(" ".join(current).split())
            current = []


def _sentences(text: str) -> Iterator[str]:
    for para in _paragraphs(text):
        parts = _SENTENCE_END.split(para)
        if not parts[-1].endswith((".", "!", "?", ":", "…")):
            parts[-1] += "."  # a list item or a fragment: end it so sentences do not run together
        yield from parts


def extractive_summary(text: str, max_chars: int = 280) -> str:
    """The lead sentences of ``text`` as plain text, at most ``max_chars`` characters."""
    out = ""
    for sentence in _sentences(text):
        candidate = f"{out} {sentence}".strip()
        if len(candidate) > max_chars:
            if not out:
                out = _cut(sentence, max_chars)
            break
        out = candidate
    return out


def _cut(sentence: str, max_chars: int) -> str:
    """Shorten at a word boundary and mark the cut with an ellipsis."""
    if max_chars <= 1:
        return sentence[:max_chars]
    head = sentence[: max_chars - 1]
    space = head.rfind(" ")
    if space > max_chars // 2:
        head = head[:space]
    return head.rstrip(" ,;:") + "…"
