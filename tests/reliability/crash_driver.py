"""`python crash_driver.py ROOT STORE [snapshot]`: index ROOT into STORE with real Kuzu and
LanceDB (and the hashed-words test embedder, so a run takes seconds, not minutes), or
print a JSON snapshot of what STORE holds. The crash tests kill -9 the first form."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "index"))

from ix_helpers import HashEmbedder  # noqa: E402

from clm_lsp.blueprint import DEFAULT_CONFIG  # noqa: E402
from clm_lsp.index import Indexer  # noqa: E402


def snapshot(ix: Indexer) -> dict:
    """Everything derived from the files, in a comparable form (no times, no row order)."""
    g = ix.graph
    rows = lambda q: sorted(json.dumps(r, sort_keys=True, default=str) for r in g.query(q))  # noqa: E731
    entity_ids = sorted(g.entity_ids())
    return {
        "files": sorted((f.path, f.size, f.hash, f.entity, f.ok) for f in g.files().values()),
        "entities": rows("MATCH (e:Entity) RETURN e.id, e.title, e.scale, e.status, e.parent, e.tags, e.path"),
        "sections": rows("MATCH (s:Section) RETURN s.id, s.entity, s.anchor, s.hash, s.parent, s.ord, s.start_line, s.end_line, s.text"),
        "has_section": rows("MATCH (e:Entity)-[:HAS_SECTION]->(s:Section) RETURN e.id, s.id"),
        "links": rows("MATCH (l:Link) RETURN l.id, l.file, l.src, l.entity, l.anchor, l.raw, l.line, l.character, l.target_entity, l.resolved"),
        "links_to": rows("MATCH (a:Section)-[:LINKS_TO]->(b) RETURN a.id, b.id"),
        "child_of": rows("MATCH (a:Entity)-[:CHILD_OF]->(b:Entity) RETURN a.id, b.id"),
        "next": rows("MATCH (a:Section)-[:NEXT]->(b:Section) RETURN a.id, b.id"),
        "orphan_summaries": rows("MATCH (u:Summary) WHERE NOT (u)-[:SUMMARIZES]->() RETURN u.id"),
        "vectors": sorted(json.dumps([k, list(v)]) for k, v in ix.vectors.rows_meta(entity_ids).items()),
        "vector_count": ix.vectors.count(),
        "summaries": g.counts()["summaries"],
    }


class _AsStored:
    """Opens a store with the embedder its manifest names (never called), so that taking a
    snapshot of a store another embedder wrote does not make the store drop its vectors."""

    def __init__(self, store: Path) -> None:
        try:
            manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
        self.model_id = manifest.get("embed_model") or HashEmbedder.model_id
        self.dimensions = manifest.get("dimensions") or HashEmbedder.dimensions

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        raise AssertionError("a snapshot never embeds")


def main() -> int:
    root, store = Path(sys.argv[1]), Path(sys.argv[2])
    snapshot_only = sys.argv[3:] == ["snapshot"]
    ix = Indexer(root, _AsStored(store) if snapshot_only else HashEmbedder(), DEFAULT_CONFIG, store_dir=store)
    try:
        if snapshot_only:
            print(json.dumps(snapshot(ix)))
        else:
            ix.reconcile()
    finally:
        ix.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
