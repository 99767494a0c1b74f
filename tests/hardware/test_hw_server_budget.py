"""The context budget in the server: the title code lens and clm.contextBudget, over real LSP (pytest-lsp)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from lsp_helpers import SERVER, start_session  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error::pytest_lsp.checks.LspSpecificationWarning")

BIG = "---\nid: big-city\nscale: city\n---\n# Big City\n\n## Vision\nA city of rivers.\n\n## Minutes\n" + (
    "The assembly met and agreed the river budget for the year, item by item. " * 2600
)


@pytest.fixture
def root(commons: Path) -> Path:
    (commons / "big-city.blueprint.md").write_text(BIG, encoding="utf-8")
    return commons


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, root: Path):
    lsp_client.root = root  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def _title_lens(client: LanguageClient, path: Path) -> lsp.CodeLens:
    uri = path.as_uri()
    text = path.read_text(encoding="utf-8")
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "markdown", 1, text)))
    found: list[lsp.CodeLens] = []

    async def ask() -> bool:
        lenses = await client.text_document_code_lens_async(lsp.CodeLensParams(lsp.TextDocumentIdentifier(uri)))
        found[:] = [x for x in lenses if x.command and x.command.command == "clm.contextBudget"]
        return bool(found) and "reading" not in found[0].command.title

    for _ in range(100):  # the default model's header and the memory are read off the event loop
        if await ask():
            break
        await asyncio.sleep(0.05)
    return found[0]


async def test_lens_on_the_title_says_fits_or_over_the_boundary(client: LanguageClient, root: Path) -> None:
    (root / "clm.toml").write_text(
        (root / "clm.toml").read_text() + '\n[hardware]\nmodel = "qwen2.5-32b"\nvram_gb = 24\n', encoding="utf-8")
    await start_session(client, root, "visual_studio_code")
    big = await _title_lens(client, root / "big-city.blueprint.md")
    assert big.range.start.line == 4  # the `# Big City` line
    assert "over the memory boundary" in big.command.title and "KV" in big.command.title
    small_path = next(p for p in sorted(root.glob("*.blueprint.md")) if p.name != "big-city.blueprint.md")
    small = await _title_lens(client, small_path)
    assert small.command.title.endswith("fits")
    info = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="clm.contextBudget", arguments=[(root / "big-city.blueprint.md").as_uri()]))
    assert info["state"] == "over-memory" and info["model"] == "Qwen2.5-32B-Instruct"
    assert info["totalBytes"] > info["memoryBytes"] == 24 * 2**30 and info["kvType"] == "f16"
    assert info["tokens"] > 40_000 and info["maxFit"] < info["contextTokens"]


async def test_default_model_is_the_bundled_gguf(client: LanguageClient, root: Path) -> None:
    await start_session(client, root, "neovim")
    big = await _title_lens(client, root / "big-city.blueprint.md")
    # SmolLM2 reads 8,192 tokens: a 49k-token blueprint is over its window, whatever the memory.
    assert "over Smollm2" in big.command.title and "8,192-token window" in big.command.title


async def test_unknown_model_says_so_in_the_lens(client: LanguageClient, root: Path) -> None:
    (root / "clm.toml").write_text('[hardware]\nmodel = "llama-9000"\n', encoding="utf-8")
    await start_session(client, root, "visual_studio_code")
    lens = await _title_lens(client, root / "big-city.blueprint.md")
    assert lens.command.title.startswith("Context budget unknown") and "llama-9000" in lens.command.title


async def _codes(client: LanguageClient, uri: str, want: set[str]) -> list[lsp.Diagnostic]:
    """The document's diagnostics once their codes are ``want``: pulled when the server offers pull, else pushed."""
    found: list[lsp.Diagnostic] = []
    for _ in range(300):
        if client.init_result.capabilities.diagnostic_provider is not None:  # type: ignore[attr-defined]
            report = await client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(lsp.TextDocumentIdentifier(uri)))
            found[:] = getattr(report, "items", found)
        else:
            found[:] = client.diagnostics.get(uri, [])
        if {d.code for d in found} == want:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"diagnostics {[d.code for d in found]}, expected {sorted(want)}")


@pytest.mark.parametrize("editor", ["visual_studio_code", "neovim"])
async def test_over_the_boundary_is_a_clm025_diagnostic_that_follows_edits(client: LanguageClient, root: Path, editor: str) -> None:
    (root / "clm.toml").write_text(
        (root / "clm.toml").read_text() + '\n[hardware]\nmodel = "qwen2.5-32b"\nvram_gb = 24\n', encoding="utf-8")
    client.init_result = await start_session(client, root, editor)  # type: ignore[attr-defined]
    big = root / "big-city.blueprint.md"
    uri = big.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "markdown", 1, BIG)))
    found = await _codes(client, uri, {"CLM025"})
    assert found[0].range.start.line == 4 and found[0].severity == lsp.DiagnosticSeverity.Warning
    assert "over the memory boundary" in found[0].message and "KV cache" in found[0].message
    # Cut the minutes down: the blueprint fits again and the diagnostic goes, with no other problem changing.
    end = lsp.Position(BIG.count("\n"), len(BIG.rsplit("\n", 1)[1]))
    change = lsp.TextDocumentContentChangePartial(range=lsp.Range(lsp.Position(10, 0), end), text="Short.\n")
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(lsp.VersionedTextDocumentIdentifier(uri=uri, version=2), [change]))
    await _codes(client, uri, set())
    small = next(p for p in sorted(root.glob("*.blueprint.md")) if p.name != "big-city.blueprint.md")
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(small.as_uri(), "markdown", 1, small.read_text())))
    await _codes(client, small.as_uri(), set())
