// The status bar's words for a clm/status payload (server/status.py). Pure.

export interface StatusPayload {
  state?: string;
  documents?: number;
  entities?: number;
  sections?: number;
  links?: number;
  problems?: Record<string, number>;
  index?: { state?: string; [key: string]: unknown };
  model?: { state?: string; summaries?: string; [key: string]: unknown };
  failedTasks?: unknown;
  [key: string]: unknown;
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** 'error' when the server or a part of it failed, so the item can be coloured. */
  level: 'ok' | 'busy' | 'error';
}

const BUSY = new Set(['starting', 'scanning', 'indexing', 'loading', 'building']);

export function statusView(p: StatusPayload | undefined): StatusView {
  if (!p || typeof p !== 'object') {
    return { text: '$(sync~spin) clm', tooltip: 'clm: waiting for the server', level: 'busy' };
  }
  const state = String(p.state ?? 'unknown');
  const index = p.index?.state ? String(p.index.state) : 'off';
  const model = p.model?.state ? String(p.model.state) : 'none';
  const errors = p.problems?.error ?? 0;
  const failed = Array.isArray(p.failedTasks) ? p.failedTasks.length : Number(p.failedTasks ?? 0) || 0;
  const level: StatusView['level'] = state === 'error' || failed > 0 ? 'error' : BUSY.has(state) || BUSY.has(index) ? 'busy' : 'ok';
  const icon = level === 'busy' ? '$(sync~spin)' : level === 'error' ? '$(error)' : '$(book)';
  const text = `${icon} clm: ${state} · ${p.entities ?? 0} entities` + (errors > 0 ? ` · ${errors} errors` : '');
  const tooltip = [
    `clm ${state}`,
    `${p.documents ?? 0} documents, ${p.entities ?? 0} entities, ${p.sections ?? 0} sections, ${p.links ?? 0} links`,
    `problems: ${formatProblems(p.problems)}`,
    `index: ${index}`,
    `model: ${model}` + (p.model?.summaries ? ` (summaries: ${p.model.summaries})` : ''),
    failed > 0 ? `${failed} background task(s) failed: see the clm output channel` : '',
  ].filter((line) => line !== '').join('\n');
  return { text, tooltip, level };
}

function formatProblems(problems: Record<string, number> | undefined): string {
  if (!problems) {
    return 'none';
  }
  const parts = Object.entries(problems).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/** One line for a notification toast ("clm: Show Status"). */
export function statusSummary(p: StatusPayload | undefined): string {
  if (!p) {
    return 'clm: the server has not reported its status yet';
  }
  return statusView(p).tooltip.split('\n').join(' · ');
}
