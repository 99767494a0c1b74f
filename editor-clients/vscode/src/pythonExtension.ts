// The Python extension's active interpreter, when that extension is installed and the
// interpreter can import clm_lsp. Any failure means "not found", never an error.
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';

interface PythonApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment(path: string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
  settings?: { getExecutionDetails(resource?: vscode.Uri): { execCommand?: string[] } };
}

export async function activeInterpreter(resource: vscode.Uri | undefined): Promise<string | undefined> {
  try {
    const ext = vscode.extensions.getExtension<PythonApi>('ms-python.python');
    if (!ext) {
      return undefined;
    }
    const api = ext.isActive ? ext.exports : await ext.activate();
    let python: string | undefined;
    const envPath = api?.environments?.getActiveEnvironmentPath(resource);
    if (envPath) {
      const env = await api.environments!.resolveEnvironment(envPath.path);
      python = env?.executable?.uri?.fsPath;
    }
    python ??= api?.settings?.getExecutionDetails(resource)?.execCommand?.[0];
    return python && (await canImportClm(python)) ? python : undefined;
  } catch {
    return undefined;
  }
}

/** The active interpreter is often a project venv without clm-lsp: then PATH is the better bet. */
function canImportClm(python: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(python, ['-c', 'import clm_lsp'], { timeout: 10000 }, (error) => resolve(!error));
  });
}
