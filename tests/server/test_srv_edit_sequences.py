"""Random incremental edits (emoji, CJK, astral characters, CRLF) through didChange:
after each one the server's parse equals a fresh parse of the text the client holds."""

from __future__ import annotations

import bisect
import json
import random
import re

from clm_lsp.blueprint import parse
from clm_lsp.server.ide.describe import describe
from lsprotocol import types as lsp
from lsp_helpers import PROBE, encoding_of, open_doc, plain
from pytest_lsp import LanguageClient

SNIPPETS = ["🚀", "東京", "é", "𝄞x", "[[probe-target#gov]]", "[[#work|w 🔧]]", "\n## New 東 {#n}\n", "\n### Sub\n", "", "abc", "[[", "]]", "\r\n", "\n", "## Timeslice 2020\n", "---\n"]
_BREAK = re.compile(r"\r\n|\r|\n")


def _units(s: str, enc: str) -> int:
    return len(s.encode("utf-8")) if enc == "utf-8" else len(s.encode("utf-16-le")) // 2 if enc == "utf-16" else len(s)


def _client_pos(text: str, offset: int, enc: str) -> lsp.Position:
    """Independent of the server's code: LSP lines end at \\r\\n, \\r or \\n."""
    starts = [0] + [m.end() for m in _BREAK.finditer(text)]
    line = bisect.bisect_right(starts, offset) - 1
    return lsp.Position(line=line, character=_units(text[starts[line] : offset], enc))


def _offset(rng: random.Random, text: str) -> int:
    off = rng.randint(0, len(text))
    while 0 < off < len(text) and text[off - 1] == "\r" and text[off] == "\n":
        off -= 1  # never point between the two halves of a CRLF
    return off


def _expected(uri: str, text: str) -> dict:
    return json.loads(json.dumps(describe(parse(text, uri)[0])))


async def test_random_edits_keep_the_server_in_step(client: LanguageClient) -> None:
    probe = client.root / "probe" / "probe-team.blueprint.md"  # type: ignore[attr-defined]
    uri, text = open_doc(client, probe, PROBE)
    enc = encoding_of(client)
    rng = random.Random(20250607)
    for version in range(2, 62):
        changes = []
        for _ in range(rng.choice((1, 1, 2, 3))):  # several changes in one notification apply in order
            a, b = sorted((_offset(rng, text), _offset(rng, text)))
            if b - a > 40:
                b = a + rng.randint(0, 40)
                while 0 < b < len(text) and text[b - 1] == "\r" and text[b] == "\n":
                    b -= 1
            new = rng.choice(SNIPPETS)
            changes.append(lsp.TextDocumentContentChangePartial(range=lsp.Range(_client_pos(text, a, enc), _client_pos(text, b, enc)), text=new))
            text = text[:a] + new + text[b:]
        ident = lsp.VersionedTextDocumentIdentifier(uri=uri, version=version)
        client.text_document_did_change(lsp.DidChangeTextDocumentParams(text_document=ident, content_changes=changes))
        view = plain(await client.protocol.send_request_async("clm/debugDocument", {"uri": uri}))
        assert view.pop("version") == version
        assert view == _expected(uri, text), f"after edit {version}"


async def test_full_text_change_replaces_the_document(client: LanguageClient) -> None:
    probe = client.root / "probe" / "probe-team.blueprint.md"  # type: ignore[attr-defined]
    uri, _text = open_doc(client, probe, PROBE)
    new = PROBE.replace("## Work", "## Labour 🛠")
    ident = lsp.VersionedTextDocumentIdentifier(uri=uri, version=2)
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(text_document=ident, content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=new)]))
    view = plain(await client.protocol.send_request_async("clm/debugDocument", {"uri": uri}))
    view.pop("version")
    assert view == _expected(uri, new)
