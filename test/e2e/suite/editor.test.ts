/// <reference types="mocha" />
// Editor features of issue 7 in a real VS Code extension host: the "Fix all auto-fixable problems"
// command, fix on save through `editor.codeActionsOnSave`, unused suppression comments and their fix,
// and a Jupyter notebook whose cell with top-level `await` gets a diagnostic on that cell. Each test
// works on its own file of the workspace template (test/e2e/workspace/editor, nb).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { applyAction, EXTENSION_ID, loopguardDiagnostics, open, quickFixes, RULE, ruleId, waitForDiagnostics, waitForEvent, workspaceUri } from './helpers';

const UNUSED = 'unused-suppression';

suite('Loopguard editor features (fix-all command, fix on save, unused suppressions, notebooks)', () => {
  suiteSetup(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
  });

  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('editor').update('codeActionsOnSave', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('"Loopguard: Fix all auto-fixable problems" applies the safe fixes of the active document', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('loopguard.executeAutofix'), 'the command is registered');
    const editor = await open('editor/autofix.py');
    const doc = editor.document;
    await waitForDiagnostics(doc.uri, (d) => d.some((x) => ruleId(x) === RULE), 'the blocking call');
    const applied = await vscode.commands.executeCommand<boolean>('loopguard.executeAutofix');
    assert.equal(applied, true, 'the command applied an edit');
    assert.equal(doc.getText(), 'import time\nimport asyncio\n\n\nasync def main():\n    await asyncio.sleep(1)\n');
    await waitForDiagnostics(doc.uri, (d) => d.length === 0, 'no diagnostics after the fix');
    // nothing left to fix: the command says so and changes nothing
    assert.equal(await vscode.commands.executeCommand<boolean>('loopguard.executeAutofix'), false);
  });

  test('editor.codeActionsOnSave { "source.fixAll.loopguard": "explicit" } fixes the file when it is saved', async () => {
    await vscode.workspace
      .getConfiguration('editor')
      .update('codeActionsOnSave', { 'source.fixAll.loopguard': 'explicit' }, vscode.ConfigurationTarget.Workspace);
    const editor = await open('editor/on_save.ts');
    const doc = editor.document;
    await waitForDiagnostics(doc.uri, (d) => d.some((x) => ruleId(x) === RULE), 'the blocking call');
    // an explicit save of a dirty document runs the save participants
    assert.ok(await editor.edit((b) => b.insert(new vscode.Position(5, 0), '// saved\n')));
    assert.ok(await doc.save(), 'saved');
    assert.equal(
      doc.getText(),
      "import * as fs from 'node:fs';\n\nexport async function load(p: string): Promise<string> {\n  return await fs.promises.readFile(p, 'utf8');\n}\n// saved\n",
    );
    assert.equal(doc.isDirty, false, 'the fix is part of what was saved');
    await waitForDiagnostics(doc.uri, (d) => d.length === 0, 'no diagnostics after the save');
  });

  test('a suppression comment that silences nothing is warned, faded, and removed by its fix', async () => {
    const editor = await open('editor/unused.py');
    const doc = editor.document;
    const [d] = await waitForDiagnostics(doc.uri, (ds) => ds.some((x) => ruleId(x) === UNUSED), 'the unused suppression');
    assert.equal(ruleId(d), UNUSED);
    assert.equal(d.severity, vscode.DiagnosticSeverity.Warning);
    assert.deepEqual(d.tags, [vscode.DiagnosticTag.Unnecessary]);
    assert.equal(d.range.start.line, 1);
    const actions = await quickFixes(doc.uri, d.range);
    const remove = actions.find((a) => a.title === 'Remove the unused suppression comment');
    assert.ok(remove, `offered: ${actions.map((a) => a.title).join(', ')}`);
    assert.equal(remove.isPreferred, true);
    await applyAction(remove);
    assert.equal(doc.getText(), 'async def main():\n    x = 1\n    return x\n');
    await waitForDiagnostics(doc.uri, (ds) => ds.length === 0, 'no diagnostics after the fix');
  });

  test('a notebook: the cell with top-level await and time.sleep gets the diagnostic, the others none', async () => {
    const nb = await vscode.workspace.openNotebookDocument(workspaceUri('nb/cells.ipynb'));
    await vscode.window.showNotebookDocument(nb);
    assert.equal(nb.notebookType, 'jupyter-notebook');
    const code = nb.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code);
    assert.equal(code.length, 3);
    for (const c of code) assert.equal(c.document.languageId, 'python');
    const awaiting = code[1].document.uri;
    const diags = await waitForDiagnostics(awaiting, (d) => d.length > 0, 'a diagnostic on the awaiting cell');
    assert.deepEqual(
      diags.map((d) => [ruleId(d), d.range.start.line, d.range.start.character, d.range.end.character]),
      [[RULE, 2, 0, 10]],
    );
    // published together: the cell that does not await, and the import cell, have none
    assert.deepEqual(loopguardDiagnostics(code[2].document.uri), []);
    assert.deepEqual(loopguardDiagnostics(code[0].document.uri), []);
    // the fix replaces the call in its cell; asyncio is imported in cell 1 already
    const fix = (await quickFixes(awaiting, diags[0].range)).find((a) => a.title === 'Replace with `await asyncio.sleep(…)`');
    assert.ok(fix, 'the await fix is offered in the cell');
    await applyAction(fix);
    await waitForEvent(vscode.workspace.onDidChangeTextDocument, () => code[1].document.getText().endsWith('await asyncio.sleep(1)'), 'the cell edit');
    assert.equal(code[1].document.getText(), '%time x = 1\nawait asyncio.sleep(0)\nawait asyncio.sleep(1)');
    await waitForDiagnostics(awaiting, (d) => d.length === 0, 'no diagnostics after the fix');
  });
});
