// The status-bar item: index and model state from clm/status; click = clm: Show Status.
import * as vscode from 'vscode';
import { Commands } from './constants';
import { StatusPayload, statusView } from './status';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('clm.status', vscode.StatusBarAlignment.Left, 10);

  constructor() {
    this.item.name = 'clm';
    this.item.command = Commands.showStatus;
    this.show(undefined);
    this.item.show();
  }

  show(payload: StatusPayload | undefined): void {
    const view = statusView(payload);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.level === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
