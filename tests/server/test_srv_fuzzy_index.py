"""Completion's search index (ide/fuzzy.py Index): same answers as the plain ranking, capped
lists marked incomplete, and kept or rebuilt with the snapshot as it should be."""

from __future__ import annotations

import random

import pytest

from clm_lsp.blueprint import Position, Workspace, parse
from clm_lsp.server.ide import completion, fuzzy

ROOT = "file:///w"
WORDS = ("north", "housing", "coop", "harbour", "side", "data", "team", "hold", "wick", "ative", "river", "home", "x")


def _names(n: int, seed: int = 0) -> tuple[list[str], dict[str, tuple[str, str]]]:
    rng = random.Random(seed)
    ids: set[str] = set()
    while len(ids) < n:
        ids.add("-".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 4))) + (f"-{rng.randrange(100)}" if rng.random() < 0.3 else ""))
    keys = {i: (i, " ".join(w.title() for w in rng.sample(WORDS, 3)).lower() if rng.random() < 0.8 else "") for i in sorted(ids)}
    return sorted(ids), keys


def _queries(ids: list[str], seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    out = ["", "h", "ho", "hou", "hhc", "zzqx", "-", "co", "ative", "using", "e", "-ho", "w h", " data t", "wick-h", "north-housing-coop"]
    for _ in range(60):
        i = rng.choice(ids)
        a = rng.randrange(len(i))
        out += [i[a : a + rng.randrange(1, 6)], "".join(rng.choice("abcdehiklmnorstuw- ") for _ in range(rng.randrange(1, 5)))]
    return out


@pytest.mark.parametrize(("n", "word_starts"), [(40, True), (450, True), (450, False)])
def test_index_ranks_exactly_as_rank(n: int, word_starts: bool) -> None:
    """Small and larger id sets, both of the index's paths (word-start bands, full pass; the
    full pass alone for workspace/symbol's index), several limits: the same items in the same
    order, and the same 'more matched' flag."""
    ids, keys = _names(n)
    index = fuzzy.Index(ids, lambda i: keys[i], word_starts=word_starts)
    fast = 0 if word_starts else 1
    for q in _queries(ids):
        for limit, enough in ((50, 20), (5, None), (3, 3), (200, None)):
            expected = fuzzy.rank(q, ids, lambda i: keys[i], limit, keys_lowered=True, enough=enough)
            assert index.rank(q, limit, enough) == expected, (q, limit, enough)
            assert index.rank(q, limit, enough) == expected  # remembered: the same again
            if word_starts and q:
                fast += index._fast(q.lower(), limit) is not None  # noqa: SLF001 - which path answered
    assert fast > 0  # the bisect path did answer some queries (not only the full pass)


def test_big_index_caps_its_work_and_says_more_matched() -> None:
    """Past CAP keys a query stops at CAP matches: a full list, every item a real match, and
    'more matched' (an incomplete completion list), whichever path answered."""
    ids, keys = _names(450)
    index = fuzzy.Index(ids, lambda i: keys[i])
    index.CAP = 40  # as if 10,000 entities: 900 keys is past it
    for q in ("e", "o", "h", "ho", "-", "t h", "ie"):
        found, more = index.rank(q, 20, enough=20)
        assert found and more, q
        assert all(fuzzy.score(q, k) is not None for i in found for k in [max(keys[i], key=lambda k: fuzzy.score(q, k) or -1)]), q
    assert index.rank("zzqx", 20, 20) == ([], False)


def test_subsequence_prefilter_is_linear() -> None:
    """A query that nearly matches many long keys: the old `a.*?b.*?c` pattern backtracked for seconds."""
    keys = ["a" * 400 + "b" * 400] * 200
    test = fuzzy.prefilter("ab" * 12 + "z")
    assert not any(test(k) for k in keys)
    assert fuzzy.prefilter("abab")("xaxbxaxb") and not fuzzy.prefilter("aab")("ab")


def _doc(i: int, title: str) -> str:
    return f"---\nid: item-{i:03d}\ntitle: {title}\n---\n# {title}\n\nSee [[it"


def test_capped_completion_is_incomplete_and_narrows() -> None:
    docs = [parse(_doc(i, f"Thing {i}"), f"{ROOT}/i{i:03d}.blueprint.md")[0] for i in range(120)]
    ws = Workspace.build(docs, ROOT)
    uri = docs[0].uri
    end = Position(6, len("See [[it"))
    got = completion.complete(ws, uri, end, limit=50)
    assert len(got.items) == 50 and got.incomplete
    assert [c.label for c in got.items[:3]] == ["item-000", "item-001", "item-002"]  # equal scores: id order
    # Narrowed: one exact prefix match left, and nothing more to ask for.
    narrowed = ws.with_document(parse(_doc(0, "Thing 0").replace("[[it", "[[item-077"), uri)[0])
    one = completion.complete(narrowed, uri, Position(6, len("See [[item-077")), limit=50)
    assert [c.label for c in one.items] == ["item-077"] and not one.incomplete


def test_index_follows_titles_and_ids_across_edits() -> None:
    docs = [parse(_doc(i, f"Thing {i}"), f"{ROOT}/i{i:03d}.blueprint.md")[0] for i in range(5)]
    ws = Workspace.build(docs, ROOT)
    uri = docs[0].uri
    first = completion.entity_index(ws)
    # A keystroke in the body: the index (ids and titles unchanged) is handed on, not rebuilt.
    body = ws.with_document(parse(_doc(0, "Thing 0") + "x", uri)[0])
    assert completion.entity_index(body) is first
    # A new title: rebuilt, and the title is searchable at once.
    retitled = body.with_document(parse(_doc(3, "Zebra crossing").replace("[[it", ""), docs[3].uri)[0])
    assert completion.entity_index(retitled) is not first
    found = completion.complete(retitled.with_document(parse(_doc(0, "Thing 0") + "zebra", uri)[0]), uri, Position(6, len("See [[itzebra")), 50)
    assert [c.label for c in found.items] == []  # `itzebra` is no subsequence of anything
    hit = completion.complete(retitled.with_document(parse(_doc(0, "Thing 0").replace("[[it", "[[zebra"), uri)[0]), uri, Position(6, len("See [[zebra")), 50)
    assert [c.label for c in hit.items] == ["item-003"]
    # A new id: rebuilt too; the old id is gone from the list.
    renamed = retitled.with_document(parse(_doc(3, "Zebra crossing").replace("item-003", "crossing"), docs[3].uri)[0])
    labels = [c.label for c in completion.complete(renamed, uri, Position(6, len("See [[it")), 50).items]
    assert "crossing" not in labels and "item-003" not in labels and "item-001" in labels


def test_hover_on_a_big_workspace_does_not_build_the_reverse_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past BUILD_ON_HOVER documents a hover never builds the reverse link index on the loop: it
    says the count is coming; once the index is built (the warm-up thread), it counts."""
    from clm_lsp.server.ide import hover

    hub = parse("---\nid: hub\n---\n# Hub\n\n## Vision\nThe hub.\n", f"{ROOT}/hub.blueprint.md")[0]
    spokes = [parse(f"---\nid: s{i}\n---\n# S{i}\n\nSee [[hub]].\n", f"{ROOT}/s{i}.blueprint.md")[0] for i in range(3)]
    ws = Workspace.build([hub, *spokes], ROOT)
    monkeypatch.setattr(hover, "BUILD_ON_HOVER", 2)
    at = Position(5, len("See [[h"))
    first = hover.hover(ws, spokes[0].uri, at)
    assert first is not None and "incoming links: still counting" in first.markdown and not ws.incoming_ready()
    ws._reverse()  # noqa: SLF001 - what scanning.warm_navigation does in a thread
    assert "3 incoming links" in hover.hover(ws, spokes[0].uri, at).markdown  # type: ignore[union-attr]
    monkeypatch.setattr(hover, "BUILD_ON_HOVER", 2_000)
    small = Workspace.build([hub, *spokes], ROOT)
    assert "3 incoming links" in hover.hover(small, spokes[0].uri, at).markdown  # type: ignore[union-attr]
