"""`clm-lsp train export` end to end on fixtures/commons: counts, the split, no leakage, valid chat JSONL."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clm_lsp.blueprint import parse
from clm_lsp.train.export import LEAK_LINE_CHARS, build, leaks, split, validation_path
from clm_lsp.train.held_out import PLACEHOLDER
from clm_lsp.workspace_io import load_workspace

REPO = Path(__file__).resolve().parents[2]
COMMONS = REPO / "fixtures" / "commons"
pytestmark = pytest.mark.skipif(not COMMONS.is_dir(), reason="fixtures/commons is not there")


def export(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clm_lsp", "train", "export", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, check=False)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list[dict], list[dict]]:
    out = tmp_path_factory.mktemp("export") / "data.jsonl"
    done = export(str(COMMONS), "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), read_jsonl(out), read_jsonl(validation_path(out))


def test_counts_match_the_files_and_the_workspace(exported) -> None:
    counts, train, val = exported
    assert counts["train"]["examples"] == len(train) > 100 and counts["validation"]["examples"] == len(val) > 0
    ws, _ = load_workspace(COMMONS)
    sections = sum(len(bp.sections) for bp in ws.docs.values() if bp.entity.id and not bp.skipped)
    kept = len(train) + len(val)
    assert kept + sum(counts["dropped"].values()) == sections  # every section is either an example or counted
    assert counts["summaries"].startswith("none") and counts["context"] == "simple"


def test_split_is_by_entity(exported) -> None:
    _counts, train, val = exported
    train_entities, val_entities = {e["entity"] for e in train}, {e["entity"] for e in val}
    assert train_entities and val_entities and not train_entities & val_entities


def test_held_out_text_never_reaches_its_own_context(exported) -> None:
    _counts, train, val = exported
    for example in train + val:
        context, answer = example["messages"][1]["content"], example["messages"][2]["content"]
        assert PLACEHOLDER in context
        flat = " ".join(context.split())
        for line in answer.splitlines():
            if len(line.strip()) >= LEAK_LINE_CHARS:
                assert " ".join(line.split()) not in flat, (example["source"], line)


def test_the_bundled_models_chat_template_renders_every_example(exported) -> None:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    from clm_lsp.hardware import read_gguf
    from clm_lsp.llm.bundled import bundled_gguf_path

    path = bundled_gguf_path()
    if path is None:
        pytest.skip("the bundled model is not installed")
    template = read_gguf(path).chat_template
    assert template
    formatter = Jinja2ChatFormatter(template, eos_token="<|im_end|>", bos_token="<|im_start|>", add_generation_prompt=False)
    _counts, train, val = exported
    for example in train + val:
        roles = [m["role"] for m in example["messages"]]
        assert roles == ["system", "user", "assistant"]
        prompt = formatter(messages=example["messages"]).prompt
        assert prompt.count("<|im_start|>assistant") == 1 and example["messages"][2]["content"] in prompt


def test_token_limit_and_duplicates_are_dropped_and_counted(tmp_path: Path) -> None:
    ws, _ = load_workspace(COMMONS)
    small = build(ws, max_tokens=600)
    assert small.dropped["over_limit"] > 0
    # A copy of a blueprint in a second file gives the same examples again: kept once.
    bp = next(b for b in ws.docs.values() if b.entity.id and len(b.sections) > 3)
    twin = parse(bp.text, bp.uri.replace(".blueprint.md", "-twin.blueprint.md"), ws.config)[0]
    doubled = build(ws.with_document(twin))
    assert doubled.dropped["duplicate"] > 0


def test_leak_detection() -> None:
    assert leaks("Crab and fish landed in the bay are prepared in the bay.", "...crab and fish. Crab and fish landed in the\nbay are prepared in the bay. More")
    assert not leaks("A wholly new sentence about the harbour.", "Nothing of it here.")


def test_split_keeps_both_sides_non_empty() -> None:
    from clm_lsp.train.export import Example

    examples = [Example(e, "section", e, []) for e in ("a", "b")]
    train, val = split(examples, 0.5, 0)
    assert len(train) == len(val) == 1
    assert split(examples, 0.0, 0) == (examples, [])


def test_summaries_from_the_index_become_pairs(tmp_path: Path) -> None:
    from clm_lsp.index import Indexer
    from clm_lsp.index.graph import Graph
    from clm_lsp.index.records import SummaryRow
    from clm_lsp.index.store import GRAPH_FILE, store_dir_for
    from clm_lsp.workspace_io import load_settings

    root = tmp_path / "ws"
    shutil.copytree(COMMONS, root)
    settings = load_settings(root)
    indexer = Indexer(root, None, settings.format, settings=settings)
    indexer.reconcile()
    indexer.close()
    ws, _ = load_workspace(root)
    bp = next(b for b in ws.docs.values() if b.entity.id and b.sections)
    sid = f"{bp.entity.id}#{bp.sections[0].anchor}"
    graph = Graph(store_dir_for(root.resolve(), None) / GRAPH_FILE)
    graph.put_summary(SummaryRow("s1", 0, "A short summary.", "test-model", "1", "h"), [sid])
    graph.put_summary(SummaryRow("s2", 0, "A stale summary.", "test-model", "1", "h", stale=True), [sid])
    graph.close()
    out = tmp_path / "d.jsonl"
    done = export(str(root), "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)
    assert counts["train"]["summary"] + counts["validation"]["summary"] == 1
    pairs = [e for e in read_jsonl(out) + read_jsonl(validation_path(out)) if e["task"] == "summary"]
    assert pairs[0]["messages"][2]["content"] == "A short summary." and pairs[0]["summary_model"] == "test-model"


def test_bad_input(tmp_path: Path) -> None:
    done = export(str(tmp_path / "missing"), "--out", str(tmp_path / "d.jsonl"))
    assert done.returncode == 2 and "is not a folder" in done.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    done = export(str(empty), "--out", str(tmp_path / "d.jsonl"))
    assert done.returncode == 1 and "0 examples" in done.stdout and "Traceback" not in done.stderr
