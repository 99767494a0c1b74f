"""Section synthesis, the pure part: which section to write, where its text goes, and
how the model's reply is made safe to insert.

- :func:`target_at`: the section a synthesis code action is offered for at a cursor:
  a placeholder (docs/blueprint-format.md: an own body that is empty, ``TODO`` or
  ``<!-- synthesize -->``, not a grouping heading), a section whose own body is empty
  (a grouping heading too, when the cursor is in it), or any section whose heading
  line the cursor is on.
- :func:`clean_reply`: the model's reply as plain section prose: no headings (a
  heading would end the section or add sections), no setext underlines, no code
  fences, no HTML block or comment that could swallow the headings after it, no
  chat-template tokens, no context labels copied back (a cited ``[§entity#anchor]``
  becomes the link ``[[entity#anchor]]``), no repeated sentences, no unfinished last
  sentence.
- :func:`replacement`: the one edit: the section's own body only (the heading line
  and the subsections stay), in the document's line endings.
- :func:`same_structure`: the guard after the edit: the document, parsed again with the
  new text, must have exactly the headings it had. Whatever the reply said, an edit
  that would change the outline is refused.

Everything here is text in, values out: the server (server/synthesizing.py) does the
model, the progress and the edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clm_lsp.blueprint import Blueprint, FormatConfig, LineIndex, Position, Range, Section, parse

MAX_CHARS = 6000
"""The longest text inserted: a reply longer than this is cut at a sentence end."""

PLACEHOLDER_MARK = "<!-- synthesize -->"


@dataclass(frozen=True, slots=True)
class Target:
    section: Section
    reason: str
    """"placeholder" (empty, TODO or the synthesize mark), "empty" (a grouping heading
    with no own text) or "heading" (the cursor is on the heading of a written section)."""

    @property
    def anchor(self) -> str:
        return self.section.anchor

    @property
    def has_text(self) -> bool:
        """The own body holds written text that synthesis would replace."""
        return self.reason == "heading"


def is_empty_body(section: Section) -> bool:
    return not section.text.strip()


def target_at(bp: Blueprint, pos: Position) -> Target | None:
    """The section a "Synthesize section" action is offered for at ``pos``, or None."""
    if bp.skipped:
        return None
    for section in bp.sections:
        on_heading = section.heading_range.start.line <= pos.line <= section.heading_range.end.line
        in_body = _in_body(section, pos)
        if not (on_heading or in_body):
            continue
        if section.placeholder:
            return Target(section, "placeholder")
        if is_empty_body(section):
            return Target(section, "empty")
        if on_heading:
            return Target(section, "heading")
    return None


def _in_body(section: Section, pos: Position) -> bool:
    body = section.body_range
    if body.start == body.end:  # no own lines: only the heading line counts
        return False
    return body.start.line <= pos.line <= body.end.line


def placeholders(bp: Blueprint) -> list[Section]:
    """Every placeholder section of a document, in order."""
    return [s for s in bp.sections if s.placeholder]


# -- the reply --------------------------------------------------------------------------

_SPECIAL = re.compile(r"<\|[^|<>]{1,40}\|>|</s>|<s>|\[/?INST\]")
_ATX = re.compile(r"^[ \t]{0,3}#{1,6}(?:[ \t]|$)")
_SETEXT = re.compile(r"^[ \t]{0,3}(?:=+|-+)[ \t]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(?:`{3,}|~{3,})")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_START = re.compile(r"^([ \t]{0,3})<")
_LEAD_IN = re.compile(
    r"^(?:sure|certainly|of course|here is|here's|below is|the following is)\b[^\n]{0,120}?[:.!]\s*$|"
    r"^(?:text|section|answer|output)(?: of the section[^:\n]{0,60})?\s*:\s*$",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^(?:text|answer|output)\s*:\s*", re.IGNORECASE)
_FULL_LABEL_LINE = re.compile(r"^\s*(?:\[[^\]\n]*\][^\n]*|[^\n]*›[^\n]*)\(full\)\s*$")
_SUMMARY_LABEL = re.compile(r"^\s*[^\n]*?\(summary L\d+[^)\n]*\):\s*")
_TRUNCATED = re.compile(r"^\s*\[… truncated.*\]\s*$")
_BRACKETS_ONLY = re.compile(r"^\s*(?=\[)(?:\[[^\]\n]*\]\s*)*(?:\[[^\]\n]*)?\s*$")
"""A line of bracketed labels and nothing else ("[**Kestrel Bay**] [**Kest"): a small model's echo."""
_INLINE_LABEL = re.compile(r"\[§([^\]\s]+)\]")
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+[\"')\]]*|$)")


def clean_reply(reply: str, section_title: str = "", max_chars: int = MAX_CHARS) -> str:
    """The reply as plain prose for a section body ('' when nothing usable is left).

    Lines are joined with ``\\n``; :func:`replacement` converts to the document's endings.
    """
    text = _SPECIAL.sub("", reply.replace("\r\n", "\n").replace("\r", "\n"))
    text = _COMMENT.sub("", text).replace("<!--", "").replace("-->", "")
    lines: list[str] = []
    for line in text.split("\n"):
        if _FENCE.match(line) or _SETEXT.match(line):
            continue  # a fence would swallow what follows; an underline turns the line above into a heading
        if _ATX.match(line):
            continue  # a heading ends this section or adds one: never ours to write
        if _FULL_LABEL_LINE.match(line) or _TRUNCATED.match(line) or _BRACKETS_ONLY.match(line):
            continue  # the context's own markup (render.py), copied back, even mangled
        line = _SUMMARY_LABEL.sub("", line)
        line = _INLINE_LABEL.sub(r"[[\1]]", line)  # a cited context label becomes a link to it
        if not lines and (_LEAD_IN.match(line.strip()) or _same_title(line, section_title)):
            continue  # "Here is the section:" / the title echoed back
        line = _HTML_START.sub(r"\1\\<", line)  # an HTML block start would hide the next headings
        lines.append(line.rstrip())
    if lines:
        lines[0] = _LABEL.sub("", lines[0])
    body = _squeeze_blank_lines(lines)
    body = _drop_repeats(body)
    body = _drop_unfinished(body)
    if len(body) > max_chars:
        body = _drop_unfinished(body[:max_chars])
    return body.strip()


def _same_title(line: str, title: str) -> bool:
    if not title:
        return False
    norm = re.sub(r"[^\w]+", " ", line).strip().lower()
    return norm == re.sub(r"[^\w]+", " ", title).strip().lower()


def _squeeze_blank_lines(lines: list[str]) -> str:
    out: list[str] = []
    for line in lines:
        if not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line)
    return "\n".join(out).strip()


def _drop_repeats(text: str) -> str:
    """A small model at temperature 0 loops: keep the first copy of each sentence."""
    seen: set[str] = set()
    paragraphs = []
    for para in text.split("\n\n"):
        kept = []
        for line in para.split("\n"):
            parts = []
            for m in _SENTENCE.finditer(line):
                sentence = m.group(0)
                key = re.sub(r"\W+", " ", sentence).strip().lower()
                if key and key in seen:
                    continue
                if key:
                    seen.add(key)
                parts.append(sentence)
            joined = "".join(parts).strip()
            if joined or not line.strip():
                kept.append(line[: len(line) - len(line.lstrip())] + joined if joined else "")
        para_text = "\n".join(k for k in kept if k.strip())
        if para_text:
            paragraphs.append(para_text)
    return "\n\n".join(paragraphs)


def _drop_unfinished(text: str) -> str:
    """Cut a last sentence the token limit broke off, when a finished one comes before it."""
    text = text.rstrip()
    if not text or text[-1] in ".!?)\"'`]*":
        return text
    last_line = text.rsplit("\n", 1)[-1].lstrip()
    if last_line[:2] in ("- ", "* ", "+ ") or re.match(r"\d+[.)] ", last_line):
        return text  # a list item needs no full stop
    cut = max(text.rfind(". "), text.rfind("! "), text.rfind("? "), text.rfind(".\n"))
    return text[: cut + 1] if cut > 0 else text


# -- the edit -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Replacement:
    range: Range
    """The section's own body (code points), or an empty range at the end of its heading."""
    new_text: str
    inserted_at: int
    """Offset of the cleaned text inside ``new_text`` (after a leading line break)."""


def line_ending(text: str) -> str:
    """The document's line ending (its first one; ``\\n`` for a one-line document)."""
    m = re.search(r"\r\n|\r|\n", text)
    return m.group(0) if m else "\n"


def replacement(bp: Blueprint, section: Section, body: str) -> Replacement:
    """Replace ``section``'s own body with ``body``; the heading and subsections stay.

    The range is the section's ``body_range`` exactly. A blank line separates the new
    text from a heading that follows it; a file that ended without a line break still does.
    """
    eol = line_ending(bp.text)
    text = body.replace("\n", eol) if eol != "\n" else body
    rng = section.body_range
    end = LineIndex(bp.text).offset_at(rng.end)
    at_eof = end >= len(bp.text)
    ends_with_break = bp.text.endswith(("\n", "\r"))
    if rng.start == rng.end and rng.start.line <= section.heading_range.end.line:
        # No own lines: the range sits at the end of the heading line; start a line of our own.
        return Replacement(rng, eol + text + ("" if at_eof else eol), len(eol))
    # The own lines up to the end of the last one: that line's break (if any) stays after us.
    trail = eol if not at_eof or ends_with_break else ""
    return Replacement(rng, text + trail, 0)


def apply(text: str, rng: Range, new_text: str) -> str:
    index = LineIndex(text)
    return text[: index.offset_at(rng.start)] + new_text + text[index.offset_at(rng.end):]


def outline(bp: Blueprint) -> list[tuple[int, str, str]]:
    return [(s.level, s.title, s.anchor) for s in bp.sections]


def same_structure(bp: Blueprint, new_text: str, fmt: FormatConfig) -> bool:
    """True when ``new_text`` parses to exactly the headings (levels, titles, anchors) of ``bp``,
    with the same front matter and title: the edit changed one body and nothing else."""
    new, _problems = parse(new_text, bp.uri, fmt)
    return (
        outline(new) == outline(bp)
        and new.entity == bp.entity
        and (new.title_range is None) == (bp.title_range is None)
    )


def locate(haystack: str, needle: str, start: int = 0) -> int:
    """Offset of ``needle`` as a whole word (case-insensitive) in ``haystack``, or -1."""
    pattern = r"(?<!\w)" + re.escape(needle) + r"(?!\w)"
    m = re.compile(pattern, re.IGNORECASE).search(haystack, start)
    return m.start() if m else -1
