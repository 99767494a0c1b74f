"""Section anchors: explicit `{#anchor}`s and GitHub-style heading slugs.

GitHub (github-slugger) slugs the heading's rendered text: lowercase it, drop
every character that is not a letter, mark, number, connector punctuation
(`_`), hyphen or space, then turn each space into `-`. Repeated slugs get
`-1`, `-2`... in document order. We render the Markdown inline syntax of the
heading to text first (links to their text, code spans to their content,
emphasis markers dropped) so the slug matches what GitHub shows.
"""

from __future__ import annotations

import re
import unicodedata

_EXPLICIT = re.compile(r"[ \t]*\{#([^{}\s]*)\}[ \t]*$")
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
_IMAGE_OR_LINK = re.compile(r"!?\[((?:[^\[\]\\]|\\.)*)\]\([^)]*\)")
_WIKI = re.compile(r"\[\[([^\[\]|]*)(?:\|([^\[\]]*))?\]\]")
_REF_LINK = re.compile(r"\[((?:[^\[\]\\]|\\.)*)\]\[[^\]]*\]")
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<!--.*?-->")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# `_` delimits emphasis only at a word edge (CommonMark's intraword rule for `_`).
_UNDERSCORE_EMPHASIS = re.compile(r"(?<![\w])_+|_+(?![\w])")
_ASCII_DROP = re.compile(r"[^a-z0-9 _-]")


def split_explicit_anchor(text: str) -> tuple[str, str | None, int | None]:
    """Split `Title {#anchor}` -> ("Title", "anchor", column of the anchor in ``text``).

    Without an explicit anchor: (text, None, None). The title is not stripped here.
    """
    m = _EXPLICIT.search(text)
    if m is None:
        return text, None, None
    return text[: m.start()], m.group(1), m.start(1)


def plain_heading_text(text: str) -> str:
    """The text a reader sees for a heading's Markdown source (for slugs and titles)."""
    if not any(c in text for c in "`[<\\_*"):
        return text
    pieces: list[str] = []
    last = 0
    # Code span contents are literal: keep them out of the other rewrites.
    for m in _CODE_SPAN.finditer(text):
        pieces.append(_render_inline(text[last : m.start()]))
        pieces.append(m.group(2).strip(" ") if m.group(2).strip(" ") else m.group(2))
        last = m.end()
    pieces.append(_render_inline(text[last:]))
    return "".join(pieces)


def _render_inline(text: str) -> str:
    text = _WIKI.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(1), text)
    text = _IMAGE_OR_LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _HTML_TAG.sub("", text)
    text = text.replace("*", "")
    text = _UNDERSCORE_EMPHASIS.sub("", text)
    return _ESCAPE.sub(r"\1", text)


def github_slug(text: str) -> str:
    """GitHub's slug of already-rendered heading text (no de-duplication)."""
    lowered = text.lower()
    if lowered.isascii():
        return _ASCII_DROP.sub("", lowered).replace(" ", "-")
    kept = [
        ch
        for ch in lowered
        if ch in " -" or unicodedata.category(ch)[0] in "LMN" or unicodedata.category(ch) == "Pc"
    ]
    return "".join(kept).replace(" ", "-")


def slug_of_heading(markdown_text: str) -> str:
    return github_slug(plain_heading_text(markdown_text.strip()))


class Slugger:
    """Document-order de-duplication, as github-slugger does it.

    ``reserve`` claims the explicit anchors first, so a generated slug that
    collides with an explicit anchor gets the suffix instead of the anchor.
    """

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def reserve(self, anchor: str) -> bool:
        """Claim an explicit anchor; False if it was already claimed."""
        if anchor in self._seen:
            return False
        self._seen[anchor] = 0
        return True

    def unique(self, slug: str) -> str:
        result = slug
        while result in self._seen:
            self._seen[slug] = self._seen.get(slug, 0) + 1
            result = f"{slug}-{self._seen[slug]}"
        self._seen[result] = 0
        return result
