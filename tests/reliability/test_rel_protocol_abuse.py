"""Protocol abuse over a real stdio server: broken framing and JSON, requests before
initialize, unknown methods, positions past the end, odd versions, a flood of requests
cancelled at once, and a client that vanishes mid-request."""

from __future__ import annotations

import collections
import time

from rawlsp import RawServer

HOVER_AT_TITLE = {"line": 8, "character": 3}


def framed(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def hover(server: RawServer, uri: str, pos: dict) -> dict:
    return server.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": pos})


def test_requests_before_initialize_get_server_not_initialized(raw, commons) -> None:
    reply = hover(raw, "file:///x.blueprint.md", {"line": 0, "character": 0})
    assert reply["error"]["code"] == -32002
    raw.open((commons / "early.blueprint.md").as_uri(), "---\nid: early\n---\n")  # dropped, as the spec says
    raw.initialize(commons)
    assert raw.view((commons / "early.blueprint.md").as_uri()) is None
    assert "error" not in hover(raw, (commons / "rivermouth-region.blueprint.md").as_uri(), HOVER_AT_TITLE)


def test_malformed_json_rpc_gets_the_json_rpc_answers_and_is_survived(raw, commons) -> None:
    raw.initialize(commons)
    # body -> the code of the null-id error it is answered with (None: no reply, as the spec says)
    cases = [(b"{bad}", -32700), (b'{"jsonrpc":"2"}', -32600), (b"[]", -32600), (b"null", -32600), (b'"str"', -32600),
             (b"\xff\xfe\x00", -32700), (b'{"jsonrpc":"2.0","id":{},"x":1}', -32600), (b'{"id":"n1","method":"x"}', None),
             (b'{"jsonrpc":"2.0","id":"m1","method":5}', None), (b'{"jsonrpc":"2.0","id":"m2"}', None),
             (b'{"jsonrpc":"2.0","method":"textDocument/didOpen","params":7}', None)]
    for body, _code in cases:
        raw.send_bytes(framed(body))
    raw.send_bytes(b"garbage without a header\r\n\r\n")
    raw.send_bytes(b"Content-Length: nope\r\n\r\n")
    reply = raw.request("clm/nonsense", {})
    assert reply["error"]["code"] == -32601  # MethodNotFound, and the stream is still in step
    assert [e["error"]["code"] for e in raw.null_id_errors] == [code for _b, code in cases if code is not None], raw.null_id_errors
    assert raw.replies.pop("m1")["error"]["code"] == -32600  # a request with a usable id: answered with it
    assert raw.replies.pop("n1")["error"]["code"] == -32600  # no "jsonrpc": not a JSON-RPC 2.0 request
    raw.notify("clm/unknownNotification", {"x": 1})  # ignored
    raw.notify("$/somethingOptional", None)  # $/ notifications may be ignored
    uri = (commons / "rivermouth-region.blueprint.md").as_uri()
    assert "error" not in hover(raw, uri, HOVER_AT_TITLE)
    shown = [n["params"]["message"] for n in raw.notifications if n.get("method") == "window/showMessage"]
    assert not [m for m in shown if "internal error" in m], shown
    assert raw.alive()


def test_positions_past_the_end_in_did_change_mean_the_end_of_the_line(raw, commons) -> None:
    """Regression: pygls's document copy rewrote such a range to one character short."""
    raw.initialize(commons)
    uri = (commons / "new.blueprint.md").as_uri()
    raw.open(uri, "ab\x1ccd\nlast", 1)
    change = {"range": {"start": {"line": 1, "character": 99}, "end": {"line": 1, "character": 120}}, "text": "!"}
    raw.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [change]})
    assert raw.view(uri)["text"] == "ab\x1ccd\nlast!"
    change = {"range": {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 5}}, "text": "Z"}
    raw.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [change]})
    assert raw.view(uri)["text"] == "ab\x1ccZ\nlast!", "U+001C is not an LSP line break"
    far = {"range": {"start": {"line": 50, "character": 0}, "end": {"line": 60, "character": 3}}, "text": "\nmore"}
    raw.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 4}, "contentChanges": [far]})
    assert raw.view(uri)["text"] == "ab\x1ccZ\nlast!\nmore"


def test_wrong_versions_and_unknown_documents_do_not_break_the_buffer(raw, commons) -> None:
    raw.initialize(commons)
    uri = (commons / "new.blueprint.md").as_uri()
    raw.open(uri, "one", 5)
    for version, text in ((3, "two"), (3, "three"), (-1, "four")):  # going backwards: the text still wins
        raw.replace(uri, text, version)
        view = raw.view(uri)
        assert (view["text"], view["version"]) == (text, version)
    raw.replace("file:///never/opened.blueprint.md", "x", 2)
    raw.notify("textDocument/didClose", {"textDocument": {"uri": "file:///never/opened.blueprint.md"}})
    raw.notify("textDocument/didChange", {"textDocument": {"uri": uri}, "contentChanges": [{"text": "v"}]})  # no version: invalid params
    assert raw.view(uri)["text"] == "four"


def test_a_thousand_requests_in_flight_then_cancelled_all_get_an_answer(raw, commons) -> None:
    raw.initialize(commons)
    uri = (commons / "rivermouth-region.blueprint.md").as_uri()
    kinds = ["textDocument/hover", "textDocument/definition", "textDocument/completion", "textDocument/documentSymbol"]
    t0 = time.monotonic()
    ids = [raw.start_request(kinds[i % 4], {"textDocument": {"uri": uri}, "position": HOVER_AT_TITLE}) for i in range(1000)]
    for msg_id in ids:
        raw.notify("$/cancelRequest", {"id": msg_id})
    replies = [raw.wait_reply(msg_id, timeout=60) for msg_id in ids]
    seconds = time.monotonic() - t0
    outcome = collections.Counter(r["error"]["code"] if "error" in r else "result" for r in replies)
    assert set(outcome) <= {"result", -32800}, outcome  # a result, or RequestCancelled
    print(f"\n1000 requests + 1000 cancels answered in {seconds:.2f} s: {dict(outcome)}")
    assert "error" not in hover(raw, uri, HOVER_AT_TITLE)


def test_client_vanishing_mid_request_ends_the_process_cleanly(commons) -> None:
    server = RawServer()
    server.initialize(commons)
    uri = (commons / "rivermouth-region.blueprint.md").as_uri()
    for _ in range(50):
        server.start_request("textDocument/hover", {"textDocument": {"uri": uri}, "position": HOVER_AT_TITLE})
    server.proc.stdin.close()  # the editor crashed: no shutdown, no exit
    assert server.proc.wait(30) == 0
