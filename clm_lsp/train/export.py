"""A chat-format fine-tuning dataset from a blueprint workspace.

Two kinds of example, each one ``{"messages": [system, user, assistant], ...}``:

- section reconstruction: the context of a blueprint with one section held out
  (train/held_out.py) -> the held-out text. It is the task the synthesis code
  action gives the model, so a model tuned on it gets better at exactly that;
- summarisation: a section's text -> a current (not stale) level-0 summary from
  the index's graph, when the workspace has an index with summaries.

Then: examples whose held-out text leaks into their own context are dropped (a
line of 30 characters or more found verbatim), so are examples above the token
limit and exact duplicates; the rest are split into train and validation by
entity (no entity on both sides; the split is a stable hash of the entity id).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clm_lsp.blueprint import Workspace
from clm_lsp.blueprint.model import Blueprint, Section
from clm_lsp.blueprint.tokens import estimate_tokens
from clm_lsp.context.synthesis_prompts import SYNTHESIS_SYSTEM, section_request

from .held_out import hold_out, simple_context

SECTION_SYSTEM = SYNTHESIS_SYSTEM
"""The synthesis code action's own system text and request wording (context/synthesis_prompts.py):
tuned on these examples, a model learns the request the code action makes."""
SUMMARY_SYSTEM = "You summarise one section of a blueprint in at most two sentences, using only its own facts."
MIN_ANSWER_CHARS = 40
LEAK_LINE_CHARS = 30

SummaryLookup = Callable[[str], Iterable[tuple[str, str]]]
"""section id ("entity#anchor") -> (summary text, model id) pairs."""


@dataclass
class Example:
    entity: str
    task: str
    source: str
    messages: list[dict[str, str]]
    meta: dict[str, Any] = field(default_factory=dict)

    def tokens(self) -> int:
        return sum(estimate_tokens(m["content"]) + 4 for m in self.messages)

    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.messages, sort_keys=True).encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {"messages": self.messages, "entity": self.entity, "task": self.task, "source": self.source, **self.meta}


@dataclass
class ExportResult:
    train: list[Example]
    validation: list[Example]
    dropped: Counter = field(default_factory=Counter)
    context: str = "simple"

    def counts(self) -> dict[str, Any]:
        def side(examples: list[Example]) -> dict[str, Any]:
            tasks = Counter(e.task for e in examples)
            return {"examples": len(examples), "entities": len({e.entity for e in examples}),
                    "section": tasks.get("section", 0), "summary": tasks.get("summary", 0)}

        return {"train": side(self.train), "validation": side(self.validation),
                "dropped": dict(sorted(self.dropped.items())), "context": self.context}


def section_examples(ws: Workspace, budget: int, dropped: Counter) -> list[Example]:
    out: list[Example] = []
    for uri in sorted(ws.docs):
        bp = ws.docs[uri]
        if bp.skipped or not bp.entity.id:
            continue
        for section in bp.sections:
            example = _section_example(ws, bp, section, budget, dropped)
            if example is not None:
                out.append(example)
    return out


def _section_example(ws: Workspace, bp: Blueprint, section: Section, budget: int, dropped: Counter) -> Example | None:
    answer = section.text.strip()
    if section.placeholder or len(answer) < MIN_ANSWER_CHARS:
        dropped["too_short"] += 1
        return None
    held = hold_out(ws, bp, section)
    if held is None:
        dropped["unsplittable"] += 1
        return None
    held_ws, held_bp = held
    context = simple_context(held_ws, held_bp, budget)
    if leaks(answer, context):
        dropped["leak"] += 1
        return None
    heading = ("#" * section.level) + " " + section.title
    user = section_request(bp.entity.id or "", heading, context)
    messages = [{"role": "system", "content": SECTION_SYSTEM}, {"role": "user", "content": user},
                {"role": "assistant", "content": answer}]
    return Example(bp.entity.id or "", "section", f"{bp.entity.id}#{section.anchor}", messages)


def summary_examples(ws: Workspace, lookup: SummaryLookup) -> list[Example]:
    out: list[Example] = []
    for uri in sorted(ws.docs):
        bp = ws.docs[uri]
        if bp.skipped or not bp.entity.id:
            continue
        for section in bp.sections:
            sid = f"{bp.entity.id}#{section.anchor}"
            text = section.text.strip()
            if not text:
                continue
            for summary, model_id in lookup(sid):
                if not summary.strip():
                    continue
                user = f"Summarise this section of [[{sid}]]:\n\n{text}"
                messages = [{"role": "system", "content": SUMMARY_SYSTEM}, {"role": "user", "content": user},
                            {"role": "assistant", "content": summary.strip()}]
                out.append(Example(bp.entity.id, "summary", sid, messages, {"summary_model": model_id}))
    return out


def leaks(answer: str, context: str) -> bool:
    """True when the answer, or any long line of it, appears verbatim in the context."""
    flat = " ".join(context.split())
    if " ".join(answer.split()) in flat:
        return True
    return any(len(line.strip()) >= LEAK_LINE_CHARS and " ".join(line.split()) in flat for line in answer.splitlines())


def in_validation(entity: str, fraction: float, seed: int) -> bool:
    digest = hashlib.sha256(f"{seed}:{entity}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def split(examples: list[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """Train and validation, by entity; each side gets at least one entity when there are two or more."""
    entities = sorted({e.entity for e in examples})
    val = {e for e in entities if in_validation(e, fraction, seed)} if fraction > 0 else set()
    if fraction > 0 and len(entities) >= 2:
        ranked = sorted(entities, key=lambda e: hashlib.sha256(f"{seed}:{e}".encode()).hexdigest())
        if not val:
            val = {ranked[0]}
        if val == set(entities):
            val.discard(ranked[-1])
    return [e for e in examples if e.entity not in val], [e for e in examples if e.entity in val]


def build(ws: Workspace, *, max_tokens: int = 4096, context_budget: int | None = None, val_fraction: float = 0.1,
          seed: int = 0, summaries: SummaryLookup | None = None) -> ExportResult:
    dropped: Counter = Counter()
    budget = context_budget or max(256, max_tokens * 3 // 4)
    examples = section_examples(ws, budget, dropped)
    if summaries is not None:
        examples += summary_examples(ws, summaries)
    kept, seen = [], set()
    for example in examples:
        if example.tokens() > max_tokens:
            dropped["over_limit"] += 1
            continue
        key = example.key()
        if key in seen:
            dropped["duplicate"] += 1
            continue
        seen.add(key)
        kept.append(example)
    train, validation = split(kept, val_fraction, seed)
    return ExportResult(train, validation, dropped)


def write_jsonl(path: Path, examples: list[Example]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for example in examples:
            handle.write(json.dumps(example.to_json(), ensure_ascii=False) + "\n")


def validation_path(out: Path) -> Path:
    """``data.jsonl`` -> ``data.val.jsonl`` beside it."""
    return out.with_name(out.name[: -len(".jsonl")] + ".val.jsonl") if out.name.endswith(".jsonl") else out.with_name(out.name + ".val")
