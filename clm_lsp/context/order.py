"""Ordering against "lost in the middle": the most relevant parts at both ends.

Models recall what sits at the start and the end of a long context best
(Liu et al., 2023). Parts are ranked by relevance and dealt alternately to the
front and the back, so rank 1 opens the context, rank 2 closes it, rank 3 comes
second, rank 4 second to last, and the least relevant meet in the middle. The
focus section is always first, whatever the scores say.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar


class Ranked(Protocol):
    @property
    def relevance(self) -> float: ...


T = TypeVar("T", bound=Ranked)


def lost_in_the_middle(parts: Sequence[T]) -> list[T]:
    """``parts`` reordered: best first, second best last, the least relevant in the middle.

    Ties keep their input order (a stable sort), so equal scores stay in the
    order the assembler chose (document order, newest timeslice first...).
    """
    ranked = sorted(parts, key=lambda p: -p.relevance)
    front: list[T] = []
    back: list[T] = []
    for i, part in enumerate(ranked):
        (front if i % 2 == 0 else back).append(part)
    return front + back[::-1]
