// How to start the server. Pure: the caller passes what it found (settings, the Python
// extension's interpreter, PATH lookups), so every rule is unit-tested without VS Code.

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where the choice came from, for the output channel and the status tooltip. */
  source: 'setting clm.server.command' | 'setting clm.server.python' | 'Python extension' | 'PATH';
}

export interface Found {
  /** clm.server.command: the full argv, used as is. */
  serverCommand?: readonly string[];
  /** clm.server.python. */
  python?: string;
  /** The Python extension's active interpreter, if it can import clm_lsp. */
  activeInterpreter?: string;
  /** `clm-lsp` found on PATH (absolute path), if any. */
  onPath?: string;
}

/** Explicit settings win (the user said so), then the Python extension's interpreter,
 *  then `clm-lsp` on PATH. Returns an error message instead when nothing is usable. */
export function resolveServerCommand(found: Found): ServerCommand | { error: string } {
  const argv = (found.serverCommand ?? []).filter((part) => part.trim() !== '');
  if (argv.length > 0) {
    return { command: argv[0], args: argv.slice(1), source: 'setting clm.server.command' };
  }
  if (found.python && found.python.trim() !== '') {
    return { command: found.python.trim(), args: ['-m', 'clm_lsp', 'serve'], source: 'setting clm.server.python' };
  }
  if (found.activeInterpreter) {
    return { command: found.activeInterpreter, args: ['-m', 'clm_lsp', 'serve'], source: 'Python extension' };
  }
  if (found.onPath) {
    return { command: found.onPath, args: ['serve'], source: 'PATH' };
  }
  return {
    error:
      'clm-lsp was not found: install it (pip install clm-lsp) into the active Python interpreter, ' +
      'or put clm-lsp on PATH, or set clm.server.python / clm.server.command.',
  };
}

/** Find an executable on a PATH string (no shell, no spawning). `exists` is injected for tests. */
export function whichOnPath(name: string, pathVar: string | undefined, sep: string, exists: (p: string) => boolean, exts: readonly string[] = ['']): string | undefined {
  for (const dir of (pathVar ?? '').split(sep)) {
    if (!dir) {
      continue;
    }
    for (const ext of exts) {
      const candidate = `${dir.replace(/[\\/]+$/, '')}/${name}${ext}`;
      if (exists(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}
