// The benchmark's own reading of a generated workspace: files, headings with their
// GitHub slugs, and the relative Markdown links between them. It chooses the request
// positions (the same for every server) and knows the right answers, so each
// server's replies can be checked, not only timed.

import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const LINK = /\[([^\]\n]*)\]\(([^)\s]+)\)/g;
const HEADING = /^(#{1,6}) (.+)$/;

/** A seeded generator (mulberry32): the same seed gives the same plan for both servers. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    sample: (xs, k) => {
      const copy = xs.slice();
      for (let i = copy.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [copy[i], copy[j]] = [copy[j], copy[i]];
      }
      return copy.slice(0, k);
    },
  };
}

/** GitHub's heading slug, as the generator and VS Code's githubSlugifier write it. */
export function slug(text) {
  return Array.from(text.trim().toLowerCase())
    .filter((c) => /[\p{L}\p{M}\p{N} _-]/u.test(c))
    .join("")
    .replace(/ /g, "-");
}

/** Every `*.md` file under root, as VS Code's findFiles would list them (no dot folders, no node_modules). */
export function markdownFiles(root) {
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith(".md")) out.push(path);
    }
  };
  walk(root);
  return out.sort();
}

export const uriOf = (path) => pathToFileURL(path).href;

/** Line and UTF-16 column of an offset: JS strings are UTF-16, like LSP's default encoding. */
export function position(text, offset) {
  let line = 0;
  let start = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, character: offset - start };
}

function frontMatterEnd(lines) {
  if (lines[0] !== "---") return 0;
  const close = lines.indexOf("---", 1);
  return close === -1 ? 0 : close + 1;
}

/** Headings of one file in order, slugs de-duplicated with -1, -2 as GitHub does. */
function headings(text) {
  const lines = text.split("\n");
  const taken = new Map();
  const out = [];
  for (let i = frontMatterEnd(lines); i < lines.length; i++) {
    const m = HEADING.exec(lines[i]);
    if (!m) continue;
    const base = slug(m[2]);
    const n = taken.get(base) ?? 0;
    taken.set(base, n + 1);
    out.push({ line: i, level: m[1].length, text: m[2], slug: n === 0 ? base : `${base}-${n}` });
  }
  return out;
}

/** The workspace: path -> {uri, text, headings, links}; each link resolved to {path, line}. */
export function readWorkspace(root) {
  const files = new Map();
  for (const path of markdownFiles(resolve(root))) {
    const text = readFileSync(path, "utf8");
    files.set(path, { path, uri: uriOf(path), text, headings: headings(text), links: [] });
  }
  for (const file of files.values()) {
    for (const m of file.text.matchAll(LINK)) {
      const href = m[2];
      const hash = href.indexOf("#");
      const rel = decodeURIComponent(hash === -1 ? href : href.slice(0, hash));
      const fragment = hash === -1 ? null : href.slice(hash + 1);
      const targetPath = rel ? resolve(dirname(file.path), rel) : file.path;
      const target = files.get(targetPath);
      const heading = target && fragment ? target.headings.find((h) => h.slug === fragment) : null;
      const hrefStart = m.index + m[1].length + 3; // after "[text]("
      file.links.push({
        offset: hrefStart, href, fragment, targetPath,
        targetLine: heading ? heading.line : fragment ? -1 : 0,
      });
    }
  }
  return files;
}

/** How many links of the whole workspace point at (path, slug): the full answer to references. */
export function incomingCount(files, path, headingSlug) {
  let n = 0;
  for (const file of files.values()) {
    for (const link of file.links) {
      if (link.targetPath === path && link.fragment === headingSlug) n++;
    }
  }
  return n;
}
