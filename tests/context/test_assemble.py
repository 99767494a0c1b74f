"""Context assembly over fixtures/commons (and the k8s corpus when present) with the
bundled model's real tokenizer: the budget is never exceeded, the high-resolution
window is there, stored summaries are preferred, expand zooms in, bad foci are reported."""

from __future__ import annotations

import pytest
from assemble_support import COMMONS, K8S, bundled_counter, no_summaries

from clm_lsp.blueprint import SectionKind
from clm_lsp.context.assemble import ContextError, assemble
from clm_lsp.context.assemble_lexical import lexical_retriever
from clm_lsp.context.order import lost_in_the_middle
from clm_lsp.workspace_io import load_workspace

FOCUS = "harbourside-district#gov"


@pytest.fixture(scope="module")
def ws():
    return load_workspace(COMMONS)[0]


@pytest.fixture(scope="module")
def count():
    return bundled_counter()


def _run(ws, focus, budget, count, **kw):
    return assemble(ws, focus, kw.pop("task", "what does the forum decide"), budget, count=count,
                    summary_for=kw.pop("summary_for", no_summaries), retrieve=kw.pop("retrieve", lexical_retriever(ws)), **kw)


@pytest.mark.parametrize("budget", [40, 250, 1200, 6000])
def test_budget_never_exceeded_over_commons(ws, count, budget):
    retrieve = lexical_retriever(ws)
    checked = 0
    for eid in ws.entity_ids():
        bp = ws.entity(eid)
        for s in bp.sections[::2]:  # every other section keeps the run short; all entities are covered
            ctx = _run(ws, f"{eid}#{s.anchor}", budget, count, retrieve=retrieve)
            assert ctx.tokens == count(ctx.text) <= budget
            assert ctx.parts and ctx.parts[0].label == f"§{eid}#{s.anchor}"
            checked += 1
    assert checked > 50


def test_high_resolution_window_in_full(ws, count):
    ctx = _run(ws, FOCUS, 2500, count)
    bp = ws.entity("harbourside-district")
    modes = {p.label: p.mode for p in ctx.parts}
    assert ctx.parts[0].label == "§harbourside-district#gov" and ctx.parts[0].mode == "full"
    assert modes["§harbourside-district#vision"] == "full"
    newest = max(bp.timeslices, key=lambda s: s.date.sort_key)
    assert modes[f"§harbourside-district#{newest.anchor}"] == "full"
    gov = ws.section(bp.uri, "gov")
    for link in bp.links:  # every section the focus links to directly is there in full
        target = ws.resolve(link, bp.uri)
        if link.section == gov.index and target is not None and target.section is not None:
            assert modes[f"§{target.blueprint.entity.id}#{target.section.anchor}"] == "full"
    assert "[§harbourside-district#gov] " in ctx.text
    parents = [p for p in ctx.parts if p.role == "parent"]
    assert parents and all(p.mode == "summary" for p in parents)


def test_summaries_at_the_finest_level_that_fits(ws, count):
    big = _run(ws, FOCUS, 2500, count)
    small = _run(ws, FOCUS, 700, count)
    levels_big = [p.level for p in big.parts if p.mode == "summary"]
    assert 0 in levels_big  # room enough: section summaries
    assert sum(p.mode == "full" for p in small.parts) < sum(p.mode == "full" for p in big.parts)
    assert small.tokens <= 700 and len(small.parts) < len(big.parts)


def test_stored_summaries_are_preferred(ws, count):
    stored = {"harbourside-district#risks": ("Short-term lets and floods threaten the quays.", 0, "SmolLM2-test"),
              "rivermouth-city": ("A port city of cooperatives.", 2, "SmolLM2-test")}
    ctx = _run(ws, FOCUS, 2500, count, summary_for=stored.get)
    line = next(p for p in ctx.parts if p.label == "§harbourside-district#risks")
    assert line.mode == "summary" and line.source == "SmolLM2-test"
    assert "(summary L0, SmolLM2-test): Short-term lets and floods threaten the quays." in line.text
    city = next(p for p in ctx.parts if p.label == "§rivermouth-city")
    assert city.level == 2 and "A port city of cooperatives." in city.text


def test_lost_in_the_middle_order(ws, count):
    ctx = _run(ws, FOCUS, 2500, count)
    rel = [p.relevance for p in ctx.parts]
    assert rel[0] == max(rel)
    assert rel[-1] >= sorted(rel)[len(rel) // 2]  # the end holds high-relevance material too
    middle = rel[len(rel) // 2]
    assert middle <= min(rel[0], rel[-1])

    class P:
        def __init__(self, r):
            self.relevance = r
    assert [p.relevance for p in lost_in_the_middle([P(x) for x in (1, 2, 3, 4, 5)])] == [5, 3, 1, 2, 4]


def test_expand_shows_a_summary_in_full_within_budget(ws, count):
    budget = 900
    ctx = _run(ws, FOCUS, budget, count)
    summarised = next(p.label for p in ctx.parts if p.mode == "summary" and "#" in p.label)
    zoomed = _run(ws, FOCUS, budget, count, expand=[f"[{summarised}]"])
    part = next(p for p in zoomed.parts if p.label == summarised)
    assert part.mode == "full" and zoomed.zoom[summarised].mode == "full"
    assert zoomed.tokens <= budget
    assert zoomed.parts[0].label == "§harbourside-district#gov"


def test_focus_too_big_is_truncated_with_marker(ws, count):
    ctx = _run(ws, FOCUS, 25, count)
    assert ctx.truncated and ctx.tokens <= 25
    assert "truncated" in ctx.text and ctx.text.startswith("[§harbourside-district#gov]")
    empty = _run(ws, FOCUS, 0, count)
    assert empty.tokens == 0 and empty.text == ""


def test_entity_focus_means_its_vision(ws, count):
    ctx = _run(ws, "harbourside-district", 800, count)
    assert ctx.parts[0].label == "§harbourside-district#vision"
    assert ctx.parts[0].zoom.section_id == "harbourside-district#vision"


@pytest.mark.parametrize("focus, words", [("nobody#x", "unknown entity"), ("harbourside-district#nope", "no section 'nope'"), ("#gov", "no entity")])
def test_bad_focus_is_a_clear_error(ws, count, focus, words):
    with pytest.raises(ContextError, match=words):
        _run(ws, focus, 500, count)


@pytest.mark.corpus
def test_budget_never_exceeded_over_k8s(count):
    if not K8S.is_dir():
        pytest.skip("../shared/corpora/k8s-community is not there")
    ws = load_workspace(K8S)[0]
    retrieve = lexical_retriever(ws)
    ids = ws.entity_ids()
    assert ids
    for eid in ids[::3]:
        bp = ws.entity(eid)
        for s in [x for x in bp.sections if x.kind is not SectionKind.OTHER][:2] or bp.sections[:1]:
            for budget in (300, 3000):
                ctx = _run(ws, f"{eid}#{s.anchor}", budget, count, retrieve=retrieve, task="who owns this")
                assert ctx.tokens == count(ctx.text) <= budget
