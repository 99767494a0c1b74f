// What VS Code's Markdown extension does for its language server, in the client:
// it parses with its own markdown-it (`markdown/parse`), reads the file system
// (`markdown/fs/*`), lists the workspace's Markdown files and keeps file watchers.
// Modelled on extensions/markdown-language-features/src/client/client.ts in
// microsoft/vscode. A server that never sends these (clm-lsp) never reaches them.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import MarkdownIt from "markdown-it";
import { markdownFiles, uriOf } from "./workspace.mjs";

// VS Code strips front matter before parsing and shifts the line maps back.
const FRONT_MATTER = /^---\s*[^]*?(-{3}|\.{3})\s*/;

export class VsCodeHost {
  constructor(root, settings) {
    this.root = root;
    this.settings = settings;
    this.open = new Map(); // uri -> {version, text}: the editor's buffers
    this.md = MarkdownIt({ html: true, linkify: true });
    this.cache = null; // {uri, key, tokens}: VS Code's TokenCache keeps the last parse only
    this.watchers = new Map();
    this.counts = { parse: 0, parseCached: 0, readFile: 0, stat: 0, readDirectory: 0, findFiles: 0, watchers: 0 };
  }

  /** Register every request a server may send the client. */
  attach(connection) {
    connection.onRequest("markdown/parse", (p) => this.parse(p));
    connection.onRequest("markdown/fs/readFile", (p) => this.readFile(p.uri));
    connection.onRequest("markdown/fs/stat", (p) => this.stat(p.uri));
    connection.onRequest("markdown/fs/readDirectory", (p) => this.readDirectory(p.uri));
    connection.onRequest("markdown/findMarkdownFilesInWorkspace", () => {
      this.counts.findFiles++;
      return markdownFiles(this.root).map(uriOf);
    });
    connection.onRequest("markdown/fs/watcher/create", (p) => {
      // No file changes on disk during a run: the watcher is only recorded.
      this.counts.watchers++;
      this.watchers.set(p.id, p.uri);
      return null;
    });
    connection.onRequest("markdown/fs/watcher/delete", (p) => {
      this.watchers.delete(p.id);
      return null;
    });
    connection.onRequest("workspace/configuration", (p) => p.items.map((item) => this.section(item.section)));
    // client/registerCapability, window/workDoneProgress/create, */refresh ...: accepted.
    connection.onRequest(() => null);
  }

  section(name) {
    if (!name) return this.settings;
    return name.split(".").reduce((node, key) => (node == null ? null : node[key] ?? null), this.settings);
  }

  parse({ uri, text }) {
    const doc = this.open.get(uri);
    let source = text;
    let key = null;
    if (source === undefined && doc) {
      source = doc.text;
      key = `v${doc.version}`;
    } else if (source === undefined) {
      try {
        const path = fileURLToPath(uri);
        key = `m${statSync(path).mtimeMs}`;
        if (this.cached(uri, key)) return this.cache.tokens;
        source = readFileSync(path, "utf8");
      } catch {
        return [];
      }
    }
    if (key && this.cached(uri, key)) return this.cache.tokens;
    this.counts.parse++;
    const tokens = this.tokenize(source);
    if (key) this.cache = { uri, key, tokens };
    return tokens;
  }

  cached(uri, key) {
    const hit = this.cache !== null && this.cache.uri === uri && this.cache.key === key;
    if (hit) this.counts.parseCached++;
    return hit;
  }

  tokenize(source) {
    let offset = 0;
    const m = FRONT_MATTER.exec(source);
    if (m) {
      offset = m[0].split(/\r\n|\n|\r/g).length - 1;
      source = source.slice(m[0].length);
    }
    const tokens = this.md.parse(source, {});
    if (offset) {
      for (const token of tokens) {
        if (token.map) token.map = [token.map[0] + offset, token.map[1] + offset];
      }
    }
    return tokens;
  }

  readFile(uri) {
    this.counts.readFile++;
    // VS Code answers with the bytes as a JSON array of numbers.
    return Array.from(readFileSync(fileURLToPath(uri)));
  }

  stat(uri) {
    this.counts.stat++;
    try {
      return { isDirectory: statSync(fileURLToPath(uri)).isDirectory() };
    } catch {
      return null;
    }
  }

  readDirectory(uri) {
    this.counts.readDirectory++;
    return readdirSync(fileURLToPath(uri), { withFileTypes: true }).map((e) => [e.name, { isDirectory: e.isDirectory() }]);
  }
}
