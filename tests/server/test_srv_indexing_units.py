"""IndexController's parts that the summary worker and context views use, on a real
index (Kuzu + LanceDB) without the LSP around it: an embedder that cannot load leaves
the index without vectors and says so once; on_writer runs graph calls on the writer
thread; search answers from the index; the summary controller hears ``index_ready``."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from clm_lsp.server.config import load_config
from clm_lsp.server.indexing import IndexController
from clm_lsp.server.server import ClientFlags
from clm_lsp.server.session import Session
from clm_lsp.server.tasks import TaskSet

DOC = """---
id: gull-quay
title: Gull Quay
scale: district
---
# Gull Quay

## Vision
The quay stays open to fishers, and nets are mended on the slip.

## Forum
The forum has 12 members and meets at the slip every month.
"""


class Board:
    def __init__(self) -> None:
        self.index: list[dict[str, Any]] = []

    def update(self, index: dict[str, Any]) -> None:
        self.index.append(index)


class Listener:
    def __init__(self) -> None:
        self.events: list[str] = []

    def index_ready(self, project: Any) -> None:
        self.events.append(f"ready:{project.root.name}")

    def index_changed(self, project: Any) -> None:
        self.events.append("changed")

    def stop(self) -> None:
        self.events.append("stop")


class FakeServer:
    def __init__(self, root: Path, settings: dict[str, Any]) -> None:
        self.config = load_config(settings)[0]
        self.session = Session([root])
        self.client = ClientFlags()
        self.tasks = TaskSet()
        self.watching = True  # no watchdog thread in a unit test
        self.extensions: dict[str, Any] = {"status": Board(), "summaries": Listener()}
        self.shown: list[str] = []

    def show_once(self, message: str, *_args: Any) -> None:
        if message not in self.shown:
            self.shown.append(message)


def test_missing_embedder_writer_thread_search_and_events(tmp_path: Path) -> None:
    (tmp_path / "gull-quay.blueprint.md").write_text(DOC, encoding="utf-8")
    settings = {"model": {"backend": "llama_cpp", "modelPath": str(tmp_path / "missing.gguf")}}
    server = FakeServer(tmp_path, settings)
    controller = IndexController(server)  # type: ignore[arg-type]
    project = server.session.projects[0]

    async def scenario() -> tuple[Any, str, list[Any]]:
        controller.start()
        while controller.state != "ready":
            await asyncio.sleep(0.05)
        counts = await controller.on_writer(project, lambda g: g.counts())
        thread = await controller.on_writer(project, lambda _g: threading.current_thread().name)
        hits = await controller.search(project, "fishers mend nets", 2)
        return counts, thread, hits

    counts, thread, hits = asyncio.run(scenario())
    assert counts["sections"] == 2 and thread.startswith("clm-index")
    assert hits and hits[0].section_id == "gull-quay#vision"  # full-text search: no vectors
    assert [m for m in server.shown if "embedder could not load" in m and "full-text" in m]
    assert server.extensions["summaries"].events == [f"ready:{tmp_path.name}"]
    controller.stop()
    assert server.extensions["summaries"].events[-1] == "stop"
