"""The pure editor logic (clm_lsp.server.ide), without a server: data in, data out."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from clm_lsp.blueprint import Position, Range, Workspace, parse
from clm_lsp.server.ide import completion, cursor, fixes, fuzzy, rename, symbols, templates
from clm_lsp.server.ide.textutil import heading_for_anchor
from clm_lsp.server.ide.types import Refusal

ROOT = "file:///w"


def bp(name: str, text: str):
    return parse(text, f"{ROOT}/{name}.blueprint.md")[0]


def ws_of(*docs) -> Workspace:
    return Workspace.build(docs, ROOT)


def at(text: str, needle: str, delta: int = 0) -> Position:
    i = text.index(needle) + delta
    return Position(text[:i].count("\n"), i - (text[:i].rfind("\n") + 1))


HUB = "---\nid: hub\nscale: city\n---\n# Hub\n\n## Vision\nA hub.\n\n## In scope\none\n\n## In scope\ntwo\n\n## Governance {#gov}\nx\n"
SPOKE = "---\nid: spoke\nscale: team\nparent: hub\n---\n# Spoke\n\n## Vision\nSee [[hub#gov]] and [[hub#in-scope-1]] and [[hub]].\n"


def test_ide_modules_do_not_speak_lsp() -> None:
    """The ide layer stays pure: no pygls, no lsprotocol, no server modules."""
    folder = Path(__file__).resolve().parents[2] / "clm_lsp" / "server" / "ide"
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert not name.startswith(("pygls", "lsprotocol")), f"{path.name} imports {name}"
                if isinstance(node, ast.ImportFrom) and node.level:
                    assert node.level == 1, f"{path.name} reaches outside ide/"


@pytest.mark.parametrize(
    ("query", "better", "worse"),
    [
        ("hub", "hub", "hub-extension"),
        ("gov", "governance", "old-gov-notes"),
        ("hhc", "harbourside-housing-coop", "hh-catalogue-of-things"),
        ("coop", "coop-board", "harbourside-coop"),
    ],
)
def test_fuzzy_ranks(query: str, better: str, worse: str) -> None:
    assert fuzzy.score(query, better) > fuzzy.score(query, worse)


def test_fuzzy_rejects_non_subsequences_and_limits() -> None:
    assert fuzzy.score("xyz", "harbourside") is None
    assert fuzzy.score("ac", "xac-a") is not None  # word-start jumps never lose a real match
    found, more = fuzzy.rank("a", ["a1", "a2", "a3", "b"], lambda s: (s,), 2)
    assert len(found) == 2 and more


def test_cursor_finds_link_parts_headings_and_fields() -> None:
    spoke = bp("spoke", SPOKE)
    hit = cursor.find(spoke, at(SPOKE, "hub#gov", 1))
    assert hit.kind is cursor.HitKind.LINK and hit.part is cursor.LinkPart.ENTITY
    hit = cursor.find(spoke, at(SPOKE, "hub#gov", 5))
    assert hit.part is cursor.LinkPart.ANCHOR and hit.link.anchor == "gov"
    assert cursor.find(spoke, at(SPOKE, "## Vision", 4)).kind is cursor.HitKind.HEADING
    assert cursor.find(spoke, at(SPOKE, "# Spoke", 3)).kind is cursor.HitKind.TITLE
    hit = cursor.find(spoke, at(SPOKE, "parent: hub", 9))
    assert hit.kind is cursor.HitKind.FIELD and hit.field.key == "parent" and hit.on_value
    assert cursor.find(spoke, at(SPOKE, "See", 1)) is None


@pytest.mark.parametrize(
    ("line", "labels", "insert"),
    [
        ("x [[hu", ["hub"], "hub]]"),
        ("x [[hu]]", ["hub"], "hub"),
        ("x [[hub#go", ["gov"], "gov]]"),
        ("x [[hub#in", ["in-scope", "in-scope-1"], "in-scope]]"),
        ("x [[hub#gov|al", [], None),
        ("x [[hub]] y", [], None),
    ],
)
def test_completion_after_brackets(line: str, labels: list[str], insert: str | None) -> None:
    text = SPOKE + line + "\n"
    spoke = bp("spoke", text)
    ws = ws_of(bp("hub", HUB), spoke)
    cut = len(line) - (2 if line.endswith("]]") else 0)
    found = completion.complete(ws, spoke.uri, Position(text.count("\n") - 1, cut))
    assert [c.label for c in found.items][: len(labels)] == labels
    if insert is not None:
        assert found.items[0].insert_text == insert


def test_completion_in_front_matter() -> None:
    text = "---\nid: spoke\nscale: te\nparent: \nst\n---\n# Spoke\n"
    spoke = bp("spoke", text)
    ws = ws_of(bp("hub", HUB), spoke)
    scales = completion.complete(ws, spoke.uri, Position(2, 9))
    assert scales.items[0].label == "team" and scales.items[0].range == Range.of(2, 7, 2, 9)
    parents = completion.complete(ws, spoke.uri, Position(3, 8))
    assert [c.label for c in parents.items] == ["hub"]
    keys = completion.complete(ws, spoke.uri, Position(4, 2))
    assert [c.label for c in keys.items] == ["status"]  # id, scale, parent are there already; 'st' matches status only
    assert keys.items[0].insert_text == "status: "


def test_rename_refusals() -> None:
    hub, spoke = bp("hub", HUB), bp("spoke", SPOKE)
    dup = bp("zdup", "---\nid: hub\nscale: city\n---\n# Dup\n")
    ws = ws_of(hub, spoke, dup)
    refused = rename.rename(ws, spoke.uri, at(SPOKE, "hub#gov", 1), "centre")
    assert isinstance(refused, Refusal) and "used by 2 files" in refused.message
    ws = ws_of(hub, spoke)
    # Pinning an anchor on the first "In scope" would turn the second one's slug into 'in-scope'.
    refused = rename.rename(ws, hub.uri, at(HUB, "## In scope", 4), "scope")
    assert isinstance(refused, Refusal) and "repeat its title" in refused.message
    assert isinstance(rename.rename(ws, hub.uri, at(HUB, "{#gov}", 3), "a b"), Refusal)
    assert isinstance(rename.rename(ws, spoke.uri, at(SPOKE, "See", 1), "x"), Refusal)


def test_rename_entity_with_quoted_id() -> None:
    hub_text = HUB.replace("id: hub", 'id: "hub"')
    hub, spoke = bp("hub", hub_text), bp("spoke", SPOKE)
    plan = rename.rename(ws_of(hub, spoke), hub.uri, at(hub_text, '"hub"', 2), "centre")
    id_edit = next(e for e in plan.edits if e.uri == hub.uri)
    assert id_edit.range == Range.of(1, 5, 1, 8)  # inside the quotes
    assert sorted(e.new_text for e in plan.edits) == ["centre"] * 5  # id, parent, three links


def _apply(text: str, edit) -> str:
    lines = text.split("\n")
    start = sum(len(x) + 1 for x in lines[: edit.range.start.line]) + edit.range.start.character
    end = sum(len(x) + 1 for x in lines[: edit.range.end.line]) + edit.range.end.character
    return text[:start] + edit.new_text + text[end:]


def test_reorder_timeslices_keeps_subsections_spacing_and_undated() -> None:
    text = (
        "---\nid: a\nscale: team\n---\n# A\n## Vision\nv\n\n## Timeslice 2024\nlate\n### Decisions\nd\n\n"
        "## Timeslice someday\nundated\n\n## Timeslice 2020-Q1\nearly\n"
    )
    doc = bp("a", text)
    edit = fixes.reorder_timeslices(doc)
    out = _apply(text, edit)
    assert out.endswith("## Timeslice 2020-Q1\nearly\n\n## Timeslice someday\nundated\n\n## Timeslice 2024\nlate\n### Decisions\nd\n")
    assert fixes.reorder_timeslices(bp("a", out)) is None


def test_vision_goes_after_the_title_even_at_the_end() -> None:
    text = "---\nid: a\nscale: team\n---\n# A"
    doc = bp("a", text)
    ctx = fixes.FixContext({}, lambda _u: False, True)
    found = fixes.fixes(ws_of(doc), doc.uri, doc.problems + tuple(_missing_vision(doc)), Range.of(4, 0, 4, 3), ctx)
    vision = next(f for f in found if "Vision" in f.title)
    assert _apply(text, vision.plan.edits[0]) == "---\nid: a\nscale: team\n---\n# A\n\n## Vision\n<!-- synthesize -->\n"


def _missing_vision(doc):
    from clm_lsp.blueprint import check_document

    return [p for p in check_document(ws_of(doc), doc.uri) if p.code == "CLM014"]


@pytest.mark.parametrize(
    ("anchor", "heading"),
    [
        ("participatory-budget", "Participatory budget"),
        ("timeslice-2021-06", "Timeslice 2021-06"),
        ("timeslice-2024-q3", "Timeslice 2024-Q3"),
        ("gov", "Gov"),
        ("Mixed_Case", "Mixed Case {#Mixed_Case}"),
    ],
)
def test_heading_for_anchor(anchor: str, heading: str) -> None:
    assert heading_for_anchor(anchor) == heading


def test_templates_drop_the_parent_line_without_parent() -> None:
    text = templates.render(templates.default_template("commons"), "earth", "Earth", "commons", None)
    assert "parent:" not in text and text.startswith("---\nid: earth\ntitle: Earth\nscale: commons\n")
    custom = templates.template_for("team", {"team": "---\nid: {id}\nscale: {scale}\n---\n# {title}\n"})
    assert templates.render(custom, "t", "T", "team", "p") == "---\nid: t\nscale: team\n---\n# T\n"


def test_symbols_and_folds() -> None:
    hub = bp("hub", HUB)
    (root,) = symbols.document_symbols(hub)
    assert [c.name for c in root.children] == ["Vision", "In scope", "In scope", "Governance"]
    folds = {(f.start_line, f.end_line) for f in symbols.folding_ranges(hub)}
    assert (0, 3) in folds  # front matter
    assert (6, 7) in folds  # Vision without its trailing blank line
    entries = symbols.symbol_entries(hub)
    assert [e.container for e in entries][:2] == ["city", "hub#vision"]
