"""Diagnostics (pushed to VS Code, pulled by Neovim) across files, and the quick fixes."""

from __future__ import annotations

from lsprotocol import types as lsp
from lsp_helpers import PROBE, PROBE_TARGET, apply_edit, change_doc, doc_id, open_doc, position, range_text, wait_until
from pytest_lsp import LanguageClient


def _paths(client: LanguageClient):
    root = client.root  # type: ignore[attr-defined]
    return root / "probe-target.blueprint.md", root / "probe" / "probe-team.blueprint.md"


def _pulls(client: LanguageClient) -> bool:
    return client.init_result.capabilities.diagnostic_provider is not None  # type: ignore[attr-defined]


async def _diagnostics(client: LanguageClient, uri: str, expect_codes: set[str]) -> list[lsp.Diagnostic]:
    """The file's diagnostics once they show ``expect_codes``: pulled, or waited for when pushed."""
    if _pulls(client):
        found: list[lsp.Diagnostic] = []

        async def pulled() -> bool:
            report = await client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(text_document=doc_id(uri)))
            found[:] = report.items
            return {d.code for d in found} == expect_codes

        for _ in range(200):
            if await pulled():
                return found
        raise AssertionError(f"pulled {[d.code for d in found]}, expected {expect_codes}")
    await wait_until(lambda: uri in client.diagnostics and {d.code for d in client.diagnostics[uri]} == expect_codes)
    return list(client.diagnostics[uri])


async def test_breaking_an_anchor_reports_in_the_closed_file_that_links_to_it(client: LanguageClient) -> None:
    target_path, probe_path = _paths(client)
    uri, text = open_doc(client, target_path)
    probe_uri = probe_path.as_uri()
    await _diagnostics(client, uri, set())
    at = position(client, text, "{#gov}", 2)
    change_doc(client, uri, 2, text, at, lsp.Position(at.line, at.character + 3), "gover")
    found = await _diagnostics(client, probe_uri, {"CLM002"})
    assert "Unknown section 'gov' in probe-target; did you mean 'gover'?" == found[0].message
    assert range_text(client, PROBE, found[0].range) == "gov"
    # And back: the problem goes away again.
    change_doc(client, uri, 3, text, at, lsp.Position(at.line, at.character + 5), "gov")
    await _diagnostics(client, probe_uri, set())


async def test_typing_a_broken_link_in_the_open_file(client: LanguageClient) -> None:
    _target, probe_path = _paths(client)
    uri, text = open_doc(client, probe_path)
    at = position(client, text, "Started.", 8)
    change_doc(client, uri, 2, text, at, at, " [[probe-targt]] 🚀")
    found = await _diagnostics(client, uri, {"CLM001"})
    edited = text.replace("Started.", "Started. [[probe-targt]] 🚀")
    assert range_text(client, edited, found[0].range) == "probe-targt"
    assert found[0].severity == lsp.DiagnosticSeverity.Error and found[0].source == "clm"


async def test_workspace_diagnostics_cover_closed_files(client: LanguageClient) -> None:
    if not _pulls(client):
        return  # pushed diagnostics for closed files are covered by the test above
    target_path, _probe = _paths(client)
    target_path.write_text(PROBE_TARGET, encoding="utf-8")
    report = await client.workspace_diagnostic_async(lsp.WorkspaceDiagnosticParams(previous_result_ids=[]))
    by_uri = {item.uri: item for item in report.items}
    assert target_path.as_uri() in by_uri and all(len(i.items) == 0 for i in report.items)
    again = await client.workspace_diagnostic_async(
        lsp.WorkspaceDiagnosticParams(previous_result_ids=[lsp.PreviousResultId(uri=i.uri, value=i.result_id) for i in report.items])
    )
    assert all(isinstance(i, lsp.WorkspaceUnchangedDocumentDiagnosticReport) for i in again.items)


async def _actions(client: LanguageClient, uri: str, text: str, needle: str, delta: int = 2) -> list[lsp.CodeAction]:
    at = position(client, text, needle, delta)
    ctx = lsp.CodeActionContext(diagnostics=[])
    params = lsp.CodeActionParams(text_document=doc_id(uri), range=lsp.Range(at, at), context=ctx)
    return list(await client.text_document_code_action_async(params) or [])


async def test_fix_create_missing_section(client: LanguageClient) -> None:
    target_path, probe_path = _paths(client)
    text = PROBE.replace("Started.", "Started. See [[probe-target#participatory-budget]].")
    uri, text = open_doc(client, probe_path, text)
    actions = await _actions(client, uri, text, "#participatory-budget", 3)
    create = next(a for a in actions if a.title == "Create section 'participatory-budget' in probe-target")
    texts = apply_edit(client, create.edit, {target_path.as_uri(): PROBE_TARGET})
    assert texts[target_path.as_uri()].endswith("Grew to forty homes.\n\n## Participatory budget\n<!-- synthesize -->\n")
    assert create.diagnostics and create.diagnostics[0].code == "CLM002"


async def test_fix_create_blueprint_for_unknown_entity(client: LanguageClient) -> None:
    _target, probe_path = _paths(client)
    text = PROBE.replace("Started.", "Started with [[probe-bakery]].")
    uri, text = open_doc(client, probe_path, text)
    actions = await _actions(client, uri, text, "[[probe-bakery]]", 4)
    titles = [a.title for a in actions]
    assert "Create blueprint 'probe-bakery' (individual, part of probe-team)" in titles
    assert "Create blueprint 'probe-bakery' (team, beside probe-team)" in titles
    child = next(a for a in actions if a.title.startswith("Create blueprint 'probe-bakery' (individual"))
    new_uri = (probe_path.parent / "probe-bakery.blueprint.md").as_uri()
    created = apply_edit(client, child.edit, {uri: text})[new_uri]
    assert created.startswith("---\nid: probe-bakery\ntitle: Probe Bakery\nscale: individual\nparent: probe-team\n")
    assert "## Vision\n<!-- synthesize -->" in created
    # Open the new file as the editor would after applying the edit: the link now resolves.
    await _diagnostics(client, uri, {"CLM001"})
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri=new_uri, language_id="markdown", version=1, text=created)))
    await _diagnostics(client, uri, set())


async def test_fix_replace_with_closest(client: LanguageClient) -> None:
    _target, probe_path = _paths(client)
    text = PROBE.replace("Started.", "Started with [[probe-targt#gov]].")
    uri, text = open_doc(client, probe_path, text)
    actions = await _actions(client, uri, text, "probe-targt", 3)
    replace = next(a for a in actions if a.title == "Replace with 'probe-target'")
    assert replace.is_preferred
    assert "Started with [[probe-target#gov]]." in apply_edit(client, replace.edit, {uri: text})[uri]


async def test_fix_add_vision_and_reorder_timeslices(client: LanguageClient) -> None:
    target_path, _probe = _paths(client)
    swapped = PROBE_TARGET.replace("## Vision\nThe probe target keeps homes affordable. It is run by its members.\n\n", "")
    swapped = swapped.replace("## Timeslice 2023\nFounded.\n\n## Timeslice 2024-Q2\nGrew to forty homes.\n", "## Timeslice 2024-Q2\nGrew to forty homes.\n\n## Timeslice 2023\nFounded.\n")
    uri, text = open_doc(client, target_path, swapped)
    vision = next(a for a in await _actions(client, uri, text, "# Probe Target", 3) if "Vision" in a.title)
    with_vision = apply_edit(client, vision.edit, {uri: text})[uri]
    assert "# Probe Target\n\n## Vision\n<!-- synthesize -->\n\n## Governance" in with_vision
    reorder = next(a for a in await _actions(client, uri, text, "## Timeslice 2023", 4) if a.title == "Reorder timeslices by date")
    fixed = apply_edit(client, reorder.edit, {uri: text})[uri]
    assert fixed.endswith("## Timeslice 2023\nFounded.\n\n## Timeslice 2024-Q2\nGrew to forty homes.\n")


async def test_progress_and_status(client: LanguageClient) -> None:
    reports = [r for r in client.progress_reports.values() if r]
    assert reports, "the initial read reports $/progress"
    begin, end = reports[0][0], reports[0][-1]
    assert isinstance(begin, lsp.WorkDoneProgressBegin) and begin.cancellable and begin.title.startswith("clm: reading")
    assert isinstance(end, lsp.WorkDoneProgressEnd) and end.message.endswith("blueprints")
    status = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="clm.status"))
    assert status["state"] == "ready" and status["documents"] >= 20 and status["entities"] >= 20
    assert status["diagnostics"] == ("pull" if _pulls(client) else "push")
    assert status["index"]["state"] in ("off", "ready", "opening", "unavailable", "failed")


async def test_files_changed_on_disk_are_picked_up(client: LanguageClient) -> None:
    _target, probe_path = _paths(client)
    text = PROBE.replace("Started.", "Started with [[probe-bakery]].")
    uri, text = open_doc(client, probe_path, text)
    await _diagnostics(client, uri, {"CLM001"})
    bakery = probe_path.parent / "probe-bakery.blueprint.md"
    bakery.write_text("---\nid: probe-bakery\nscale: team\n---\n# Bakery\n## Vision\nBread.\n", encoding="utf-8")
    created = lsp.FileEvent(uri=bakery.as_uri(), type=lsp.FileChangeType.Created)
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(changes=[created]))
    await _diagnostics(client, uri, set())
    bakery.unlink()
    deleted = lsp.FileEvent(uri=bakery.as_uri(), type=lsp.FileChangeType.Deleted)
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(changes=[deleted]))
    await _diagnostics(client, uri, {"CLM001"})


async def test_a_new_clm_toml_is_applied(client: LanguageClient) -> None:
    _target, probe_path = _paths(client)
    uri, _text = open_doc(client, probe_path)
    await _diagnostics(client, uri, set())
    settings = client.root / "clm.toml"  # type: ignore[attr-defined]
    settings.write_text('[workspace]\nscales = ["crew", "organization", "district", "city", "region"]\n', encoding="utf-8")
    changed = lsp.FileEvent(uri=settings.as_uri(), type=lsp.FileChangeType.Changed)
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(changes=[changed]))
    found = await _diagnostics(client, uri, {"CLM010"})  # 'team' is no longer a scale of this workspace
    assert "did you mean" in found[0].message or "Scales" in found[0].message
