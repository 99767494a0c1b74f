"""Property tests: parse never raises, and every range it reports is sane."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clm_lsp.blueprint import Blueprint, LineIndex, Range, Workspace, check_document, parse

# Fragments that exercise the grammar far more often than uniform random text would.
FRAGMENTS = [
    "---\n", "id: a\n", "scale: team\n", "parent: b\n", "tags: [x, 1]\n", "&a ", "*a", "...\n",
    "# ", "## ", "### ", "Vision", "Timeslice 2024", "Timeslice 2024-Q9", " {#x}", "\n", "\r\n", "\r",
    "```\n", "~~~\n", "    ", "\t", "> ", "- ", "1. ", "<!--", "-->", "<div>\n", "`", "``",
    "[[", "]]", "[[a#b|c]]", "[[#x]]", "[t](b.blueprint.md#x)", "[t](../../x.blueprint.md)", "(", ")", "|", "#",
    "===\n", "---", "😀", "漢字", "e\u0301", "\x00", "\x07", "\u2028", "\ufeff", "text ", "TODO",
]
PREFIXES = ["", "", "# ", "## ", "## ", "### ", "- ", "  - ", "> ", "    ", "```", "~~~", "<!--", "<div>", "---", "===", "1. ", "\t"]
YAML_LINES = ["id: a", "id: A b", "scale: team", "scale: [x]", "parent: b", "tags: [x, 1]", "x: &a [1]", "y: *a", "z: [", "- 1", "k:"]
fragment = st.sampled_from(FRAGMENTS) | st.text(max_size=4)
line = st.tuples(st.sampled_from(PREFIXES), st.lists(fragment, max_size=4), st.sampled_from(["\n", "\n", "\r\n", "\r"]))
body = st.lists(line, max_size=25).map(lambda ls: "".join(p + "".join(f) + nl for p, f, nl in ls))
front = st.lists(st.sampled_from(YAML_LINES), max_size=6).map(lambda ls: "---\n" + "".join(x + "\n" for x in ls))
closing = st.sampled_from(["---\n", "...\n", ""])
documents = st.one_of(
    st.tuples(front, closing, body).map("".join),
    body,
    st.lists(fragment, max_size=40).map("".join),
)


def _inside(idx: LineIndex, rng: Range) -> bool:
    def ok(p) -> bool:  # noqa: ANN001 - Position
        return 0 <= p.line < idx.line_count and 0 <= p.character <= len(idx.lines[p.line])

    return ok(rng.start) and ok(rng.end) and rng.start <= rng.end


def _all_ranges(bp: Blueprint) -> list[Range]:
    out = [p.range for p in bp.problems]
    if bp.title_range:
        out.append(bp.title_range)
    if bp.front_matter:
        out.append(bp.front_matter.range)
        for f in bp.front_matter.fields.values():
            out += [f.key_range, f.value_range]
    for s in bp.sections:
        out += [s.heading_range, s.body_range, s.range] + ([s.anchor_range] if s.anchor_range else [])
    for link in bp.links:
        out += [link.range, link.target_range] + [r for r in (link.entity_range, link.anchor_range) if r]
    return out


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_parse_never_raises_and_ranges_are_inside(text: str) -> None:
    bp, problems = parse(text, "file:///w/a.blueprint.md")
    assert problems == bp.problems
    assert all(p.code != "CLM027" for p in problems), problems  # no internal error
    idx = LineIndex(bp.text)
    for rng in _all_ranges(bp):
        assert _inside(idx, rng), rng


@settings(max_examples=300, deadline=None)
@given(documents)
def test_sections_are_ordered_and_nested(text: str) -> None:
    bp, _ = parse(text, "file:///w/a.blueprint.md")
    for i, s in enumerate(bp.sections):
        assert s.index == i
        assert s.range.start == s.heading_range.start
        assert s.heading_range.end <= s.body_range.start or s.body_range.start == s.body_range.end
        assert s.body_range.end <= s.range.end
        if i:
            assert bp.sections[i - 1].heading_range.end < s.heading_range.start
        if s.parent is not None:
            parent = bp.sections[s.parent]
            assert parent.level < s.level and i in parent.children
            assert parent.range.start < s.range.start and s.range.end <= parent.range.end
    anchors = [s.anchor for s in bp.sections]
    assert len(anchors) == len(set(anchors)), anchors  # anchors are unique within a file
    for link in bp.links:
        assert link.section is None or bp.sections[link.section].heading_range.start.line <= link.range.start.line


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_parse_never_raises_on_bytes(data: bytes) -> None:
    bp, problems = parse(data, "file:///w/a.blueprint.md")
    assert all(p.code != "CLM027" for p in problems)
    if bp.skipped:
        assert [p.code for p in problems] in (["CLM019"], ["CLM020"])


@settings(max_examples=150, deadline=None)
@given(documents, documents)
def test_checks_never_raise(a: str, b: str) -> None:
    bps = [parse(a, "file:///w/a.blueprint.md")[0], parse(b, "file:///w/sub/b.blueprint.md")[0]]
    ws = Workspace.build(bps, "file:///w")
    for bp in bps:
        idx = LineIndex(bp.text)
        for p in check_document(ws, bp.uri):
            assert _inside(idx, p.range), p
