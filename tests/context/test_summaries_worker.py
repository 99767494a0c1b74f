"""The summary worker over a real Kuzu graph (the real Indexer, no vectors) with a
scripted ChatModel subclass: plan order, keys, reuse after a restart, invalidation of
exactly the edited section's chain, the guard's retry and extractive fallback, and
cancellation. The bundled model end to end is tests/server/test_srv_summaries.py and
tests/test_cli_summarize.py.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from clm_lsp.context.prompts import EXTRACTIVE_SUFFIX, PROMPT_VERSION
from clm_lsp.context.summaries import SummaryStats, SummaryWorker, clean
from clm_lsp.context.summary_plan import plan
from clm_lsp.context.summary_store import GraphSummaries, SummaryCache
from clm_lsp.index import Indexer
from clm_lsp.llm import CancelToken, ChatModel, GenerateOptions, Message
from clm_lsp.workspace_io import load_workspace

TOWN = """---
id: gull-town
title: Gull Town
scale: city
---
# Gull Town

## Vision
Gull Town keeps its ferry. The council meets monthly.

## Budget
The town spends 300 on buoys each year.
"""

QUAY = """---
id: gull-quay
title: Gull Quay
scale: district
parent: gull-town
---
# Gull Quay

## Vision
The quay stays open to fishers. Nets are mended on the slip.

## Forum
The forum has 12 members. It meets at the slip.
"""


class ScriptedModel(ChatModel):
    """Answers with the first sentence of what it was given (faithful), except where ``lies``
    names a section title: then it adds an invented year, also to the strict retry unless
    ``honest_on_retry``."""

    model_id = "scripted-1"
    backend = "test"

    def __init__(self, lies: Sequence[str] = (), honest_on_retry: bool = False) -> None:
        self.lies, self.honest_on_retry = set(lies), honest_on_retry
        self.calls: list[str] = []

    def stream(self, messages: Sequence[Message], options: GenerateOptions | None = None,
               cancel: CancelToken | None = None) -> Iterator[str]:
        system, user = messages[0].content, messages[-1].content
        section = re.search(r"^Section: (.*)$", user, re.M)
        self.calls.append(section.group(1) if section else user.splitlines()[0])
        body = user.split("\n\n", 1)[1]
        first = re.sub(r"^(Text:|Section summaries:|Its parts:)\s*|^- [^:]*: ", "", body.strip(), flags=re.M)
        reply = first.split(". ")[0].rstrip(".") + "."
        strict = "Your last answer" in system
        if section and section.group(1) in self.lies and not (strict and self.honest_on_retry):
            reply = reply[:-1] + " since 1999."
        yield "Summary: " + reply


class Harness:
    def __init__(self, root: Path, model: ChatModel) -> None:
        self.root, self.model = root, model
        self.writer = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        ws, settings = load_workspace(root)
        self.indexer = self.writer.submit(lambda: Indexer(root, None, settings.format, settings=settings)).result()
        self.writer.submit(self.indexer.reconcile).result()
        self.cache = SummaryCache()

    @property
    def graph(self) -> GraphSummaries:
        async def on_writer(fn):
            return await asyncio.get_running_loop().run_in_executor(self.writer, fn, self.indexer.graph)

        return GraphSummaries(on_writer)

    def run(self, cancel_after: int | None = None, **kw) -> SummaryStats:
        async def generate(messages, options, cancel):
            reply = self.model.generate(messages, options, cancel)
            if cancel_after is not None and len(self.model.calls) >= cancel_after:
                cancel.cancel()
            return reply

        worker = SummaryWorker(generate, self.model.model_id, self.graph, self.cache, max_tokens=32)
        ws, _ = load_workspace(self.root)
        return asyncio.run(worker.run(ws, cancel=kw.pop("cancel", None) or CancelToken(), **kw))

    def reload(self) -> int:
        """A restart: an empty cache filled from the graph."""
        self.cache = SummaryCache()
        ws, _ = load_workspace(self.root)
        return asyncio.run(self.graph.load_current(ws, self.cache))

    def close(self) -> None:
        self.writer.submit(self.indexer.close).result()
        self.writer.shutdown()


@pytest.fixture
def ws_root(tmp_path: Path) -> Path:
    (tmp_path / "gull-town.blueprint.md").write_text(TOWN, encoding="utf-8")
    (tmp_path / "gull-quay.blueprint.md").write_text(QUAY, encoding="utf-8")
    return tmp_path


CHAIN = ["L0:gull-quay#forum", "L1:gull-quay", "T:gull-town"]


def test_plan_is_in_dependency_order_with_priority_first(ws_root: Path) -> None:
    ws, _ = load_workspace(ws_root)
    keys = [t.key for t in plan(ws, priority=["gull-quay"])]
    assert keys == ["L0:gull-quay#vision", "L0:gull-quay#forum", "L1:gull-quay",
                    "L0:gull-town#vision", "L0:gull-town#budget", "L1:gull-town", "T:gull-town"]
    tree = plan(ws)[-1]
    assert tree.level == 2 and tree.inputs == ("L1:gull-town", "L1:gull-quay")
    assert [t.key for t in plan(ws, only={"gull-quay"})] == keys[:3]


def test_run_stores_every_level_then_a_restart_reuses_everything(ws_root: Path) -> None:
    h = Harness(ws_root, ScriptedModel())
    try:
        stats = h.run()
        assert (stats.planned, stats.written, stats.reused, stats.extractive) == (7, 7, 0, 0)
        assert stats.per_level == {0: 4, 1: 2, 2: 1}
        assert h.cache.get("L0:gull-quay#forum").text == "The forum has 12 members."
        assert h.reload() == 7
        again = h.run()
        assert (again.written, again.reused, again.generations) == (0, 7, 0)

        def edges(g):
            node = f"T:gull-town|scripted-1|{PROMPT_VERSION}"
            return g.summary(node), sorted(sid for _k, sid in g.sources_of(node))

        row, sources = h.writer.submit(edges, h.indexer.graph).result()
        assert row.level == 2 and sources == sorted(f"{k}|scripted-1|{PROMPT_VERSION}" for k in ("L1:gull-town", "L1:gull-quay"))
    finally:
        h.close()


def test_an_edit_rewrites_exactly_the_edited_sections_chain(ws_root: Path) -> None:
    h = Harness(ws_root, ScriptedModel())
    try:
        h.run()
        (ws_root / "gull-quay.blueprint.md").write_text(QUAY.replace("12 members", "14 members"), encoding="utf-8")
        h.writer.submit(h.indexer.reconcile).result()
        h.reload()  # also across a restart: the stored chain no longer matches the edited text
        stats = h.run()
        assert stats.written_keys == CHAIN and stats.reused == 4
        assert h.cache.get("T:gull-town").text  # the tree was written from the new chain
    finally:
        h.close()


def test_guard_retries_then_falls_back_to_the_extractive_summary(ws_root: Path) -> None:
    h = Harness(ws_root, ScriptedModel(lies=["Forum"]))
    try:
        stats = h.run()
        assert (stats.guard_retried, stats.retry_passed, stats.extractive) == (1, 0, 1)
        assert stats.invented == {"number": 2}
        row = h.cache.get("L0:gull-quay#forum")
        assert row.prompt_version == PROMPT_VERSION + EXTRACTIVE_SUFFIX and "1999" not in row.text
        assert row.text.startswith("The forum has 12 members.")
        assert h.model.calls.count("Forum") == 2
    finally:
        h.close()


def test_a_retry_that_passes_is_kept(ws_root: Path) -> None:
    h = Harness(ws_root, ScriptedModel(lies=["Budget"], honest_on_retry=True))
    try:
        stats = h.run()
        assert (stats.guard_retried, stats.retry_passed, stats.extractive, stats.written) == (1, 1, 0, 7)
        assert h.cache.get("L0:gull-town#budget").prompt_version == PROMPT_VERSION
    finally:
        h.close()


def test_cancellation_stops_between_targets_and_the_next_run_finishes(ws_root: Path) -> None:
    h = Harness(ws_root, ScriptedModel())
    try:
        first = h.run(cancel_after=2)
        assert first.cancelled and first.done < first.planned
        second = h.run()
        assert second.done == second.planned == 7 and second.written == 7 - first.written
    finally:
        h.close()


def test_urgent_targets_jump_the_queue_with_their_inputs(ws_root: Path) -> None:
    h = Harness(ws_root, ScriptedModel())
    asked = [["L1:gull-town"]]
    try:
        stats = h.run(urgent=lambda: asked.pop() if asked else [])
        assert stats.written_keys[:3] == ["L0:gull-town#vision", "L0:gull-town#budget", "L1:gull-town"]
    finally:
        h.close()


def test_clean_drops_lead_ins_and_cut_sentences() -> None:
    assert clean("Summary: The quay **stays** open. It is") == "The quay stays open."
    assert clean("Here is the summary: A short one.") == "A short one."
