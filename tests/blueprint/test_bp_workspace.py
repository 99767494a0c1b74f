"""The Workspace snapshot: lookups, link resolution, reverse links, hierarchy."""

from __future__ import annotations

import pytest

from clm_lsp.blueprint import Blueprint, Workspace, parse

ROOT = "file:///w"


def doc(path: str, ent_id: str | None, body: str, scale: str = "team", parent: str | None = None) -> Blueprint:
    fm = ["---"]
    if ent_id:
        fm.append(f"id: {ent_id}")
    fm.append(f"scale: {scale}")
    if parent:
        fm.append(f"parent: {parent}")
    fm.append("---")
    return parse("\n".join(fm) + "\n" + body, f"{ROOT}/{path}")[0]


@pytest.fixture
def ws() -> Workspace:
    return Workspace.build(
        [
            doc("region.blueprint.md", "region", "# The Region\n## Vision\nv\n", scale="region"),
            doc("city/city.blueprint.md", "city", "# The City\n## Vision\n## Districts\n### North {#north}\n", scale="city", parent="region"),
            doc(
                "city/coop.blueprint.md",
                "coop",
                "# Coop\n## Vision\nSee [[city#north]], [[city]], [[#gov]], [[region#missing]].\n"
                "## Governance {#gov}\n[up](../region.blueprint.md#vision) [same](coop.blueprint.md) [out](../../etc/x.blueprint.md)\n",
                scale="organization",
                parent="city",
            ),
            doc("z-dup.blueprint.md", "coop", "# Dup\n"),
        ],
        ROOT,
    )


def test_lookups(ws: Workspace) -> None:
    assert ws.entity_ids() == ["city", "coop", "region"]
    assert ws.uris_for_id("coop") == (f"{ROOT}/city/coop.blueprint.md", f"{ROOT}/z-dup.blueprint.md")
    assert ws.entity("coop").uri == f"{ROOT}/city/coop.blueprint.md"  # first by URI order
    assert ws.entity("nope") is None
    assert set(ws.docs) == {f"{ROOT}/region.blueprint.md", f"{ROOT}/city/city.blueprint.md", f"{ROOT}/city/coop.blueprint.md", f"{ROOT}/z-dup.blueprint.md"}
    with pytest.raises(TypeError):
        ws.docs["x"] = ws.entity("city")  # type: ignore[index]


def test_resolve_every_link_form(ws: Workspace) -> None:
    coop = ws.entity("coop")
    got = {}
    for link in coop.links:
        t = ws.resolve(link, coop.uri)
        got[link.raw] = None if t is None else (t.blueprint.entity.id, t.section.anchor if t.section else None)
    assert got == {
        "[[city#north]]": ("city", "north"),
        "[[city]]": ("city", None),
        "[[#gov]]": ("coop", "gov"),
        "[[region#missing]]": None,
        "[up](../region.blueprint.md#vision)": ("region", "vision"),
        "[same](coop.blueprint.md)": ("coop", None),
        "[out](../../etc/x.blueprint.md)": None,
    }
    out = next(link for link in coop.links if link.raw.startswith("[out]"))
    assert ws.link_leaves_workspace(out, coop.uri)
    up = next(link for link in coop.links if link.raw.startswith("[up]"))
    assert not ws.link_leaves_workspace(up, coop.uri)


def test_title_anchor_resolves_to_the_document() -> None:
    a = parse("---\nid: a\nscale: team\n---\n# The Title\n## Vision\n[[#the-title]]\n", f"{ROOT}/a.blueprint.md")[0]
    ws = Workspace.build([a], ROOT)
    target = ws.resolve(a.links[0], a.uri)
    assert target is not None and target.section is None


def test_percent_encoded_uris_match() -> None:
    a = parse("---\nid: a\nscale: team\n---\n# A\n[b](my%20b.blueprint.md)\n", f"{ROOT}/a.blueprint.md")[0]
    b = parse("---\nid: b\nscale: team\n---\n# B\n", f"{ROOT}/my%20b.blueprint.md")[0]
    ws = Workspace.build([a, b], ROOT)
    assert ws.resolve(a.links[0], a.uri).blueprint is b


def test_incoming(ws: Workspace) -> None:
    coop_uri = f"{ROOT}/city/coop.blueprint.md"
    to_city = [(u, link.raw) for u, link in ws.incoming("city")]
    assert to_city == [(coop_uri, "[[city#north]]"), (coop_uri, "[[city]]")]
    assert [link.raw for _, link in ws.incoming("city", "north")] == ["[[city#north]]"]
    # anchor None includes links whose anchor does not exist: a rename of the id must reach them.
    assert [link.raw for _, link in ws.incoming("region")] == ["[[region#missing]]", "[up](../region.blueprint.md#vision)"]
    assert [link.raw for _, link in ws.incoming("region", "vision")] == ["[up](../region.blueprint.md#vision)"]
    assert ws.incoming("nobody") == []


def test_hierarchy(ws: Workspace) -> None:
    assert [b.entity.id for b in ws.ancestors("coop")] == ["city", "region"]
    assert ws.ancestors("region") == []
    assert [b.entity.id for b in ws.children("region")] == ["city"]
    assert [b.entity.id for b in ws.children("city")] == ["coop"]
    city = ws.entity("city")
    north = city.sections[2]
    assert ws.breadcrumbs(city.uri, north) == ["The Region", "The City", "Districts", "North"]
    assert ws.breadcrumbs(ws.entity("coop").uri, None) == ["The Region", "The City", "Coop"]


def test_ancestors_stop_on_cycles() -> None:
    a = doc("a.blueprint.md", "a", "# A\n", parent="b")
    b = doc("b.blueprint.md", "b", "# B\n", parent="a")
    ws = Workspace.build([a, b], ROOT)
    assert [x.entity.id for x in ws.ancestors("a")] == ["b"]
    assert ws.breadcrumbs(a.uri) == ["B", "A"]


def test_with_document_and_without_make_new_snapshots(ws: Workspace) -> None:
    old_city = ws.entity("city")
    renamed = doc("city/city.blueprint.md", "metropolis", "# Metropolis\n", scale="city", parent="region")
    ws2 = ws.with_document(renamed)
    assert ws.entity("city") is old_city  # the old snapshot is untouched
    assert ws2.entity("city") is None and ws2.entity("metropolis") is renamed
    assert "metropolis" in ws2.entity_ids() and "city" not in ws2.entity_ids()
    assert ws2.incoming("metropolis") == []  # the coop still links to [[city]]
    ws3 = ws2.without(f"{ROOT}/z-dup.blueprint.md")
    assert ws3.uris_for_id("coop") == (f"{ROOT}/city/coop.blueprint.md",)
    assert ws2.uris_for_id("coop") == (f"{ROOT}/city/coop.blueprint.md", f"{ROOT}/z-dup.blueprint.md")
    added = ws3.with_document(doc("new.blueprint.md", "new", "# New\n[[coop]]\n"))
    # The coop's own [[#gov]] and [same](coop.blueprint.md) count too: references include self-links.
    assert [(u.rsplit("/", 1)[1], link.raw) for u, link in added.incoming("coop")] == [
        ("coop.blueprint.md", "[[#gov]]"),
        ("coop.blueprint.md", "[same](coop.blueprint.md)"),
        ("new.blueprint.md", "[[coop]]"),
    ]
    assert ws3.without("file:///not/there") is ws3


def test_reverse_index_patched_on_edit_matches_a_fresh_build(ws: Workspace) -> None:
    ws.incoming("city")  # build the reverse index so the next snapshot patches it
    edits = [
        doc("city/coop.blueprint.md", "coop", "# Coop\n## Vision\n[[region]] [[region#vision]]\n", scale="organization", parent="city"),
        doc("region.blueprint.md", "region", "# The Region\n## Vision\n[[coop#gov]] [[city#north]]\n", scale="region"),
        doc("city/coop.blueprint.md", "coop", "# Coop\nno links any more\n", scale="organization", parent="city"),
    ]
    for edited in edits:
        ws = ws.with_document(edited)
        assert "reverse" in ws._lazy  # patched, not rebuilt (white-box: the fast path under test)
        fresh = Workspace.build(ws.docs.values(), ROOT)
        for ent_id in ["region", "city", "coop"]:
            for anchor in [None, "vision", "north", "gov"]:
                assert ws.incoming(ent_id, anchor) == fresh.incoming(ent_id, anchor), (ent_id, anchor)
