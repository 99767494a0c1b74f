"""Parse + check the real k8s-community workspace (skipped when ../shared is absent)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from clm_lsp.blueprint import Workspace, check_workspace, parse, slug_of_heading

CORPUS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "k8s-community").resolve()
pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpora/k8s-community is absent"),
]
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
EXPLICIT = re.compile(r"\{#([^}\s]+)\}\s*$")


@pytest.fixture(scope="module")
def corpus() -> tuple[Workspace, dict]:
    files = sorted(CORPUS.glob("*.blueprint.md"))
    assert len(files) >= 30
    bps = [parse(f.read_bytes(), f.as_uri())[0] for f in files]
    ws = Workspace.build(bps, CORPUS.as_uri())
    return ws, check_workspace(ws)


def _headings_outside_fences(text: str) -> list[str]:
    """An independent, simpler oracle: ATX headings not inside ``` or ~~~ fences."""
    out, fence = [], None
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        if fence:
            if stripped.startswith(fence):
                fence = None
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            continue
        m = HEADING.match(line)
        if m:
            out.append(m.group(2))
    return out


def test_every_file_parses_cleanly(corpus: tuple[Workspace, dict]) -> None:
    ws, results = corpus
    for uri, bp in ws.docs.items():
        assert not bp.skipped, uri
        assert bp.entity.id and bp.entity.scale, uri
        assert all(p.code != "CLM027" for p in results[uri])
        # Every heading line the simple oracle sees is the title or a section.
        assert len(bp.sections) + 1 == len(_headings_outside_fences(bp.text)), uri


def test_links_are_found(corpus: tuple[Workspace, dict]) -> None:
    ws, _ = corpus
    for uri, bp in ws.docs.items():
        wiki = len(re.findall(r"\[\[[^\[\]\n]*\]\]", bp.text))
        assert sum(1 for link in bp.links if link.kind.value == "wiki") == wiki, uri
    assert sum(len(bp.links) for bp in ws.docs.values()) > 50


def test_broken_link_reports_are_true(corpus: tuple[Workspace, dict]) -> None:
    """No CLM001/CLM002 false positives: each reported target really is missing."""
    ws, results = corpus
    ids = {bp.entity.id for bp in ws.docs.values()}
    reported = 0
    for uri, problems in results.items():
        for p in problems:
            if p.code == "CLM001":
                reported += 1
                assert p.data["entity"] not in ids
            elif p.code == "CLM002":
                reported += 1
                target = ws.entity(p.data["entity"]) if p.data["entity"] else ws.docs[uri]
                heads = _headings_outside_fences(target.text)
                explicit = {m.group(1) for h in heads if (m := EXPLICIT.search(h))}
                counts = Counter(slug_of_heading(h) for h in heads if not EXPLICIT.search(h))
                valid = explicit | set(counts) | {f"{slug}-{k}" for slug, n in counts.items() for k in range(1, n)}
                assert p.data["anchor"] not in valid, (uri, p.data["anchor"])
    assert reported <= 5  # the corpus keeps only a handful of links to vanished anchors


def test_only_expected_codes(corpus: tuple[Workspace, dict]) -> None:
    _, results = corpus
    found = {p.code for problems in results.values() for p in problems}
    assert found <= {"CLM002"}, found
