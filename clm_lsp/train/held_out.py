"""Hold one section out of a blueprint, and build the context the model sees without it.

The section's body is replaced by the synthesis placeholder and the file is
parsed again, so the workspace looks exactly as it does when an author asks the
server to write that section: the training example and the code action share a
task. The context is built from that workspace alone, so the held-out text cannot
reach it through the blueprint itself (links into the held-out section from other
blueprints are checked by the exporter's leak test).

The context is the simple one: the blueprint with the placeholder, then the
visions of its parent chain and the sections it links to as extractive summaries,
labelled like the context assembler's ``[§entity#anchor]``, cut to a token budget.
``clm_lsp/context/assemble.py`` (the hierarchical compressor) can replace
:func:`simple_context` once it exists; it takes the same workspace.
"""

from __future__ import annotations

from clm_lsp.blueprint import LineIndex, Workspace, extractive_summary, parse
from clm_lsp.blueprint.model import Blueprint, Section, SectionKind
from clm_lsp.blueprint.tokens import estimate_tokens

PLACEHOLDER = "<!-- synthesize -->"


def hold_out(ws: Workspace, bp: Blueprint, section: Section) -> tuple[Workspace, Blueprint] | None:
    """The workspace with ``section``'s own body replaced by the placeholder; None if that fails."""
    index = LineIndex(bp.text)
    start, end = index.offset_at(section.body_range.start), index.offset_at(section.body_range.end)
    body = bp.text[start:end]
    tail = "\n" if body.endswith("\n") else ""
    text = bp.text[:start] + PLACEHOLDER + "\n" + tail + bp.text[end:]
    new_bp, _problems = parse(text, bp.uri, ws.config)
    same = new_bp.section_by_anchor(section.anchor)
    if same is None or not same.placeholder:
        return None  # the rewrite changed the structure: skip rather than train on a wrong task
    return ws.with_document(new_bp), new_bp


def simple_context(ws: Workspace, bp: Blueprint, budget: int) -> str:
    """The blueprint in full, then parents' visions and linked sections, summarised, within ``budget`` tokens."""
    parts = [bp.text.strip()]
    ent = bp.entity.id or ""
    for parent in ws.ancestors(ent) if ent else []:
        vision = next((s for s in parent.sections if s.kind is SectionKind.VISION), None)
        if vision is not None and vision.text.strip():
            parts.append(f"[§{parent.entity.id}#{vision.anchor}] {extractive_summary(vision.text)}")
    seen: set[str] = set()
    for link in bp.links:
        target = ws.resolve(link, bp.uri)
        if target is None or target.section is None or target.uri == bp.uri:
            continue
        doc, section = target.blueprint, target.section
        label = f"{doc.entity.id}#{section.anchor}"
        if label in seen or not section.text.strip():
            continue
        seen.add(label)
        parts.append(f"[§{label}] {extractive_summary(section.text)}")
    return _fit(parts, budget)


def _fit(parts: list[str], budget: int) -> str:
    out: list[str] = []
    used = 0
    for n, part in enumerate(parts):
        cost = estimate_tokens(part) + 1
        if used + cost > budget:
            if n == 0:  # the blueprint alone is over budget: keep its start, marked
                keep = max(0, (budget - 8) * 4)
                out.append(part[:keep].rstrip() + "\n[… truncated to the context budget]")
            break
        out.append(part)
        used += cost
    return "\n\n".join(out)
