"""The one table of bench/compare.py: rows from its results, as text and as Markdown.

Each row: what was measured, clm-lsp's figure, the reference's (the peer server,
llama-cpp-python called directly, or a physical floor), their ratio, the target
and whether it was met. Targets are judged here and only reported.
"""

from __future__ import annotations

TARGET_TOKENS = 900_000
"""Targets are stated at 1M tokens: sizes from here up are judged."""
LABELS = {
    "cold": "cold: initialize -> complete references", "definition": "definition", "references": "references",
    "hover": "hover", "documentSymbol": "documentSymbol", "workspaceSymbol": "workspace/symbol",
    "diagnostics": "didChange -> diagnostics (pull)", "noop": "unknown request round trip",
}
FAST_OPS = ("definition", "references", "hover")


def _ms(t: dict) -> str:
    if not t or t.get("median") is None:
        return "-"
    if t.get("n") == 1:
        return f"{t['median']:.0f} ms"
    return f"{t['median']:.2f} / {t['p99']:.2f} ms"


def _row(section: str, measure: str, ours: str, ref: str = "-", ratio: str = "-", target: str = "",
         met: bool | None = None, note: str = "") -> dict:
    status = "" if met is None else ("met" if met else "MISSED")
    return {"section": section, "measure": measure, "ours": ours, "reference": ref, "ratio": ratio, "target": target,
            "status": status, "note": note}


def _answers(op: str, ours: dict, peer: dict) -> str:
    """What each server answered, from the client's checks against the workspace."""
    o, p = ours["checks"], peer["checks"]
    if op == "definition":
        return f"right target: ours {o['definition']['right']}/{o['definition']['of']}, peer {p['definition']['right']}/{p['definition']['of']}"
    if op == "hover":
        return f"non-empty: ours {o['hover']['answered']}/{o['hover']['of']}, peer {p['hover']['answered']}/{p['hover']['of']}"
    if op == "references":
        r, q = o["references"], p["references"]
        return f"links found: ours {r['got_total']}, peer {q['got_total']} of {r['expected_total']}"
    if op == "workspaceSymbol":
        a, b = o["workspaceSymbol"], p["workspaceSymbol"]
        return f"results per query: ours {a['results'] / a['queries']:.0f}, peer {b['results'] / b['queries']:.0f}"
    if op == "diagnostics":
        a, b = o["diagnostics"], p["diagnostics"]
        return f"items with/without a broken link: ours {a['with_broken_link'][0]}/{a['without'][0]}, peer {b['with_broken_link'][0]}/{b['without'][0]}"
    if op == "cold":
        return f"first (partial) answer: ours {ours['cold']['first_answer_ms']:.0f} ms, peer {peer['cold']['first_answer_ms']:.0f} ms"
    return ""


def _peer_rows(size: dict) -> list[dict]:
    tokens = size["tokens"]
    section = f"vs VS Code Markdown LS, {tokens // 1000:,}k tokens ({size['workspace']['files']} files)"
    judged = tokens >= TARGET_TOKENS
    out = []
    for op, label in LABELS.items():
        o, p, r = size["ours"]["timings"].get(op), size["peer"]["timings"].get(op), size["ratio"][op]
        ratio = "-" if r["median"] is None else f"{r['median']:.2f}x" + (f" / {r['p99']:.2f}x" if op != "cold" else "")
        target, met = "", None
        if op in FAST_OPS and judged:
            target, met = "<= 0.33x (3x faster)", r["median"] is not None and r["median"] <= 1 / 3
        out.append(_row(section, label, _ms(o), _ms(p), ratio, target, met, note=_answers(op, size["ours"], size["peer"])))
    m = size["memory"]
    met = m["ours_server"] < m["peer_total"] if judged else None
    out.append(_row(section, "peak RSS", f"{m['ours_server']:.0f} MB",
                    f"{m['peer_server']:.0f} + {m['peer_client_extra']:.0f} MB", f"{m['ours_server'] / m['peer_total']:.2f}x",
                    "lower than the peer" if judged else "", met, note="peer: server + what its client grew by"))
    out.append(_row(section, "CPU time of the whole run", f"{m['ours_cpu_s']:.1f} s", f"{m['peer_cpu_s']:.1f} s",
                    f"{m['ours_cpu_s'] / m['peer_cpu_s']:.2f}x" if m["peer_cpu_s"] else "-", note="server (+ the peer's client share)"))
    return out


def _parse_rows(p: dict) -> list[dict]:
    section = f"parse, {p['tokens'] // 1000:,}k tokens ({p['mb']:.1f} MB)"
    ours, floor = p["mb"] / p["parse_s"], p["mb"] / p["markdown_it_s"] if p.get("markdown_it_s") else None
    out = [_row(section, "parse rate", f"{ours:.2f} MB/s", f"{floor:.2f} MB/s" if floor else "-",
                f"{ours / floor:.2f}x" if floor else "-", note="reference: markdown-it-py's own parse of the same bytes"),
           _row(section, "parse + check rate", f"{p['mb'] / p['parse_check_s']:.2f} MB/s")]
    for name, (median, p95) in p["keystroke_ms"].items():
        out.append(_row(section, f"keystroke: {name}", f"{median:.2f} / {p95:.2f} ms", note="p50 / p95"))
    return out


def _index_rows(ix: dict) -> list[dict]:
    section = f"index pipeline, {ix['tokens'] // 1000:,}k tokens ({ix['counts']['chunks']} chunks)"
    judged = ix["tokens"] >= TARGET_TOKENS

    def split(step: dict) -> str:
        return ", ".join(f"{k[:-2]} {step[k]:.2f}" for k in ("walk_s", "parse_s", "graph_s", "embed_s", "vectors_s")) + " s"

    cold, same, edit = ix["cold"], ix["no_change"], ix["one_edit"]
    rate = cold["embedded"] / cold["embed_s"] if cold["embed_s"] else None
    return [
        _row(section, "cold index", f"{cold['wall_s']:.1f} s", note=split(cold)),
        _row(section, "no-change re-index after restart", f"{same['wall_s']:.2f} s",
             target="< 1 s" if judged else "", met=same["wall_s"] < 1 if judged else None, note=split(same)),
        _row(section, "one-section edit", f"{edit['wall_s']:.2f} s", note=split(edit)),
        _row(section, "embedding throughput", f"{rate:.0f} chunks/s" if rate else "-", note=ix["embedder"] or ""),
        _row(section, "peak RSS of the indexing process", f"{ix['peak_rss_mb']:.0f} MB"),
    ]


def _retrieval_rows(r: dict) -> list[dict]:
    section = f"retrieval, {r['workspace']} ({r['queries']} queries)"
    out = [_row(section, f"{mode} search", f"{s['recall@5']:.3f}, {s['mrr@10']:.3f}, {s['ms_per_query']:.1f} ms",
                note="recall@5, MRR@10, ms per query") for mode, s in r["modes"].items()]
    if r.get("embed"):
        out.append(_row(section, "embedding throughput", f"{r['embed']['chunks_per_s']:.0f} chunks/s",
                        note=f"{r['embedder']}, {r['embed']['embedded']} chunks"))
    return out


def _model_rows(m: dict) -> list[dict]:
    section = f"model {m['model']} ({m['model_bytes'] / 1e6:.0f} MB), {m['runs']} runs"
    gen, pp = m["generation_tps"], m["prompt_tps"]
    ratio = gen["ours"] / gen["direct"]
    return [
        _row(section, "generation (ref: llama-cpp-python direct)", f"{gen['ours']:.1f} t/s", f"{gen['direct']:.1f} t/s",
             f"{100 * ratio:.1f}%", ">= 95% of direct", ratio >= 0.95),
        _row(section, "prompt processing", f"{pp['ours']:.1f} t/s", f"{pp['direct']:.1f} t/s",
             f"{100 * pp['ours'] / pp['direct']:.1f}%", note=f"{m['prompt_tokens']}-token prompt"),
        _row(section, "generation vs memory floor", f"{gen['ours']:.1f} t/s", f"{m['floor_tps']:.0f} t/s",
             f"{100 * gen['ours'] / m['floor_tps']:.0f}%",
             note=f"floor: {m['bandwidth_gbs']:.1f} GB/s numpy copy bandwidth / {m['model_bytes'] / 1e6:.0f} MB read per token"),
    ]


def _summarise_rows(s: dict, results: dict) -> list[dict]:
    tokens = s["workspace"]["tokens"]
    section = f"summaries, {tokens // 1000:,}k tokens ({s['workspace']['files']} files)"
    done = (s.get("written") or 0) + (s.get("extractive") or 0)
    work_s = s["seconds"] - (s.get("load_s") or 0)
    per = work_s / done if done else None
    out = [_row(section, "clm-lsp summarize, cold", f"{done} in {s['seconds']:.0f} s", "-", "-",
                note=f"{per:.2f} s per summary, {s.get('tokens_per_s') or '-'} t/s, model load {s.get('load_s')} s,"
                     f" {s.get('extractive')} fell back to extractive" if per else "nothing summarised")]
    big = max(results["options"]["sizes"])
    if per and s.get("planned") and big > tokens:
        hours = s["planned"] / tokens * big * per / 3600
        out.append(_row(section, f"estimate for {big // 1000:,}k tokens", f"{hours:.1f} h", note="linear in size, from this run"))
    return out


def rows(results: dict) -> list[dict]:
    out: list[dict] = []
    builders = {"parse": _parse_rows, "index": _index_rows, "retrieval": _retrieval_rows, "model": _model_rows}
    for part in results["options"]["parts"]:
        got = results.get(part, {})
        if "error" in got or "skipped" in got:
            out.append(_row(part, "not measured", "-", note=got.get("error") or got.get("skipped")))
            continue
        try:
            if part == "peers":
                for size in got["sizes"]:
                    if "error" in size:
                        out.append(_row(f"vs VS Code Markdown LS, {size['tokens'] // 1000:,}k tokens", "not measured", "-",
                                        note=size["error"]))
                    else:
                        out.extend(_peer_rows(size))
            elif part == "summarise":
                out.extend(_summarise_rows(got, results))
            else:
                out.extend(builders[part](got))
        except (KeyError, TypeError, ZeroDivisionError) as exc:
            out.append(_row(part, "figures incomplete", f"{type(exc).__name__}: {exc}"))
    return out


COLUMNS = (("measure", "measure"), ("ours", "clm-lsp"), ("reference", "reference"), ("ratio", "ours/ref"),
           ("target", "target"), ("status", ""), ("note", "note"))


def text(table: list[dict]) -> str:
    widths = {k: max([len(title)] + [len(r[k]) for r in table]) for k, title in COLUMNS}
    lines, section = [], None
    for r in table:
        if r["section"] != section:
            section = r["section"]
            lines.append(f"\n== {section}")
            lines.append("  ".join(title.ljust(widths[k]) for k, title in COLUMNS).rstrip())
        lines.append("  ".join(r[k].ljust(widths[k]) for k, _ in COLUMNS).rstrip())
    return "\n".join(lines).lstrip("\n")


def markdown(results: dict, table: list[dict]) -> str:
    m = results["machine"]
    head = [
        "# clm-lsp benchmarks", "",
        f"Run {m['started']} on {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}; "
        f"Python {m['python']}, Node {m['node']}; commit {m['git_commit']}{' (with local changes)' if m['git_dirty'] else ''}.",
        f"Load average (1, 5, 15 min) at start {m['load_average_at_start']}, at end {m.get('load_average_at_end')}; "
        f"as each part began: {', '.join(f'{k} {v[0]}' for k, v in results.get('load_average', {}).items() if v) or '-'}.",
        f"Python packages: {', '.join(f'{k} {v}' for k, v in m['python_packages'].items())}.",
        f"Node packages: {', '.join(f'{k} {v}' for k, v in m['node_packages'].items())}.",
        "", "Times are p50 / p99 at the client; ratios are clm-lsp / reference (below 1: clm-lsp is faster).",
    ]
    keys = ("section", "measure", "ours", "reference", "ratio", "target", "status", "note")
    body: list[str] = []
    section = None
    for r in table:
        if r["section"] != section:
            section = r["section"]
            body += ["", f"## {_cell(section)}", "", "| measure | clm-lsp | reference | ours/ref | target | | note |",
                     "|---|---|---|---|---|---|---|"]
        body.append("| " + " | ".join(_cell(r[k]) for k in keys[1:]) + " |")
    return "\n".join(head + body) + "\n"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")
