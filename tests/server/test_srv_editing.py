"""Completion (with resolve), prepareRename and rename, end to end."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp
from lsp_helpers import PROBE, PROBE_TARGET, apply_edit, doc_id, open_doc, position, range_text
from pytest_lsp import LanguageClient


def _paths(client: LanguageClient):
    root = client.root  # type: ignore[attr-defined]
    return root / "probe-target.blueprint.md", root / "probe" / "probe-team.blueprint.md"


async def _complete(client: LanguageClient, text: str, marker: str) -> tuple[lsp.CompletionList, str, str]:
    """Open the probe with ``marker`` appended; complete at its end. Returns (list, uri, text)."""
    _target, probe_path = _paths(client)
    text = text.replace("Started.", f"Started. {marker}")
    uri, text = open_doc(client, probe_path, text)
    at = position(client, text, f"Started. {marker}", len(f"Started. {marker}"))
    params = lsp.CompletionParams(text_document=doc_id(uri), position=at)
    return await client.text_document_completion_async(params), uri, text


async def test_complete_entity_ids_fuzzy(client: LanguageClient) -> None:
    result, _uri, text = await _complete(client, PROBE, "[[hhc")
    assert result.items[0].label == "harbourside-housing-coop"
    first = result.items[0]
    assert "Harbourside Housing Cooperative" in first.detail and "organization" in first.detail
    assert range_text(client, text, first.text_edit.range) == "hhc"
    assert first.text_edit.new_text == "harbourside-housing-coop]]"  # the link was not closed yet


async def test_complete_anchors_after_hash(client: LanguageClient) -> None:
    result, _uri, text = await _complete(client, PROBE, "[[probe-target#bo]]")
    # The cursor is after the closing brackets here: nothing to offer.
    assert len(result.items) == 0
    result, _uri, text = await _complete(client, PROBE, "[[probe-target#bo")
    assert [i.label for i in result.items][:1] == ["board"]
    assert "Board" in result.items[0].detail
    result, _uri, text = await _complete(client, PROBE, "[[#wo")
    assert result.items[0].label == "work" and result.items[0].text_edit.new_text == "work]]"


async def test_nothing_after_alias_bar(client: LanguageClient) -> None:
    result, _uri, _text = await _complete(client, PROBE, "[[probe-target#gov|the")
    assert len(result.items) == 0


async def test_complete_front_matter_values(client: LanguageClient) -> None:
    _target, probe_path = _paths(client)
    text = PROBE.replace("parent: probe-target", "parent: pro").replace("scale: team", "scale: ")
    uri, text = open_doc(client, probe_path, text)
    result = await client.text_document_completion_async(lsp.CompletionParams(text_document=doc_id(uri), position=position(client, text, "parent: pro", 11)))
    labels = [i.label for i in result.items]
    assert labels[0] == "probe-target" and "probe-team" not in labels  # never its own parent
    result = await client.text_document_completion_async(lsp.CompletionParams(text_document=doc_id(uri), position=position(client, text, "scale: ", 7)))
    assert [i.label for i in result.items][:3] == ["individual", "team", "organization"]


async def test_resolve_adds_first_lines(client: LanguageClient) -> None:
    result, _uri, _text = await _complete(client, PROBE, "[[probe-target#go")
    item = next(i for i in result.items if i.label == "gov")
    resolved = await client.completion_item_resolve_async(item)
    assert "A general assembly elects a board." in resolved.documentation.value
    assert "Probe Target" in resolved.documentation.value


async def test_prepare_rename(client: LanguageClient) -> None:
    target_path, _probe = _paths(client)
    uri, text = open_doc(client, target_path)
    spot = await client.text_document_prepare_rename_async(lsp.PrepareRenameParams(text_document=doc_id(uri), position=position(client, text, "{#gov}", 3)))
    assert spot.placeholder == "gov" and range_text(client, text, spot.range) == "gov"
    spot = await client.text_document_prepare_rename_async(lsp.PrepareRenameParams(text_document=doc_id(uri), position=position(client, text, "id: probe-target", 6)))
    assert spot.placeholder == "probe-target" and range_text(client, text, spot.range) == "probe-target"
    nothing = await client.text_document_prepare_rename_async(lsp.PrepareRenameParams(text_document=doc_id(uri), position=position(client, text, "Founded.")))
    assert nothing is None


async def test_rename_anchor_rewrites_every_link(client: LanguageClient) -> None:
    target_path, probe_path = _paths(client)
    uri, text = open_doc(client, target_path)
    params = lsp.RenameParams(text_document=doc_id(uri), position=position(client, text, "{#gov}", 3), new_name="governance")
    edit = await client.text_document_rename_async(params)
    texts = apply_edit(client, edit, {uri: PROBE_TARGET, probe_path.as_uri(): PROBE})
    assert "## Governance {#governance}" in texts[uri]
    assert "[[probe-target#governance|the assembly]]" in texts[probe_path.as_uri()]


async def test_rename_generated_anchor_pins_it(client: LanguageClient) -> None:
    target_path, probe_path = _paths(client)
    uri, text = open_doc(client, target_path)
    params = lsp.RenameParams(text_document=doc_id(uri), position=position(client, text, "### Board", 5), new_name="the-board")
    edit = await client.text_document_rename_async(params)
    texts = apply_edit(client, edit, {uri: PROBE_TARGET, probe_path.as_uri(): PROBE})
    assert "### Board {#the-board}" in texts[uri]
    assert "[[probe-target#the-board]]" in texts[probe_path.as_uri()]


async def test_rename_entity_from_a_link(client: LanguageClient) -> None:
    target_path, probe_path = _paths(client)
    uri, text = open_doc(client, probe_path)
    params = lsp.RenameParams(text_document=doc_id(uri), position=position(client, text, "[[probe-target]]", 5), new_name="probe-hub")
    edit = await client.text_document_rename_async(params)
    texts = apply_edit(client, edit, {target_path.as_uri(): PROBE_TARGET, uri: PROBE})
    assert "id: probe-hub" in texts[target_path.as_uri()]
    probe = texts[uri]
    assert "parent: probe-hub" in probe and "[[probe-hub#gov|the assembly]]" in probe and "[[probe-hub]]" in probe
    assert "[[probe-hub#board]]" in probe and "probe-target" not in probe


@pytest.mark.parametrize(("new_name", "why"), [("probe-team", "already used"), ("Not An Id", "not a valid id")])
async def test_rename_refuses_clearly(client: LanguageClient, new_name: str, why: str) -> None:
    target_path, _probe = _paths(client)
    uri, text = open_doc(client, target_path)
    params = lsp.RenameParams(text_document=doc_id(uri), position=position(client, text, "id: probe-target", 6), new_name=new_name)
    with pytest.raises(Exception, match=why):
        await client.text_document_rename_async(params)


async def test_rename_refuses_anchor_collision(client: LanguageClient) -> None:
    target_path, _probe = _paths(client)
    uri, text = open_doc(client, target_path)
    params = lsp.RenameParams(text_document=doc_id(uri), position=position(client, text, "{#gov}", 3), new_name="vision")
    with pytest.raises(Exception, match="already has a section"):
        await client.text_document_rename_async(params)
