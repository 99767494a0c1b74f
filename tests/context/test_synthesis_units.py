"""Section synthesis, the pure part: targets, reply cleaning, the replacement range, the
outline guard and the timeslice digest, on odd inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from clm_lsp.blueprint import FormatConfig, LineIndex, Position, parse, parse_date
from clm_lsp.context.synthesis import apply, clean_reply, replacement, same_structure, target_at
from clm_lsp.context.timeslice_digest import DIGEST_ANCHOR, digest, older_timeslices

HEAD = "---\nid: coop\ntitle: Coop\nscale: organization\n---\n# Coop\n\n"
FMT = FormatConfig()


def bp_of(text: str):
    return parse(text, "file:///w/coop.blueprint.md")[0]


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n")


# -- targets ---------------------------------------------------------------------------


DOC = HEAD + (
    "## Vision\nHomes for all.\n\n"
    "## Governance\n<!-- synthesize -->\n\n"
    "## Finance\nTODO\n\n"
    "## Structure\n### Board\nSeven people.\n\n"
    "## Risks\n\n"
    "## Timeslice 2024\nFounded.\n"
)


@pytest.mark.parametrize(
    ("needle", "anchor", "reason"),
    [
        ("<!-- synthesize -->", "governance", "placeholder"),
        ("## Governance", "governance", "placeholder"),
        ("TODO", "finance", "placeholder"),
        ("## Structure", "structure", "empty"),
        ("## Risks", "risks", "placeholder"),
        ("## Vision", "vision", "heading"),
        ("## Timeslice 2024", "timeslice-2024", "heading"),
        ("### Board", "board", "heading"),
    ],
)
def test_targets(needle: str, anchor: str, reason: str) -> None:
    bp = bp_of(DOC)
    found = target_at(bp, Position(line_of(DOC, needle), 1))
    assert found is not None and (found.anchor, found.reason) == (anchor, reason)


@pytest.mark.parametrize("needle", ["Homes for all.", "Seven people.", "Founded.", "id: coop", "# Coop"])
def test_no_target_in_written_text_or_front_matter(needle: str) -> None:
    bp = bp_of(DOC)
    assert target_at(bp, Position(line_of(DOC, needle), 2)) is None


# -- cleaning the reply ------------------------------------------------------------------


def test_clean_reply_keeps_prose_only() -> None:
    reply = (
        "Sure! Here is the section:\n## Governance\nThe board meets monthly. The board meets monthly.\n"
        "```markdown\n# Not a heading\n```\nMembers vote\n===\n<pre>\n<!-- hidden --> Open meetings.\n"
        "<|im_end|>And then the"
    )
    out = clean_reply(reply, "Governance")
    assert "#" not in out.replace("\\#", "")
    assert out.count("The board meets monthly.") == 1
    assert "```" not in out and "===" not in out and "<!--" not in out and "<|" not in out
    assert "\\<pre>" in out  # escaped: an HTML block start would hide the headings after it
    assert not out.endswith("And then the")


@pytest.mark.parametrize("reply", ["", "   \n\n", "## Only a heading\n", "```\n```", "<|im_end|>", "[**Governing",
                                   "[#Governing-1]\n\n[#Governing-2]\n\n[#Governing",
                                   'The following is the rewritten text of the section "## Roles" of the blueprint:'])
def test_clean_reply_of_nothing_usable_is_empty(reply: str) -> None:
    assert clean_reply(reply, "Governance") == ""


def test_clean_reply_drops_copied_context_markup() -> None:
    reply = (
        "[§coop#timeslice-2024] Coop › Timeslice 2024 (full)\nForty homes.\n\n"
        "[§coop#vision] Coop › Vision (summary L1, extractive): Homes for all.\n"
        "[… truncated: ~ of 900 tokens shown; zoom in on [§coop#finance] for the rest]\n"
        "As [§coop#vision] says, members decide.\n"
        "[**Governing**] Coop › Governance (summary L1, extractive): Members vote.\n"
        "[**Kestrel Bay**]  [**Kest]\n"
        "Kestrel Bay Fishers' Cooperative › Members (summary L0, extractive): Forty boats.\n"
        "Coop › Timeslice 2024 (full)"
    )
    assert clean_reply(reply, "Governance") == "Forty homes.\n\nHomes for all.\nAs [[coop#vision]] says, members decide.\nMembers vote.\nForty boats."


def test_clean_reply_keeps_a_list_and_links() -> None:
    out = clean_reply("- Members elect [[coop#board|the board]]\n- Meetings are open", "X")
    assert out == "- Members elect [[coop#board|the board]]\n- Meetings are open"


# -- the replacement ----------------------------------------------------------------------


CASES = {
    "placeholder before a heading": HEAD + "## A\n<!-- synthesize -->\n\n## B\ntext\n",
    "last section at EOF without newline": HEAD + "## A\nold",
    "heading at EOF without newline": HEAD + "## A",
    "heading at EOF with newline": HEAD + "## A\n",
    "grouping heading with subsections": HEAD + "## A\n### S\nx\n\n## B\n",
    "CRLF": (HEAD + "## A\nold\n\n## B\nkeep\n").replace("\n", "\r\n"),
    "Unicode before and in the section": HEAD.replace("Coop", "Coop 🚀 東京") + "## A 東京 🚀\nälter 🔧\n\n## B",
    "nested: middle subsection": HEAD + "## A\nintro\n### S\nold sub\n#### T\ndeep\n## B\n",
}


@pytest.mark.parametrize("name", list(CASES))
def test_replacement_touches_only_the_own_body(name: str) -> None:
    text = CASES[name]
    bp = bp_of(text)
    section = bp.section_by_anchor("s") or bp.sections[0]
    rep = replacement(bp, section, "New line one.\nLine two 🚀.")
    assert rep.range == section.body_range
    out = apply(text, rep.range, rep.new_text)
    index = LineIndex(text)
    start, end = index.offset_at(section.body_range.start), index.offset_at(section.body_range.end)
    # Byte for byte: everything before and after the own body is unchanged.
    assert out.startswith(text[:start]) and out.endswith(text[end:])
    assert same_structure(bp, out, FMT)
    new_bp = bp_of(out)
    new_section = new_bp.section_by_anchor(section.anchor)
    assert new_section is not None
    assert new_section.text.replace("\r", "") == "New line one.\nLine two 🚀."
    if "\r\n" in text:
        assert "\n" not in out.replace("\r\n", "")  # no bare line feed slipped in


def test_a_blank_line_separates_the_text_from_the_next_heading() -> None:
    text = CASES["placeholder before a heading"]
    bp = bp_of(text)
    rep = replacement(bp, bp.sections[0], "Written.")
    assert "## A\nWritten.\n\n## B\n" in apply(text, rep.range, rep.new_text)


@pytest.mark.parametrize(
    "evil",
    [
        "## Injected heading",
        "Fine.\n\n# Top level",
        "Paragraph\n---",
        "<!-- open comment swallowing the rest",
        "```\nunclosed fence",
        "<pre>\nswallows headings",
    ],
)
def test_the_outline_guard_refuses_restructuring_text(evil: str) -> None:
    text = HEAD + "## A\n<!-- synthesize -->\n\n## B\nkeep\n"
    bp = bp_of(text)
    rep = replacement(bp, bp.sections[0], evil)
    assert not same_structure(bp, apply(text, rep.range, rep.new_text), FMT)
    cleaned = clean_reply(evil, "A")
    rep = replacement(bp, bp.sections[0], cleaned)
    assert same_structure(bp, apply(text, rep.range, rep.new_text), FMT)


# -- timeslice digest ----------------------------------------------------------------------


SLICES = HEAD + (
    "## Vision\nv\n\n"
    "## Timeslice 2022\nFounded by 12 households.\n\n"
    "## Timeslice 2023-Q1\nBought the Mill building.\n\n"
    "## Timeslice 2024\nForty homes.\n\n"
    "## Timeslice 2025-03\nSolar roof.\n"
)


def test_digest_summarises_all_but_the_newest_and_links_the_originals() -> None:
    bp = bp_of(SLICES)
    assert [s.anchor for s in older_timeslices(bp, 2)] == ["timeslice-2022", "timeslice-2023-q1"]
    assert [s.anchor for s in older_timeslices(bp, 0, parse_date("2024"))] == ["timeslice-2022", "timeslice-2023-q1"]
    found = digest(bp, 2, lambda s: s.text)
    assert found is not None and not found.updates
    out = apply(SLICES, found.range, found.new_text)
    new = bp_of(out)
    dig = new.section_by_anchor(DIGEST_ANCHOR)
    assert dig is not None and dig.level == 2 and dig.kind.value == "other"
    assert "[[coop#timeslice-2022|2022]]: Founded by 12 households." in dig.text
    assert "[[coop#timeslice-2023-q1|2023-Q1]]" in dig.text and "2024" not in dig.text.split("\n", 1)[1]
    assert [s.title for s in new.sections if s.kind.value == "timeslice"] == [s.title for s in bp.sections if s.kind.value == "timeslice"]
    # Running it again rewrites the digest's body in place.
    again = digest(new, 1, lambda s: s.text)
    assert again is not None and again.updates and again.range == dig.body_range
    out2 = apply(out, again.range, again.new_text)
    assert bp_of(out2).section_by_anchor(DIGEST_ANCHOR).text.count("[[coop#") == 3
    assert digest(bp, 4, lambda s: s.text) is None


# -- the real k8s-community corpus --------------------------------------------------------

CORPUS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "k8s-community").resolve()


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpora/k8s-community is absent")
def test_every_corpus_section_is_replaced_in_its_body_only() -> None:
    """Sections of every corpus file (nested SIG subsections, code blocks, tables, HTML):
    the replacement keeps the outline and every byte outside the own body."""
    checked = 0
    for path in sorted(CORPUS.glob("*.blueprint.md")):
        text = path.read_text(encoding="utf-8")
        bp = parse(text, path.as_uri())[0]
        index = LineIndex(text)
        step = max(1, len(bp.sections) // 5)  # five or six per file, spread out: a reparse each (seconds in all)
        for section in bp.sections[::step]:
            rep = replacement(bp, section, "Written by the model.\nSecond line with [[kubernetes]].")
            out = apply(text, rep.range, rep.new_text)
            start, end = index.offset_at(section.body_range.start), index.offset_at(section.body_range.end)
            assert out.startswith(text[:start]) and out.endswith(text[end:]), (path.name, section.anchor)
            assert same_structure(bp, out, FMT), (path.name, section.anchor)
            checked += 1
    assert checked > 150
