"""Where summaries live: the in-memory cache hover reads, and the graph behind it.

The cache maps a target key (see summary_plan) to the latest summary row written
or loaded for it, whatever the model: hover reads it on the event loop without
touching the disk. The graph (Kuzu, ``Summary`` nodes with ``SUMMARIZES`` edges)
is the durable copy; every call to it goes through ``run``, which the server
points at the index's single writer thread (Kuzu: one writer per database) and
the CLI at a thread of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from clm_lsp.blueprint import Workspace
from clm_lsp.index.records import SummaryRow

from .prompts import PROMPT_VERSION
from .summary_plan import Target, base_version, input_digest, key_of, plan

Run = Callable[[Callable[[Any], Any]], Awaitable[Any]]
"""run(fn) -> awaitable of fn(graph), with fn executed where the graph may be used."""


class SummaryCache:
    """target key -> SummaryRow. Filled by the worker and from the graph; read by hover."""

    def __init__(self) -> None:
        self.rows: dict[str, SummaryRow] = {}

    def get(self, key: str) -> SummaryRow | None:
        return self.rows.get(key)

    def put(self, key: str, row: SummaryRow) -> None:
        self.rows[key] = row

    def expected_hash(self, target: Target) -> str | None:
        """The key a current summary of ``target`` must carry; None while an input is missing."""
        if target.level == 0:
            return target.content_hash
        keys = []
        for key in target.inputs:
            row = self.rows.get(key)
            if row is None:
                return None
            keys.append((row.source_hash, row.model_id, row.prompt_version))
        return input_digest(target, keys)

    def current(self, target: Target, model_id: str | None = None) -> SummaryRow | None:
        """The cached row for ``target`` if it stands for the target's present text (and model)."""
        row = self.rows.get(target.key)
        if row is None or base_version(row.prompt_version) != PROMPT_VERSION:
            return None
        if model_id is not None and row.model_id != model_id:
            return None
        return row if row.source_hash == self.expected_hash(target) else None


class GraphSummaries:
    """The durable side: reads and writes of ``Summary`` nodes, through ``run``."""

    def __init__(self, run: Run) -> None:
        self.run = run

    async def get(self, node: str) -> SummaryRow | None:
        return await self.run(lambda g: g.summary(node))

    async def put(self, row: SummaryRow, sources: list[str]) -> None:
        await self.run(lambda g: g.put_summary(row, sources))

    async def load_current(self, ws: Workspace, cache: SummaryCache) -> int:
        """Fill ``cache`` with the stored summaries that still stand for ``ws`` (at startup)."""
        # The plan walks every section (about 1 s at 2,000 files): a thread, not the event loop.
        targets = await asyncio.to_thread(plan, ws)
        found = await _stored_chains(self.run, targets)
        loaded = 0
        for target in targets:  # dependency order: inputs are in the cache before their users
            for row in found.get(target.key, []):
                cache.put(target.key, row)
                if cache.current(target) is not None:
                    loaded += 1
                    break
            else:
                cache.rows.pop(target.key, None)
        return loaded


CHAIN_SLICE = 4096
"""Nodes looked up per ``run`` call (one query per node table, Graph.summaries_of_many): the
server's index writer takes queued file updates between slices, so a 10,000-file folder's
130,000 sections never hold it, and a checkout's updates behind it, for long
(docs/reliability.md, Load)."""


async def _stored_chains(run: Run, targets: Iterable[Target]) -> dict[str, list[SummaryRow]]:
    """target key -> candidate rows of this prompt version, following SUMMARIZES upwards
    from each section, a frontier at a time (no Cypher outside the index package)."""
    out: dict[str, list[SummaryRow]] = {}
    by_key = {t.key: t for t in targets}
    if not by_key or not await run(lambda g: g.counts()["summaries"]):
        return out  # nothing stored (summaries off, a new folder): no per-section lookups
    frontier = [t.section_id for t in by_key.values() if t.level == 0]
    seen: set[str] = set()
    while frontier:
        nxt: list[str] = []
        for i in range(0, len(frontier), CHAIN_SLICE):
            part = frontier[i : i + CHAIN_SLICE]
            found = await run(lambda g, part=part: g.summaries_of_many(part))
            for node in part:  # the frontier's order, as one query per node gave
                for row in found.get(node, ()):
                    if row.id in seen or base_version(row.prompt_version) != PROMPT_VERSION:
                        continue
                    seen.add(row.id)
                    if key_of(row.id) in by_key:
                        out.setdefault(key_of(row.id), []).append(row)
                        nxt.append(row.id)
        frontier = nxt
    return out
