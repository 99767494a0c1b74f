"""Helpers for the end-to-end tests: statuses, waiting, starting a session, positions."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient, client_capabilities

REPO = Path(__file__).resolve().parents[2]
COMMONS = REPO / "fixtures" / "commons"
SERVER = [sys.executable, "-m", "clm_lsp", "serve"]
CLIENTS = ["visual_studio_code", "neovim"]


def record_statuses(client: LanguageClient) -> list[dict[str, Any]]:
    """Keep every `clm/status` notification on ``client.statuses`` (registered before initialize),
    and accept dynamic registrations (the file watcher) as VS Code and Neovim do."""
    statuses: list[dict[str, Any]] = []
    client.registrations = []  # type: ignore[attr-defined]

    @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def on_register(params: lsp.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    @client.feature("clm/status")
    def on_status(params: Any) -> None:
        statuses.append(plain(params))

    client.statuses = statuses  # type: ignore[attr-defined]
    return statuses


def plain(value: Any) -> Any:
    """pygls hands unknown notifications over as namedtuples: turn them back into dicts."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


async def wait_until(predicate, timeout: float = 30.0, step: float = 0.02) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the server")
        await asyncio.sleep(step)


async def wait_ready(client: LanguageClient, timeout: float = 30.0) -> dict[str, Any]:
    statuses = client.statuses  # type: ignore[attr-defined]
    await wait_until(lambda: any(s.get("state") == "ready" for s in statuses), timeout)
    return next(s for s in reversed(statuses) if s.get("state") == "ready")


# The persistent index and the model's summaries are on by default; most tests do not need
# them and stay fast without them. Tests of those features pass their own options.
FAST_OPTIONS: dict[str, Any] = {"index": {"enable": False}, "summaries": {"enable": False}}


def client_on_files(files: dict[str, str], options: dict[str, Any], editor: str = "neovim"):
    """A pytest-lsp client fixture on tmp_path holding `files` (name -> text), started with
    `options` (module level: `client = client_on_files({...}, OPTIONS)`); `client.root` is tmp_path."""
    import pytest_lsp
    from pytest_lsp import ClientServerConfig

    @pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
    async def client(lsp_client: LanguageClient, tmp_path: Path):
        for name, text in files.items():
            (tmp_path / name).write_text(text, encoding="utf-8")
        lsp_client.root = tmp_path  # type: ignore[attr-defined]
        await start_session(lsp_client, tmp_path, editor, options)
        yield
        await lsp_client.shutdown_session()

    return client


async def start_session(client: LanguageClient, root: Path, editor: str, options: dict[str, Any] | None = None) -> lsp.InitializeResult:
    record_statuses(client)
    if options is None:
        options = FAST_OPTIONS
    params = lsp.InitializeParams(
        capabilities=client_capabilities(editor),
        root_uri=root.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options=options,
    )
    result = await client.initialize_session(params)
    await wait_ready(client)
    return result




# -- positions in the client's encoding ----------------------------------------------


def encoding_of(client: LanguageClient) -> str:
    enc = client.init_result.capabilities.position_encoding  # type: ignore[attr-defined]
    return getattr(enc, "value", enc) or "utf-16"


def _units(s: str, enc: str) -> int:
    if enc == "utf-8":
        return len(s.encode("utf-8"))
    if enc == "utf-16":
        return len(s.encode("utf-16-le")) // 2
    return len(s)


def pos_at(text: str, offset: int, enc: str) -> lsp.Position:
    before = text[:offset]
    line = before.count("\n")
    col = before[before.rfind("\n") + 1 :]
    return lsp.Position(line=line, character=_units(col, enc))


def position(client: LanguageClient, text: str, needle: str, delta: int = 0, occurrence: int = 0) -> lsp.Position:
    """The position ``delta`` characters into the ``occurrence``-th ``needle`` of ``text``."""
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(needle, at + 1)
    return pos_at(text, at + delta, encoding_of(client))


def offset_of(text: str, pos: lsp.Position, enc: str) -> int:
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: pos.line])
    line = lines[pos.line] if pos.line < len(lines) else ""
    units = 0
    for i, ch in enumerate(line):
        if units >= pos.character:
            return start + i
        units += _units(ch, enc)
    return start + len(line)


def range_text(client: LanguageClient, text: str, rng: lsp.Range) -> str:
    enc = encoding_of(client)
    return text[offset_of(text, rng.start, enc) : offset_of(text, rng.end, enc)]


def open_doc(client: LanguageClient, path: Path, text: str | None = None) -> tuple[str, str]:
    """didOpen ``path`` (with its disk text unless ``text`` is given); returns (uri, text)."""
    text = path.read_text(encoding="utf-8") if text is None else text
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri=uri, language_id="markdown", version=1, text=text)))
    return uri, text


def change_doc(client: LanguageClient, uri: str, version: int, text: str, start: lsp.Position, end: lsp.Position, new: str) -> None:
    change = lsp.TextDocumentContentChangePartial(range=lsp.Range(start, end), text=new)
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(lsp.VersionedTextDocumentIdentifier(uri=uri, version=version), [change]))


def doc_id(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri)


# -- two documents the tests control, added to the demo workspace -------------------------

PROBE_TARGET = """---
id: probe-target
title: Probe Target
scale: organization
parent: rivermouth-city
---
# Probe Target

## Vision
The probe target keeps homes affordable. It is run by its members.

## Governance {#gov}
A general assembly elects a board.

### Board
Seven members, elected for two years.

## Timeslice 2023
Founded.

## Timeslice 2024-Q2
Grew to forty homes.
"""

PROBE = """---
id: probe-team
title: Probe Team 🚀 東京
scale: team
parent: probe-target
---
# Probe Team 🚀 東京

## Vision
We fix things 🔧 for [[probe-target#gov|the assembly]] and [[probe-target]].
Also see [[#work]] and [[harbourside-housing-coop#finance]].

## Work
Repairs 東京 🔧 see [[probe-target#board]].

## Timeslice 2024
Started.
"""


def add_probes(root: Path) -> tuple[Path, Path]:
    target = root / "probe-target.blueprint.md"
    probe = root / "probe" / "probe-team.blueprint.md"
    probe.parent.mkdir(exist_ok=True)
    target.write_text(PROBE_TARGET, encoding="utf-8")
    probe.write_text(PROBE, encoding="utf-8")
    return target, probe


def apply_edit(client: LanguageClient, edit: lsp.WorkspaceEdit, texts: dict[str, str]) -> dict[str, str]:
    """Apply a WorkspaceEdit to in-memory texts (created files start empty), as an editor would."""
    out = dict(texts)
    groups: list[tuple[str, list[lsp.TextEdit]]] = []
    for change in edit.document_changes or []:
        if isinstance(change, lsp.CreateFile):
            assert change.uri not in out, f"{change.uri} would be overwritten"
            out[change.uri] = ""
        elif isinstance(change, lsp.TextDocumentEdit):
            groups.append((change.text_document.uri, list(change.edits)))
    for uri, edits in (edit.changes or {}).items():
        groups.append((uri, list(edits)))
    enc = encoding_of(client)
    for uri, edits in groups:
        text = out[uri]
        spans = sorted(((offset_of(text, e.range.start, enc), offset_of(text, e.range.end, enc), e.new_text) for e in edits), reverse=True)
        for start, end, new in spans:
            text = text[:start] + new + text[end:]
        out[uri] = text
    return out


async def raw_request(client: LanguageClient, method: str, params: Any) -> Any:
    """Send a request exactly as given (no typing on our side), for malformed-input tests."""
    import uuid
    from concurrent.futures import Future

    msg_id = str(uuid.uuid4())
    future: Future = Future()
    client.protocol._request_futures[msg_id] = future
    client.protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return await asyncio.wrap_future(future)
