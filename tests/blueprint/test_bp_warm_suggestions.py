"""warm_suggestions: the did-you-mean lists a re-check will ask for, computed ahead (in the
server: in a thread after a checkout) and then only read by the checks."""

from __future__ import annotations

from clm_lsp.blueprint import Workspace, check_document, parse
from clm_lsp.blueprint import suggest
from clm_lsp.blueprint.checks import warm_suggestions

ROOT = "file:///w"


def bp(name: str, text: str):  # noqa: ANN201 - Blueprint
    return parse(text, f"{ROOT}/{name}.blueprint.md")[0]


def docs() -> list:
    return [
        bp("riverside", "---\nid: riverside-coop\nscale: organization\n---\n# Riverside\n## Vision\nv\n"),
        bp("me", "---\nid: me\nscale: team\nparent: riversde-coop\n---\n# Me\n## Vision\n"
                 "See [[riverside-cop]], [[riverside-coop]], [[me]] and [x](gone.blueprint.md).\n"),
    ]


def test_warming_computes_each_unknown_name_once_and_the_checks_only_read_it(monkeypatch) -> None:
    cold = check_document(Workspace.build(docs(), ROOT), f"{ROOT}/me.blueprint.md")
    ws = Workspace.build(docs(), ROOT)
    assert warm_suggestions(ws) == 2  # the misspelt parent and the misspelt link; the markdown link has no id

    def no_more(*_a, **_k):
        raise AssertionError("a did-you-mean list was computed during the check")

    monkeypatch.setattr(suggest.NameIndex, "closest", no_more)
    warm = check_document(ws, f"{ROOT}/me.blueprint.md")
    assert [(p.code, p.message) for p in warm] == [(p.code, p.message) for p in cold]
    assert {"Unknown parent 'riversde-coop'; did you mean 'riverside-coop'?",
            "Unknown entity 'riverside-cop'; did you mean 'riverside-coop'?"} <= {p.message for p in warm}


def _reference_closest(names: list[str], word: str, n: int = 3) -> list[str]:
    """The ranking NameIndex.closest keeps: every name's shared bigrams counted, the best
    dozen (ties to the later name) ordered by difflib, after the prefix matches."""
    import difflib
    import heapq

    index = suggest.NameIndex(names)
    out = index._prefixed(word)[:n]
    pool = sorted(set(names))
    if len(pool) > suggest._SHORTLIST:
        grams = suggest._bigrams(word)
        scores = [len(grams & suggest._bigrams(name)) for name in pool]
        pool = [pool[i] for _, i in heapq.nlargest(suggest._SHORTLIST, zip(scores, range(len(pool))))]
    for c in difflib.get_close_matches(word, pool, n=n + 1, cutoff=0.6):
        if c != word and c not in out and len(out) < n:
            out.append(c)
    return out


def test_the_bigram_postings_rank_exactly_like_intersecting_every_name() -> None:
    import random
    import string

    for seed in range(8):
        rng = random.Random(seed)
        alphabet = string.ascii_lowercase[: rng.choice([3, 6, 26])]
        names = ["-".join("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))) for _ in range(rng.randint(1, 3)))
                 for _ in range(rng.choice([5, 13, 40, 400]))]
        index = suggest.NameIndex(names)
        words = [w[:-1] + rng.choice("xq-a") for w in rng.sample(names, min(40, len(names)))] + ["zzzz", "q", "A-B"]
        for word in words:
            assert index.closest(word) == _reference_closest(names, word), (seed, word)
