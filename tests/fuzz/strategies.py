"""Hypothesis strategies for blueprint text (valid, near-valid, garbage) and for edit sequences.

Valid documents are assembled from the grammar (front matter, title, Vision,
sections, timeslices, links); near-valid ones are valid ones with one or two
grammar-aware mutations (a lost fence, a duplicated anchor, a broken link, a CRLF
mix); garbage is fragment soup and raw characters. Edits are (start, end, text)
triples in fractions of the current length, so one sequence fits any document.
"""

from __future__ import annotations

import os

from hypothesis import strategies as st

LONG = os.environ.get("FUZZ_LONG", "") not in ("", "0")
# make test: a few hundred documents; make fuzz (FUZZ_LONG=1): the 10,000 / 1,000.
DOCUMENTS = 10_000 if LONG else 120
SEQUENCES = 1_000 if LONG else 12
STEPS = 20 if LONG else 8

SLUGS = ["probe-target", "rivermouth-city", "harbourside-housing-coop", "ghost", "a", "x-1", "Bad Id", "東京"]
SCALES = ["individual", "team", "organization", "city", "region", "galaxy", "[x]", ""]
WORDS = ["homes", "the", "assembly", "🚀", "東京", "é", "𝄞", "TODO", "<!-- synthesize -->", "`code`", "*em*", "|", "\\|", "#", "{#x}"]
HEADINGS = ["Vision", "Governance", "Work", "Risks", "In scope", "Timeslice 2023", "Timeslice 2024-Q2", "Timeslice 2024-13", "Timeslice soon", "Vision"]

slug = st.sampled_from(SLUGS)
word = st.sampled_from(WORDS) | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=6)
link = st.one_of(
    st.builds(lambda e: f"[[{e}]]", slug),
    st.builds(lambda e, a: f"[[{e}#{a}]]", slug, st.sampled_from(["gov", "board", "vision", "work", "nope"])),
    st.builds(lambda a, t: f"[[#{a}|{t}]]", st.sampled_from(["work", "vision", "x"]), word),
    st.builds(lambda p: f"[t]({p})", st.sampled_from(["other.blueprint.md#x", "../../etc/passwd", "/abs.blueprint.md", "file:///etc/hosts", "C:\\x.blueprint.md", "https://example.org"])),
)
sentence = st.lists(word | link, min_size=1, max_size=10).map(" ".join)
anchor = st.sampled_from(["", "", "", " {#gov}", " {#board}", " {#gov}", " {#Bad Anchor}"])
section = st.builds(
    lambda level, title, a, body: f"{'#' * level} {title}{a}\n" + "".join(s + "\n" for s in body),
    st.sampled_from([2, 2, 2, 3, 4]), st.sampled_from(HEADINGS), anchor, st.lists(sentence, max_size=4),
)
front_matter = st.builds(
    lambda i, sc, parent, tags: f"---\nid: {i}\ntitle: T {i}\nscale: {sc}\n" + (f"parent: {parent}\n" if parent else "") + (f"tags: [{tags}]\n" if tags else "") + "---\n",
    slug, st.sampled_from(SCALES), st.none() | slug, st.sampled_from(["", "a, b", "[", "1"]),
)
valid = st.builds(lambda fm, title, secs: fm + f"# {title}\n\n" + "\n".join(secs), front_matter, sentence, st.lists(section, min_size=1, max_size=8))


def _mutate(text: str, how: str, at: float) -> str:
    """One grammar-aware damage at a relative position of the text."""
    i = int(at * len(text))
    return {
        "fence": text[:i] + "\n```\n" + text[i:],
        "drop": text[:i] + text[i + 7 :],
        "dup": text[:i] + text[i:] + text[i:],
        "crlf": text.replace("\n", "\r\n", 1 + i % 5),
        "cr": text[:i].replace("\n", "\r") + text[i:],
        "nofm": text.replace("---\n", "", 1),
        "unclosed": text[:i] + "[[" + text[i:],
        "nul": text[:i] + "\x00" + text[i:],
        "bom": "\ufeff" + text,
        "yaml": text.replace("---\n", "---\n!!python/object/apply:os.system ['echo pwned']\n", 1),
    }[how]


near_valid = st.builds(
    lambda t, muts: _apply_all(t, muts),
    valid, st.lists(st.tuples(st.sampled_from(["fence", "drop", "dup", "crlf", "cr", "nofm", "unclosed", "nul", "bom", "yaml"]), st.floats(0, 1)), min_size=1, max_size=2),
)


def _apply_all(text: str, muts: list[tuple[str, float]]) -> str:
    for how, at in muts:
        text = _mutate(text, how, at)
    return text


FRAGMENTS = ["---\n", "id: a\n", "# ", "## ", "[[", "]]", "```\n", "\r\n", "\r", "\n", "{#", "}", "<!--", "-->", "😀", "\u2028", "\ufeff", "\x00", "e\u0301", "|"]
garbage = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=5), max_size=60).map("".join),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300),
)
documents = st.one_of(valid, near_valid, garbage)

SNIPPETS = ["🚀", "東京", "𝄞x", "[[probe-target#gov]]", "[[#work|w]]", "\n## New {#n}\n", "\n### Sub\n", "", "[[", "]]", "\r\n", "\n", "\r", "## Timeslice 2020\n", "---\n", "```\n", "id: z\n"]
edit = st.tuples(st.floats(0, 1), st.integers(0, 40), st.sampled_from(SNIPPETS) | st.text(max_size=8))
edit_sequences = st.tuples(st.one_of(valid, near_valid), st.lists(st.lists(edit, min_size=1, max_size=3), min_size=1, max_size=STEPS))
