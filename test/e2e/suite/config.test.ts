/// <reference types="mocha" />
// Project files in a real VS Code extension host: cfg/loopguard.json turns blocking-call-in-async to
// `error` for cfg/strict/** (a glob relative to the file's directory), so the same code shows an error
// there and the default warning in cfg/lax/. Editing the project file on disk reaches the server
// through the client's file watcher, and both documents are analysed again.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { open, RULE, ruleId, waitForDiagnostics, workspaceUri } from './helpers';

const ORIGINAL = { overrides: [{ files: ['strict/**'], rules: { [RULE]: 'error' } }] };

function severities(diags: readonly vscode.Diagnostic[]): Array<[unknown, vscode.DiagnosticSeverity]> {
  return diags.map((d) => [ruleId(d), d.severity]);
}

async function writeProjectFile(content: unknown): Promise<void> {
  await vscode.workspace.fs.writeFile(workspaceUri('cfg/loopguard.json'), Buffer.from(JSON.stringify(content, null, 2)));
}

suite('Project files in a real VS Code extension host', () => {
  suiteTeardown(async () => {
    await writeProjectFile(ORIGINAL);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('an override in cfg/loopguard.json makes the rule an error in cfg/strict/ only', async () => {
    const { document: strict } = await open('cfg/strict/poll.py');
    const strictDiags = await waitForDiagnostics(strict.uri, (x) => x.length === 1, 'one diagnostic in cfg/strict/poll.py');
    assert.deepEqual(severities(strictDiags), [[RULE, vscode.DiagnosticSeverity.Error]]);
    assert.deepEqual([strictDiags[0].range.start.line, strictDiags[0].range.start.character], [4, 4]);
    const { document: lax } = await open('cfg/lax/poll.py');
    const laxDiags = await waitForDiagnostics(lax.uri, (x) => x.length === 1, 'one diagnostic in cfg/lax/poll.py');
    assert.deepEqual(severities(laxDiags), [[RULE, vscode.DiagnosticSeverity.Warning]]);
  });

  test('editing the project file on disk re-analyses open documents with the new configuration', async () => {
    const strict = workspaceUri('cfg/strict/poll.py');
    const lax = workspaceUri('cfg/lax/poll.py');
    await writeProjectFile({ rules: { [RULE]: 'info' }, overrides: [{ files: ['strict/**'], rules: { [RULE]: 'off' } }] });
    await waitForDiagnostics(strict, (x) => x.length === 0, 'the rule switched off in cfg/strict/');
    const laxDiags = await waitForDiagnostics(lax, (x) => x.length === 1 && x[0].severity === vscode.DiagnosticSeverity.Information, 'an info diagnostic in cfg/lax/');
    assert.deepEqual(severities(laxDiags), [[RULE, vscode.DiagnosticSeverity.Information]]);
  });
});
