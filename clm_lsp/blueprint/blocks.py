"""A CommonMark-aware line scanner: headings, and which lines may hold links.

markdown-it-py parses about 1.3-2 MB/s on this machine, block rules alone; the
format needs parse + check above 5 MB/s. So this module classifies lines in
one pass with the CommonMark block rules that matter for blueprints:

- fenced code (``` and ~~~, closing fence at least as long), indented code
  (which cannot interrupt a paragraph), and the seven kinds of HTML block hide
  their lines: no headings, no links there;
- ATX headings (up to 3 spaces of indent, closing #s stripped) and setext
  headings (a top-level paragraph underlined with = or -);
- list items and their continuation indent, so that text indented under a list
  item is not mistaken for indented code, and a heading inside a list item or
  a block quote is not taken as a section of the document.

Known simplifications (documented in docs/blueprint-format.md): fences inside
block quotes are not recognised; reference-style link definitions are text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_FENCE = re.compile(r"(`{3,}|~{3,})(.*)")
_ATX = re.compile(r"(#{1,6})(?:[ \t]+|$)")
_ATX_CLOSE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_SETEXT = re.compile(r"(=+|-+)[ \t]*")
_BREAK = re.compile(r"(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,}")
_QUOTE_MARKS = re.compile(r"(?:>[ \t]?[ \t]{0,3})+")
_LIST_ITEM = re.compile(r"(?:[-+*]|(\d{1,9})[.)])([ \t]+|$)")
_HTML_1 = re.compile(r"<(?:script|pre|style|textarea)(?:[ \t>]|$)", re.IGNORECASE)
_HTML_6 = re.compile(
    r"</?(?:address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|dl|dt"
    r"|fieldset|figcaption|figure|footer|form|frame|frameset|h[1-6]|head|header|hr|html|iframe|legend|li|link|main|menu"
    r"|menuitem|nav|noframes|ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|thead|title|tr"
    r"|track|ul)(?:[ \t]|/?>|$)",
    re.IGNORECASE,
)
_ATTR = r"""(?:[ \t]+[A-Za-z_:][\w.:-]*(?:[ \t]*=[ \t]*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?)"""
_HTML_7 = re.compile(rf"(?:<[A-Za-z][A-Za-z0-9-]*{_ATTR}*[ \t]*/?>|</[A-Za-z][A-Za-z0-9-]*[ \t]*>)[ \t]*$")
_SPECIAL = frozenset("#`~<>-+*_=|")
_HTML_ENDS = {1: None, 2: "-->", 3: "?>", 4: ">", 5: "]]>"}


@dataclass(slots=True)
class Heading:
    level: int
    first_line: int
    last_line: int
    """The underline for a setext heading, else ``first_line``."""
    text: str
    """The heading's Markdown source text (closing #s removed, not stripped of `{#a}`)."""
    text_col: int
    """Column of ``text`` in ``first_line``."""
    setext: bool = False


Mark = tuple[int, tuple[int, ...], int, int]
"""(line, open list items' content indents, headings so far, runs so far) after a blank line
outside any fence or HTML block: there the scanner's whole state is the list indents (no
paragraph, no run, no fence), so a re-scan may start after such a line (incremental.py)."""


@dataclass(slots=True)
class Scan:
    headings: list[Heading]
    runs: list[tuple[int, int]]
    """[first, end) line ranges of inline text in which links may occur."""
    marks: list[Mark]
    """Resumable points, in line order."""
    stopped: Mark | None = None
    """The mark at which ``stop`` ended a partial scan (None: scanned to the end)."""


def _indent(line: str) -> int:
    """Leading whitespace width in columns (tabs to the next multiple of 4)."""
    col = 0
    for ch in line:
        if ch == " ":
            col += 1
        elif ch == "\t":
            col += 4 - col % 4
        else:
            break
    return col


def _html_kind(content: str) -> int:
    if not content.startswith("<"):
        return 0
    if _HTML_1.match(content):
        return 1
    if content.startswith("<!--"):
        return 2
    if content.startswith("<?"):
        return 3
    if content.startswith("<![CDATA["):
        return 5
    if content.startswith("<!") and content[2:3].isalpha():
        return 4
    if _HTML_6.match(content):
        return 6
    return 7 if _HTML_7.match(content) else 0


def _html_closed(kind: int, line: str) -> bool:
    if kind == 1:
        low = line.lower()
        return any(f"</{t}>" in low for t in ("script", "pre", "style", "textarea"))
    marker = _HTML_ENDS.get(kind)
    return marker is not None and marker in line


class _Scanner:
    """One pass over the lines; state is the open fence/HTML block, paragraph and lists."""

    def __init__(self, lines: list[str], start: int) -> None:
        self.lines = lines
        self.start = start
        self.headings: list[Heading] = []
        self.runs: list[tuple[int, int]] = []
        self.fence: tuple[str, int, int] | None = None  # (char, length, base indent)
        self.html = 0  # kind of the open HTML block, 0 when none
        self.html_base = 0  # content indent of the list item holding it
        self.para = False  # inside a paragraph (lazy continuation possible)
        self.para_top = False  # that paragraph may become a setext heading
        self.para_start = 0
        self.run_start: int | None = None
        self.lists: list[int] = []  # content indents of open list items, innermost last
        self.blank_before = True
        self.marks: list[Mark] = []
        self.stop: Callable[[Mark], bool] | None = None

    def _end_run(self, i: int) -> None:
        if self.run_start is not None:
            self.runs.append((self.run_start, i))
            self.run_start = None

    def _text(self, i: int, top: bool) -> None:
        """Line ``i`` is inline text (paragraph, list item, quote, table row)."""
        if not self.para:  # a lazy continuation line keeps the paragraph's standing
            self.para, self.para_top, self.para_start = True, top, i
        if self.run_start is None:
            self.run_start = i

    def _interrupt(self, i: int) -> None:
        self.para = False
        self._end_run(i)

    def scan(self) -> Scan:
        lines = self.lines
        for i in range(self.start, len(lines)):
            line = lines[i]
            content = line.lstrip(" \t")
            if self.fence is not None:
                self._in_fence(i, line, content)
            elif self.html and self._in_html(line, content):
                self.blank_before = not content
                continue
            elif not content:
                self._interrupt(i)
                self.blank_before = True
                mark = (i, tuple(self.lists), len(self.headings), len(self.runs))
                self.marks.append(mark)
                if self.stop is not None and self.stop(mark):
                    return Scan(self.headings, self.runs, self.marks, mark)
                continue
            elif (
                # Fast path: plain prose continuing a paragraph (most lines of real text).
                self.para
                and not self.blank_before
                and content[0] not in _SPECIAL
                and not content[0].isdigit()
                and (content is line or not self.lists)
            ):
                if self.run_start is None:
                    self.run_start = i
            else:
                self._line(i, line, content)
            self.blank_before = False
        self._end_run(len(lines))
        return Scan(self.headings, self.runs, self.marks)

    def _in_html(self, line: str, content: str) -> bool:
        """Consume a line of the open HTML block; False when the block ended before it."""
        if self.html_base and content and _indent(line) < self.html_base:
            self.html = 0  # the list item holding the HTML block ended: so did the block
            return False
        if self.html >= 6:
            if not content:
                self.html = 0
        elif _html_closed(self.html, line):
            self.html = 0
        return True

    def _line(self, i: int, line: str, content: str) -> None:
        indent = len(line) - len(content) if "\t" not in line[: len(line) - len(content)] else _indent(line)
        base = self._base_after_pop(indent)
        rel = indent - base
        lazy = self.para and not self.blank_before
        if rel >= 4:
            if lazy:
                self._text(i, False)
            else:
                self._commit_pop(indent)
                self._interrupt(i)  # indented code
            return
        if self._block_start(i, line, content, indent, base, lazy):
            return
        if lazy:
            self._text(i, False)
            return
        self._commit_pop(indent)
        self._text(i, base == 0)

    def _base_after_pop(self, indent: int) -> int:
        for depth in range(len(self.lists), 0, -1):
            if indent >= self.lists[depth - 1]:
                return self.lists[depth - 1]
        return 0

    def _commit_pop(self, indent: int) -> None:
        while self.lists and indent < self.lists[-1]:
            self.lists.pop()

    def _in_fence(self, i: int, line: str, content: str) -> None:
        char, length, base = self.fence  # type: ignore[misc]
        indent = _indent(line)
        if base and content and indent < base:
            # A fence inside a list item ends with the item: this line is outside both.
            self.fence = None
            self._line(i, line, content)
            return
        if indent - base < 4:
            stripped = line.strip()
            if len(stripped) >= length and stripped == char * len(stripped):
                self.fence = None

    def _block_start(self, i: int, line: str, content: str, indent: int, base: int, lazy: bool) -> bool:
        """Handle a line that opens a block; False when it is plain paragraph text."""
        first = content[0]
        if first == "=" or first == "-":
            if lazy and self.para_top and base == 0 and _SETEXT.fullmatch(content):
                self._setext(i, 1 if first == "=" else 2)
                return True
        if first in "-*_" and _BREAK.fullmatch(content):
            self._commit_pop(indent)
            self._interrupt(i)
            return True
        if first == "#":
            m = _ATX.match(content)
            if m:
                self._commit_pop(indent)
                self._interrupt(i)
                self._atx(i, line, content, m, top=not self.lists)
                return True
        if first in "`~":
            m = _FENCE.match(content)
            if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
                self._commit_pop(indent)
                self._interrupt(i)
                self.fence = (m.group(1)[0], len(m.group(1)), base)
                return True
        if first == "<":
            kind = _html_kind(content)
            if kind and not (kind == 7 and lazy):
                self._commit_pop(indent)
                self._interrupt(i)
                if not (kind < 6 and _html_closed(kind, content[4 if kind == 2 else 1 :])):
                    self.html, self.html_base = kind, base
                return True
        if first == ">":
            self._quote(i, content, indent)
            return True
        if first in "-+*" or first.isdigit():
            return self._list_item(i, content, indent, lazy)
        return False

    def _quote(self, i: int, content: str, indent: int) -> None:
        """A block quote line: it interrupts a paragraph; its text is never a setext title."""
        self._commit_pop(indent)
        self.para = False
        inner = _QUOTE_MARKS.sub("", content, count=1)
        if inner.strip() and not (_ATX.match(inner) or _BREAK.fullmatch(inner) or _FENCE.match(inner)):
            self._text(i, False)  # a paragraph inside the quote: later lines may continue it lazily
        elif self.run_start is None:
            self.run_start = i  # a heading in a quote may still hold links

    def _list_item(self, i: int, content: str, indent: int, lazy: bool) -> bool:
        m = _LIST_ITEM.match(content)
        if m is None:
            return False
        rest = content[m.end() :]
        # An empty item, or an ordered one not starting at 1, cannot interrupt a paragraph.
        if lazy and (not rest or (m.group(1) is not None and m.group(1) != "1")):
            return False
        marker_width = m.start(2)
        spaces = len(m.group(2).expandtabs(4))
        width = marker_width + (1 if not rest or spaces > 4 else spaces)
        self._commit_pop(indent)
        # A new item ends the paragraph but not the link run: a code span rarely crosses items,
        # and one run per list keeps scanning fast on list-heavy documents.
        self.para = False
        self.lists.append(indent + width)
        if not rest or spaces > 4:
            return True  # an empty item, or one that opens with indented code: no paragraph yet
        fence = _FENCE.match(rest)
        if fence and not (fence.group(1)[0] == "`" and "`" in fence.group(2)):
            self.fence = (fence.group(1)[0], len(fence.group(1)), indent + width)
            return True
        self._text(i, False)
        return True

    def _atx(self, i: int, line: str, content: str, m: re.Match[str], top: bool) -> None:
        if not top:
            self.runs.append((i, i + 1))  # still inline text (links count) but not a section
            return
        start = len(line) - len(content) + m.end()
        text = _ATX_CLOSE.sub("", line[start:]) if "#" in line[start:] else line[start:]
        text = text.rstrip(" \t")
        if not text.strip():
            text, start = "", len(line.rstrip(" \t"))
        self.headings.append(Heading(len(m.group(1)), i, i, text, start))
        self.runs.append((i, i + 1))

    def _setext(self, i: int, level: int) -> None:
        first = self.para_start
        body = [self.lines[j].strip() for j in range(first, i)]
        col = len(self.lines[first]) - len(self.lines[first].lstrip(" \t"))
        self.headings.append(Heading(level, first, i, "\n".join(body), col, setext=True))
        self.para = False
        self._end_run(i)


def scan_blocks(lines: list[str], start: int = 0) -> Scan:
    """Headings (top level only) and link-bearing line runs of ``lines[start:]``."""
    return _Scanner(lines, start).scan()


def rescan_from(lines: list[str], prefix: Scan, k: int, start: int, stop: Callable[[Mark], bool]) -> Scan:
    """Scan ``lines`` from just after ``prefix.marks[k]`` (k < 0: from ``start``, the body's
    first line), carrying ``prefix``'s headings, runs and marks up to that mark, until
    ``stop`` accepts a mark (``Scan.stopped``) or the text ends. Equal to a full scan up to
    there: at a mark the scanner's state is only the list indents the mark holds."""
    if k < 0:
        scanner = _Scanner(lines, start)
    else:
        line, lists, n_headings, n_runs = prefix.marks[k]
        scanner = _Scanner(lines, line + 1)
        scanner.lists = list(lists)
        scanner.headings = prefix.headings[:n_headings]
        scanner.runs = prefix.runs[:n_runs]
        scanner.marks = prefix.marks[: k + 1]
    scanner.stop = stop
    return scanner.scan()
