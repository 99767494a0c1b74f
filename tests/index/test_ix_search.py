"""Hybrid search (vector + LanceDB full text, fused by rank) over a real LanceDB table."""

from __future__ import annotations

from pathlib import Path

from ix_helpers import blueprint

from clm_lsp.index.chunks import section_chunks, split_text
from clm_lsp.index.fusion import reciprocal_rank_fusion
from clm_lsp.index.records import EntityRow, SectionRow

PLANTED = "The quorum for the zyxwv assembly is exactly seventeen members."


def _plant(root: Path) -> None:
    (root / "planted.blueprint.md").write_text(
        blueprint("planted-coop", scale="team", body=f"## Rules\n{PLANTED}\n\n## Other\nNothing to see here.\n")
    )


def test_hybrid_search_finds_planted_text(commons, open_indexer):
    _plant(commons)
    ix = open_indexer(commons)
    ix.reconcile()
    for mode in ("hybrid", "text"):
        hits = ix.search("zyxwv assembly quorum", k=5, mode=mode)
        assert hits[0].section_id == "planted-coop#rules", mode
        assert PLANTED in hits[0].text
    hybrid = ix.search("zyxwv assembly quorum", k=5)
    assert hybrid[0].text_rank == 1 and hybrid[0].vector_rank is not None
    # One hit per section, best first.
    assert len({h.section_id for h in hybrid}) == len(hybrid)
    assert [h.score for h in hybrid] == sorted((h.score for h in hybrid), reverse=True)


def test_search_filters_by_entity_and_scale(commons, open_indexer):
    _plant(commons)
    ix = open_indexer(commons)
    ix.reconcile()
    only = ix.search("assembly", k=10, entity="rivermouth-region")
    assert only and {h.entity_id for h in only} == {"rivermouth-region"}
    teams = ix.search("assembly", k=10, scale="team")
    assert teams and {h.scale for h in teams} == {"team"}
    assert ix.search("assembly", k=10, entity="no-such-entity") == []
    # Quotes in a filter value are escaped, not interpreted.
    assert ix.search("assembly", k=3, entity="x' OR '1'='1") == []


def test_search_sees_an_edit_at_once(commons, open_indexer):
    ix = open_indexer(commons)
    ix.reconcile()
    assert not any(h.section_id == "planted-coop#rules" for h in ix.search("zyxwv", k=5, mode="text"))
    path = commons / "planted.blueprint.md"
    _plant(commons)
    ix.apply([(path, None)])
    assert ix.search("zyxwv", k=5, mode="text")[0].section_id == "planted-coop#rules"
    path.unlink()
    ix.apply([(path, None)])
    assert not any(h.entity_id == "planted-coop" for h in ix.search("zyxwv quorum", k=10))


def test_without_an_embedder_search_is_full_text(commons, open_indexer):
    _plant(commons)
    ix = open_indexer(commons, emb=None)
    stats = ix.reconcile()
    assert stats.embedded == 0 and stats.chunks > 0
    assert ix.search("zyxwv quorum", k=3)[0].section_id == "planted-coop#rules"


def test_odd_queries_do_not_raise(commons, open_indexer):
    ix = open_indexer(commons)
    ix.reconcile()
    for query in ["", "   ", '"unbalanced', "a AND (b OR", "+-!:^~*?", "もったいない café 🔧", "x" * 5000]:
        assert isinstance(ix.search(query, k=3), list)


def test_reciprocal_rank_fusion():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "a", "d"]])
    assert [k for k, _ in fused] == ["a", "c", "b", "d"]
    assert reciprocal_rank_fusion([]) == []


def _section(text: str, **kw) -> SectionRow:
    base = dict(id="e#s", entity="e", anchor="s", title="Rules", crumbs="Governance > Rules", kind="other", date="",
                date_key="", level=3, ord=0, parent="governance", start_line=0, end_line=1, body_start=1, body_end=1,
                hash="h", tokens=0, placeholder=False, text=text)
    base.update(kw)
    return SectionRow(**base)


ENTITY = EntityRow("e", "Example Coop", "team", "", "", (), "e.blueprint.md", "example-coop")


def test_chunks_carry_the_heading_trail_and_split_long_sections():
    [one] = section_chunks(ENTITY, _section("Members vote."))
    assert one.text.startswith("Example Coop: Governance > Rules\n") and one.chunk_id == "e#s@0"
    long_text = "\n\n".join(f"Paragraph {i} " + "word " * 120 for i in range(8))
    chunks = section_chunks(ENTITY, _section(long_text), max_tokens=256)
    assert len(chunks) > 1 and all(c.text.startswith("Example Coop: Governance > Rules") for c in chunks)
    assert len({c.hash for c in chunks}) == len(chunks)
    assert section_chunks(ENTITY, _section("<!-- synthesize -->", placeholder=True)) == []
    assert section_chunks(ENTITY, _section("   ")) == []
    # Every word survives the split, in order.
    pieces = split_text(long_text, 100)
    assert " ".join(" ".join(pieces).split()) == " ".join(long_text.split())
    assert split_text("x" * 3000, 100) == ["x" * 3000]  # one word is never cut
