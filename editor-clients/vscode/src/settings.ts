// What the server is told about the user's `clm` settings. Pure: no 'vscode' import.
import { SERVER_SETTING_KEYS } from './constants';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Keep the keys the server reads, dropping nulls (null = "let the server decide"), so
 *  an unset optional setting never overrides the server's default. */
export function serverSettings(all: Record<string, unknown> | undefined, known: readonly string[] = SERVER_SETTING_KEYS): Record<string, Json> {
  const out: Record<string, Json> = {};
  if (!all || typeof all !== 'object') {
    return out;
  }
  for (const key of known) {
    const value = dropNulls(all[key]);
    if (value !== undefined) {
      out[key] = value;
    }
  }
  return out;
}

function dropNulls(value: unknown): Json | undefined {
  if (value === null || value === undefined || typeof value === 'function') {
    return undefined;
  }
  if (Array.isArray(value)) {
    return value.map((v) => dropNulls(v) ?? null);
  }
  if (typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const kept = dropNulls(v);
      if (kept !== undefined) {
        out[k] = kept;
      }
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return value as Json;
}

/** True when a change to these settings needs a new server process rather than a refresh. */
export function needsRestart(changed: (section: string) => boolean): boolean {
  return changed('clm.server');
}
