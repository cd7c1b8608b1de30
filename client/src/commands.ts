// The extension's commands: restart the server, show its output, open a rule's bundled
// documentation (docs/rules/<id>.md inside the extension, so it works offline) in the Markdown
// preview, and fix all auto-fixable problems of the active document.

import * as vscode from 'vscode';
import { CodeAction, CodeActionRequest, CodeActionTriggerKind, LSPErrorCodes, ResponseError, type Command, type LanguageClient } from 'vscode-languageclient/node';
import { COMMANDS, FIX_ALL_KIND } from '../../server/src/lsp/protocol';

export interface CommandHost {
  restart(): Promise<void>;
  output: vscode.OutputChannel;
  extensionUri: vscode.Uri;
  /** the running client, if any */
  client(): LanguageClient | undefined;
}

/**
 * Applies the safe fixes of the active document. It asks the server for the very action
 * `editor.codeActionsOnSave` gets (`source.fixAll.loopguard`), so the command and fix on save cannot
 * disagree; unsafe fixes are never part of it. Resolves to whether an edit was applied.
 */
async function executeAutofix(host: CommandHost): Promise<boolean> {
  const editor = vscode.window.activeTextEditor;
  const client = host.client();
  if (!editor || !client?.isRunning()) return false;
  const doc = editor.document;
  const c2p = client.code2ProtocolConverter;
  let actions: Array<Command | CodeAction> | null;
  try {
    actions = await client.sendRequest(CodeActionRequest.type, {
      textDocument: c2p.asTextDocumentIdentifier(doc),
      range: c2p.asRange(new vscode.Range(0, 0, doc.lineCount, 0)),
      context: { diagnostics: [], only: [FIX_ALL_KIND], triggerKind: CodeActionTriggerKind.Invoked },
    });
  } catch (e) {
    // the server refuses to compute fixes for text the user has changed meanwhile (ContentModified)
    if (e instanceof ResponseError && (e.code === LSPErrorCodes.ContentModified || e.code === LSPErrorCodes.RequestCancelled)) {
      vscode.window.setStatusBarMessage('Loopguard: the document changed; run the command again', 3000);
      return false;
    }
    throw e;
  }
  const action = actions?.find((a): a is CodeAction => CodeAction.is(a) && a.kind === FIX_ALL_KIND && a.edit !== undefined);
  if (!action?.edit) {
    vscode.window.setStatusBarMessage('Loopguard: no auto-fixable problems', 3000);
    return false;
  }
  const applied = await vscode.workspace.applyEdit(await client.protocol2CodeConverter.asWorkspaceEdit(action.edit));
  // a versioned edit is refused when the user typed meanwhile: say so rather than fail silently
  if (!applied) vscode.window.setStatusBarMessage('Loopguard: the document changed; run the command again', 3000);
  return applied;
}

const RULE_ID = /^[a-z][a-z0-9-]*$/;

async function ruleIds(docsDir: vscode.Uri): Promise<string[]> {
  try {
    const entries = await vscode.workspace.fs.readDirectory(docsDir);
    return entries
      .filter(([name, type]) => type === vscode.FileType.File && name.endsWith('.md'))
      .map(([name]) => name.slice(0, -3))
      .filter((id) => RULE_ID.test(id))
      .sort();
  } catch {
    return [];
  }
}

async function showRuleDocumentation(host: CommandHost, ruleId: unknown): Promise<void> {
  const docsDir = vscode.Uri.joinPath(host.extensionUri, 'docs', 'rules');
  let id = typeof ruleId === 'string' ? ruleId : undefined;
  if (id === undefined) {
    // from the command palette: pick a rule
    const ids = await ruleIds(docsDir);
    id = await vscode.window.showQuickPick(ids, { placeHolder: 'Loopguard rule' });
    if (id === undefined) return;
  }
  // the id becomes a path: only a plain rule id may get there
  if (!RULE_ID.test(id)) {
    void vscode.window.showErrorMessage(`Loopguard: "${id}" is not a rule id.`);
    return;
  }
  const doc = vscode.Uri.joinPath(docsDir, `${id}.md`);
  try {
    await vscode.workspace.fs.stat(doc);
  } catch {
    void vscode.window.showErrorMessage(`Loopguard: there is no documentation for rule "${id}".`);
    return;
  }
  await vscode.commands.executeCommand('markdown.showPreview', doc);
}

export function registerCommands(host: CommandHost): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(COMMANDS.restartServer, () => host.restart()),
    vscode.commands.registerCommand(COMMANDS.showOutputChannel, () => host.output.show(true)),
    vscode.commands.registerCommand(COMMANDS.showRuleDocumentation, (ruleId: unknown) => showRuleDocumentation(host, ruleId)),
    vscode.commands.registerCommand(COMMANDS.executeAutofix, () => executeAutofix(host)),
  ];
}
