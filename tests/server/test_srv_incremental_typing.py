"""The session's buffers under typing: changes spliced into lines, flushed now and then,
re-parsed incrementally, always equal to a fresh parse of the client's text.

The client's side is computed independently (UTF-16/UTF-8 positions from the text
itself), as in tests/fuzz/test_fz_server_view.py; here without a server process so
that thousands of keystrokes take a second.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from clm_lsp.blueprint import parse
from clm_lsp.server.session import Session

WORDS = ["homes", "é", "🚀", "東京", "[[other]]", "[[other#gov|x]]", "[[", "]]", "\n", "\n\n", "- ", "```", "## New", "{#a}", " "]


def _client(text: str, offset: int, encoding: str) -> tuple[int, int]:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    seg = text[start:offset]
    units = len(seg.encode("utf-16-le", "surrogatepass")) // 2 if encoding == "utf-16" else len(seg.encode()) if encoding == "utf-8" else len(seg)
    return line, units


def _document(rng: random.Random) -> str:
    secs = []
    for i in range(12):
        paras = ["\n".join(" ".join(rng.choice(WORDS[:6]) + (" [[other]]" if rng.random() < 0.3 else "") for _ in range(8)) for _ in range(2)) for _ in range(3)]
        secs.append(f"## Section {i}\n\n" + "\n\n".join(paras) + "\n")
    return "---\nid: typed\nscale: team\n---\n# Typed\n\n" + "\n".join(secs)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8", "utf-32"])
def test_typing_with_flushes_now_and_then_equals_a_fresh_parse(tmp_path: Path, encoding: str) -> None:
    rng = random.Random(encoding)
    session = Session([tmp_path])
    uri = (tmp_path / "typed.blueprint.md").as_uri()
    text = _document(rng)
    session.open(uri, text, 1)
    project = session.project_for(uri)
    project.scanned = True
    reused = 0
    cursor = len(text) // 2
    for version in range(2, 200):
        if rng.random() < 0.1:  # jump somewhere else, as a user does
            cursor = rng.randint(0, len(text))
        if rng.random() < 0.15 and cursor > 0:  # backspace (maybe over a line break)
            a, b, new = cursor - 1, cursor, ""
        elif rng.random() < 0.05:  # select a few lines and type over them
            a, b, new = cursor, min(len(text), cursor + rng.randint(1, 200)), rng.choice(WORDS)
        else:
            a = b = cursor
            new = rng.choice(WORDS)
        start, end = _client(text, a, encoding), _client(text, b, encoding)
        session.change(uri, version, [((*start, *end), new)], encoding)
        text = text[:a] + new + text[b:]
        cursor = a + len(new)
        if rng.random() < 0.3:  # a request (or the debounced check) parses what accumulated
            session.flush(uri)
            doc = session.open_docs[uri]
            assert doc.text == text
            assert project.ws.docs[uri] == parse(text, uri)[0], f"version {version}"
            reused += doc.base is not None
    assert reused > 25, "the incremental path was hardly taken"


def test_a_carriage_return_falls_back_to_whole_text_edits(tmp_path: Path) -> None:
    session = Session([tmp_path])
    uri = (tmp_path / "crlf.blueprint.md").as_uri()
    text = "---\r\nid: crlf\r\nscale: team\r\n---\r\n# T\r\n\r\nBody [[x]]\r\n"
    session.open(uri, text, 1)
    session.project_for(uri).scanned = True
    session.change(uri, 2, [((6, 4, 6, 4), " more\r\n\r\nnew [[y]]")], "utf-16")
    text = text.replace("Body", "Body more\r\n\r\nnew [[y]]", 1)
    session.flush(uri)
    assert session.open_docs[uri].text == text
    assert session.project_for(uri).ws.docs[uri] == parse(text, uri)[0]
    # A CR typed into an LF buffer switches it to whole-text edits, still exact.
    uri2 = (tmp_path / "lf.blueprint.md").as_uri()
    text2 = "---\nid: lf\nscale: team\n---\n# T\n\nBody\n"
    session.open(uri2, text2, 1)
    session.flush(uri2)
    session.change(uri2, 2, [((6, 4, 6, 4), "\r")], "utf-16")
    session.change(uri2, 3, [((7, 0, 7, 0), "\n")], "utf-16")
    session.flush(uri2)
    assert session.open_docs[uri2].text == "---\nid: lf\nscale: team\n---\n# T\n\nBody\r\n\n"
    assert session.project_for(uri2).ws.docs[uri2] == parse(session.open_docs[uri2].text, uri2)[0]
