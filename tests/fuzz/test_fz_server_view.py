"""Fuzzed documents and edit sequences through a real server: after every step it is
alive, it answers, and its parsed view equals a fresh parse of the client's text."""

from __future__ import annotations

import bisect
import itertools
import json
import re

from hypothesis import HealthCheck, Phase, given, settings
from strategies import DOCUMENTS, SEQUENCES, documents, edit_sequences

from clm_lsp.blueprint import parse
from clm_lsp.server.ide.describe import describe

_BREAK = re.compile(r"\r\n|\r|\n")
_versions = itertools.count(2)
_uris = itertools.count()
COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture], "database": None, "phases": [Phase.explicit, Phase.generate], "print_blob": True}


def expected(uri: str, text: str) -> dict:
    return json.loads(json.dumps(describe(parse(text, uri)[0])))


def client_pos(text: str, offset: int) -> dict:
    """UTF-16 position, computed independently of the server: LSP lines end at \\r\\n, \\r or \\n."""
    starts = [0] + [m.end() for m in _BREAK.finditer(text)]
    line = bisect.bisect_right(starts, offset) - 1
    return {"line": line, "character": len(text[starts[line] : offset].encode("utf-16-le")) // 2}


def _snap(text: str, off: int) -> int:
    off = max(0, min(off, len(text)))
    while 0 < off < len(text) and text[off - 1] == "\r" and text[off] == "\n":
        off -= 1  # never between the halves of a CRLF
    return off


def check_view(server, uri: str, text: str, version: int) -> None:
    view = server.view(uri)
    assert view is not None, "the server lost the document"
    assert view.pop("version") == version
    assert view == expected(uri, text)


@settings(max_examples=DOCUMENTS, **COMMON)
@given(text=documents)
def test_every_document_is_parsed_as_a_fresh_parse_would(fuzz_server, text: str) -> None:
    uri = (fuzz_server.root / "fuzz" / "doc.blueprint.md").as_uri()
    version = next(_versions)
    if version == 2:
        fuzz_server.open(uri, text, version)
    else:
        fuzz_server.replace(uri, text, version)
    check_view(fuzz_server, uri, text, version)
    assert fuzz_server.alive()


@settings(max_examples=SEQUENCES, **COMMON)
@given(case=edit_sequences)
def test_incremental_edit_sequences_stay_in_step(fuzz_server, case) -> None:
    text, steps = case
    uri = (fuzz_server.root / "fuzz" / f"seq-{next(_uris)}.blueprint.md").as_uri()
    fuzz_server.open(uri, text, 1)
    for version, step in enumerate(steps, start=2):
        changes = []
        for at, span, new in step:  # several changes in one notification apply in order
            a = _snap(text, int(at * len(text)))
            b = _snap(text, a + span)
            changes.append({"range": {"start": client_pos(text, a), "end": client_pos(text, b)}, "text": new})
            text = text[:a] + new + text[b:]
        fuzz_server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": changes})
        check_view(fuzz_server, uri, text, version)
    fuzz_server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    hover = fuzz_server.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}})
    assert "error" not in hover
