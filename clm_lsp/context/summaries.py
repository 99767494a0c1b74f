"""The anchor-summary worker: sections, then entities, then up the entity tree.

One run walks the plan (summary_plan.plan) in dependency order. For each target:

1. its key is (source hash, model id, prompt version): the section's content hash
   at level 0, a digest of the exact input summaries above it. A target whose
   cached (or stored) summary carries the same key costs nothing; so a restart,
   or an edit elsewhere, regenerates nothing, and an edited section regenerates
   exactly its own chain upwards (its digest changes, so does each parent's);
2. otherwise the model writes it, the faithfulness guard checks it against the
   source, a failure is retried once with a stricter prompt naming what was
   invented, and a second failure stores the extractive summary instead, marked
   by the prompt version suffix ``/extractive``;
3. the row goes to the cache (hover reads it at once) and to the graph, with
   SUMMARIZES edges to exactly its inputs (the section, or the lower summaries).

Cancellation is cooperative: the token is checked between targets and passed to
the model, which stops within a token. The worker is async so that the server
runs it on its event loop (the model and the graph work in their own threads);
the CLI runs it with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field

from clm_lsp.blueprint import Workspace, extractive_summary
from clm_lsp.index.records import SummaryRow
from clm_lsp.llm import CancelToken, GenerateOptions, Message

from . import prompts
from .faithfulness import invented
from .summary_plan import Target, closure, node_id, plan
from .summary_store import GraphSummaries, SummaryCache

log = logging.getLogger(__name__)

Generate = Callable[[Sequence[Message], GenerateOptions, CancelToken], Awaitable["str | None"]]
"""async (messages, options, cancel) -> the reply, or None when the model is unavailable."""

YIELD_EVERY = 32
"""Targets between two yields to the event loop (current ones await nothing)."""
MAX_SOURCE_CHARS = 6000
"""Longest section text put in a prompt (about 1,500 tokens): prompt processing on a
laptop CPU, not the context window, is the limit. The guard checks the whole text."""
EXTRACTIVE_CHARS = 280


@dataclass
class SummaryStats:
    planned: int = 0
    written: int = 0
    """Model summaries stored (first try or after the retry)."""
    reused: int = 0
    """Key hits: nothing generated."""
    guard_retried: int = 0
    retry_passed: int = 0
    extractive: int = 0
    """Replaced by the extractive summary after the retry also failed the guard."""
    per_level: dict[int, int] = field(default_factory=dict)
    """Summaries stored (written or extractive) per level."""
    invented: dict[str, int] = field(default_factory=dict)
    """Claims the guard rejected, per kind (number, date, name), over first tries and retries."""
    written_keys: list[str] = field(default_factory=list)
    """Target keys stored this run (written or extractive), in order."""
    generations: int = 0
    tokens: int = 0
    model_seconds: float = 0.0
    cancelled: bool = False
    unavailable: bool = False
    """The model could not be had: the run stopped (hover keeps the extractive summaries)."""

    @property
    def done(self) -> int:
        return self.written + self.reused + self.extractive

    @property
    def tokens_per_s(self) -> float | None:
        return round(self.tokens / self.model_seconds, 1) if self.model_seconds > 0 and self.tokens else None

    def as_dict(self) -> dict[str, object]:
        checked = self.written + self.extractive
        return {
            "planned": self.planned, "written": self.written, "reused": self.reused,
            "guard_retried": self.guard_retried, "retry_passed": self.retry_passed,
            "extractive": self.extractive, "per_level": {str(k): v for k, v in sorted(self.per_level.items())},
            "invented": dict(sorted(self.invented.items())), "generations": self.generations,
            "tokens": self.tokens, "tokens_per_s": self.tokens_per_s,
            "guard_first_try_pass_rate": round(1 - self.guard_retried / checked, 3) if checked else None,
            "cancelled": self.cancelled, "unavailable": self.unavailable,
        }


class ModelUnavailable(Exception):
    """generate() returned None: no model, or it failed (its host told the user)."""


class SummaryWorker:
    def __init__(
        self,
        generate: Generate,
        model_id: str,
        graph: GraphSummaries,
        cache: SummaryCache,
        *,
        count_tokens: Callable[[str], int] | None = None,
        max_tokens: int = 60,
    ) -> None:
        self.generate = generate
        self.model_id = model_id
        self.graph = graph
        self.cache = cache
        self.count_tokens = count_tokens or (lambda text: max(1, len(text) // 4))
        self.options = GenerateOptions(max_tokens=max_tokens, temperature=0.0, seed=0)
        self._targets: dict[str, Target] = {}

    async def run(
        self,
        ws: Workspace,
        *,
        priority: Iterable[str] = (),
        only: set[str] | None = None,
        cancel: CancelToken | None = None,
        urgent: Callable[[], Sequence[str]] | None = None,
        progress: Callable[[int, int], None] | None = None,
        stats: SummaryStats | None = None,
    ) -> SummaryStats:
        """Summarise ``ws``; ``urgent()`` (checked between targets) names target keys to do next.

        ``stats`` (filled as the run goes) lets a caller report what a run did even when
        its task is cancelled half-way.
        """
        cancel = cancel or CancelToken()
        # Planning a large workspace takes a while (~50 ms per 1,000 files): off the event
        # loop, so requests are served meanwhile (tests/reliability/test_rel_load.py).
        queue = await asyncio.to_thread(plan, ws, list(priority), only)
        by_key = self._targets = {t.key: t for t in queue}
        stats = stats or SummaryStats()
        stats.planned = len(queue)
        done: set[str] = set()
        while queue:
            if cancel.cancelled:
                stats.cancelled = True
                break
            queue = _promote(queue, by_key, urgent() if urgent else ())
            target = queue.pop(0)
            if len(done) % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # a target found current awaits nothing: let requests in
            try:
                await self._one(target, stats, cancel)
            except ModelUnavailable:
                stats.unavailable = True
                break
            done.add(target.key)
            if progress is not None:
                progress(len(done), stats.planned)
        stats.cancelled = stats.cancelled or cancel.cancelled
        return stats

    async def _one(self, target: Target, stats: SummaryStats, cancel: CancelToken) -> None:
        expected = self.cache.expected_hash(target)
        if expected is None:
            return  # an input was not written (cancelled mid-way): the next run does it
        if self.cache.current(target, self.model_id) is not None:
            stats.reused += 1
            return
        node = node_id(target.key, self.model_id)
        stored = await self.graph.get(node)
        if stored is not None and stored.source_hash == expected and stored.model_id == self.model_id:
            if stored.stale:  # the indexer flagged it when the text changed; it changed back
                stored = SummaryRow(stored.id, stored.level, stored.text, stored.model_id, stored.prompt_version, stored.source_hash)
                await self.graph.put(stored, self._sources(target))
            self.cache.put(target.key, stored)
            stats.reused += 1
            return
        text, version = await self._write(target, stats, cancel)
        if text is None:
            return  # cancelled
        row = SummaryRow(node, target.level, text, self.model_id, version, expected)
        await self.graph.put(row, self._sources(target))
        self.cache.put(target.key, row)
        stats.per_level[target.level] = stats.per_level.get(target.level, 0) + 1
        stats.written_keys.append(target.key)

    def _sources(self, target: Target) -> list[str]:
        if target.level == 0:
            return [target.section_id]
        return [node_id(k, self.model_id) if (r := self.cache.get(k)) is None else r.id for k in target.inputs]

    async def _write(self, target: Target, stats: SummaryStats, cancel: CancelToken) -> tuple[str | None, str]:
        """The model's summary if it passes the guard (first try or strict retry), else the extractive one."""
        source = self._guard_source(target)
        text = await self._ask(self._messages(target, ()), stats, cancel)
        if text is None:
            return None, ""
        claims = invented(text, source) if text else []
        if text and not claims:
            stats.written += 1
            return text, prompts.PROMPT_VERSION
        stats.guard_retried += 1
        self._count(stats, claims)
        retry = await self._ask(self._messages(target, [c.text for c in claims]), stats, cancel)
        if retry is None:
            return None, ""
        again = invented(retry, source) if retry else []
        if retry and not again:
            stats.retry_passed += 1
            stats.written += 1
            return retry, prompts.PROMPT_VERSION
        self._count(stats, again)
        stats.extractive += 1
        log.debug("summary of %s replaced by the extractive one: %s", target.key, [c.text for c in again])
        return self._extractive(target), prompts.PROMPT_VERSION + prompts.EXTRACTIVE_SUFFIX

    async def _ask(self, messages: list[Message], stats: SummaryStats, cancel: CancelToken) -> str | None:
        started = time.perf_counter()
        reply = await self.generate(messages, self.options, cancel)
        if cancel.cancelled:
            return None
        if reply is None:
            raise ModelUnavailable
        stats.generations += 1
        stats.model_seconds += time.perf_counter() - started
        stats.tokens += self.count_tokens(reply)
        return clean(reply)

    def _messages(self, target: Target, strict: Sequence[str]) -> list[Message]:
        if target.level == 0:
            return prompts.section_messages(target.entity_title, target.title, target.text[:MAX_SOURCE_CHARS], strict)
        parts = self._parts(target)
        if target.level == 1:
            return prompts.entity_messages(target.entity_title, parts, strict)
        own, rest = (parts[0][1], parts[1:]) if target.inputs[0].startswith("L1:") else ("", parts)
        return prompts.tree_messages(target.entity_title, own, rest, strict)

    def _parts(self, target: Target) -> list[tuple[str, str]]:
        out = []
        for key in target.inputs:
            row = self.cache.get(key)
            source = self._targets.get(key)
            out.append((source.title if source is not None else key.split(":", 1)[1], row.text if row is not None else ""))
        return out

    def _guard_source(self, target: Target) -> str:
        """What a summary may draw facts from: its text (or input summaries) and the titles."""
        if target.level == 0:
            return f"{target.entity_title}\n{target.entity}\n{target.title}\n{target.text}"
        parts = "\n".join(f"{title}\n{text}" for title, text in self._parts(target))
        ids = " ".join(key.split(":", 1)[1] for key in target.inputs)
        return f"{target.entity_title}\n{target.entity}\n{ids}\n{parts}"

    def _extractive(self, target: Target) -> str:
        if target.level == 0:
            return extractive_summary(target.text, EXTRACTIVE_CHARS)
        return extractive_summary("\n\n".join(text for _t, text in self._parts(target)), EXTRACTIVE_CHARS)

    @staticmethod
    def _count(stats: SummaryStats, claims: Iterable[object]) -> None:
        for claim in claims:
            kind = getattr(claim, "kind", "other")
            stats.invented[kind] = stats.invented.get(kind, 0) + 1


def _promote(queue: list[Target], by_key: dict[str, Target], urgent: Sequence[str]) -> list[Target]:
    """Move each urgent key, with the inputs it needs, to the front (keeping dependency order)."""
    if not urgent:
        return queue
    waiting = {t.key for t in queue}
    front: list[str] = []
    for key in urgent:
        front.extend(k for k in closure(by_key, key) if k in waiting and k not in front)
    if not front:
        return queue
    chosen = set(front)
    return [by_key[k] for k in front] + [t for t in queue if t.key not in chosen]


_LEAD = re.compile(r"^\s*(?:summary(?: of [^:]*)?|here is [^:]*|in summary)\s*[:,-]\s*", re.IGNORECASE)


_LOOP = re.compile(r"(\b.{2,40}?)\1{2,}")


def _without_repeats(text: str) -> str:
    """Drop sentences that say again, word for word, what an earlier one said."""
    seen: set[str] = set()
    out = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        key = sentence.lower().strip(" .!?")
        if key and key in seen:
            continue
        seen.add(key)
        out.append(sentence)
    return " ".join(out)


def clean(reply: str) -> str:
    """One paragraph, no "Summary:" lead-in, cut after the last complete sentence."""
    text = " ".join(reply.replace("**", "").split())
    text = _LEAD.sub("", text).strip()
    loop = _LOOP.search(text)
    if loop:
        text = text[: loop.start()].rstrip(" ,;:-")  # a small model stuck repeating itself
    text = _without_repeats(text)
    end = max(text.rfind(". "), text.rfind("! "), text.rfind("? "))
    if text and text[-1] not in ".!?" and end > 0:
        text = text[: end + 1]  # max_tokens cut the last sentence: drop the fragment
    return text
