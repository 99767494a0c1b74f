"""Graph queries against a real Kuzu store built from fixtures/commons and small workspaces."""

from __future__ import annotations

from pathlib import Path

import pytest
from ix_helpers import blueprint

from clm_lsp.index import SummaryRow


@pytest.fixture
def built(commons, open_indexer):
    ix = open_indexer(commons)
    ix.reconcile()
    return ix


def test_resolve_a_link_to_an_entity_a_section_and_nothing(built):
    g = built.graph
    entity, section = g.resolve("kestrel-bay-harbour", "harbour-plan")
    assert entity.id == "kestrel-bay-harbour" and section.id == "kestrel-bay-harbour#harbour-plan"
    assert section.title and section.kind == "other" and section.start_line < section.end_line
    assert g.resolve("kestrel-bay-harbour") == (g.entity("kestrel-bay-harbour"), None)
    assert g.resolve("kestrel-bay-harbour", "no-such-anchor") is None
    assert g.resolve("no-such-entity") is None
    # A Markdown link's path resolves through the file that owns the entity.
    entity, section = g.resolve_path("rivermouth/rivermouth-land-trust.blueprint.md", "holdings")
    assert (entity.id, section.anchor) == ("rivermouth-land-trust", "holdings")


def test_incoming_links_of_a_section_and_of_an_entity(built):
    g = built.graph
    gov = g.incoming("kestrel-bay-fishers-coop", "gov")
    assert any(h.src == "fishers-coop-processing-team#quality" for h in gov)
    assert all(h.resolved and h.anchor == "gov" for h in gov)
    hit = next(h for h in gov if h.src == "fishers-coop-processing-team#quality")
    assert hit.file.endswith("fishers-coop-processing-team.blueprint.md")
    assert hit.raw == "[[kestrel-bay-fishers-coop#gov]]" and hit.line == 46
    everything = g.incoming("kestrel-bay-fishers-coop")
    assert len(everything) > len(gov) and {h.target_entity for h in everything} == {"kestrel-bay-fishers-coop"}
    # Relative Markdown links count as incoming links too.
    holdings = g.incoming("rivermouth-land-trust", "holdings")
    assert any(h.raw.startswith("[land trust](") for h in holdings)
    # The same edges exist as LINKS_TO relations for graph walks.
    assert ("in", "fishers-coop-processing-team#quality") in g.neighbours("kestrel-bay-fishers-coop#gov")


def test_entity_tree(built):
    g = built.graph
    chain = [e.id for e in g.ancestors("fishers-coop-processing-team")]
    assert chain == ["kestrel-bay-fishers-coop", "kestrel-bay-harbour", "kestrel-bay", "rivermouth-region"]
    assert "fishers-coop-processing-team" in [c.id for c in g.children("kestrel-bay-fishers-coop")]
    assert g.ancestors("rivermouth-region") == []


def test_timeslices_in_order_and_next(built):
    g = built.graph
    ts = g.timeslices("rivermouth-region")
    assert [t.date for t in ts] == ["2019", "2021-06", "2023-03-15", "2024-Q3"]
    assert g.next_timeslice(ts[0].id).id == ts[1].id
    assert g.next_timeslice(ts[-1].id) is None


def test_summaries_put_query_stale_and_orphans(commons, built):
    g = built.graph
    vision, watershed = "rivermouth-region#vision", "rivermouth-region#watershed"
    g.put_summary(SummaryRow("s-vision", 1, "vision in short", "m", "p1", "h1"), [vision])
    g.put_summary(SummaryRow("s-water", 1, "floods accepted", "m", "p1", "h2"), [watershed])
    g.put_summary(SummaryRow("s-region", 2, "the region", "m", "p1", "h3"), ["s-vision", "s-water", "unknown"])
    assert [s.id for s in g.summaries_of(vision)] == ["s-vision"]
    # The batched read (startup's cache load) gives what one query per node gives.
    g.put_summary(SummaryRow("s-vision-b", 1, "vision again", "m2", "p1", "h5"), [vision])
    nodes = [vision, watershed, "s-vision", "s-water", "s-region", "rivermouth-region#no-such", vision]
    assert g.summaries_of_many(nodes) == {n: g.summaries_of(n) for n in nodes if g.summaries_of(n)}
    assert [s.id for s in g.summaries_of_many([vision])[vision]] == ["s-vision", "s-vision-b"]
    assert g.summaries_of_many([]) == {}
    g.put_summary(SummaryRow("s-vision-b", 1, "x", "m2", "p1", "h5"), [])  # stands for nothing again
    g._delete_orphan_summaries()
    assert g.sources_of("s-region") == [("summary", "s-vision"), ("summary", "s-water")]
    assert g.sources_of("s-vision") == [("section", vision)]
    # Editing the watershed text: its summary and the one above go stale, the vision's does not.
    path = commons / "rivermouth-region.blueprint.md"
    path.write_text(path.read_text(encoding="utf-8").replace("seven years", "six years"), encoding="utf-8")
    built.reconcile()
    assert (g.summary("s-water").stale, g.summary("s-region").stale, g.summary("s-vision").stale) == (True, True, False)
    # Deleting the section: its summary has nothing left and goes; the upper one stays (stale).
    path.write_text(path.read_text(encoding="utf-8").replace("## Watershed plan {#watershed}", "Watershed plan:"), encoding="utf-8")
    built.reconcile()
    assert g.section(watershed) is None and g.summary("s-water") is None
    assert g.sources_of("s-region") == [("summary", "s-vision")] and g.summary("s-region").stale
    # Replacing a summary replaces what it stands for.
    g.put_summary(SummaryRow("s-region", 2, "new", "m", "p1", "h4"), [vision])
    assert g.sources_of("s-region") == [("section", vision)] and not g.summary("s-region").stale


def test_a_link_to_a_file_that_appears_later_resolves_without_reparsing_the_source(tmp_path, open_indexer):
    (tmp_path / "a.blueprint.md").write_text(blueprint("a", body="## Notes\nSee [[b#plan]] and [[b]].\n"))
    ix = open_indexer(tmp_path)
    ix.reconcile()
    assert [h.resolved for h in ix.graph.incoming("b")] == [False, False]
    (tmp_path / "b.blueprint.md").write_text(blueprint("b", body="## Plan\nThe plan.\n"))
    stats = ix.reconcile()
    assert stats.parsed == 1 and stats.resolved_links == 2
    assert [h.resolved for h in ix.graph.incoming("b")] == [True, True]
    # A parent that appears later gets its CHILD_OF edge too.
    (tmp_path / "c.blueprint.md").write_text(blueprint("c", parent="d", scale="team"))
    ix.reconcile()
    assert ix.graph.ancestors("c") == []
    (tmp_path / "d.blueprint.md").write_text(blueprint("d"))
    ix.reconcile()
    assert [e.id for e in ix.graph.ancestors("c")] == ["d"]


def test_renamed_anchor_turns_links_unresolved(tmp_path, open_indexer):
    (tmp_path / "a.blueprint.md").write_text(blueprint("a", body="## Notes\nSee [[b#plan]].\n"))
    (tmp_path / "b.blueprint.md").write_text(blueprint("b", body="## Plan\nThe plan.\n"))
    ix = open_indexer(tmp_path)
    ix.reconcile()
    assert ix.graph.incoming("b", "plan")[0].resolved
    (tmp_path / "b.blueprint.md").write_text(blueprint("b", body="## Roadmap\nThe plan.\n"))
    ix.reconcile()
    assert not ix.graph.incoming("b", "plan")[0].resolved
    assert ix.graph.query("MATCH ()-[r:LINKS_TO]->(:Section) RETURN count(*)")[0][0] == 0


def test_parent_cycle_does_not_loop(tmp_path, open_indexer):
    (tmp_path / "x.blueprint.md").write_text(blueprint("x", parent="y"))
    (tmp_path / "y.blueprint.md").write_text(blueprint("y", parent="x"))
    ix = open_indexer(tmp_path)
    ix.reconcile()
    assert [e.id for e in ix.graph.ancestors("x")] == ["y"]
