"""A fast token-count estimate for budgets before the model layer counts exactly.

The heuristic: about 4 characters per token for ASCII (English prose and Markdown
average 3.7 to 4.3 with BPE vocabularies of 32k to 100k entries), and one token
per non-ASCII character (CJK ideographs, emoji and most accented letters cost a
token or more each). It errs high on accented Latin text, which is the safe side
for a budget. The model layer supplies exact counts where it matters.
"""

from __future__ import annotations

import re

_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def estimate_tokens(text: str) -> int:
    """Approximate number of model tokens in ``text`` (0 for an empty string)."""
    if not text:
        return 0
    if text.isascii():
        return (len(text) + 3) // 4
    non_ascii = len(_NON_ASCII.findall(text))
    return (len(text) - non_ascii + 3) // 4 + non_ascii
