"""Confinement of new-blueprint templates (`.clm/templates/<scale>.blueprint.md`).

Templates are the one file content the server copies into an edit it proposes (the
"Create blueprint" quick fix). A template that is a symlink out of the folder, or a
templates folder that is one, must never be read: otherwise a workspace could make
the server paste any file the user can read into a new document. There is no
setting naming template paths (clm.toml has none), so `..` and absolute paths have
no way in; the symlinks are the way to try.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))
from rawlsp import RawServer  # noqa: E402

from clm_lsp.server.project import read_templates  # noqa: E402

SECRET = "SECRET-OUTSIDE-THE-WORKSPACE"
REGION = "---\nid: {id}\ntitle: {title}\nscale: {scale}\n---\n# {title}\n\n## Vision\nIN-WORKSPACE-TEMPLATE\n"


def outside(tmp_path: Path) -> Path:
    out = tmp_path / "outside"
    out.mkdir()
    (out / "city.blueprint.md").write_text(f"---\nid: {{id}}\n---\n# {SECRET}\n", encoding="utf-8")
    (out / "secret.txt").write_text(SECRET, encoding="utf-8")
    return out


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_templates_that_are_symlinks_out_of_the_folder_are_never_read(tmp_path: Path) -> None:
    out = outside(tmp_path)
    root = tmp_path / "w"
    templates = root / ".clm" / "templates"
    templates.mkdir(parents=True)
    (templates / "region.blueprint.md").write_text(REGION, encoding="utf-8")
    (templates / "city.blueprint.md").symlink_to(out / "city.blueprint.md")  # a file link out
    (templates / "district.blueprint.md").symlink_to(out / "secret.txt")
    (templates / "team.blueprint.md").symlink_to(Path("..") / ".." / ".." / "outside" / "secret.txt")  # relative, out
    got = read_templates(root)
    assert set(got) == {"region"}, sorted(got)
    assert SECRET not in "".join(got.values())

    linked = tmp_path / "w2"
    (linked / ".clm").mkdir(parents=True)
    (linked / ".clm" / "templates").symlink_to(out, target_is_directory=True)  # the folder itself links out
    assert read_templates(linked) == {}


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_the_create_blueprint_fix_never_carries_an_outside_file(tmp_path: Path) -> None:
    """End to end: a broken link's "Create blueprint" fix in a city (whose template links
    out) and in a region folder (whose template is in the workspace)."""
    out = outside(tmp_path)
    root = tmp_path / "w"
    templates = root / ".clm" / "templates"
    templates.mkdir(parents=True)
    (templates / "region.blueprint.md").write_text(REGION, encoding="utf-8")
    (templates / "city.blueprint.md").symlink_to(out / "city.blueprint.md")
    doc = root / "here.blueprint.md"
    text = "---\nid: here\ntitle: Here\nscale: region\n---\n# Here\n\n## Vision\nSee [[new-place]] and more.\n"
    doc.write_text(text, encoding="utf-8")
    server = RawServer()
    caps = {"general": {"positionEncodings": ["utf-16"]},
            "workspace": {"workspaceEdit": {"documentChanges": True, "resourceOperations": ["create"]}}}
    try:
        server.result("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": caps,
                                     "workspaceFolders": [{"uri": root.as_uri(), "name": "w"}],
                                     "initializationOptions": {"index": {"enable": False}, "summaries": {"enable": False}}}, timeout=60)
        server.notify("initialized", {})
        server.wait_for(lambda n: n.get("method") == "clm/status" and (n.get("params") or {}).get("state") == "ready")
        server.open(doc.as_uri(), text)
        published = server.wait_for(lambda n: n.get("method") == "textDocument/publishDiagnostics" and n["params"]["uri"] == doc.as_uri()
                                    and any(d.get("code") == "CLM001" for d in n["params"]["diagnostics"]))
        diags = [d for d in published["params"]["diagnostics"] if d.get("code") == "CLM001"]
        actions = server.result("textDocument/codeAction", {"textDocument": {"uri": doc.as_uri()}, "range": diags[0]["range"],
                                                            "context": {"diagnostics": diags}})
    finally:
        server.close()
    creates = [a for a in actions or [] if a.get("title", "").startswith("Create blueprint")]
    assert creates, actions
    texts = []
    for action in creates:
        for change in action["edit"]["documentChanges"]:
            if change.get("kind") == "create":
                assert Path(change["uri"].removeprefix("file://")).parent == root, change  # inside the folder
            for edit in change.get("edits", []):
                texts.append(edit["newText"])
    joined = "\n".join(texts)
    assert SECRET not in joined
    assert "IN-WORKSPACE-TEMPLATE" in joined  # the region template (in the folder) is used
