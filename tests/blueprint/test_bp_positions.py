from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clm_lsp.blueprint import ENCODINGS, LineIndex, Position, Range, split_lines

TEXT = "a😀b\n漢字x\r\ne\u0301z\rlast"


def test_lines_split_like_lsp() -> None:
    assert split_lines("a\nb\r\nc\rd") == ["a", "b", "c", "d"]
    assert split_lines("") == [""]
    assert split_lines("x\n") == ["x", ""]
    # U+2028, form feed and NEL are not line breaks for LSP.
    assert split_lines("a\u2028b\x0cc\x85d") == ["a\u2028b\x0cc\x85d"]


@pytest.mark.parametrize(
    ("pos", "utf16", "utf8", "utf32"),
    [
        (Position(0, 0), (0, 0), (0, 0), (0, 0)),
        (Position(0, 1), (0, 1), (0, 1), (0, 1)),
        (Position(0, 2), (0, 3), (0, 5), (0, 2)),  # after the emoji: a surrogate pair, 4 UTF-8 bytes
        (Position(0, 3), (0, 4), (0, 6), (0, 3)),
        (Position(1, 2), (1, 2), (1, 6), (1, 2)),  # CJK: 1 UTF-16 unit, 3 bytes each
        (Position(2, 2), (2, 2), (2, 3), (2, 2)),  # e + combining acute: two code points
        (Position(3, 4), (3, 4), (3, 4), (3, 4)),
    ],
)
def test_to_client(pos: Position, utf16: tuple[int, int], utf8: tuple[int, int], utf32: tuple[int, int]) -> None:
    idx = LineIndex(TEXT)
    assert idx.to_client(pos) == utf16
    assert idx.to_client(pos, "utf-16") == utf16
    assert idx.to_client(pos, "utf-8") == utf8
    assert idx.to_client(pos, "utf-32") == utf32
    for enc, client in zip(ENCODINGS, (utf16, utf8, utf32)):
        assert idx.from_client(*client, enc) == pos


def test_from_client_inside_a_character_snaps_to_its_start() -> None:
    idx = LineIndex("a😀b")
    assert idx.from_client(0, 2, "utf-16") == Position(0, 1)  # between the surrogates
    assert idx.from_client(0, 3, "utf-8") == Position(0, 1)  # inside the 4-byte sequence
    assert idx.from_client(0, 99) == Position(0, 3)  # past the end of the line: its end
    assert idx.from_client(9, 0) == Position(0, 3)  # past the last line: end of text


def test_offsets_and_clamping() -> None:
    idx = LineIndex(TEXT)
    assert idx.offset_at(Position(1, 0)) == TEXT.index("漢")
    assert idx.offset_at(Position(2, 0)) == TEXT.index("e\u0301")
    assert idx.offset_at(Position(3, 0)) == TEXT.index("last")
    assert idx.offset_at(Position(0, 99)) == 3  # clamped to the line, not into the next one
    assert idx.offset_at(Position(99, 0)) == len(TEXT)
    assert idx.position_at(TEXT.index("z")) == Position(2, 2)
    assert idx.position_at(10_000) == Position(3, 4)
    rng = Range(Position(0, 1), Position(1, 1))
    assert idx.to_client_range(rng) == ((0, 1), (1, 1))
    assert idx.from_client_range((0, 1), (1, 1)) == rng


def test_unknown_encoding_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="utf-7"):
        LineIndex("x").to_client(Position(0, 0), "utf-7")


text_strategy = st.text(alphabet=st.sampled_from(list("ab \n\r\t#😀漢é\u0301\u2028")), max_size=60)


@settings(max_examples=300, deadline=None)
@given(text_strategy, st.data())
def test_positions_round_trip_in_every_encoding(text: str, data: st.DataObject) -> None:
    idx = LineIndex(text)
    offset = data.draw(st.integers(0, len(text)))
    pos = idx.position_at(offset)
    assert 0 <= pos.line < idx.line_count
    assert 0 <= pos.character <= len(idx.lines[pos.line])
    for enc in ENCODINGS:
        assert idx.from_client(*idx.to_client(pos, enc), enc) == pos
    # An offset that falls between \r and \n maps to the end of that line.
    assert idx.offset_at(pos) == offset or text[offset - 1 : offset + 1] == "\r\n"
