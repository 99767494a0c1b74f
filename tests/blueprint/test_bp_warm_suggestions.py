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
