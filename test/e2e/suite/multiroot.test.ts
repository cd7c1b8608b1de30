/// <reference types="mocha" />
// A multi-root workspace (run.sh opens services.code-workspace: the template as the first folder, and
// test/e2e/workspace-second as the second, whose .vscode/settings.json makes blocking-call-in-async an error):
// the same code gets each folder's own severity.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { open, ruleId, waitForDiagnostics, workspaceUri } from './helpers';

suite('Multi-root workspace', () => {
  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('each folder is analysed with its own settings', async () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.deepEqual(folders.map((f) => f.name), ['my-service', 'second-service']);
    const second = vscode.Uri.joinPath(folders[1].uri, 'load.ts');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(second), { preview: false });
    const [d2] = await waitForDiagnostics(second, (x) => x.length === 1, 'one diagnostic in the second folder');
    assert.equal(ruleId(d2), 'blocking-call-in-async');
    assert.equal(d2.severity, vscode.DiagnosticSeverity.Error, "the second folder's settings make it an error");
    const { document: first } = await open('ts/multiroot.ts');
    const [d1] = await waitForDiagnostics(first.uri, (x) => x.length === 1, 'one diagnostic in the first folder');
    assert.equal(first.uri.toString(), workspaceUri('ts/multiroot.ts').toString());
    assert.equal(d1.severity, vscode.DiagnosticSeverity.Warning, 'the first folder keeps the default severity');
  });
});
