"""`clm.reindex`: the index brought back in line with the files on demand, with $/progress.

Real Kuzu + LanceDB + the MiniLM embedder, through the server over stdio. Files
changed on disk behind the server's back (no watched-files notification) are
picked up by the command, and its counts say so.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_helpers import client_on_files, wait_until
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient
from test_srv_review import COOP, REGION

pytestmark = pytest.mark.slow

OPTIONS = {"index": {"enable": True}, "summaries": {"enable": False}}

THIRD = """---
id: riverside-bakery
title: Riverside Bakery
scale: organization
parent: riverside-region
---
# Riverside Bakery

## Vision
Bread for the valley.
"""


client = client_on_files({"riverside-region.blueprint.md": REGION, "riverside-coop.blueprint.md": COOP}, OPTIONS)


async def reindex(client: LanguageClient, *args) -> dict:
    return await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="clm.reindex", arguments=list(args)))


async def test_reindex_picks_up_files_changed_behind_the_servers_back(client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    statuses = client.statuses  # type: ignore[attr-defined]
    await wait_until(lambda: any((s.get("index") or {}).get("state") == "ready" for s in statuses), 90)

    first = await reindex(client)
    [folder] = first["folders"]
    assert (folder["root"], folder["files"], folder["entities"], folder["parsed"]) == (str(root), 2, 2, 0)
    sections = folder["sections"]

    (root / "riverside-bakery.blueprint.md").write_text(THIRD, encoding="utf-8")
    (root / "riverside-coop.blueprint.md").write_text(COOP.replace("## Timeslice 2023\nFounded with twelve homes.\n\n", ""), encoding="utf-8")
    begun = len(client.progress_reports)
    second = await reindex(client, (root / "riverside-coop.blueprint.md").as_uri())
    [folder] = second["folders"]
    assert (folder["files"], folder["entities"], folder["parsed"]) == (3, 3, 2)
    assert folder["sections"] == sections + 1 - 1  # the bakery's Vision in, the coop's 2023 timeslice out
    assert folder["deleted"] >= 1 and not folder["cancelled"]
    titles = [r[0].title for r in list(client.progress_reports.values())[begun:] if r and isinstance(r[0], lsp.WorkDoneProgressBegin)]
    assert any("indexing" in t for t in titles), titles

    assert "error" in await reindex(client, 42)
    assert "error" in await reindex(client, "file:///elsewhere/x.blueprint.md")
