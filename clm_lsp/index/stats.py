"""What one reconcile or apply did, for the CLI, the server's log and the benchmarks."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass
class IndexStats:
    files: int = 0
    """Blueprint files the index knows after the run."""
    entities: int = 0
    sections: int = 0
    links: int = 0
    """Links written in the files (resolved or not)."""
    resolved_links: int = 0
    """LINKS_TO edges: links whose target exists."""
    summaries: int = 0
    chunks: int = 0
    """Rows in the vector table after the run."""
    embedded: int = 0
    """Texts sent to the embedder in this run."""
    reused: int = 0
    """Chunks whose vector was kept (chunks - embedded)."""
    deleted: int = 0
    """Sections removed from the index in this run (with their vectors and orphan summaries)."""
    parsed: int = 0
    """Files read and parsed in this run."""
    files_deleted: int = 0
    cancelled: bool = False
    seconds: float = 0.0
    walk_s: float = 0.0
    """Listing, stat and hashing files."""
    parse_s: float = 0.0
    graph_s: float = 0.0
    """Planning against and writing to the graph."""
    embed_s: float = 0.0
    vectors_s: float = 0.0
    """Reading and writing the vector table, and its index maintenance."""
    store: str = ""
    private: bool = False
    """True when another process holds the shared store and this run used a private one."""

    def as_dict(self) -> dict:
        out = dataclasses.asdict(self)
        for key, value in out.items():
            if isinstance(value, float):
                out[key] = round(value, 3)
        return out

    def __str__(self) -> str:
        return (
            f"{self.files} files, {self.entities} entities, {self.sections} sections, {self.links} links; "
            f"embedded {self.embedded}, reused {self.reused}, deleted {self.deleted} in {self.seconds:.2f}s"
        )
