"""Model review, pure parts: the reply parser, quote location, the review context, findings
to problems, and the review cache file. No model, no server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clm_lsp.blueprint import LineIndex, Severity, Workspace, parse
from clm_lsp.context.review import CONTRADICTION, GAP, Finding, previous_timeslice, review_input, to_problems
from clm_lsp.context.review_locate import locate
from clm_lsp.context.review_prompt import MAX_FINDINGS, parse_review, review_messages
from clm_lsp.server.review_store import ReviewStore, cache_key

PARENT = """---
id: valley
title: Valley Compact
scale: region
---
# Valley Compact

## Vision
The compact meets four times a year. Every budget is public.
"""

CHILD = """---
id: mill-coop
title: Mill Coop
scale: organization
parent: valley
---
# Mill Coop

## Vision
Members own the mill. The general meeting sets prices once a year.

## Work {#work}
We grind «local» grain — 東京 style 🚀, and sell flour.

## Timeslice 2024
The board now sets prices every month.

## Timeslice 2023
Founded by nine farmers.

## Empty
TODO
"""


def workspace() -> Workspace:
    return Workspace.build([parse(PARENT, "file:///w/valley.blueprint.md")[0], parse(CHILD, "file:///w/mill.blueprint.md")[0]], "file:///w")


def section(ws: Workspace, title: str):
    return next(s for s in ws.docs["file:///w/mill.blueprint.md"].sections if s.title == title)


# -- the parser ---------------------------------------------------------------------------


def test_the_line_format_with_every_tolerated_variation() -> None:
    reply = "\n".join([
        "CONTRADICTION | sets prices every month | 1 | the vision says once a year",
        "- **Gap**: no budget is published | [2] | the compact wants public budgets",
        "2. contradiction: \"now sets prices\" | reference 1 | other words",
        "NONE",
        "Contradictions found:",  # a header, not a finding
        "The section is fine.",
    ])
    found = parse_review(reply, [1, 2])
    assert [(f.kind, f.quote, f.reference) for f in found] == [
        ("contradiction", "sets prices every month", 1),
        ("gap", "no budget is published", 2),
        ("contradiction", "now sets prices", 1),
    ]
    assert found[0].reason == "the vision says once a year"


def test_json_lines_are_read_too_and_bad_ones_skipped() -> None:
    reply = '{"kind": "contradiction", "quote": "every month", "ref": "1", "reason": "r"}\n{"kind": "gap", "quote": 5}\n{"kind":'
    assert parse_review(reply, [1]) == (Finding("contradiction", "every month", 1, "r"),)


@pytest.mark.parametrize("reply", [
    "", "NONE", "none.", None, 42, b"CONTRADICTION | x | 1 | y", "CONTRADICTION", "GAP | | |",
    "CONTRADICTION | words copied from the section | reference number | short reason",
    "CONTRADICTION | now opens only on Mondays | 1 | the vision says it opens every day",  # the prompt's example
    "\x00\ufffd" * 1000, "}{" * 5000,
])
def test_garbage_gives_no_findings(reply: object) -> None:
    assert parse_review(reply, [1, 2]) == ()


def test_unknown_reference_numbers_are_dropped_and_repeats_counted_once() -> None:
    line = "CONTRADICTION | sets prices every month | 7 | why"
    assert parse_review("\n".join([line] * 50), [1, 2]) == (Finding("contradiction", "sets prices every month", None, "why"),)


def test_a_huge_reply_is_bounded() -> None:
    reply = "\n".join(f"GAP | missing thing {n} | 1 | reason {n}" for n in range(100_000))
    found = parse_review(reply, [1])
    assert len(found) == MAX_FINDINGS


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_the_parser_never_raises(reply: str) -> None:
    for f in parse_review(reply, [1, 2, 3]):
        assert f.kind in ("contradiction", "gap")


# -- locating quotes ------------------------------------------------------------------------


@pytest.mark.parametrize(("quote", "expected"), [
    ("every month", "every month"),
    ("“EVERY   month”", "every month"),
    ("...now sets prices…", "now sets prices"),
    ("«local» grain — 東京 style 🚀", "local» grain — 東京 style 🚀"),  # a leading « is taken for a quote mark
    ("local grain", None),  # the » inside is text, not something to skip
    ("not in the text at all", None),
    ("a", None),
    ("", None),
])
def test_locate(quote: str, expected: str | None) -> None:
    text = "We grind «local» grain — 東京 style 🚀, and sell flour.\nThe board now sets prices every month."
    found = locate(text, quote)
    assert (text[found[0]:found[1]].lower() if found else None) == (expected.lower() if expected else None)


def test_a_long_quote_is_found_by_its_first_words() -> None:
    text = "The board now sets prices every month, after a vote of the members in March."
    found = locate(text, "The board now sets prices every single week, as it always has done since the start")
    assert found is not None and text[found[0]:found[1]] == "The board now sets prices"


@settings(max_examples=200, deadline=None)
@given(st.text(), st.text())
def test_locate_never_raises_and_stays_inside(text: str, quote: str) -> None:
    found = locate(text, quote)
    if found is not None:
        assert 0 <= found[0] < found[1] <= len(text)


# -- the review context and problems ------------------------------------------------------------


def test_the_references_of_a_timeslice() -> None:
    ws = workspace()
    item = review_input(ws, "file:///w/mill.blueprint.md", section(ws, "Timeslice 2024"))
    assert item is not None
    assert [(r.number, r.role, r.label) for r in item.references] == [
        (1, "vision", "§mill-coop#vision"), (2, "parent vision", "§valley#vision"), (3, "previous timeslice", "§mill-coop#timeslice-2023"),
    ]
    messages = review_messages(item)
    assert messages[-1].role == "user" and "The board now sets prices every month." in messages[-1].content
    assert "[3] Mill Coop › Timeslice 2023 (previous timeslice)" in messages[-1].content


def test_previous_timeslice_goes_by_date_not_document_order() -> None:
    ws = workspace()
    assert previous_timeslice(ws.docs["file:///w/mill.blueprint.md"], section(ws, "Timeslice 2023")) is None
    assert previous_timeslice(ws.docs["file:///w/mill.blueprint.md"], section(ws, "Timeslice 2024")).title == "Timeslice 2023"


def test_nothing_to_review_for_placeholders_and_orphans() -> None:
    ws = workspace()
    assert review_input(ws, "file:///w/mill.blueprint.md", section(ws, "Empty")) is None
    lone = Workspace.build([parse(PARENT, "file:///w/valley.blueprint.md")[0]], "file:///w")
    vision = lone.docs["file:///w/valley.blueprint.md"].sections[0]
    assert review_input(lone, "file:///w/valley.blueprint.md", vision) is None  # a Vision without a parent


def test_findings_land_on_the_quote_with_related_information() -> None:
    ws = workspace()
    uri = "file:///w/mill.blueprint.md"
    sec = section(ws, "Timeslice 2024")
    item = review_input(ws, uri, sec)
    findings = parse_review("CONTRADICTION | now sets prices every month | 1 | The general meeting sets prices once a year\n"
                            "GAP | a public budget | 2 | the compact wants every budget public", [1, 2, 3])
    problems = to_problems(ws, uri, sec.anchor, sec.content_hash, findings, item.references, "tiny-model")
    text = ws.docs[uri].text

    def cut(rng, t=text):
        i = LineIndex(t)
        return t[i.offset_at(rng.start):i.offset_at(rng.end)]

    c, g = problems
    assert (c.code, c.severity, cut(c.range)) == (CONTRADICTION, Severity.INFORMATION, "now sets prices every month")
    assert "tiny-model" in c.message and "§mill-coop#vision" in c.message
    assert c.related[0].uri == uri and cut(c.related[0].range) == "The general meeting sets prices once a year"
    assert (g.code, g.severity) == (GAP, Severity.HINT)
    assert g.range == sec.heading_range  # the gap's words are not in the section: the heading
    parent = ws.docs["file:///w/valley.blueprint.md"]
    assert g.related[0].uri == parent.uri and g.related[0].range == parent.sections[0].heading_range
    # The section's text changed since the review: nothing is shown.
    assert to_problems(ws, uri, sec.anchor, "another-hash", findings, item.references, "m") == []


# -- the cache file -------------------------------------------------------------------------


def test_the_cache_file_round_trips_and_survives_damage(tmp_path: Path) -> None:
    ws = workspace()
    item = review_input(ws, "file:///w/mill.blueprint.md", section(ws, "Timeslice 2024"))
    key = cache_key(item, "m", 160)
    assert key != cache_key(item, "other-model", 160) and key != cache_key(item, "m", 80)
    store = ReviewStore(tmp_path / ".clm", tmp_path)
    findings = (Finding("contradiction", "q", 1, "r", "o"), Finding("gap", "", None, "why"))
    store.put(key, findings)
    store.put("empty", ())
    store.save(store.snapshot())
    assert (tmp_path / ".clm" / ".gitignore").is_file()
    again = ReviewStore(tmp_path / ".clm", tmp_path)
    assert again.load() == 2 and again.get(key) == findings and again.get("empty") == ()
    path = tmp_path / ".clm" / "reviews.json"
    for damage in ["{not json", json.dumps({"format": 99, "rows": {"k": []}}), json.dumps({"format": 1, "rows": {"k": [{"kind": "x"}], "j": 5}}), "[]"]:
        path.write_text(damage, encoding="utf-8")
        broken = ReviewStore(tmp_path / ".clm", tmp_path)
        assert broken.load() == 0 and broken.rows == {}


def test_the_cache_is_not_written_through_a_symlink_that_leaves_the_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    (root / ".clm").symlink_to(outside, target_is_directory=True)
    store = ReviewStore(root / ".clm", root)
    store.put("k", ())
    store.save(store.snapshot())
    assert list(outside.iterdir()) == []
