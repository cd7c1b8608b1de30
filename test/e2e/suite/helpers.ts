// Helpers for the extension-host suite: waiting on VS Code events with a deadline (never a fixed sleep),
// opening workspace files, and running code actions the way the lightbulb does.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

export const RULE = 'blocking-call-in-async';
export const EXTENSION_ID = 'loopguard.loopguard';
/** Generous: the first analysis also loads the tree-sitter WASM; a loaded 2-core CI machine is slow. */
export const WAIT_MS = Number(process.env.LOOPGUARD_E2E_WAIT_MS || 30_000);

export function workspaceUri(relative: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace folder is open');
  return vscode.Uri.joinPath(folder.uri, ...relative.split('/'));
}

export async function open(relative: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(workspaceUri(relative));
  return vscode.window.showTextDocument(doc, { preview: false });
}

export function loopguardDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'loopguard');
}

function describe(diags: readonly vscode.Diagnostic[]): string {
  if (diags.length === 0) return 'none';
  return diags
    .map((d) => `${ruleId(d)}@${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} sev=${d.severity}`)
    .join(', ');
}

export function ruleId(d: vscode.Diagnostic): string | number | undefined {
  return typeof d.code === 'object' ? d.code.value : d.code;
}

/**
 * Resolves with the loopguard diagnostics of `uri` as soon as `ok` holds for them, checking now and on every
 * onDidChangeDiagnostics event for that uri; fails after `ms` naming what was awaited and what was seen.
 */
export function waitForDiagnostics(
  uri: vscode.Uri,
  ok: (diags: vscode.Diagnostic[]) => boolean,
  what: string,
  ms = WAIT_MS,
): Promise<vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const diags = loopguardDiagnostics(uri);
      if (!ok(diags)) return false;
      finish();
      resolve(diags);
      return true;
    };
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) check();
    });
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`timed out after ${ms} ms waiting for ${what} in ${vscode.workspace.asRelativePath(uri)}; loopguard diagnostics now: ${describe(loopguardDiagnostics(uri))}`));
    }, ms);
    const finish = (): void => {
      clearTimeout(timer);
      sub.dispose();
    };
    check();
  });
}

/**
 * Records every change of `uri`'s loopguard diagnostics from now on, so a test can look for a sequence
 * (cleared, then published again) that may be over before an awaited command returns.
 */
export class DiagnosticsRecorder implements vscode.Disposable {
  readonly counts: number[] = [];
  private readonly sub: vscode.Disposable;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly uri: vscode.Uri) {
    this.sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (!e.uris.some((u) => u.toString() === uri.toString())) return;
      this.counts.push(loopguardDiagnostics(uri).length);
      for (const w of this.waiters) w();
    });
  }

  /** Waits until the recorded counts satisfy `ok`. */
  until(ok: (counts: readonly number[]) => boolean, what: string, ms = WAIT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = (): void => {
        if (!ok(this.counts)) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${ms} ms waiting for ${what} in ${vscode.workspace.asRelativePath(this.uri)}; counts seen: [${this.counts.join(', ')}]`));
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
      waiter();
    });
  }

  dispose(): void {
    this.sub.dispose();
    this.waiters.clear();
  }
}

/** Waits for an arbitrary VS Code event to deliver a value that satisfies `ok` (or for `ok` to hold already). */
export function waitForEvent<T>(event: vscode.Event<T>, ok: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ok()) return resolve();
    const sub = event(() => {
      if (!ok()) return;
      clearTimeout(timer);
      sub.dispose();
      resolve();
    });
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
  });
}

/** The quick fixes VS Code's lightbulb would list for `range` (resolved, so edits are filled in). */
export async function quickFixes(uri: vscode.Uri, range: vscode.Range): Promise<vscode.CodeAction[]> {
  // The workbench cancels a code-action request itself (its token is tied to the text model: a change
  // or a model swap while the request runs), and the command then rejects with "Canceled" — the editor
  // simply asks again, and so does this, a few times; any other error fails the test at once.
  for (let attempt = 1; ; attempt++) {
    try {
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        uri,
        range,
        vscode.CodeActionKind.QuickFix.value,
        100,
      );
      return (actions ?? []).filter((a) => a.kind === undefined || vscode.CodeActionKind.QuickFix.contains(a.kind));
    } catch (e) {
      const cancelled = e instanceof Error && (e.name === 'Canceled' || e.message === 'Canceled');
      if (!cancelled || attempt >= 3) throw e;
    }
  }
}

/** Applies a code action the way the editor does: its edit first, then its command. */
export async function applyAction(action: vscode.CodeAction): Promise<void> {
  if (action.edit) assert.ok(await vscode.workspace.applyEdit(action.edit), `workspace edit of "${action.title}" applied`);
  if (action.command) await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
}

export async function setRules(value: Record<string, string> | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('loopguard').update('rules', value, vscode.ConfigurationTarget.Workspace);
}
