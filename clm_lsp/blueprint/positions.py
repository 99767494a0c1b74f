"""Lines, offsets and the LSP position encodings.

The core counts characters in code points (Python ``str`` indices within a
line). Clients count in UTF-16 code units by default, or UTF-8 bytes / UTF-32
code points when they negotiated that. This module is the one place that
converts between them.

Lines end at ``\\n``, ``\\r\\n`` or ``\\r``, exactly as LSP defines them (and not
at the other separators ``str.splitlines`` knows, such as U+2028 or form feed).
"""

from __future__ import annotations

import bisect
import re
from itertools import accumulate

from .model import Position, Range

ENCODINGS = ("utf-16", "utf-8", "utf-32")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """The document's lines without their terminators (always at least one line)."""
    if "\r" not in text:
        return text.split("\n")
    return _LINE_BREAK.split(text)


def _units(s: str, encoding: str) -> int:
    """Length of ``s`` in the code units of ``encoding``."""
    if s.isascii() or encoding == "utf-32":
        return len(s)
    if encoding == "utf-8":
        return len(s.encode("utf-8", "surrogatepass"))
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def _check(encoding: str) -> None:
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown position encoding {encoding!r}; expected one of {ENCODINGS}")


class LineIndex:
    """Line starts of one text, for offset <-> position <-> client conversions."""

    __slots__ = ("text", "lines", "_starts")

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = split_lines(text)
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        """Offset of each line's first character. Built on first use: converting a client
        position (every hover and completion after a keystroke makes a new text) needs only
        the lines."""
        if self._starts is None:
            text = self.text
            # Each start is the previous start plus that line plus its terminator: summing
            # line lengths is ~10x faster than matching.
            if "\r" not in text:
                starts = list(accumulate([len(line) + 1 for line in self.lines], initial=0))
                starts.pop()
            else:
                starts = [0]
                if len(self.lines) > 1:
                    for m in _LINE_BREAK.finditer(text):
                        starts.append(m.end())
            self._starts = starts
        return self._starts

    @property
    def line_count(self) -> int:
        return len(self.lines)

    def line(self, n: int) -> str:
        return self.lines[n] if 0 <= n < len(self.lines) else ""

    def end(self) -> Position:
        """The position just after the last character of the text."""
        return Position(len(self.lines) - 1, len(self.lines[-1]))

    def position_at(self, offset: int) -> Position:
        """Code-point offset into the text -> Position (clamped to the text)."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        return Position(line, min(offset - self.starts[line], len(self.lines[line])))

    def offset_at(self, pos: Position) -> int:
        """Position -> code-point offset; a line or column past the end is clamped."""
        if pos.line < 0:
            return 0
        if pos.line >= len(self.lines):
            return len(self.text)
        return self.starts[pos.line] + max(0, min(pos.character, len(self.lines[pos.line])))

    def clamp(self, pos: Position) -> Position:
        """The nearest position inside the text (what ``position_at(offset_at(pos))`` gives)."""
        if pos.line < 0:
            return Position(0, 0)
        if pos.line >= len(self.lines):
            return self.end()
        character = max(0, min(pos.character, len(self.lines[pos.line])))
        return pos if character == pos.character else Position(pos.line, character)

    def to_client(self, pos: Position, encoding: str = "utf-16") -> tuple[int, int]:
        """Core position -> (line, character) in the client's encoding."""
        _check(encoding)
        pos = self.clamp(pos)
        return pos.line, _units(self.lines[pos.line][: pos.character], encoding)

    def to_client_range(self, rng: Range, encoding: str = "utf-16") -> tuple[tuple[int, int], tuple[int, int]]:
        return self.to_client(rng.start, encoding), self.to_client(rng.end, encoding)

    def from_client(self, line: int, character: int, encoding: str = "utf-16") -> Position:
        """(line, character) in the client's encoding -> core position.

        Past the end of a line means the end of that line (as LSP says); an offset
        that falls inside a character (half a surrogate pair, the middle of a UTF-8
        sequence) snaps to the start of that character.
        """
        _check(encoding)
        if line < 0:
            return Position(0, 0)
        if line >= len(self.lines):
            return self.end()
        text = self.lines[line]
        character = max(0, character)
        if text.isascii() or encoding == "utf-32":
            return Position(line, min(character, len(text)))
        units = 0
        for i, ch in enumerate(text):
            width = _char_units(ch, encoding)
            if units + width > character:
                return Position(line, i)
            units += width
        return Position(line, len(text))

    def from_client_range(self, start: tuple[int, int], end: tuple[int, int], encoding: str = "utf-16") -> Range:
        return Range(self.from_client(*start, encoding), self.from_client(*end, encoding))


def _char_units(ch: str, encoding: str) -> int:
    cp = ord(ch)
    if encoding == "utf-16":
        return 2 if cp > 0xFFFF else 1
    if cp < 0x80:
        return 1
    if cp < 0x800:
        return 2
    return 3 if cp < 0x10000 else 4
