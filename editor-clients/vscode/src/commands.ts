// The palette commands. Server commands get what they need from the cursor (the section's
// anchor, a view's label); the server opens context views itself.
import * as vscode from 'vscode';
import { ClmClient } from './client';
import { Commands, CONFIG_SECTION, POSITIONAL_SERVER_COMMANDS, SERVER_STATUS_COMMAND } from './constants';
import { contextOutcome, sectionAnchorAt, SymbolLike, viewLabelAt } from './cursorContext';
import { resultText } from './results';
import { StatusPayload, statusSummary } from './status';

export function registerCommands(clm: ClmClient, output: vscode.LogOutputChannel): vscode.Disposable[] {
  const disposables = [
    vscode.commands.registerCommand(Commands.restart, () => clm.restart()),
    vscode.commands.registerCommand(Commands.reindex, () => clm.execute(Commands.reindex)),
    vscode.commands.registerCommand(Commands.showStatus, () => showStatus(clm, output)),
  ];
  for (const name of POSITIONAL_SERVER_COMMANDS) {
    disposables.push(vscode.commands.registerCommand(name, (...given: unknown[]) => runAtCursor(clm, name, given)));
  }
  return disposables;
}

/** clm.showContext / clm.synthesizeSection for the section at the cursor, clm.zoomIn for
 *  the part at the cursor in a context view. The server opens its answer (showDocument).
 *  Invoked by a code action (the server's "Synthesize section with the local model"), the
 *  command comes with its own arguments [uri, anchor]: those name the section, not the cursor. */
async function runAtCursor(clm: ClmClient, command: string, given: readonly unknown[] = []): Promise<void> {
  let args: unknown[];
  if (given.length > 0) {
    args = [...given];
  } else {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage(`${command}: open a blueprint and put the cursor in a section first.`);
      return;
    }
    const found = await commandArguments(command, editor);
    if (typeof found === 'string') {
      void vscode.window.showInformationMessage(found);
      return;
    }
    args = found;
  }
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `clm: ${command}`, cancellable: false },
    () => clm.execute(command, args),
  );
  const outcome = contextOutcome(result);
  if (outcome.error) {
    void vscode.window.showWarningMessage(`clm: ${outcome.error}`);
  } else if (outcome.quiet) {
    return;
  } else if (outcome.open) {
    await vscode.window.showTextDocument(vscode.Uri.parse(outcome.open), { viewColumn: vscode.ViewColumn.Beside });
  } else if (result !== undefined && result !== null && !(result as { uri?: unknown }).uri) {
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: resultText(result) });
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true });
  }
}

/** The command's arguments, or a message saying what the cursor must be on. */
async function commandArguments(command: string, editor: vscode.TextEditor): Promise<unknown[] | string> {
  const doc = editor.document;
  const line = editor.selection.active.line;
  if (command === Commands.zoomIn) {
    const label = viewLabelAt(doc.getText().split(/\r?\n/), line);
    return label ? [doc.uri.toString(), label] : 'clm: Zoom In works in a context view: put the cursor in a summarised part.';
  }
  const symbols = await vscode.commands.executeCommand<SymbolLike[]>('vscode.executeDocumentSymbolProvider', doc.uri);
  const anchor = sectionAnchorAt(symbols, line);
  if (!anchor) {
    return `clm: put the cursor in a section of a blueprint for ${command}.`;
  }
  const budget = vscode.workspace.getConfiguration(CONFIG_SECTION).get<number | null>('context.budget');
  return typeof budget === 'number' ? [doc.uri.toString(), anchor, budget] : [doc.uri.toString(), anchor];
}

/** Ask the server when it has a status command, else show the last clm/status notification. */
async function showStatus(clm: ClmClient, output: vscode.LogOutputChannel): Promise<void> {
  let payload: StatusPayload | undefined = clm.lastStatus;
  if (clm.serverCommands.includes(SERVER_STATUS_COMMAND)) {
    payload = ((await clm.execute(SERVER_STATUS_COMMAND)) as StatusPayload | undefined) ?? payload;
  }
  output.appendLine(`clm status: ${JSON.stringify(payload, null, 2)}`);
  void vscode.window.showInformationMessage(statusSummary(payload));
}
