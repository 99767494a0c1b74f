"""Links in inline text: `[[wiki]]` links and Markdown `[text](path#anchor)` links.

Code spans and HTML comments are masked (replaced by spaces, newlines kept,
so offsets do not move) before the link patterns run, because links there are
not links. A run of lines is one paragraph, so a code span may cross lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

_CODE_SPAN = re.compile(r"(?<![`\\])(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_WIKI = re.compile(r"(?<!\\)\[\[([^\[\]\n]*)\]\]")
_MD = re.compile(
    r"(?<![\\!\[])\[((?:[^\[\]\\\n]|\\.|\[[^\[\]\n]*\])*)\]"
    r"\([ \t]*(<[^<>\n]*>|(?:[^\s()\\]|\\.|\([^\s()]*\))*)"
    r"(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*\)"
)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACE = re.compile(r"\s")


@dataclass(slots=True)
class RawLink:
    """A link found in text, before it is classified; offsets are into the run text."""

    wiki: bool
    start: int
    end: int
    target: str
    target_start: int
    alias: str | None


_NOT_NEWLINE = re.compile(r"[^\n]")


def _blank_match(m: re.Match[str]) -> str:
    s = m.group(0)
    return " " * len(s) if "\n" not in s else _NOT_NEWLINE.sub(" ", s)


def mask_code_and_comments(text: str) -> str:
    """Blank out code spans and HTML comments, keeping every offset and newline.

    A code span opens with a run of n backticks (not escaped) and closes at the
    next run of exactly n; an opener without a closer is literal text.
    """
    if "<!--" in text:
        text = _COMMENT.sub(_blank_match, text)
    if "`" in text:
        text = _CODE_SPAN.sub(_blank_match, text)
    return text


def find_links(text: str) -> list[RawLink]:
    """Every wiki and Markdown link in one run of inline text, in order."""
    if "[" not in text:
        return []
    masked = mask_code_and_comments(text) if ("`" in text or "<!--" in text) else text
    found: list[RawLink] = []
    wiki_spans: list[tuple[int, int]] = []
    if "[[" in masked:
        for m in _WIKI.finditer(masked):
            body = m.group(1)
            target, bar, alias = body.partition("|")
            if bar and target.endswith("\\"):
                # `[[id\|alias]]`: the pipe is escaped so that a GFM table cell does not
                # split here (Obsidian writes links in tables this way).
                target = target[:-1]
            found.append(RawLink(True, m.start(), m.end(), target, m.start(1), alias if bar else None))
            wiki_spans.append((m.start(), m.end()))
    if "](" in masked:
        for m in _MD.finditer(masked):
            if any(s <= m.start() < e for s, e in wiki_spans):
                continue
            dest, dest_start = m.group(2), m.start(2)
            if dest.startswith("<") and dest.endswith(">"):
                dest, dest_start = dest[1:-1], dest_start + 1
            found.append(RawLink(False, m.start(), m.end(), dest, dest_start, m.group(1)))
    found.sort(key=lambda r: r.start)
    return found


@dataclass(slots=True)
class WikiTarget:
    entity: str | None
    anchor: str | None
    error: str | None
    """Why the target is malformed (CLM024), None when it is well formed."""


def parse_wiki_target(target: str) -> WikiTarget:
    """`id`, `id#anchor` or `#anchor` (surrounding spaces allowed and ignored)."""
    if _CONTROL.search(target):
        return WikiTarget(None, None, "the link target contains a control character")
    entity, hash_, anchor = target.strip().partition("#")
    if not entity and not hash_:
        return WikiTarget(None, None, "the link is empty; write [[entity-id]] or [[entity-id#anchor]]")
    if _SPACE.search(entity):
        return WikiTarget(None, None, f"the entity id '{entity}' contains a space; ids are slugs like riverside-coop")
    if hash_ and not anchor:
        return WikiTarget(None, None, "nothing follows '#'; write [[id#anchor]] or drop the '#'")
    if hash_ and _SPACE.search(anchor):
        return WikiTarget(None, None, f"the anchor '{anchor}' contains a space; anchors are slugs like {_slugish(anchor)}")
    return WikiTarget(entity or None, anchor if hash_ else None, None)


def _slugish(text: str) -> str:
    return "-".join(text.lower().split())


@dataclass(slots=True)
class MarkdownTarget:
    kind: str
    """"external" (ignored), "other" (not a blueprint: ignored), "anchor" (same
    document), "blueprint" (a relative path), "outside" (absolute or file: URL)."""
    path: str | None
    anchor: str | None
    anchor_offset: int
    """Offset of the anchor within the destination, or -1."""


def classify_destination(dest: str) -> MarkdownTarget:
    path, hash_, anchor = dest.partition("#")
    anchor_offset = len(path) + 1 if hash_ else -1
    anchor_text = unquote(anchor) if hash_ and anchor else None
    if not path:
        return MarkdownTarget("anchor" if anchor_text else "other", None, anchor_text, anchor_offset)
    if path.startswith("//"):
        return MarkdownTarget("external", None, None, -1)
    scheme = _SCHEME.match(path)
    if scheme is not None and not path.lower().startswith("file:"):
        return MarkdownTarget("external", None, None, -1)
    clean = unquote(path.split("?", 1)[0])
    if not clean.lower().endswith(".blueprint.md"):
        return MarkdownTarget("other", None, None, -1)
    if scheme is not None or clean.startswith("/"):
        return MarkdownTarget("outside", clean, anchor_text, anchor_offset)
    return MarkdownTarget("blueprint", clean, anchor_text, anchor_offset)
