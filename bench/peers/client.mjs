// One editor-like client for both servers, so that the comparison is fair: the same
// initialize, the same settings, the same requests at the same positions, timed the
// same way (request sent -> response read, in this process).
//
//   node client.mjs --server peer|ours --root DIR [--samples 100] [--seed 0]
//                   [--open 20] [--ours-cmd .venv/bin/clm-lsp] [--cold-timeout-s 900]
//
// Prints one JSON object: raw timings in ms per request kind, what each answer was
// (checked against the workspace), peak RSS and CPU time of server and client.
// bench/compare.py turns it into medians, p99 and ratios.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node.js";
import { VsCodeHost } from "./host.mjs";
import { readWorkspace, uriOf } from "./workspace.mjs";
import { runWorkload } from "./workload.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const PEER = join(HERE, "node_modules", "vscode-markdown-languageserver", "dist", "node", "workerMain.js");

/** Settings as a user who turned link validation on would have them; both servers get all of it. */
const SETTINGS = {
  markdown: {
    server: { log: "off" },
    preferredMdPathExtensionStyle: "auto",
    suggest: { paths: { enabled: true, includeWorkspaceHeaderCompletions: "never" } },
    occurrencesHighlight: { enabled: false },
    validate: {
      enabled: true,
      referenceLinks: { enabled: "warning" },
      fragmentLinks: { enabled: "warning" },
      fileLinks: { enabled: "warning", markdownFragmentLinks: "inherit" },
      ignoredLinks: [],
      unusedLinkDefinitions: { enabled: "hint" },
      duplicateLinkDefinitions: { enabled: "warning" },
    },
  },
  // Like for like: the peer has no persistent index and no model, so neither does clm-lsp here.
  clm: { index: { enable: false }, summaries: { enable: false } },
};

const CAPABILITIES = {
  general: { positionEncodings: ["utf-16"] },
  window: { workDoneProgress: true },
  workspace: {
    configuration: true,
    workspaceFolders: true,
    didChangeConfiguration: { dynamicRegistration: true },
    didChangeWatchedFiles: { dynamicRegistration: true },
    diagnostics: { refreshSupport: true },
    symbol: { dynamicRegistration: false },
  },
  textDocument: {
    synchronization: { dynamicRegistration: false, didSave: true },
    hover: { contentFormat: ["markdown", "plaintext"] },
    definition: { linkSupport: false },
    references: {},
    documentSymbol: { hierarchicalDocumentSymbolSupport: true },
    // VS Code pulls diagnostics after each change (diagnosticPullOptions.onChange).
    diagnostic: { dynamicRegistration: true, relatedDocumentSupport: false },
    publishDiagnostics: { versionSupport: true },
  },
};

function parseArgs(argv) {
  const args = { server: "ours", root: null, samples: 100, seed: 0, open: 20, oursCmd: null, coldTimeoutS: 900 };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, "").replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in args)) throw new Error(`unknown option ${argv[i]}`);
    const value = argv[++i];
    args[key] = typeof args[key] === "number" ? Number(value) : value;
  }
  if (!args.root) throw new Error("--root DIR is required");
  if (!["peer", "ours"].includes(args.server)) throw new Error("--server must be peer or ours");
  args.root = resolve(args.root);
  args.oursCmd ??= resolve(HERE, "..", "..", ".venv", "bin", "clm-lsp");
  return args;
}

function serverCommand(args) {
  if (args.server === "peer") return [process.execPath, [PEER, "--stdio"]];
  return [args.oursCmd, ["serve"]];
}

/** Peak RSS (VmHWM) and CPU seconds of a process still running, from /proc. */
function procFigures(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, USER_HZ = 100 on Linux
    return { peak_rss_mb: hwm ? Number(hwm[1]) / 1024 : null, cpu_s: ticks / 100 };
  } catch {
    return { peak_rss_mb: null, cpu_s: null };
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const clientBaselineMb = process.memoryUsage().rss / 2 ** 20;
  const cpuBefore = process.cpuUsage();
  const files = readWorkspace(args.root);
  const host = new VsCodeHost(args.root, SETTINGS);
  const [command, argv] = serverCommand(args);
  const child = spawn(command, argv, { stdio: ["pipe", "pipe", "pipe"] });
  let stderrTail = "";
  child.stderr.on("data", (d) => { stderrTail = (stderrTail + d).slice(-4000); });
  let finished = false;
  const exited = new Promise((done) => {
    child.on("exit", (code, signal) => {
      // A server that dies mid-run must not leave requests waiting forever: disposing rejects them.
      if (!finished) connection.dispose();
      done({ code, signal });
    });
    child.on("error", (err) => {
      stderrTail += `\nserver did not start: ${err.message}`;
      if (!finished) connection.dispose();
      done({ code: null, signal: null, error: err.code });
    });
  });
  // Writing to a server that has gone fails asynchronously: report it in the result, never crash.
  child.stdin.on("error", (err) => { stderrTail += `\nserver input closed: ${err.code ?? err.message}`; });
  process.on("unhandledRejection", (err) => { stderrTail += `\n${err?.code ?? err}`; });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  host.attach(connection);
  connection.onNotification(() => {}); // logs, progress, status: not measured
  connection.listen();

  const rootUri = uriOf(args.root);
  const started = performance.now();
  const result = { server: args.server, command: [command, ...argv].join(" "), workspace: { files: files.size } };
  try {
    const init = await connection.sendRequest("initialize", {
      processId: process.pid, rootUri, capabilities: CAPABILITIES,
      workspaceFolders: [{ uri: rootUri, name: "bench" }],
      initializationOptions: { markdownFileExtensions: ["md"], clm: SETTINGS.clm },
      clientInfo: { name: "clm-bench", version: "1" },
    });
    result.server_info = init.serverInfo ?? null;
    connection.sendNotification("initialized", {});
    connection.sendNotification("workspace/didChangeConfiguration", { settings: SETTINGS });
    Object.assign(result, await runWorkload(connection, host, files, args, started));
    result.server_process = procFigures(child.pid);
    finished = true;
    await connection.sendRequest("shutdown");
    connection.sendNotification("exit");
  } catch (err) {
    result.error = `${err.message ?? err}\n${stderrTail}`;
    finished = true;
    child.kill("SIGKILL");
  }
  const cpu = process.cpuUsage(cpuBefore);
  result.client_process = {
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    baseline_rss_mb: clientBaselineMb,
    cpu_s: (cpu.user + cpu.system) / 1e6,
  };
  result.host_requests = host.counts;
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  result.exit = await exited;
  clearTimeout(timer);
  connection.dispose();
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exitCode = result.error ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exitCode = 2;
});
