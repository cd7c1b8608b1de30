// The language status item (`{}` in the status bar next to the language mode): whether Loopguard
// analysed the active document, how long the last analysis took, and a warning/error severity when
// analysis was skipped, slow or failed. Fed by the server's `loopguard/status` notification.

import * as vscode from 'vscode';
import type { StatusParams } from '../../server/src/lsp/protocol';

export type ServerState = 'starting' | 'running' | 'stopped';

export class LoopguardStatus implements vscode.Disposable {
  private readonly item: vscode.LanguageStatusItem;
  private readonly byUri = new Map<string, StatusParams>();
  private server: ServerState = 'starting';
  /** why the server is stopped, when it is not simply not running (it crashed too often) */
  private stoppedDetail: string | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(selector: vscode.DocumentSelector, showOutputCommand: string) {
    this.item = vscode.languages.createLanguageStatusItem('loopguard.status', selector);
    this.item.name = 'Loopguard';
    this.item.command = { title: 'Show Output', command: showOutputCommand };
    this.subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.render()),
      vscode.workspace.onDidCloseTextDocument((doc) => this.byUri.delete(doc.uri.toString())),
    );
    this.render();
  }

  /** A status from the server, for one document. */
  update(status: StatusParams): void {
    this.byUri.set(status.uri, status);
    if (vscode.window.activeTextEditor?.document.uri.toString() === status.uri) this.render();
  }

  /**
   * `detail` says why it stopped; it stays until the server starts again (the client's own state
   * change to stopped, which comes after, does not erase it).
   */
  setServerState(state: ServerState, detail?: string): void {
    this.server = state;
    if (state !== 'stopped') this.stoppedDetail = undefined;
    else if (detail !== undefined) this.stoppedDetail = detail;
    if (state !== 'running') this.byUri.clear();
    this.render();
  }

  /** What the item shows now (the extension's test API). */
  snapshot(): { text: string; detail: string | undefined; severity: vscode.LanguageStatusSeverity } {
    return { text: this.item.text, detail: this.item.detail, severity: this.item.severity };
  }

  private render(): void {
    const item = this.item;
    item.busy = this.server === 'starting';
    if (this.server !== 'running') {
      item.text = this.server === 'starting' ? 'Loopguard: starting' : 'Loopguard: stopped';
      item.detail = this.server === 'stopped' ? (this.stoppedDetail ?? 'The language server is not running') : undefined;
      item.severity =
        this.server !== 'stopped'
          ? vscode.LanguageStatusSeverity.Information
          : this.stoppedDetail !== undefined
            ? vscode.LanguageStatusSeverity.Error
            : vscode.LanguageStatusSeverity.Warning;
      return;
    }
    const uri = vscode.window.activeTextEditor?.document.uri.toString();
    const status = uri === undefined ? undefined : this.byUri.get(uri);
    if (!status) {
      item.text = 'Loopguard';
      item.detail = 'Waiting for analysis';
      item.severity = vscode.LanguageStatusSeverity.Information;
      return;
    }
    const time = status.lastAnalysisMs === undefined ? '' : ` (${formatMs(status.lastAnalysisMs)})`;
    item.text = status.state === 'ok' ? `Loopguard${time}` : `$(warning) Loopguard${time}`;
    item.detail = status.message;
    item.severity =
      status.state === 'error'
        ? vscode.LanguageStatusSeverity.Error
        : status.state === 'warning'
          ? vscode.LanguageStatusSeverity.Warning
          : vscode.LanguageStatusSeverity.Information;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}

function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}
