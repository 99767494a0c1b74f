"""Data-driven: Markdown body -> the sections and links the parser must find."""

from __future__ import annotations

import pytest

from clm_lsp.blueprint import Blueprint, parse

FM = "---\nid: a\nscale: team\n---\n"  # 4 lines: the body starts at line 4


def outline(bp: Blueprint) -> list[tuple]:
    """(level, title, anchor, kind, placeholder, heading line, parent) per section."""
    return [(s.level, s.title, s.anchor, s.kind.value, s.placeholder, s.heading_range.start.line, s.parent) for s in bp.sections]


def links(bp: Blueprint) -> list[tuple]:
    return [(l.kind.value, l.entity, l.anchor, l.path, l.alias, l.section) for l in bp.links]


STRUCTURE = [
    pytest.param(
        "# T\n## Vision\nv\n## Timeslice 2024\nx\n### Detail\ny\n## Risks\n<!-- synthesize -->\n",
        [
            (2, "Vision", "vision", "vision", False, 5, None),
            (2, "Timeslice 2024", "timeslice-2024", "timeslice", False, 7, None),
            (3, "Detail", "detail", "other", False, 9, 1),
            (2, "Risks", "risks", "other", True, 11, None),
        ],
        id="basic-tree",
    ),
    pytest.param(
        "# T\n```\n## not a heading\n```\n~~~~\n## nor\n```\n~~~~\n    ## indented code\n\n<!--\n## comment\n-->\n## Real\n",
        [(2, "Real", "real", "other", True, 17, None)],
        id="code-and-comments-hide-headings",
    ),
    pytest.param(
        "# T\n## Closing hashes ##\n  ### Indented up to three #\n## C# is fine\n#not-a-heading\n",
        [
            (2, "Closing hashes", "closing-hashes", "other", False, 5, None),
            (3, "Indented up to three", "indented-up-to-three", "other", True, 6, 0),
            (2, "C# is fine", "c-is-fine", "other", False, 7, None),
        ],
        id="atx-rules",
    ),
    pytest.param(
        "Title\n=====\n\nSub part\n--------\ntext\n- item\n---\n",
        [(2, "Sub part", "sub-part", "other", False, 7, None)],
        id="setext-title-and-section",
    ),
    pytest.param(
        "# T\n## In scope\n## In scope\n### In scope\n## Gov {#gov}\n## Gov\n",
        [
            (2, "In scope", "in-scope", "other", True, 5, None),
            (2, "In scope", "in-scope-1", "other", False, 6, None),
            (3, "In scope", "in-scope-2", "other", True, 7, 1),
            (2, "Gov", "gov", "other", True, 8, None),
            (2, "Gov", "gov-1", "other", True, 9, None),
        ],
        id="repeated-slugs-and-explicit-anchor",
    ),
    pytest.param(
        "## Vision\nv\n# Code of Conduct\n### Sub\n# Values\n",
        [
            (2, "Vision", "vision", "vision", False, 4, None),
            (1, "Code of Conduct", "code-of-conduct", "other", False, 6, None),
            (3, "Sub", "sub", "other", True, 7, 1),
            (1, "Values", "values", "other", True, 8, None),
        ],
        id="h1-after-a-section-is-a-level-1-section",
    ),
    pytest.param(
        "# T\n## Parent\n### Child\nbody\n## TODO only\nTODO\n",
        [
            (2, "Parent", "parent", "other", False, 5, None),
            (3, "Child", "child", "other", False, 6, 0),
            (2, "TODO only", "todo-only", "other", True, 8, None),
        ],
        id="a-heading-with-only-subsections-is-not-a-placeholder",
    ),
    pytest.param(
        "# T\n- item\n\n  ## heading in a list item\n> ## heading in a quote\n## Top\n",
        [(2, "Top", "top", "other", True, 9, None)],
        id="container-headings-are-not-sections",
    ),
    pytest.param(
        "# T\n## timeslice 2025-q2\n### Vision\n## VISION\n",
        [
            (2, "timeslice 2025-q2", "timeslice-2025-q2", "timeslice", False, 5, None),
            (3, "Vision", "vision", "other", True, 6, 0),
            (2, "VISION", "vision-1", "vision", True, 7, None),
        ],
        id="kinds-are-case-insensitive-and-level-2",
    ),
    pytest.param("# Kubernetes\n## Kubernetes\n", [(2, "Kubernetes", "kubernetes-1", "other", True, 5, None)], id="title-slug-is-reserved"),
]


@pytest.mark.parametrize(("body", "expected"), STRUCTURE)
def test_sections(body: str, expected: list[tuple]) -> None:
    bp, _ = parse(FM + body, "file:///w/a.blueprint.md")
    assert outline(bp) == expected


LINKS = [
    pytest.param(
        "# T\n## S\n[[b]] [[b#gov]] [[#local]] [[b#x|shown]] [[ c ]]\n",
        [
            ("wiki", "b", None, None, None, 0),
            ("wiki", "b", "gov", None, None, 0),
            ("wiki", None, "local", None, None, 0),
            ("wiki", "b", "x", None, "shown", 0),
            ("wiki", "c", None, None, None, 0),
        ],
        id="wiki-forms",
    ),
    pytest.param(
        "[a](b.blueprint.md#gov) [s](#here) [w](https://x.org/a.blueprint.md) [m](mailto:x@y) ![i](b.blueprint.md) [img](pic.png) [u](sub/c%20d.blueprint.md)\n",
        [
            ("markdown", None, "gov", "b.blueprint.md", "a", None),
            ("markdown", None, "here", None, "s", None),
            ("markdown", None, None, "sub/c d.blueprint.md", "u", None),
        ],
        id="markdown-forms",
    ),
    pytest.param(
        "`[[in code]]` ``a ` [[still code]]`` <!-- [[comment]] --> \\[[escaped]] [[real]]\n",
        [("wiki", "real", None, None, None, None)],
        id="masked-contexts",
    ),
    pytest.param(
        "text `code\nspanning [[x]] lines` [[y]]\n<!-- a\n[[z]]\n-->\n",
        [("wiki", "y", None, None, None, None)],
        id="multi-line-code-span-and-comment",
    ),
    pytest.param(
        "# T\n## S\n| who | link |\n|---|---|\n| city | [[b#gov\\|the city]] |\n",
        [("wiki", "b", "gov", None, "the city", 0)],
        id="escaped-pipe-in-table-cell",
    ),
    pytest.param(
        "```\n[[fenced]]\n```\n\n    [[indented]]\n\n<div>\n[[html]]\n</div>\n\n- item [[listed]]\n\n    [[continued]]\n",
        [("wiki", "listed", None, None, None, None), ("wiki", "continued", None, None, None, None)],
        id="code-blocks-and-list-continuation",
    ),
]


@pytest.mark.parametrize(("body", "expected"), LINKS)
def test_links(body: str, expected: list[tuple]) -> None:
    bp, _ = parse(FM + body, "file:///w/a.blueprint.md")
    assert links(bp) == expected


def test_link_ranges_for_rename() -> None:
    bp, _ = parse(FM + "# T\nSee [[riverside-coop#gov|board]] and [x](b.blueprint.md#risks).\n", "file:///w/a.blueprint.md")
    wiki, md = bp.links
    line = bp.text.split("\n")[5]
    assert line[wiki.range.start.character : wiki.range.end.character] == "[[riverside-coop#gov|board]]"
    assert line[wiki.target_range.start.character : wiki.target_range.end.character] == "riverside-coop#gov"
    assert line[wiki.entity_range.start.character : wiki.entity_range.end.character] == "riverside-coop"
    assert line[wiki.anchor_range.start.character : wiki.anchor_range.end.character] == "gov"
    assert line[md.anchor_range.start.character : md.anchor_range.end.character] == "risks"
    assert md.entity_range is None  # a path is not an id: renames must not rewrite it


def test_section_ranges_text_and_hash() -> None:
    body = "# T\n## A\none\n\n### B\ntwo\n## C\n"
    bp, _ = parse(FM + body, "file:///w/a.blueprint.md")
    a, b, c = bp.sections
    assert a.heading_range.start.line == 5 and a.body_range.start.line == 6
    assert a.body_range.end.line == 7  # own body stops before ### B
    assert a.range.end.line == 9  # the subtree runs until ## C
    assert a.text == "one" and b.text == "two"
    assert a.children == (1,) and b.parent == 0
    assert c.body_range.start == c.body_range.end  # an empty body is an empty range
    bp2, _ = parse(FM + body.replace("two", "changed"), "file:///w/a.blueprint.md")
    assert bp2.sections[0].content_hash == a.content_hash
    assert bp2.sections[1].content_hash != b.content_hash
    assert len(a.content_hash) == 16


def test_entity_and_title() -> None:
    text = "---\nid: riverside-coop\nscale: organization\nparent: riverside\nstatus: active\ntags: [housing, coop]\n---\n# Riverside Coop\n"
    bp, problems = parse(text, "file:///w/a.blueprint.md")
    e = bp.entity
    assert (e.id, e.title, e.scale, e.parent, e.status, e.tags) == ("riverside-coop", "Riverside Coop", "organization", "riverside", "active", ("housing", "coop"))
    assert bp.title_range is not None and bp.title_range.start.line == 7
    f = bp.front_matter.fields["parent"]
    assert (f.key_range.start.line, f.key_range.start.character) == (3, 0)
    assert (f.value_range.start.character, f.value_range.end.character) == (8, 17)
    assert problems == ()


def test_front_matter_title_wins_over_h1() -> None:
    bp, _ = parse("---\nid: a\nscale: team\ntitle: From YAML\n---\n# From H1\n", "u")
    assert bp.entity.title == "From YAML"
