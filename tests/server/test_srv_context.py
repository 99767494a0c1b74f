"""Context views through `clm-lsp serve` over stdio (pytest-lsp), with VS Code's and
Neovim's capabilities: clm.showContext writes the view and returns the zoom map,
definition on a summary line jumps to the section it stands for, clm.zoomIn shows
that section in full within the same budget, bad arguments get a message."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from lsp_helpers import doc_id
from lsprotocol import types as lsp

DISTRICT = "harbourside/harbourside-district.blueprint.md"


def _district(root: Path) -> Path:
    return next(root.rglob("harbourside-district.blueprint.md"))


async def _command(client, name, *args):
    return await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command=name, arguments=list(args)))


async def test_show_context_definition_and_zoom_in(client):
    declared = client.init_result.capabilities.execute_command_provider.commands
    assert {"clm.showContext", "clm.zoomIn"} <= set(declared)
    uri = _district(client.root).as_uri()
    result = await _command(client, "clm.showContext", uri, "gov", 900, "who decides")
    assert "error" not in result, result
    path = Path(unquote(urlsplit(result["uri"]).path))
    assert path.name == "harbourside-district--gov.context.md" and path.parent.name == "views"
    text = path.read_text(encoding="utf-8")
    assert result["tokens"] <= 900 and "[§harbourside-district#gov] " in text
    assert "§harbourside-district#gov" in result["zoom"]

    lines = text.split("\n")
    label, entry = next((lab, z) for lab, z in result["zoom"].items() if z["mode"] == "summary" and "#" in lab)
    line = next(i for i, t in enumerate(lines) if t.startswith(f"[{label}] "))
    found = await client.text_document_definition_async(
        lsp.DefinitionParams(doc_id(result["uri"]), lsp.Position(line, len(label) + 4)))
    assert found and len(found) == 1
    assert found[0].uri == entry["uri"] and found[0].range.start.line == entry["range"]["start"]["line"]

    zoomed = await _command(client, "clm.zoomIn", result["uri"], f"[{label}]")
    assert "error" not in zoomed, zoomed
    assert zoomed["zoom"][label]["mode"] == "full" and zoomed["tokens"] <= 900
    assert f"[{label}] " in path.read_text(encoding="utf-8") and "(full)" in next(
        t for t in path.read_text(encoding="utf-8").split("\n") if t.startswith(f"[{label}] "))
    # Both editors' capability sets support window/showDocument: each was asked to open the view.
    assert result["shown"] and zoomed["shown"]
    assert [d.uri for d in client.shown_documents][-2:] == [result["uri"], zoomed["uri"]]


async def test_bad_arguments_get_a_message(client):
    uri = _district(client.root).as_uri()
    assert "no section" in (await _command(client, "clm.showContext", uri, "nope"))["error"]
    assert "error" in await _command(client, "clm.showContext", 42)
    assert "budget" in (await _command(client, "clm.showContext", {"focus": "harbourside-district#gov", "budget": -3}))["error"]
    assert "error" in await _command(client, "clm.zoomIn", uri)
    assert "not a context view" in (await _command(client, "clm.zoomIn", uri, "§x"))["error"]
