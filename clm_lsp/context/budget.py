"""Budget shares and exact fitting: the assembled text never exceeds the budget.

Shares are fractions of the whole budget that bound one kind of material, so
one kind cannot crowd out the others: newest timeslices in full stop at
``timeslices``, retrieved sections shown in full stop at ``retrieval``. What a
share leaves unused goes to the summaries that follow. The focus section has
no share: it is always first, and cut only when it alone exceeds the budget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Counter = Callable[[str], int]
SHORT_MARKER = "[… truncated]"


@dataclass(frozen=True, slots=True)
class Shares:
    timeslices: float = 0.25
    """Newest timeslices shown in full, newest first, until this share is used."""
    linked: float = 0.30
    """Sections the focus links to directly, in full, until this share is used."""
    retrieval: float = 0.20
    """Retrieved sections in full (beyond it they are summarised)."""
    summary_chars: int = 280
    """Length of an extractive summary when no stored one exists."""


DEFAULT_SHARES = Shares()


class Budget:
    """A running total of tokens against a limit, with per-share tallies."""

    def __init__(self, limit: int, count: Counter) -> None:
        self.limit = max(0, limit)
        self.count = _memo(count)
        self.used = 0
        self.by_share: dict[str, int] = {}

    @property
    def left(self) -> int:
        return self.limit - self.used

    def take(self, tokens: int, share: str | None = None, cap: int | None = None) -> bool:
        """Reserve ``tokens`` if they fit (and fit ``share``'s ``cap``); False otherwise."""
        if tokens > self.left:
            return False
        if share is not None and cap is not None and self.by_share.get(share, 0) + tokens > cap:
            return False
        self.used += tokens
        if share is not None:
            self.by_share[share] = self.by_share.get(share, 0) + tokens
        return True

    def give_back(self, tokens: int) -> None:
        self.used -= tokens


def _memo(count: Counter) -> Counter:
    """The same counter, remembering answers for one assembly: a summary line that did
    not fit is offered again for every later candidate of the same entity or parent,
    and a real tokenizer costs about a millisecond a call."""
    seen: dict[str, int] = {}

    def counted(text: str) -> int:
        n = seen.get(text)
        if n is None:
            n = seen[text] = count(text)
        return n

    return counted


def truncate_to(text: str, limit: int, count: Counter, marker: str = "") -> str:
    """The longest prefix of ``text`` (cut at a line or word when possible) that, with
    ``marker`` on its own line after it, counts at most ``limit`` tokens; '' if none does."""
    if count(text) <= limit:
        return text
    if marker and count(marker) * 2 > limit:
        marker = SHORT_MARKER  # a tiny budget: keep room for some of the text
    tail = f"\n{marker}\n" if marker else ""
    if count(tail.strip("\n")) > limit:
        return ""
    lo, hi = 0, len(text)
    while lo < hi:  # binary search on the cut: token counts grow with the prefix
        mid = (lo + hi + 1) // 2
        if count(text[:mid] + tail) <= limit:
            lo = mid
        else:
            hi = mid - 1
    head = _nice_cut(text[:lo])
    out = head + tail
    return out if count(out) <= limit else (tail.strip("\n") if count(tail.strip("\n")) <= limit else "")


def _nice_cut(head: str) -> str:
    """Back off to the last line break or space when that loses little."""
    for sep in ("\n", " "):
        at = head.rfind(sep)
        if at > len(head) * 0.8:
            return head[:at].rstrip()
    return head.rstrip()
