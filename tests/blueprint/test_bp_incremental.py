"""The incremental re-parse gives exactly what a full parse of the new text gives.

Random documents (tests/fuzz/strategies.py: valid, near-valid, garbage) under
random edits, chained (each re-parse starts from the previous re-parse's parts),
with the shared prefix/suffix also under-reported as an editor-side tracker may
do; then edits that open and close block structure; then the real corpus.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clm_lsp.blueprint import parse
from clm_lsp.blueprint.config import DEFAULT_CONFIG
from clm_lsp.blueprint.incremental import reparse, reparse_text
from clm_lsp.blueprint.parser import parse_parts
from clm_lsp.blueprint.positions import split_lines

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))

from strategies import LONG, documents, front_matter, sentence  # noqa: E402

URI = "file:///w/doc.blueprint.md"
CORPUS = Path("/work/shared/corpora/k8s-community")
# Block-structure snippets typed into prose: fences, HTML, lists, quotes, setext, headings.
TYPED = ["x", " ", "\n", "\n\n", "[[a]]", "[[", "]]", "```", "\n```\n", "~~~", "<div>", "\n<div>\n", "<!--", "-->",
         "- ", "\n- item\n", "1. ", "    ", "\t", "===", "\n===\n", "---", "\n---\n", "> ", "# ", "\n## H {#h}\n",
         "{#x}", "[t](other.blueprint.md#a)", "\r\n", "\r", "\x00", "é", "𝄞"]
edit = st.tuples(st.floats(0, 1), st.integers(0, 30), st.sampled_from(TYPED) | st.text(max_size=6))
CASES = 4000 if LONG else 150


def _apply(text: str, e: tuple[float, int, str]) -> str:
    at, length, insert = e
    i = int(at * len(text))
    return text[:i] + insert + text[i + length :]


def _check_chain(text: str, edits: list, rng: random.Random) -> None:
    bp, parts = parse_parts(text, URI, DEFAULT_CONFIG)
    for e in edits:
        text = _apply(text, e)
        expected = parse(text, URI)[0]
        got = None
        if parts is not None:
            if rng.random() < 0.5:
                got = reparse_text(bp, parts, text, DEFAULT_CONFIG)
            else:  # an under-reported shared prefix and tail must be just as right
                lines = split_lines(text)
                full = reparse_text(bp, parts, text, DEFAULT_CONFIG)
                lo = _shared_prefix(parts.lines, lines)
                tail = _shared_tail(parts.lines, lines, lo)
                got = reparse(bp, parts, text, lines, rng.randint(0, lo), rng.randint(0, tail), DEFAULT_CONFIG)
                assert full is None or full[0] == expected
        if got is None:
            bp, parts = parse_parts(text, URI, DEFAULT_CONFIG)
        else:
            bp, parts = got
            assert bp == expected, f"after {e!r}"
            assert parts.scan.marks == parse_parts(text, URI, DEFAULT_CONFIG)[1].scan.marks


def _shared_prefix(a: list[str], b: list[str]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _shared_tail(a: list[str], b: list[str], lo: int) -> int:
    n = 0
    while n < min(len(a), len(b)) - lo and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


@settings(max_examples=CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents, st.lists(edit, min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_random_edits_give_the_full_parse(text: str, edits: list, rng: random.Random) -> None:
    _check_chain(text, edits, rng)


# Prose documents: paragraphs between blank lines, few headings, edits mostly typing in the
# prose (the common case, where the re-parse keeps the sections and re-reads one body).
paragraph = st.lists(sentence, min_size=1, max_size=3).map("\n".join)
block = st.one_of(paragraph, paragraph, paragraph, st.sampled_from(["- a [[x]]\n- b", "```\ncode [[no]]\n```", "> q [[y]]", "<div>\n[[z]]\n</div>", "    indented", "Setext\n---"]))
prose_section = st.builds(lambda lvl, t, blocks: f"{'#' * lvl} {t}\n\n" + "\n\n".join(blocks) + "\n", st.sampled_from([2, 2, 3]), st.sampled_from(["Vision", "Work", "Timeslice 2024", "Risks"]), st.lists(block, min_size=1, max_size=5))
prose = st.builds(lambda fm, secs: fm + "# Title\n\n" + "\n".join(secs), front_matter, st.lists(prose_section, min_size=1, max_size=4))
typing = st.tuples(st.floats(0.3, 1), st.sampled_from([0, 0, 0, 1, 2]), st.sampled_from(["x", " ", "[[a#b]]", "[[", "]", "\n", "\n\n", "é", "- ", "```", "#"]))


@settings(max_examples=CASES // 2, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(prose, st.lists(typing, min_size=1, max_size=8), st.randoms(use_true_random=False))
def test_typing_in_prose_gives_the_full_parse(text: str, edits: list, rng: random.Random) -> None:
    _check_chain(text, edits, rng)


def test_typing_in_a_long_document_rescans_little(monkeypatch: pytest.MonkeyPatch) -> None:
    """A keystroke in prose re-scans from the previous blank line to the next one."""
    import clm_lsp.blueprint.incremental as incremental

    scans = []
    real = incremental.rescan_from

    def spy(lines, prefix, k, start, stop):  # type: ignore[no-untyped-def]
        first = prefix.marks[k][0] + 1 if k >= 0 else start
        out = real(lines, prefix, k, start, stop)
        scans.append((out.stopped[0] if out.stopped else len(lines)) - first)
        return out

    monkeypatch.setattr(incremental, "rescan_from", spy)
    body = "".join(f"## S{i}\n\nSome prose with [[ent-{i}]] and more.\nA second line.\n\n- a list\n- more\n\n" for i in range(300))
    text = f"---\nid: big\nscale: team\n---\n# Big\n\n{body}"
    bp, parts = parse_parts(text, URI, DEFAULT_CONFIG)
    assert parts is not None
    lines = split_lines(text)
    at = len(lines) // 2
    while not lines[at].startswith("Some prose"):
        at += 1
    lines2 = [*lines[:at], lines[at] + " [[new", *lines[at + 1 :]]
    text2 = "\n".join(lines2)
    got = reparse(bp, parts, text2, lines2, at, len(lines) - at - 1, DEFAULT_CONFIG)
    assert got is not None and got[0] == parse(text2, URI)[0]
    assert scans == [2], "re-scanned more than the two-line paragraph between two blank lines"
    # Structure: an opened fence re-scans to the end and hides every later heading.
    lines3 = [*lines[:at], "```", *lines[at:]]
    text3 = "\n".join(lines3)
    got3 = reparse(bp, parts, text3, lines3, at, len(lines) - at, DEFAULT_CONFIG)
    assert got3 is not None and got3[0] == parse(text3, URI)[0]
    assert len(got3[0].sections) < len(bp.sections)
    assert scans[-1] > len(lines) - at - 10, "an opened fence must re-scan to the end"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the k8s-community corpus is not on this machine")
def test_corpus_edits_give_the_full_parse() -> None:
    files = sorted(CORPUS.rglob("*.md"))
    rng = random.Random(7)
    picked = rng.sample(files, min(len(files), 200 if LONG else 25))
    for path in picked:
        text = path.read_text(encoding="utf-8", errors="replace")
        edits = [(rng.random(), rng.choice([0, 0, 1, 5]), rng.choice(TYPED)) for _ in range(4)]
        _check_chain(text, edits, rng)


@settings(max_examples=CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents)
def test_line_index_starts_follow_the_line_breaks(text: str) -> None:
    """LineIndex sums line lengths for a text without CR (the per-keystroke index): same starts."""
    import re

    from clm_lsp.blueprint import LineIndex

    assert LineIndex(text).starts == [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", text))]


@settings(max_examples=CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.text(max_size=30) | documents, st.integers(0, 300))
def test_token_estimate_counts_non_ascii_characters(text: str, repeat: int) -> None:
    """estimate_tokens counts non-ASCII code points by dropping them in C (per keystroke on a big
    file); the count is the one a regex gives, also for a long text asked about twice."""
    import re

    from clm_lsp.blueprint.tokens import estimate_tokens

    text = text * (1 + repeat % 200)
    non_ascii = len(re.findall(r"[^\x00-\x7f]", text))
    want = 0 if not text else (len(text) - non_ascii + 3) // 4 + non_ascii
    assert estimate_tokens(text) == want
    assert estimate_tokens(text) == want
