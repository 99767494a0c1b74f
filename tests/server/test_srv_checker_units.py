"""The checker's memory of text-derived verdicts (Checker._prints, one per producer and
document) without a client: it forgets documents that are gone, so a long session does
not keep one entry for every file it ever saw."""

from __future__ import annotations

from pathlib import Path

from clm_lsp.blueprint import parse
from clm_lsp.server.session import Session, reload_from_disk
from clm_lsp.server.setup import create_server

DOC = "---\nid: {id}\nscale: team\n---\n# {id}\n"


async def test_fingerprints_of_closed_files_outside_the_folders_and_of_deleted_files_are_forgotten(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    folder.mkdir()
    kept, deleted = folder / "kept.blueprint.md", folder / "deleted.blueprint.md"
    kept.write_text(DOC.format(id="kept"), encoding="utf-8")
    deleted.write_text(DOC.format(id="deleted"), encoding="utf-8")
    server = create_server()
    server.session = session = Session([folder])
    project = session.projects[0]
    for path in (kept, deleted):
        project.replace(parse(path.read_text(encoding="utf-8"), path.as_uri())[0])
    checker = server.extensions["checker"]
    checker.fingerprints["length"] = lambda _project, uri: len(uri)  # beside the real producers (budget, synthesis)

    loose_uri = (tmp_path / "elsewhere.blueprint.md").as_uri()
    session.open(loose_uri, DOC.format(id="loose"), 1)
    session.flush()
    loose = session.project_for(loose_uri)
    assert loose is session.loose and loose_uri in loose.ws.docs
    for p, uri in ((loose, loose_uri), (project, kept.as_uri()), (project, deleted.as_uri())):
        assert checker.sync_extras(p, uri)  # a first verdict is a change
    assert {k[2] for k in checker._prints} == {loose_uri, kept.as_uri(), deleted.as_uri()}

    # The file outside the folders is closed: it leaves the session, and its verdict goes.
    session.close(loose_uri)
    await reload_from_disk(session, loose, loose_uri)
    checker.closed(loose, loose_uri)
    assert {k[2] for k in checker._prints} == {kept.as_uri(), deleted.as_uri()}

    # A file of the folder is deleted: its verdict goes at the next prune; the kept file's stays.
    deleted.unlink()
    await reload_from_disk(session, project, deleted.as_uri())
    checker.prune_prints()
    assert {k[2] for k in checker._prints} == {kept.as_uri()}
    assert not checker.sync_extras(project, kept.as_uri())  # still remembered: no change
    server.tasks.cancel_all()
