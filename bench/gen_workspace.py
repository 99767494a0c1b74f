"""Seeded generator of large, valid blueprint workspaces for benchmarks.

    python bench/gen_workspace.py OUT_DIR --tokens 1000000 --seed 0 [--markdown-links]

It builds a fractal tree (one region, then cities, districts, organisations and
networks, teams, individuals) whose fan-out grows with the token budget, so 1M
tokens gives about a thousand files. Every file has valid front matter, one
Vision, 2-6 timeslices in ascending order (all four date forms), free sections
with prose drawn from a word list, and links that all resolve: the whole tree is
planned (ids, paths, anchors) before any body is written, so a parent can link
to its children as well as the other way round.

`--markdown-links` writes relative `[text](other.blueprint.md#heading)` links and
no explicit `{#anchor}`s, so VS Code's Markdown server can be compared on the
same content. Only the standard library is used; output depends on the seed only.
"""

from __future__ import annotations

import argparse
import json
import posixpath
import random
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

AVG_FILE_BYTES = 4000
"""Planned average file size: 1M tokens (4 MB) -> about 1,000 files."""

# Levels of the tree, top first. At the organisation level some nodes are networks.
LEVELS = ("region", "city", "district", "organization", "team", "individual")
FANOUT = (4.0, 4.5, 6.0, 3.5, 0.6)
"""Mean children per node at each level (region -> cities ... team -> individuals),
before scaling to the budget: 1M tokens gives ~5 cities, ~20 districts, ~130
organisations, ~500 teams, ~300 individuals."""

PLACE_A = "north south east west upper lower old new high low mill river bridge marsh".split()
PLACE_B = "field ford bury wick stead ham ton moor dale gate haven bank cross wood".split()
ORG_KINDS = (
    "Housing Cooperative", "Land Trust", "Food Cooperative", "Energy Cooperative", "Commons Library",
    "Repair Cafe", "Credit Union", "Care Collective", "Bike Workshop", "Community Garden",
    "Makerspace", "Water Board", "Transport Cooperative", "School Council", "Health Centre",
)
NETWORK_KINDS = ("Repair Network", "Mutual Credit Network", "Growers Network", "Tenants Union")
TEAM_KINDS = (
    "Maintenance Team", "Finance Circle", "Outreach Team", "Allocations Committee", "Buying Group",
    "Install Crew", "Training Team", "Events Team", "Data Team", "Welcome Desk", "Safety Group",
)
FIRST = "Ana José Zoë Søren Ángela Malik Priya Tomás Ingrid Kofi Mei Lukas Amara Oskar Nadia Hélène".split()
LAST = "Okafor Martín Lindqvist Novák Haddad Ferreira Kowalski Byrne Tanaka Mensah Dubois Ruiz".split()

FREE_SECTIONS = (
    "Structure", "Governance", "Roles", "Resources", "Flows", "Metrics", "Risks", "Partners",
    "Budget", "Open questions", "Lessons learned", "Decisions log", "Trade-offs", "Assets",
)
EXPLICIT = {"Governance": "gov", "Budget": "budget", "Metrics": "kpi"}
SUBSECTIONS = ("Decisions", "Notes", "In scope", "Next steps")

WORDS = """
the a of and to in for with on by from at as that this which their its our
members assembly board council district city region team cooperative trust network
homes housing rent land lease parcel energy solar roof heat food growers market shop
repair tools library volunteers staff budget loan grant share surplus reserve fund
plan vote decision review report meeting forum proposal rule policy agreement contract
price cost margin income turnover capacity demand supply delivery season harvest
water flood river quay harbour street school centre workshop garden depot transport
care health youth training apprentices mentors households residents tenants owners
agreed approved deferred rejected proposed adopted reviewed funded built opened closed
grew fell doubled halved shared pooled leased bought sold repaired installed trained
local regional collective public private common fair stable affordable permanent
monthly yearly seasonal weekly first second third new old small large long short
because although while after before until unless so but also only still again
""".split()
ACCENTED = "café naïve façade rôle déjà señora Zürich Malmö São Kraków crème élan über fiancée".split()
DATE_FORMS = ("year", "month", "day", "quarter")
PLACEHOLDERS = ("<!-- synthesize -->", "TODO")


@dataclass
class Node:
    id: str
    title: str
    scale: str
    level: int
    parent: Node | None
    path: str = ""
    """Path of the file, relative to the workspace root (POSIX)."""
    children: list[Node] = field(default_factory=list)
    sections: list[tuple[int, str, str]] = field(default_factory=list)
    """(level, heading text as written, anchor) in document order."""


def slug(text: str) -> str:
    """GitHub's heading slug (the generator writes only plain headings)."""
    kept = [c for c in text.lower() if c in " -_" or unicodedata.category(c)[0] in "LMN"]
    return "".join(kept).replace(" ", "-")


_NO_DECOMPOSITION = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "ß": "ss", "ł": "l"})


def ascii_slug(text: str) -> str:
    """An id from a name: accents folded ("Zoë Martín" -> zoe-martin)."""
    folded = unicodedata.normalize("NFKD", text.translate(_NO_DECOMPOSITION)).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in folded.lower()).split())


class _Names:
    """Unique ids: a repeated name gets -2, -3..."""

    def __init__(self) -> None:
        self.used: dict[str, int] = {}

    def unique(self, base: str) -> str:
        n = self.used.get(base, 0) + 1
        self.used[base] = n
        return base if n == 1 else f"{base}-{n}"


def _place(rng: random.Random) -> str:
    return (rng.choice(PLACE_A) + rng.choice(PLACE_B)).capitalize()


def _name_for(rng: random.Random, level: int, parent: Node | None) -> tuple[str, str]:
    """(title, scale) for a new node at this level."""
    kind = LEVELS[level]
    if kind == "region":
        return f"{_place(rng)} Region", kind
    if kind == "city":
        return f"City of {_place(rng)}", kind
    if kind == "district":
        return f"{_place(rng)} District", kind
    if kind == "organization":
        if rng.random() < 0.15:
            return f"{_place(rng)} {rng.choice(NETWORK_KINDS)}", "network"
        return f"{_place(rng)} {rng.choice(ORG_KINDS)}", kind
    if kind == "team":
        return f"{parent.title.split()[0]} {rng.choice(TEAM_KINDS)}", kind
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}", kind


def _scale_factor(n_files: int) -> float:
    """The factor s such that fan-outs of s * FANOUT give about n_files nodes in all."""
    s = 0.3
    while True:
        total, width = 1.0, 1.0
        for base in FANOUT:
            width *= base * s
            total += width
        if total >= n_files:
            return s
        s += 0.02


def plan_tree(rng: random.Random, n_files: int) -> list[Node]:
    """Breadth-first, with a fan-out per level, up to exactly n_files nodes."""
    names = _Names()
    title, scale = _name_for(rng, 0, None)
    nodes = [Node(names.unique(ascii_slug(title)), title, scale, 0, None)]
    s = _scale_factor(n_files)
    queue, cursor = [nodes[0]], 0
    while len(nodes) < n_files:
        if cursor == len(queue):  # every node used: give more children to the inner ones
            queue, cursor = [n for n in nodes if n.level < len(LEVELS) - 1], 0
        parent = queue[cursor]
        cursor += 1
        mean = FANOUT[parent.level] * s
        k = int(rng.uniform(0.5, 1.5) * mean + rng.random())  # 0 is possible: not every team has people
        for _ in range(min(k, n_files - len(nodes))):
            title, scale = _name_for(rng, parent.level + 1, parent)
            child = Node(names.unique(ascii_slug(title)), title, scale, parent.level + 1, parent)
            parent.children.append(child)
            nodes.append(child)
            if child.level < len(LEVELS) - 1:
                queue.append(child)
    for node in nodes:
        folder = "" if node.parent is None else posixpath.join(posixpath.dirname(node.parent.path), node.parent.id)
        node.path = posixpath.join(folder, f"{node.id}.blueprint.md")
    return nodes


def _dates(rng: random.Random) -> list[str]:
    """2-6 timeslice dates in distinct ascending years, so any mix of forms stays in order."""
    years = sorted(rng.sample(range(2012, 2026), rng.randint(2, 6)))
    out = []
    for year in years:
        form = rng.choice(DATE_FORMS)
        if form == "year":
            out.append(f"{year}")
        elif form == "month":
            out.append(f"{year}-{rng.randint(1, 12):02d}")
        elif form == "day":
            out.append(f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
        else:
            out.append(f"{year}-Q{rng.randint(1, 4)}")
    return out


def plan_sections(rng: random.Random, node: Node, link_style: str) -> None:
    """Headings and anchors, de-duplicated as GitHub does (the title takes part)."""
    heads: list[tuple[int, str, str | None]] = [(2, "Vision", None)]
    for name in rng.sample(FREE_SECTIONS, rng.randint(3, 7)):
        explicit = EXPLICIT.get(name) if link_style == "wiki" and rng.random() < 0.5 else None
        heads.append((2, name, explicit))
        if rng.random() < 0.3:
            heads.append((3, rng.choice(SUBSECTIONS), None))
    for date in _dates(rng):
        heads.append((2, f"Timeslice {date}", None))
        if rng.random() < 0.4:
            heads.append((3, "Decisions", None))
    taken = {explicit for _, _, explicit in heads if explicit} | {slug(node.title)}
    for level, text, explicit in heads:
        anchor = explicit or _unique(slug(text), taken)
        written = f"{text} {{#{explicit}}}" if explicit else text
        node.sections.append((level, written, anchor))


def _unique(base: str, taken: set[str]) -> str:
    anchor, n = base, 0
    while anchor in taken:
        n += 1
        anchor = f"{base}-{n}"
    taken.add(anchor)
    return anchor


class Writer:
    """Writes one node's file: prose, lists and tables with links to planned targets."""

    def __init__(self, rng: random.Random, nodes: list[Node], link_style: str) -> None:
        self.rng = rng
        self.nodes = nodes
        self.style = link_style
        self.links = 0

    def sentence(self) -> str:
        rng = self.rng
        words = rng.choices(WORDS, k=rng.randint(8, 18))
        if rng.random() < 0.15:
            words[rng.randrange(len(words))] = rng.choice(ACCENTED)
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), rng.choice(("€", "")) + f"{rng.randint(2, 9_999):,}")
        text = " ".join(words)
        return text[0].upper() + text[1:] + rng.choice((".", ".", ".", ";", ":"))

    def link(self, node: Node) -> str:
        rng = self.rng
        target = self._target(node)
        anchor = None if rng.random() < 0.35 else rng.choice(target.sections)[2]
        if self.style == "markdown":
            return self._markdown_link(node, target, anchor)
        ref = ("" if target is node else target.id) + (f"#{anchor}" if anchor else "")
        ref = ref or target.id
        self.links += 1
        alias = f"|{target.title}" if rng.random() < 0.2 else ""
        return f"[[{ref}{alias}]]"

    def _markdown_link(self, node: Node, target: Node, anchor: str | None) -> str:
        self.links += 1
        frag = f"#{anchor}" if anchor else ""
        if target is node and anchor:
            return f"[{anchor.replace('-', ' ')}]({frag})"
        rel = posixpath.relpath(target.path, posixpath.dirname(node.path) or ".")
        return f"[{target.title}]({rel}{frag})"

    def _target(self, node: Node) -> Node:
        rng, roll = self.rng, self.rng.random()
        if roll < 0.3 and node.parent is not None:
            return node.parent
        if roll < 0.45 and node.children:
            return rng.choice(node.children)
        if roll < 0.6 and node.parent is not None:
            return rng.choice(node.parent.children)
        if roll < 0.7:
            return node
        return rng.choice(self.nodes)

    def paragraph(self, node: Node) -> str:
        parts = [self.sentence() for _ in range(self.rng.randint(1, 4))]
        if self.rng.random() < 0.5:
            parts.insert(self.rng.randrange(len(parts) + 1), f"See {self.link(node)}.")
        return " ".join(parts)

    def block(self, node: Node) -> str:
        """A paragraph, sometimes a list or a small table."""
        roll = self.rng.random()
        if roll < 0.12:
            return "\n".join(f"- {self.sentence()}" for _ in range(self.rng.randint(2, 5)))
        if roll < 0.17:
            rows = [f"| {self.rng.choice(WORDS)} | {self.rng.randint(1, 999)} | {self.rng.randint(2012, 2025)} |"
                    for _ in range(self.rng.randint(2, 4))]
            return "\n".join(["| Item | Amount | Year |", "|---|---|---|", *rows])
        return self.paragraph(node)


def _front_matter(node: Node, rng: random.Random) -> str:
    tags = ", ".join(sorted(rng.sample(WORDS[20:120], 2)))
    lines = ["---", f"id: {node.id}", f'title: "{node.title}"', f"scale: {node.scale}"]
    if node.parent is not None:
        lines.append(f"parent: {node.parent.id}")
    lines += [f"status: {rng.choice(('draft', 'active', 'active', 'archived'))}", f"tags: [{tags}]", "---"]
    return "\n".join(lines) + "\n"


def render(node: Node, writer: Writer, target_bytes: int) -> str:
    """The file's text: every section gets a block, then blocks go to random sections
    until the file reaches target_bytes (so the workspace lands near its budget)."""
    rng = writer.rng
    # A few synthesis targets (never the Vision), chosen before any prose so every
    # link counted is a link written.
    bodies: list[list[str]] = [
        [rng.choice(PLACEHOLDERS)] if i > 0 and rng.random() < 0.04 else [writer.block(node)]
        for i in range(len(node.sections))
    ]
    size = sum(len(b[0]) for b in bodies) + 60 * len(bodies) + 200
    while size < target_bytes:
        i = rng.randrange(len(bodies))
        if bodies[i][0] in PLACEHOLDERS:
            continue
        block = writer.block(node)
        bodies[i].append(block)
        size += len(block.encode("utf-8")) + 2
    out = [_front_matter(node, rng), f"# {node.title}\n"]
    for (level, text, _anchor), body in zip(node.sections, bodies):
        out.append(f"\n{'#' * level} {text}\n\n" + "\n\n".join(body) + "\n")
    return "".join(out)


def generate(root: Path, tokens: int = 1_000_000, seed: int = 0, link_style: str = "wiki") -> dict:
    """Write a valid workspace of about `tokens` tokens (bytes / 4) under root; return its counts."""
    if link_style not in ("wiki", "markdown"):
        raise ValueError(f"link_style must be 'wiki' or 'markdown', not {link_style!r}")
    rng = random.Random(seed)
    budget = max(tokens, 1) * 4
    nodes = plan_tree(rng, max(3, round(budget / AVG_FILE_BYTES)))
    for node in nodes:
        plan_sections(rng, node, link_style)
    writer = Writer(rng, nodes, link_style)
    written = 0
    for i, node in enumerate(nodes):
        target = (budget - written) / (len(nodes) - i) * rng.uniform(0.6, 1.4)
        data = render(node, writer, int(target)).encode("utf-8")
        path = root / node.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written += len(data)
    return {
        "files": len(nodes),
        "entities": len(nodes),
        "sections": sum(len(n.sections) for n in nodes),
        "links": writer.links,
        "bytes": written,
        "tokens": written // 4,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the workspace into")
    parser.add_argument("--tokens", type=int, default=1_000_000, help="approximate size in tokens (bytes / 4)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown-links", action="store_true", help="relative Markdown links, no {#anchor}s")
    args = parser.parse_args(argv)
    if args.tokens <= 0:
        parser.error("--tokens must be positive")
    counts = generate(args.out, args.tokens, args.seed, "markdown" if args.markdown_links else "wiki")
    json.dump(counts, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
