"""A plain, JSON-ready picture of one parsed blueprint (for `clm/debugDocument` and tests).

Two parses of the same text give equal pictures, so a test can check that the
server's view after a series of incremental edits equals a fresh parse.
"""

from __future__ import annotations

from typing import Any

from clm_lsp.blueprint import Blueprint, Range


def _rng(r: Range | None) -> list[int] | None:
    return None if r is None else [r.start.line, r.start.character, r.end.line, r.end.character]


def describe(bp: Blueprint) -> dict[str, Any]:
    e = bp.entity
    return {
        "uri": bp.uri,
        "text": bp.text,
        "skipped": bp.skipped,
        "entity": {"id": e.id, "title": e.title, "scale": e.scale, "parent": e.parent, "status": e.status, "tags": list(e.tags)},
        "title_range": _rng(bp.title_range),
        "sections": [
            {
                "title": s.title,
                "anchor": s.anchor,
                "level": s.level,
                "kind": s.kind.value,
                "heading_range": _rng(s.heading_range),
                "range": _rng(s.range),
                "hash": s.content_hash,
                "parent": s.parent,
            }
            for s in bp.sections
        ],
        "links": [
            {"raw": link.raw, "range": _rng(link.range), "entity": link.entity, "anchor": link.anchor, "section": link.section}
            for link in bp.links
        ],
        "problems": [{"code": p.code, "range": _rng(p.range), "message": p.message} for p in bp.problems],
    }
