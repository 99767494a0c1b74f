"""The initial read reports $/progress, and the user can cancel it: the server stops reading,
says so once, and keeps serving what it has."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from lsp_helpers import REPO, SERVER, record_statuses, wait_until
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities


@pytest.fixture
def big_workspace(tmp_path: Path) -> Path:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from gen_workspace import generate
    except ImportError:
        pytest.skip("bench/gen_workspace.py is not there")
    finally:
        sys.path.pop(0)
    root = tmp_path / "big"
    generate(root, tokens=3_000_000, seed=1)
    return root


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def big_client(lsp_client: LanguageClient, big_workspace: Path):
    lsp_client.root = big_workspace  # type: ignore[attr-defined]
    record_statuses(lsp_client)
    params = lsp.InitializeParams(
        capabilities=client_capabilities("visual_studio_code"),
        root_uri=big_workspace.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=big_workspace.as_uri(), name="big")],
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


async def test_cancelling_the_initial_read(big_client: LanguageClient) -> None:
    def begun() -> list:
        return [t for t, reports in big_client.progress_reports.items() if reports and isinstance(reports[0], lsp.WorkDoneProgressBegin)]

    await wait_until(lambda: bool(begun()), 60, 0.005)
    token = begun()[0]
    big_client.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token=token))
    await wait_until(lambda: isinstance(big_client.progress_reports[token][-1], lsp.WorkDoneProgressEnd), 60)
    end = big_client.progress_reports[token][-1]
    files = len(list(big_client.root.rglob("*.blueprint.md")))  # type: ignore[attr-defined]
    assert end.message.startswith("stopped:"), end.message
    read = int(end.message.split()[1])
    assert read < files
    # The message follows the progress end on the wire: wait for it rather than race it.
    await wait_until(lambda: any("cancelled" in m.message for m in big_client.messages), 10)
    status = await big_client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="clm.status"))
    assert status["documents"] == read and status["state"] == "ready"
