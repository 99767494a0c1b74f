"""clm-lsp side by side with VS Code's Markdown language server, driven by one Node client.

bench/peers/client.mjs starts a server over stdio, answers the Markdown server's
client requests the way VS Code does (markdown-it tokens, file system, file
lists, watchers), and sends the same requests at the same positions to each
server. This module generates the workspace (relative Markdown links, so both
servers resolve the same links), runs the client once per server and reduces
the raw timings to medians, p99 and ratios.

    python bench/peer_compare.py [--tokens 100000] [--samples 100] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PEERS = REPO / "bench" / "peers"
CLIENT = PEERS / "client.mjs"
OURS_CMD = REPO / ".venv" / "bin" / "clm-lsp"
OPS = ("cold", "definition", "references", "hover", "documentSymbol", "workspaceSymbol", "diagnostics", "noop")
"""Rows in table order; `cold` is one sample per run, the others many."""

sys.path.insert(0, str(REPO / "bench"))


def missing_tools() -> str | None:
    """Why the peer comparison cannot run here, or None."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node and npm are needed for the peer comparison (Node 20 or newer)"
    if not (PEERS / "node_modules" / "vscode-markdown-languageserver").is_dir():
        return "bench/peers/node_modules is missing: run scripts/setup-bench-peers.sh"
    return None


def run_client(server: str, root: Path, samples: int, seed: int = 0, open_files: int = 20,
               timeout_s: float = 1800, ours_cmd: Path = OURS_CMD) -> dict:
    """One run of the Node client against `server` ("peer" or "ours"): its JSON result."""
    argv = ["node", str(CLIENT), "--server", server, "--root", str(root), "--samples", str(samples),
            "--seed", str(seed), "--open", str(open_files), "--ours-cmd", str(ours_cmd),
            "--cold-timeout-s", str(int(timeout_s))]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s + 60, cwd=PEERS)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"bench client for {server} printed no result (exit {done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(lines[-1])
    if result.get("error"):
        raise RuntimeError(f"bench client for {server}: {result['error'][-2000:]}")
    return result


def stats(samples: list[float]) -> dict:
    """n, median, p99 (nearest rank), mean and max, in ms."""
    if not samples:
        return {"n": 0, "median": None, "p99": None, "mean": None, "max": None}
    ordered = sorted(samples)
    p99 = ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]
    return {"n": len(ordered), "median": statistics.median(ordered), "p99": p99,
            "mean": statistics.fmean(ordered), "max": ordered[-1]}


def merge(raws: list[dict]) -> dict:
    """Several runs against one server as one: samples pooled, cold start and CPU averaged,
    peak RSS the highest, the answers' checks from the first run (every run asks the same)."""
    first = raws[0]
    if len(raws) == 1:
        return first
    cold = dict(first["cold"])
    for key in ("first_answer_ms", "complete_ms"):
        values = [r["cold"][key] for r in raws]
        cold[key] = None if None in values else statistics.fmean(values)
    cold["runs"] = [r["cold"] for r in raws]

    def process(name: str) -> dict:
        procs = [r[name] for r in raws]
        rss = [p["peak_rss_mb"] for p in procs if p.get("peak_rss_mb") is not None]
        cpu = [p["cpu_s"] for p in procs if p.get("cpu_s") is not None]
        return {**procs[0], "peak_rss_mb": max(rss) if rss else None, "cpu_s": statistics.fmean(cpu) if cpu else None}

    return {**first, "cold": cold, "timings": {op: [x for r in raws for x in r["timings"][op]] for op in first["timings"]},
            "server_process": process("server_process"), "client_process": process("client_process")}


def reduce(raw: dict) -> dict:
    """A client result without the raw samples: stats per request, answers, processes."""
    timings = {op: stats(values) for op, values in raw["timings"].items()}
    cold = raw["cold"]
    timings["cold"] = {"n": 1, "median": cold["complete_ms"], "p99": cold["complete_ms"],
                       "first_answer_ms": cold["first_answer_ms"], "polls": cold["polls"]}
    return {
        "command": raw["command"], "timings": timings, "checks": raw["checks"], "cold": cold,
        "server_process": raw["server_process"], "client_process": raw["client_process"],
        "host_requests": raw["host_requests"], "opened": raw["opened"],
    }


def ratios(ours: dict, peer: dict) -> dict:
    """clm-lsp / peer for each row's median and p99 (below 1: clm-lsp is faster)."""
    out = {}
    for op in OPS:
        a, b = ours["timings"].get(op, {}), peer["timings"].get(op, {})
        out[op] = {k: (a[k] / b[k] if a.get(k) and b.get(k) else None) for k in ("median", "p99")}
    return out


def memory(ours: dict, peer: dict) -> dict:
    """Peak RSS in MB. The peer's share of the client is what the client grew by when it served
    the peer (markdown-it parses, file reads) beyond the same run against clm-lsp."""
    client_extra = max(0.0, peer["client_process"]["peak_rss_mb"] - ours["client_process"]["peak_rss_mb"])
    peer_server = peer["server_process"]["peak_rss_mb"] or 0.0
    return {
        "ours_server": ours["server_process"]["peak_rss_mb"],
        "peer_server": peer_server,
        "peer_client_extra": client_extra,
        "peer_total": peer_server + client_extra,
        "ours_cpu_s": ours["server_process"]["cpu_s"],
        "peer_cpu_s": (peer["server_process"]["cpu_s"] or 0.0)
        + max(0.0, peer["client_process"]["cpu_s"] - ours["client_process"]["cpu_s"]),
    }


def compare(tokens: int, samples: int, seed: int = 0, rounds: int = 2, log=print) -> dict:
    """Generate a ~`tokens` workspace with Markdown links and run both servers on it, in the
    order peer, ours, ours, peer, ... so that a change in the machine's load mid-way is shared."""
    from gen_workspace import generate

    runs: dict[str, list[dict]] = {"peer": [], "ours": []}
    order = [("peer", "ours") if i % 2 == 0 else ("ours", "peer") for i in range(rounds)]
    with tempfile.TemporaryDirectory(prefix="clm-bench-peers-") as tmp:
        root = Path(tmp) / "ws"
        counts = generate(root, tokens, seed, link_style="markdown")
        log(f"  {tokens:>9,} tokens: {counts['files']} files, {counts['links']} links; {rounds} round(s)")
        for pair in order:
            for server in pair:
                runs[server].append(run_client(server, root, samples, seed))
    peer, ours = reduce(merge(runs["peer"])), reduce(merge(runs["ours"]))
    return {"tokens": tokens, "workspace": counts, "samples": samples, "rounds": rounds, "ours": ours, "peer": peer,
            "ratio": ratios(ours, peer), "memory": memory(ours, peer)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=2, help="runs per server, alternating")
    args = parser.parse_args(argv)
    reason = missing_tools()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    result = compare(args.tokens, args.samples, args.seed, args.rounds)
    for op in OPS:
        o, p, r = result["ours"]["timings"][op], result["peer"]["timings"][op], result["ratio"][op]["median"]
        print(f"{op:<16} ours p50 {o['median']:8.2f} p99 {o['p99']:8.2f}   peer p50 {p['median']:8.2f} p99 {p['p99']:8.2f}"
              f"   ours/peer {r:5.2f}" if r else f"{op:<16} (no figure)")
    m = result["memory"]
    print(f"peak RSS MB: ours {m['ours_server']:.0f}; peer {m['peer_server']:.0f} + client {m['peer_client_extra']:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
