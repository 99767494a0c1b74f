// The requests of one benchmark run, identical for every server: which files are
// opened, where the cursor is for each request and what the right answer is all
// come from the workspace and the seed, never from the server under test.

import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { incomingCount, position, rng } from "./workspace.mjs";

const QUERIES = ["gov", "budget", "decisions", "timeslice 2021", "vision", "north", "team", "risks", "coop", "lessons"];
const BROKEN = "\nSee [gone](missing-file.blueprint.md#nowhere).\n";
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** Locations of any reply shape (Location, Location[], LocationLink[]) as [{path, line}]. */
function locations(reply) {
  const list = reply == null ? [] : Array.isArray(reply) ? reply : [reply];
  return list.map((l) => ({
    path: fileURLToPath(l.uri ?? l.targetUri),
    line: (l.range ?? l.targetSelectionRange ?? l.targetRange).start.line,
  }));
}

function countSymbols(symbols) {
  return (symbols ?? []).reduce((n, s) => n + 1 + countSymbols(s.children), 0);
}

async function timed(into, promise) {
  const t0 = performance.now();
  const reply = await promise;
  into.push(performance.now() - t0);
  return reply;
}

/** Open the chosen files as an editor does; return the plan of positions. */
function openFiles(connection, host, files, args, pick) {
  const opened = pick.sample([...files.values()], Math.min(args.open, files.size));
  for (const file of opened) {
    host.open.set(file.uri, { version: 1, text: file.text });
    connection.sendNotification("textDocument/didOpen", {
      textDocument: { uri: file.uri, languageId: "markdown", version: 1, text: file.text },
    });
  }
  const links = opened.flatMap((f) => f.links.filter((l) => l.fragment && l.targetLine >= 0 && l.targetPath !== f.path).map((l) => ({ file: f, link: l })));
  const heads = opened.flatMap((f) => f.headings.filter((h) => h.level >= 2).map((h) => ({ file: f, heading: h, expected: incomingCount(files, f.path, h.slug) })));
  // References are asked on headings that have incoming links, the case worth timing.
  const linked = heads.filter((h) => h.expected > 0);
  return { opened, links, heads, linkedHeads: linked.length ? linked : heads };
}

/** Time from `initialize` to the first reply, and to the first complete one, of references on a
 * well-linked heading: complete means every link of the workspace to it is in the answer. */
async function coldStart(connection, plan, started, timeoutS) {
  const probe = plan.heads.reduce((best, h) => (h.expected > (best?.expected ?? -1) ? h : best), null);
  const params = refParams(probe);
  const out = { expected: probe.expected, first_answer_ms: null, complete_ms: null, got: 0, polls: 0 };
  while (performance.now() - started < timeoutS * 1000) {
    const found = locations(await connection.sendRequest("textDocument/references", params));
    out.polls++;
    const now = performance.now() - started;
    out.first_answer_ms ??= now;
    out.got = found.filter((l) => !(l.path === probe.file.path && l.line === probe.heading.line)).length;
    if (out.got >= probe.expected) {
      out.complete_ms = now;
      break;
    }
    await sleep(10);
  }
  return out;
}

function refParams({ file, heading }) {
  return {
    textDocument: { uri: file.uri },
    position: { line: heading.line, character: heading.level + 2 },
    context: { includeDeclaration: true },
  };
}

async function navigation(connection, plan, pick, n, timings, checks) {
  checks.definition = { right: 0, of: 0 };
  checks.hover = { answered: 0, of: 0 };
  for (let i = 0; i < n; i++) {
    const { file, link } = pick.pick(plan.links);
    const params = { textDocument: { uri: file.uri }, position: position(file.text, link.offset + 1) };
    const hover = await timed(timings.hover, connection.sendRequest("textDocument/hover", params));
    const found = locations(await timed(timings.definition, connection.sendRequest("textDocument/definition", params)));
    checks.hover.of++;
    checks.hover.answered += hover ? 1 : 0;
    checks.definition.of++;
    checks.definition.right += found.some((l) => l.path === link.targetPath && l.line === link.targetLine) ? 1 : 0;
  }
  checks.references = { complete: 0, of: 0, expected_total: 0, got_total: 0 };
  for (let i = 0; i < Math.max(5, Math.floor(n / 3)); i++) {
    const h = pick.pick(plan.linkedHeads);
    const found = locations(await timed(timings.references, connection.sendRequest("textDocument/references", refParams(h))));
    const got = found.filter((l) => !(l.path === h.file.path && l.line === h.heading.line)).length;
    Object.assign(checks.references, {
      complete: checks.references.complete + (got >= h.expected ? 1 : 0), of: checks.references.of + 1,
      expected_total: checks.references.expected_total + h.expected, got_total: checks.references.got_total + got,
    });
  }
}

async function symbols(connection, plan, pick, n, timings, checks) {
  checks.documentSymbol = { symbols: 0, headings: 0 };
  for (let i = 0; i < Math.max(5, Math.floor(n / 3)); i++) {
    const file = pick.pick(plan.opened);
    const reply = await timed(timings.documentSymbol, connection.sendRequest("textDocument/documentSymbol", { textDocument: { uri: file.uri } }));
    checks.documentSymbol.symbols += countSymbols(reply);
    checks.documentSymbol.headings += file.headings.length;
  }
  checks.workspaceSymbol = { results: 0, queries: 0 };
  for (let i = 0; i < Math.max(5, Math.floor(n / 3)); i++) {
    const reply = await timed(timings.workspaceSymbol, connection.sendRequest("workspace/symbol", { query: pick.pick(QUERIES) }));
    checks.workspaceSymbol.results += (reply ?? []).length;
    checks.workspaceSymbol.queries++;
  }
}

/** didChange, then pull the file's diagnostics as VS Code does: add a broken link to a file,
 * then take it out again; both replies are timed and their sizes kept. */
async function diagnostics(connection, host, plan, pick, n, timings, checks) {
  checks.diagnostics = { with_broken_link: [], without: [] };
  for (let i = 0; i < Math.max(3, Math.floor(n / 6)); i++) {
    const file = pick.pick(plan.opened);
    for (const adding of [true, false]) {
      const doc = host.open.get(file.uri);
      const end = position(doc.text, doc.text.length);
      const range = adding ? { start: end, end } : { start: position(doc.text, doc.text.length - BROKEN.length), end };
      doc.text = adding ? doc.text + BROKEN : doc.text.slice(0, doc.text.length - BROKEN.length);
      doc.version++;
      const t0 = performance.now();
      connection.sendNotification("textDocument/didChange", {
        textDocument: { uri: file.uri, version: doc.version },
        contentChanges: [{ range, text: adding ? BROKEN : "" }],
      });
      const report = await connection.sendRequest("textDocument/diagnostic", { textDocument: { uri: file.uri } });
      timings.diagnostics.push(performance.now() - t0);
      checks.diagnostics[adding ? "with_broken_link" : "without"].push((report?.items ?? []).length);
    }
  }
}

/** The round trip of a request no server knows (answered MethodNotFound): the protocol's own
 * cost in each server, a floor under every other row. */
async function protocolFloor(connection, n, timings) {
  for (let i = 0; i < Math.max(5, Math.floor(n / 3)); i++) {
    const t0 = performance.now();
    await connection.sendRequest("bench/noop", {}).catch(() => null);
    timings.noop.push(performance.now() - t0);
  }
}

export async function runWorkload(connection, host, files, args, started) {
  const pick = rng(args.seed);
  const plan = openFiles(connection, host, files, args, pick);
  if (!plan.links.length || !plan.heads.length) throw new Error("the opened files have no cross-file links or headings");
  const cold = await coldStart(connection, plan, started, args.coldTimeoutS);
  const timings = { definition: [], references: [], hover: [], documentSymbol: [], workspaceSymbol: [], diagnostics: [], noop: [] };
  const checks = {};
  await protocolFloor(connection, args.samples, timings);
  await navigation(connection, plan, pick, args.samples, timings, checks);
  await symbols(connection, plan, pick, args.samples, timings, checks);
  await diagnostics(connection, host, plan, pick, args.samples, timings, checks);
  return { cold, timings, checks, opened: plan.opened.length };
}
