"""`clm-lsp context` end to end (the real tokenizer, the real workspace loader), and the
table that turns the summary worker's cache into assemble's summary lookup."""

from __future__ import annotations

import json

from assemble_support import COMMONS, bundled_counter

from clm_lsp.cli import main
from clm_lsp.commands.context import summary_table
from clm_lsp.context.assemble import assemble
from clm_lsp.context.prompts import PROMPT_VERSION
from clm_lsp.context.summary_plan import plan
from clm_lsp.context.summary_store import SummaryCache
from clm_lsp.index.records import SummaryRow
from clm_lsp.workspace_io import load_workspace


def test_json_output_with_zoom_map(capsys):
    rc = main(["context", "harbourside-district#gov", "--workspace", str(COMMONS), "--budget", "500",
               "--json", "--expand", "§harbourside-district#risks", "--task", "who decides"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tokens"] <= 500 and out["tokens"] == bundled_counter()(out["text"])
    assert out["parts"][0]["label"] == "§harbourside-district#gov"
    assert out["zoom"]["§harbourside-district#risks"]["mode"] == "full"
    entry = out["zoom"]["§harbourside-district#gov"]
    assert entry["uri"].endswith("harbourside-district.blueprint.md") and entry["section"] == "harbourside-district#gov"
    assert out["summaries"].startswith("extractive")


def test_text_output_and_errors(capsys):
    assert main(["context", "harbourside-district#gov", "--workspace", str(COMMONS), "--budget", "300", "--no-index"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("[§harbourside-district#gov] ")
    assert "of 300 tokens" in captured.err
    assert main(["context", "nobody#x", "--workspace", str(COMMONS)]) == 1
    assert "unknown entity 'nobody'" in capsys.readouterr().err
    assert main(["context", "x", "--workspace", str(COMMONS / "nope")]) == 2
    assert main(["context", "x", "--workspace", str(COMMONS), "--budget", "-1"]) == 2


def test_summary_table_takes_current_rows_only():
    ws = load_workspace(COMMONS)[0]
    targets = plan(ws, only={"harbourside-district"})
    cache = SummaryCache()
    sections = [t for t in targets if t.level == 0]
    assert len(sections) > 3
    fresh = next(t for t in sections if t.anchor == "risks")  # summarised when the focus is gov
    stale = next(t for t in sections if t.anchor == "profile")
    cache.put(fresh.key, SummaryRow("n1", 0, "Fresh model summary.", "SmolLM2-135M", PROMPT_VERSION, fresh.content_hash))
    cache.put(stale.key, SummaryRow("n2", 0, "Old text.", "SmolLM2-135M", PROMPT_VERSION, "0" * 16))
    table = summary_table(ws, cache, targets)
    assert table == {fresh.section_id: ("Fresh model summary.", 0, "SmolLM2-135M")}
    ctx = assemble(ws, "harbourside-district#gov", "", 2500, count=bundled_counter(), summary_for=table.get)
    part = next(p for p in ctx.parts if p.label == f"§{fresh.section_id}")
    assert part.mode == "summary" and part.source == "SmolLM2-135M" and "Fresh model summary." in part.text
