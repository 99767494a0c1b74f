"""YAML is loaded safely, logs at info level carry no document text, and links that
point outside the opened folder never make the server answer with (or read) a file there."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))
from rawlsp import RawServer  # noqa: E402

from clm_lsp.blueprint import parse  # noqa: E402

SECRET = "Zebra-quartz-7731 confidential sentence"


@pytest.fixture
def root(commons: Path, tmp_path: Path) -> Path:
    (tmp_path / "outside.blueprint.md").write_text("---\nid: outsider\nscale: team\n---\n# Outsider\n## Vision\nSecret.\n", encoding="utf-8")
    return commons


def evil_front_matter(marker: Path) -> str:
    return (f"---\nid: evil\nscale: !!python/object/apply:os.system ['touch {marker}']\n"
            f"parent: !!python/object/new:pathlib.Path ['{marker}']\ntags: !!python/name:os.system\n---\n# Evil\n## Vision\nx\n")


def test_yaml_tags_are_never_evaluated(root: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    bp, problems = parse(evil_front_matter(marker), "file:///w/evil.blueprint.md")
    assert not marker.exists()
    assert problems, "an unsafe tag is a diagnostic, not a value"
    assert all(isinstance(v, (str, type(None))) for v in (bp.entity.scale, bp.entity.parent))
    server = RawServer()
    try:
        server.initialize(root)
        uri = (root / "evil.blueprint.md").as_uri()
        server.open(uri, evil_front_matter(marker))
        assert server.view(uri)["problems"]
    finally:
        assert server.close() == 0
    assert not marker.exists()


def test_info_logs_never_contain_document_text(root: Path, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    server = RawServer(args=["--log-level", "info", "--log-file", str(log)])
    try:
        server.initialize(root, options={"index": {"enable": False}, "summaries": {"enable": False}, "log": {"level": "info"}})
        uri = (root / "secret.blueprint.md").as_uri()
        text = f"---\nid: secret\nscale: team\nparent: nowhere\n---\n# {SECRET}\n## Vision\n{SECRET} [[ghost#{SECRET[:5].lower()}]]\n"
        server.open(uri, text)
        server.replace(uri, text + f"\n## Work\n{SECRET}\n", 2)
        for method in ("textDocument/hover", "textDocument/completion", "textDocument/definition"):
            server.request(method, {"textDocument": {"uri": uri}, "position": {"line": 7, "character": 3}})
        server.request("textDocument/diagnostic", {"textDocument": {"uri": uri}})
    finally:
        assert server.close() == 0
    logged = log.read_text(encoding="utf-8") + "".join(server.stderr_lines)
    assert "INFO" in logged or "blueprints" in logged, "the log was written"
    assert SECRET not in logged and "Zebra" not in logged


LINKS = ["[a](../outside.blueprint.md)", "[b](/etc/passwd)", "[c](file:///etc/hosts)", "[d](C:\\Windows\\x.blueprint.md)",
         "[e](https://example.org/x.blueprint.md)", "[[../outside]]", "[[outsider]]", "[f](..%2Foutside.blueprint.md)", "[[rivermouth-city]]"]  # the last: a control that does resolve


def _uris(value):
    """Every `uri` / `target` / `targetUri` string anywhere in a reply."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("uri", "target", "targetUri") and isinstance(item, str):
                yield item
            else:
                yield from _uris(item)
    elif isinstance(value, list):
        for item in value:
            yield from _uris(item)


def test_links_outside_the_folder_never_resolve_there(root: Path) -> None:
    server = RawServer()
    try:
        server.initialize(root)
        uri = (root / "probe.blueprint.md").as_uri()
        lines = ["---", "id: probe", "scale: team", "parent: ../outside", "---", "# Probe", "## Vision", *LINKS]
        server.open(uri, "\n".join(lines) + "\n")
        answers = []
        for n, link in enumerate(LINKS, start=7):
            pos = {"line": n, "character": 2}
            for method in ("textDocument/definition", "textDocument/hover", "textDocument/references", "textDocument/documentLink"):
                params = {"textDocument": {"uri": uri}, "position": pos, "context": {"includeDeclaration": True}}
                reply = server.request(method, params)
                assert "error" not in reply, (method, link, reply)
                answers.append(reply.get("result"))
        targets = list(_uris(answers))
        assert any("rivermouth-city" in t for t in targets), "the control link resolves"
        assert all(t.startswith(root.as_uri() + "/") for t in targets), targets
    finally:
        assert server.close() == 0
