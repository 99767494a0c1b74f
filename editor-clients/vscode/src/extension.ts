// Wiring only: build the objects, connect them, hand their disposal to VS Code.
import * as vscode from 'vscode';
import { ClmClient } from './client';
import { registerCommands } from './commands';
import { CONFIG_SECTION } from './constants';
import { needsRestart } from './settings';
import { StatusBar } from './statusBar';

let clm: ClmClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('clm', { log: true });
  clm = new ClmClient(output);
  const statusBar = new StatusBar();
  context.subscriptions.push(
    output,
    clm,
    statusBar,
    clm.onStatus((payload) => statusBar.show(payload)),
    ...registerCommands(clm, output),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration(CONFIG_SECTION)) {
        return;
      }
      const restart = needsRestart((section) => event.affectsConfiguration(section));
      void (restart ? clm?.restart() : clm?.settingsChanged());
    }),
  );
  await clm.start();
}

export async function deactivate(): Promise<void> {
  await clm?.stop();
  clm = undefined;
}
