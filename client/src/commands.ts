// The extension's commands: restart the server, show its output, and open a rule's bundled
// documentation (docs/rules/<id>.md inside the extension, so it works offline) in the Markdown preview.

import * as vscode from 'vscode';
import { COMMANDS } from '../../server/src/lsp/protocol';

export interface CommandHost {
  restart(): Promise<void>;
  output: vscode.OutputChannel;
  extensionUri: vscode.Uri;
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
  ];
}
