// What the server's context commands take from the cursor (server/features/context.py):
// clm.showContext / clm.synthesizeSection: [uri, anchor, budget?] for the section the cursor
// is in; clm.zoomIn: [view uri, label] for the label line at or above the cursor in a
// context view. Pure: symbols come from textDocument/documentSymbol.

export interface SymbolLike {
  detail?: string;
  range: { start: { line: number }; end: { line: number } };
  children?: readonly SymbolLike[];
}

/** The anchor of the innermost section containing `line` (the server's section symbols
 *  carry "#anchor" as their detail); undefined above the first section. */
export function sectionAnchorAt(symbols: readonly SymbolLike[] | undefined, line: number): string | undefined {
  let found: string | undefined;
  let level: readonly SymbolLike[] | undefined = symbols;
  while (level && level.length > 0) {
    const hit: SymbolLike | undefined = level.find((s) => s.range.start.line <= line && line <= s.range.end.line);
    if (!hit) {
      break;
    }
    if (hit.detail?.startsWith('#')) {
      found = hit.detail.slice(1);
    }
    level = hit.children;
  }
  return found;
}

/** Same pattern as clm_lsp/context/render.py LABEL_RE. */
const LABEL = /^\[§([^\]#\s]+)(?:#([^\]\s]+))?\]/;

/** The label ("§entity#anchor") of the part the cursor is in, in a context view. */
export function viewLabelAt(lines: readonly string[], line: number): string | undefined {
  for (let i = Math.min(line, lines.length - 1); i >= 0; i--) {
    const m = LABEL.exec(lines[i]);
    if (m) {
      return `§${m[1]}` + (m[2] ? `#${m[2]}` : '');
    }
    if (lines[i].startsWith('<!-- clm-context')) {
      break;
    }
  }
  return undefined;
}

/** What a context command answered: a message to show, or a document to open; `quiet` when
 *  there is nothing more to show (clm.synthesizeSection applied its edit to the document). */
export function contextOutcome(result: unknown): { error?: string; open?: string; quiet?: boolean } {
  if (!result || typeof result !== 'object') {
    return {};
  }
  const r = result as { error?: unknown; uri?: unknown; shown?: unknown; applied?: unknown };
  if (typeof r.error === 'string') {
    return { error: r.error };
  }
  if (r.applied === true) {
    return { quiet: true };
  }
  return typeof r.uri === 'string' && r.shown !== true ? { open: r.uri } : {};
}
