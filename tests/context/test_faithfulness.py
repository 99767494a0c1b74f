"""The faithfulness guard (pure): what a summary states that its source does not."""

from __future__ import annotations

import pytest

from clm_lsp.context.faithfulness import invented, is_faithful, names

SOURCE = (
    "The Riverside forum has 1,200 members since March 2024. It spends 40% of a 1.2 million budget. "
    "Twelve seats; review in Q1 2024, next on 2024-06-15. See kestrel-bay-harbour."
)


@pytest.mark.parametrize(
    "summary",
    [
        "It has 1200 members.",
        "It has 1 200 members since 2024-03.",
        "It spends 40 percent of 1,200,000.",
        "12 seats, reviewed in 2024.",
        "Riverside and the Kestrel Harbour forum met.",
        "Review in 2024-Q1, then in June 2024.",
        "Twelve seats since March.",
        "Founded as a forum, it grew.",  # capitalised only because the sentence starts there
        "The Riverside's forum has 1.2 million.",
    ],
)
def test_restated_facts_pass(summary: str) -> None:
    assert invented(summary, SOURCE) == [], summary
    assert is_faithful(summary, SOURCE)


@pytest.mark.parametrize(
    ("summary", "claims"),
    [
        ("It has 1300 members.", [("number", "1300")]),
        ("Review in Q2 2024.", [("date", "Q2 2024")]),
        ("They meet in April 2024.", [("date", "April 2024")]),
        ("Thirteen seats.", [("number", "Thirteen")]),
        ("It grew 3.0 times.", [("number", "3.0")]),
        ("Set up in 2019 by Alice Smith.", [("number", "2019"), ("name", "Alice"), ("name", "Smith")]),
        ("It spends 45% of the budget.", [("number", "45%")]),
    ],
)
def test_invented_facts_are_returned(summary: str, claims: list[tuple[str, str]]) -> None:
    assert [(c.kind, c.text) for c in invented(summary, SOURCE)] == claims


def test_each_claim_is_reported_once() -> None:
    found = invented("Alice met Alice in 2019 and 2019.", SOURCE)
    assert sorted((c.kind, c.text) for c in found) == [("name", "Alice"), ("number", "2019")]


def test_names_skip_function_words_and_sentence_starters() -> None:
    assert names("The plan aims high. Describes the Harbour. Overall, Kestrel wins.") == ["Harbour", "Kestrel"]


def test_empty_inputs() -> None:
    assert invented("", SOURCE) == []
    assert [c.text for c in invented("It has 12 homes.", "")] == ["12"]
