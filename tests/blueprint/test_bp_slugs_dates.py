from __future__ import annotations

import pytest

from clm_lsp.blueprint import Slugger, parse_date, slug_of_heading
from clm_lsp.blueprint.slugs import split_explicit_anchor

# (heading source text, GitHub's anchor), checked against github-slugger's rules.
SLUGS = [
    ("Hello World", "hello-world"),
    ("Hello  World", "hello--world"),  # each space becomes a hyphen
    ("What's new?", "whats-new"),
    ("C++ & Go", "c--go"),
    ("`kubectl` plugins", "kubectl-plugins"),
    ("Émigré Café", "émigré-café"),
    ("日本語 テスト", "日本語-テスト"),
    ("Emoji 😀 here", "emoji--here"),
    ("[Link text](http://example.com) after", "link-text-after"),
    ("See [[riverside-coop#gov|the board]]", "see-the-board"),
    ("snake_case_name", "snake_case_name"),
    ("__init__ method", "init-method"),
    ("`__init__` method", "__init__-method"),
    ("1. Intro", "1-intro"),
    ("Q&A", "qa"),
    ("Hello-World", "hello-world"),
    ("**Bold** and *em*", "bold-and-em"),
    ("<kbd>Ctrl</kbd> keys", "ctrl-keys"),
    ("Timeslice 2024-Q3", "timeslice-2024-q3"),
    ("", ""),
]


@pytest.mark.parametrize(("text", "slug"), SLUGS)
def test_github_slug(text: str, slug: str) -> None:
    assert slug_of_heading(text) == slug


def test_dedup_in_document_order_like_github() -> None:
    s = Slugger()
    assert [s.unique(x) for x in ["a", "a", "a-1", "a", "b"]] == ["a", "a-1", "a-1-1", "a-2", "b"]


def test_explicit_anchor_wins_and_slug_takes_suffix() -> None:
    s = Slugger()
    assert s.reserve("gov")
    assert not s.reserve("gov")
    assert s.unique("gov") == "gov-1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Governance {#gov}", ("Governance", "gov", 13)),
        ("Governance {#gov}  ", ("Governance", "gov", 13)),
        ("Governance", ("Governance", None, None)),
        ("Set {#a} in middle", ("Set {#a} in middle", None, None)),
    ],
)
def test_split_explicit_anchor(text: str, expected: tuple[str, str | None, int | None]) -> None:
    assert split_explicit_anchor(text) == expected


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("2024", (2024, 1, 1)),
        ("2024-07", (2024, 7, 1)),
        ("2024-02-29", (2024, 2, 29)),
        ("2024-Q3", (2024, 7, 1)),
        ("2024-q1", (2024, 1, 1)),
        (" 2025 ", (2025, 1, 1)),
    ],
)
def test_dates(raw: str, key: tuple[int, int, int]) -> None:
    date = parse_date(raw)
    assert date is not None and date.sort_key == key


@pytest.mark.parametrize("raw", ["", "24", "2023-02-29", "2024-13", "2024-00", "2024-Q5", "2024-Q0", "2024/07", "July 2024", "0000-01-01", "2024-1"])
def test_bad_dates(raw: str) -> None:
    assert parse_date(raw) is None
