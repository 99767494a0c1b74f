from __future__ import annotations

import pytest

from clm_lsp.blueprint import estimate_tokens, extractive_summary

SUMMARIES = [
    ("Permanently affordable homes. Governed by members.\n\nMore later.", 280, "Permanently affordable homes. Governed by members. More later."),
    ("<!-- synthesize -->\nA board of [[riverside-district#board|seven]] members. See [the charter](charter.md).", 280, "A board of seven members. See the charter."),
    ("## Sub heading\n- first point\n- second point\n", 280, "first point. second point."),
    ("```\ncode line.\n```\nAfter `code`, **bold** and _em_ text.", 280, "After code, bold and em text."),
    ("One sentence here. Two sentence here. Three sentence here.", 40, "One sentence here. Two sentence here."),
    ("| a | b |\n|---|---|\n| 1 | 2 |\n> Quoted wisdom. ![img](x.png)", 280, "Quoted wisdom."),
    ("[[#local]] and [[other]] links.", 280, "local and other links."),
    ("", 280, ""),
    ("TODO", 280, "TODO."),
]


@pytest.mark.parametrize(("text", "limit", "expected"), SUMMARIES)
def test_extractive_summary(text: str, limit: int, expected: str) -> None:
    assert extractive_summary(text, limit) == expected


def test_long_first_sentence_is_cut_at_a_word() -> None:
    text = "word " * 200
    out = extractive_summary(text, 50)
    assert len(out) <= 50 and out.endswith("…") and "wor…" not in out


def test_token_estimate() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd" * 100) == 100
    assert estimate_tokens("abc") == 1
    assert estimate_tokens("漢字漢字") == 4  # about one token per CJK character
    english = "The cooperative elects a board of seven members every second year. " * 50
    assert 0.8 < estimate_tokens(english) / (len(english.split()) * 1.3) < 1.3
