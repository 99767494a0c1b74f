"""Definition, references, document links, hover, symbols, folding and lenses, end to end.

Positions are computed in the encoding the server negotiated (UTF-8 with the
Neovim capabilities, UTF-16 with VS Code's), and the probe documents put emoji
and CJK before the links, so a wrong conversion lands on the wrong character.
"""

from __future__ import annotations

from lsprotocol import types as lsp
from lsp_helpers import PROBE, PROBE_TARGET, doc_id, open_doc, position, range_text
from pytest_lsp import LanguageClient


def _paths(client: LanguageClient):
    root = client.root  # type: ignore[attr-defined]
    return root / "probe-target.blueprint.md", root / "probe" / "probe-team.blueprint.md"


async def test_definition_of_links_and_parent(client: LanguageClient) -> None:
    target_path, probe_path = _paths(client)
    uri, text = open_doc(client, probe_path)
    target_uri = target_path.as_uri()

    found = await client.text_document_definition_async(lsp.DefinitionParams(text_document=doc_id(uri), position=position(client, text, "probe-target#gov", 14)))
    assert len(found) == 1 and found[0].uri == target_uri
    assert range_text(client, PROBE_TARGET, found[0].range) == "## Governance {#gov}"

    found = await client.text_document_definition_async(lsp.DefinitionParams(text_document=doc_id(uri), position=position(client, text, "[[probe-target]]", 4)))
    assert found[0].uri == target_uri and range_text(client, PROBE_TARGET, found[0].range) == "# Probe Target"

    found = await client.text_document_definition_async(lsp.DefinitionParams(text_document=doc_id(uri), position=position(client, text, "[[#work]]", 4)))
    assert found[0].uri == uri and range_text(client, text, found[0].range) == "## Work"

    found = await client.text_document_definition_async(lsp.DefinitionParams(text_document=doc_id(uri), position=position(client, text, "parent: probe-target", 10)))
    assert found[0].uri == target_uri

    nothing = await client.text_document_definition_async(lsp.DefinitionParams(text_document=doc_id(uri), position=position(client, text, "Started.")))
    assert nothing is None


async def test_references_of_heading_entity_and_link(client: LanguageClient) -> None:
    target_path, probe_path = _paths(client)
    target_uri, target_text = open_doc(client, target_path)
    probe_uri = probe_path.as_uri()

    ctx = lsp.ReferenceContext(include_declaration=False)
    refs = await client.text_document_references_async(lsp.ReferenceParams(text_document=doc_id(target_uri), position=position(client, target_text, "## Governance", 4), context=ctx))
    assert [(r.uri, range_text(client, PROBE, r.range)) for r in refs] == [(probe_uri, "[[probe-target#gov|the assembly]]")]

    refs = await client.text_document_references_async(lsp.ReferenceParams(text_document=doc_id(target_uri), position=position(client, target_text, "id: probe-target", 5), context=ctx))
    texts = sorted(range_text(client, PROBE, r.range) for r in refs if r.uri == probe_uri)
    assert texts == ["[[probe-target#board]]", "[[probe-target#gov|the assembly]]", "[[probe-target]]"]

    with_decl = lsp.ReferenceContext(include_declaration=True)
    refs = await client.text_document_references_async(lsp.ReferenceParams(text_document=doc_id(target_uri), position=position(client, target_text, "### Board", 5), context=with_decl))
    assert range_text(client, target_text, refs[0].range) == "### Board" and len(refs) == 2


async def test_document_links_point_at_the_target_line(client: LanguageClient) -> None:
    target_path, probe_path = _paths(client)
    uri, text = open_doc(client, probe_path)
    links = await client.text_document_document_link_async(lsp.DocumentLinkParams(doc_id(uri)))
    by_text = {range_text(client, text, link.range): link.target for link in links}
    gov_line = PROBE_TARGET.split("\n").index("## Governance {#gov}") + 1
    assert by_text["probe-target#gov"] == f"{target_path.as_uri()}#L{gov_line}"
    assert by_text["#work"].startswith(uri + "#L")
    assert any(t.startswith(client.root.as_uri()) and "harbourside-housing-coop" in t for t in by_text.values())  # type: ignore[attr-defined]


async def test_hover_on_link_heading_and_parent(client: LanguageClient) -> None:
    _target, probe_path = _paths(client)
    uri, text = open_doc(client, probe_path)

    hover = await client.text_document_hover_async(lsp.HoverParams(text_document=doc_id(uri), position=position(client, text, "probe-target#gov", 14)))
    value = hover.contents.value
    assert "**Probe Target › Governance**" in value
    assert "Rivermouth" in value and "Probe Target › Governance" in value.split("\n")[2]  # breadcrumbs from the region down
    assert "1 incoming link" in value and "tokens" in value
    assert "A general assembly elects a board." in value  # the extractive summary
    assert range_text(client, text, hover.range) == "[[probe-target#gov|the assembly]]"

    hover = await client.text_document_hover_async(lsp.HoverParams(text_document=doc_id(uri), position=position(client, text, "## Work", 3)))
    assert "Probe Team 🚀 東京 › Work" in hover.contents.value and "Repairs" in hover.contents.value

    hover = await client.text_document_hover_async(lsp.HoverParams(text_document=doc_id(uri), position=position(client, text, "parent: probe-target", 9)))
    assert "**Probe Target**" in hover.contents.value and "organization" in hover.contents.value

    hover = await client.text_document_hover_async(lsp.HoverParams(text_document=doc_id(uri), position=position(client, text, "Started.")))
    assert hover is None


async def test_document_symbols_are_a_tree(client: LanguageClient) -> None:
    target_path, _probe = _paths(client)
    uri, text = open_doc(client, target_path)
    syms = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(doc_id(uri)))
    assert len(syms) == 1 and syms[0].name == "Probe Target" and syms[0].kind == lsp.SymbolKind.Module
    names = [(s.name, s.kind) for s in syms[0].children]
    assert names == [
        ("Vision", lsp.SymbolKind.Constant),
        ("Governance", lsp.SymbolKind.Namespace),
        ("Timeslice 2023", lsp.SymbolKind.Event),
        ("Timeslice 2024-Q2", lsp.SymbolKind.Event),
    ]
    gov = syms[0].children[1]
    assert [c.name for c in gov.children] == ["Board"]
    assert range_text(client, text, gov.selection_range) == "## Governance {#gov}"


async def test_workspace_symbols_fuzzy(client: LanguageClient) -> None:
    found = await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="hhc"))
    assert found and found[0].name == "Harbourside Housing Cooperative"
    found = await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="probe-target#gov"))
    assert found[0].name == "Governance" and found[0].location.uri.endswith("probe-target.blueprint.md")
    assert await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="zzzzqqqq")) == []


async def test_folding_ranges(client: LanguageClient) -> None:
    target_path, _probe = _paths(client)
    uri, text = open_doc(client, target_path)
    folds = await client.text_document_folding_range_async(lsp.FoldingRangeParams(doc_id(uri)))
    lines = text.split("\n")
    spans = {(lines[f.start_line], lines[f.end_line]) for f in folds}
    assert ("---", "---") in spans  # the front matter
    assert ("## Governance {#gov}", "Seven members, elected for two years.") in spans
    assert ("## Timeslice 2024-Q2", "Grew to forty homes.") in spans


async def test_code_lens_counts_tokens_and_incoming_links(client: LanguageClient) -> None:
    target_path, _probe = _paths(client)
    uri, text = open_doc(client, target_path)
    lenses = await client.text_document_code_lens_async(lsp.CodeLensParams(doc_id(uri)))
    by_heading = {range_text(client, text, lens.range): lens.command.title for lens in lenses}
    assert by_heading["## Governance {#gov}"].endswith("· 1 incoming link")
    assert by_heading["### Board"].endswith("· 1 incoming link")
    assert by_heading["## Vision"].endswith("· 0 incoming links")
    info = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="clm.sectionInfo", arguments=[uri, "gov"]))
    assert info["incoming"] == 1 and info["tokens"] > 5
