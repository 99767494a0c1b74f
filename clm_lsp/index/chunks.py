"""Section text -> the chunks that are embedded and searched (pure).

A chunk is what one vector stands for: a header naming the entity and the
section's heading crumbs, then up to ``max_tokens`` of body text. The header is
part of the embedded text because a body rarely repeats its own heading ("what
are the risks of the land trust?" must find the trust's Risks section).

Chunks split at paragraph breaks, then line breaks, then words, never inside a
word. ``max_tokens`` defaults to 256 estimated tokens because the default embedder
(all-MiniLM-L6-v2) reads at most 256 word pieces: a longer chunk would be cut.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from clm_lsp.blueprint import estimate_tokens

from .records import EntityRow, SectionRow

MAX_CHUNK_TOKENS = 256
_PARAGRAPH = re.compile(r"\n\s*\n")


@dataclass(frozen=True, slots=True)
class ChunkRow:
    chunk_id: str
    section_id: str
    entity_id: str
    scale: str
    kind: str
    text: str
    hash: str
    """sha256 of ``text``: the vector depends on the text only, so equal text reuses it."""


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def section_chunks(entity: EntityRow, section: SectionRow, max_tokens: int = MAX_CHUNK_TOKENS) -> list[ChunkRow]:
    """The chunks of one section; none for an empty body or a synthesis placeholder."""
    body = section.text.strip()
    if not body or section.placeholder:
        return []
    header = f"{entity.title}: {section.crumbs}"
    budget = max(16, max_tokens - estimate_tokens(header) - 1)
    chunks = []
    for n, piece in enumerate(split_text(body, budget)):
        text = f"{header}\n{piece}"
        chunks.append(
            ChunkRow(
                chunk_id=f"{section.id}@{n}",
                section_id=section.id,
                entity_id=entity.id,
                scale=entity.scale,
                kind=section.kind,
                text=text,
                hash=text_hash(text),
            )
        )
    return chunks


def split_text(text: str, budget: int) -> list[str]:
    """Pieces of at most ``budget`` estimated tokens, cut at the largest boundary that fits."""
    if estimate_tokens(text) <= budget:
        return [text]
    pieces: list[str] = []
    for unit in _units(text, budget):
        if pieces and estimate_tokens(pieces[-1]) + estimate_tokens(unit) + 1 <= budget:
            pieces[-1] = f"{pieces[-1]}\n{unit}"
        else:
            pieces.append(unit)
    return pieces


def _units(text: str, budget: int) -> list[str]:
    """Paragraphs, with any paragraph too large for the budget cut into lines, then words."""
    units: list[str] = []
    for para in _PARAGRAPH.split(text):
        para = para.strip()
        if not para:
            continue
        if estimate_tokens(para) <= budget:
            units.append(para)
            continue
        for line in para.splitlines():
            line = line.strip()
            if not line:
                continue
            units.extend([line] if estimate_tokens(line) <= budget else _word_runs(line, budget))
    return units


def _word_runs(line: str, budget: int) -> list[str]:
    runs: list[str] = []
    current: list[str] = []
    size = 0
    for word in line.split():
        cost = estimate_tokens(word) + 1
        if current and size + cost > budget:
            runs.append(" ".join(current))
            current, size = [], 0
        current.append(word)
        size += cost
    if current:
        runs.append(" ".join(current))
    return runs
