"""Context assembly: a high-resolution window in full, anchor summaries for the rest.

``assemble(snapshot, focus, task, budget, count=..., summary_for=...)`` is pure:
everything it reads comes in as arguments (the workspace snapshot, the model's
token counter, a summary lookup, an optional retriever), so the server, the CLI,
the benchmark and the tests all run the same code.

Material is considered in priority order and each piece takes the finest form
that still fits the budget:

1. the focus section in full (cut with a marker only when it alone is too big);
2. parts the caller asked to expand (zoom-in), in full;
3. the entity's Vision, the sections the focus links to (``Shares.linked``) and the
   newest timeslices (``Shares.timeslices``) in full;
4. the parent chain up the entity tree, as entity summaries;
5. retrieved sections (full up to ``Shares.retrieval``, else summarised);
6. the entity's other sections and older timeslices, then linked, linking and
   child entities, as summaries.

A summary is the section's own (level 0), else its entity's (level 1), else the
parent entity's: whichever first fits. Every part opens with a stable label
(``[§entity#anchor]`` or ``[§entity]``) that the zoom map resolves to its source.
The parts are then ordered against "lost in the middle" (:mod:`.order`) and the
exact token count of the joined text is checked: least relevant parts go until
it fits, so ``Context.tokens <= budget`` always holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from clm_lsp.blueprint import Blueprint, Section, Workspace

from .assemble_parts import Candidate, Part, Picker, ZoomEntry, parse_label
from .assemble_sources import candidates, resolve_focus
from .budget import DEFAULT_SHARES, Budget, Counter, Shares, truncate_to
from .order import lost_in_the_middle
from .render import TRUNCATED, full_block, label_of

SummaryFor = Callable[[str], "tuple[str, int, str] | None"]
"""summary_for("entity#anchor" | "entity") -> (text, level, model id), or None for none stored."""
Retrieve = Callable[[str, int], "list[tuple[str, float]]"]
"""retrieve(query, k) -> [(section id "entity#anchor", score)], best first."""

__all__ = ["Candidate", "Context", "ContextError", "Part", "Retrieve", "SummaryFor", "ZoomEntry", "assemble", "join_parts", "parse_label"]


class ContextError(ValueError):
    """The focus cannot be assembled (unknown entity or anchor): the message says why."""


@dataclass(frozen=True, slots=True)
class Context:
    focus: str
    """The focus label, e.g. ``§riverside-coop#gov``."""
    task: str
    budget: int
    text: str
    tokens: int
    """Exact count of ``text`` by the counter given; never above ``budget``."""
    parts: tuple[Part, ...]
    """In the order they appear in ``text``."""
    zoom: dict[str, ZoomEntry] = field(default_factory=dict)
    """Label (without brackets) -> where its full text is and how it is shown."""
    dropped: tuple[str, ...] = ()
    """Labels considered but left out for lack of budget (least relevant last)."""
    truncated: bool = False
    """True when even the focus section had to be cut to fit."""

    def as_dict(self) -> dict[str, object]:
        return {
            "focus": self.focus, "task": self.task, "budget": self.budget, "tokens": self.tokens,
            "truncated": self.truncated, "text": self.text,
            "parts": [p.as_dict() for p in self.parts],
            "zoom": {label: z.as_dict() for label, z in self.zoom.items()},
            "dropped": list(self.dropped),
        }


def assemble(
    snapshot: Workspace,
    focus: str,
    task: str,
    budget: int,
    *,
    count: Counter,
    summary_for: SummaryFor,
    retrieve: Retrieve | None = None,
    expand: Iterable[str] = (),
    shares: Shares = DEFAULT_SHARES,
) -> Context:
    """Assemble the context for ``focus`` ("entity#anchor" or "entity") within ``budget`` tokens.

    Raises :class:`ContextError` when the focus does not name a section of the snapshot.
    """
    found = resolve_focus(snapshot, focus)
    if isinstance(found, str):
        raise ContextError(found)
    bp, section = found
    eid = bp.entity.id or ""
    focus_label = label_of(eid, section.anchor)
    picker = Picker(snapshot, Budget(budget, count), summary_for, shares)
    first = picker.focus_part(bp, section)
    if first is None:  # the focus alone is above the budget: cut it, show nothing else
        return _truncated(bp, section, focus_label, task, budget, count)
    wanted = [parse_label(x) for x in expand]
    for cand in candidates(snapshot, bp, section, task, [w for w in wanted if w], retrieve):
        picker.add(cand)
    return _finish(focus_label, task, budget, count, picker.parts, picker.dropped)


def _finish(focus: str, task: str, budget: int, count: Counter, parts: Sequence[Part], dropped: list[str]) -> Context:
    """Order the parts, then make sure the exact count of the joined text fits."""
    ordered = lost_in_the_middle(parts)
    text = join_parts(ordered)
    tokens = count(text)
    while tokens > budget and len(ordered) > 1:
        # Token counts are not quite additive (merges across part borders): drop the least relevant.
        worst = min(ordered[1:], key=lambda p: p.relevance)
        ordered = [p for p in ordered if p is not worst]
        dropped.append(worst.label)
        text = join_parts(ordered)
        tokens = count(text)
    if tokens > budget:  # only the focus left and still too big (cannot happen with a sane counter)
        text = truncate_to(text, budget, count, TRUNCATED.format(shown="?", total=tokens, label=f"[{focus}]"))
        tokens = count(text)
    zoom = {p.label: p.zoom for p in ordered}
    return Context(focus, task, budget, text, tokens, tuple(ordered), zoom, tuple(dict.fromkeys(dropped)), False)


def _truncated(bp: Blueprint, section: Section, label: str, task: str, budget: int, count: Counter) -> Context:
    heading = f"{bp.entity.title or bp.entity.id} › {section.title}"
    block = full_block(label, heading, section.text)
    total = count(block)
    marker = TRUNCATED.format(shown="~", total=total, label=f"[{label}]")
    text = truncate_to(block, budget, count, marker)
    tokens = count(text)
    part = Part(label, "focus", "full", 0, 1.0, text, tokens, "text",
                ZoomEntry(bp.uri, section.range, label[1:], "full", 0))
    parts = (part,) if text else ()
    zoom = {label: part.zoom} if text else {}
    return Context(label, task, budget, text, tokens, parts, zoom, (), True)


def join_parts(parts: Sequence[Part]) -> str:
    """Parts separated by a blank line (each part's text ends with a newline)."""
    return "\n".join(p.text for p in parts)
