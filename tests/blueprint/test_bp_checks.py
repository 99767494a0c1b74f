"""Workspace-dependent checks: codes, ranges, messages and quick-fix data."""

from __future__ import annotations

import time

from clm_lsp.blueprint import Problem, Workspace, check_document, check_workspace, parse

ROOT = "file:///w"


def bp(name: str, text: str):  # noqa: ANN201 - Blueprint
    return parse(text, f"{ROOT}/{name}.blueprint.md")[0]


def fm(ent_id: str, scale: str = "team", parent: str | None = None) -> str:
    return f"---\nid: {ent_id}\nscale: {scale}\n" + (f"parent: {parent}\n" if parent else "") + "---\n"


def problems_of(docs: list, name: str) -> list[Problem]:
    ws = Workspace.build(docs, ROOT)
    return check_document(ws, f"{ROOT}/{name}.blueprint.md")


def codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


RIVERSIDE = bp("riverside", fm("riverside-coop", "organization") + "# Riverside\n## Vision\nv\n## Governance {#governance}\ng\n")


def test_clean_document_has_no_problems() -> None:
    me = bp("me", fm("me") + "# Me\n## Vision\n[[riverside-coop#governance]] [x](riverside.blueprint.md#governance)\n")
    assert problems_of([me, RIVERSIDE], "me") == []


def test_unknown_entity_with_suggestion() -> None:
    me = bp("me", fm("me") + "# Me\n## Vision\nSee [[riverside-cop#governance]].\n")
    (p,) = problems_of([me, RIVERSIDE], "me")
    assert p.code == "CLM001"
    assert p.message == "Unknown entity 'riverside-cop'; did you mean 'riverside-coop'?"
    assert p.data["suggestions"][0] == "riverside-coop"
    assert (p.range.start.line, p.range.start.character, p.range.end.character) == (6, 6, 19)


def test_unknown_anchor_names_anchor_and_entity() -> None:
    me = bp("me", fm("me") + "# Me\n## Vision\n[[riverside-coop#gov]] [[#visoin]]\n")
    p1, p2 = problems_of([me, RIVERSIDE], "me")
    assert (p1.code, p1.message) == ("CLM002", "Unknown section 'gov' in riverside-coop; did you mean 'governance'?")
    assert p1.data == {"entity": "riverside-coop", "anchor": "gov", "suggestions": ["governance"]}
    assert (p1.range.start.character, p1.range.end.character) == (17, 20)
    assert (p2.code, p2.message) == ("CLM002", "Unknown section 'visoin' in this blueprint; did you mean 'vision'?")


def test_markdown_link_problems() -> None:
    me = bp("me", fm("me") + "# Me\n## Vision\n[a](nothere.blueprint.md) [b](../../etc/x.blueprint.md) [c](/abs.blueprint.md) [d](file:///x.blueprint.md) [e](riverside.blueprint.md#nope)\n")
    got = [(p.code, p.range.start.character) for p in problems_of([me, RIVERSIDE], "me")]
    assert got == [("CLM001", 4), ("CLM018", 30), ("CLM018", 60), ("CLM018", 83), ("CLM002", 134)]


def test_duplicate_id_points_at_the_other_file() -> None:
    a = bp("a", fm("same") + "# A\n## Vision\n")
    b = bp("b", fm("same") + "# B\n## Vision\n")
    (p,) = problems_of([a, b], "a")
    assert p.code == "CLM003" and "b.blueprint.md" in p.message
    assert (p.range.start.line, p.range.start.character) == (1, 4)
    assert [r.uri for r in p.related] == [b.uri]
    assert codes(problems_of([a, b], "b")) == ["CLM003"]


def test_unknown_parent_cycle_and_scale() -> None:
    orphan = bp("orphan", fm("orphan", parent="riverside-cop") + "# O\n## Vision\n")
    (p,) = problems_of([orphan, RIVERSIDE], "orphan")
    assert p.code == "CLM011" and "did you mean 'riverside-coop'" in p.message
    assert (p.range.start.line, p.range.start.character) == (3, 8)

    a = bp("a", fm("a", parent="b") + "# A\n## Vision\n")
    b = bp("b", fm("b", parent="a") + "# B\n## Vision\n")
    c = bp("c", fm("c", parent="a") + "# C\n## Vision\n")  # below the cycle, not in it
    (p,) = problems_of([a, b, c], "a")
    assert p.code == "CLM012" and "a -> b -> a" in p.message
    assert problems_of([a, b, c], "c") == []
    selfish = bp("s", fm("s", parent="s") + "# S\n## Vision\n")
    assert codes(problems_of([selfish], "s")) == ["CLM012"]

    big = bp("big", fm("big", "city", parent="riverside-coop") + "# Big\n## Vision\n")
    (p,) = problems_of([big, RIVERSIDE], "big")
    assert p.code == "CLM013" and "'city'" in p.message and "'organization'" in p.message
    assert (p.range.start.line, p.range.start.character) == (2, 7)
    assert p.related[0].uri == RIVERSIDE.uri


def test_vision_and_timeslices() -> None:
    none = bp("n", fm("n") + "# N\n## Other\n")
    (p,) = problems_of([none], "n")
    assert p.code == "CLM014" and p.range.start.line == 4
    two = bp("t", fm("t") + "# T\n## Vision\n## Vision\n")
    (p,) = problems_of([two], "t")
    assert p.code == "CLM015" and p.range.start.line == 6
    order = bp("o", fm("o") + "# O\n## Vision\n## Timeslice 2024-Q3\n## Timeslice 2024-06\n## Timeslice 2025\n## Timeslice 2024-12-31\n")
    got = [(p.code, p.range.start.line) for p in problems_of([order], "o")]
    assert got == [("CLM017", 7), ("CLM017", 9)]


def test_check_workspace_lists_every_document() -> None:
    a = bp("a", fm("a") + "# A\n## Vision\n")
    broken = parse(b"\xff\xfe", f"{ROOT}/broken.blueprint.md")[0]
    result = check_workspace(Workspace.build([a, broken, RIVERSIDE], ROOT))
    assert result == {a.uri: [], broken.uri: broken.problems and list(broken.problems), RIVERSIDE.uri: []}
    assert codes(result[broken.uri]) == ["CLM019"]


def test_check_document_is_fast_in_a_large_workspace() -> None:
    """Per-keystroke cost must not grow with the workspace (indexes, not scans)."""
    docs = [bp(f"d{i}", fm(f"d{i}", parent=f"d{i // 2}" if i else None) + f"# D{i}\n## Vision\n[[d{(i * 7) % 2000}#vision]] [[missing-{i}]]\n") for i in range(2000)]
    ws = Workspace.build(docs, ROOT)
    check_document(ws, docs[1].uri)  # warm the caches once, as the server would
    start = time.perf_counter()
    for i in range(1, 101):
        ws = ws.with_document(docs[i])
        check_document(ws, docs[i].uri)
    per_call = (time.perf_counter() - start) / 100
    assert per_call < 0.05, per_call  # generous; bench/parse.py reports the real figure
