/// <reference types="mocha" />
// The project model in a real VS Code extension host: chain/handler.ts calls loadConfig from
// chain/config.ts, which reaches fs.readFileSync through readJson. Once the server has scanned the
// folder, the call in the handler is reported with the chain as related information (one entry per
// hop, in config.ts); editing the helper in its own editor (unsaved) clears the handler's diagnostic
// without the handler being touched.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { open, RULE, ruleId, waitForDiagnostics, workspaceUri } from './helpers';

suite('The project model in a real VS Code extension host', () => {
  suiteTeardown(async () => {
    // the helper's edit is never saved: revert it, then close everything
    const config = vscode.workspace.textDocuments.find((d) => d.uri.toString() === workspaceUri('chain/config.ts').toString());
    if (config?.isDirty) {
      await vscode.window.showTextDocument(config);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('a call of a helper in another file that blocks is reported at the call, with the chain as related information', async () => {
    const { document } = await open('chain/handler.ts');
    const [d] = await waitForDiagnostics(document.uri, (x) => x.length === 1 && (x[0].relatedInformation?.length ?? 0) > 0, 'the call of loadConfig reported with related information');
    assert.equal(ruleId(d), RULE);
    assert.deepEqual([d.range.start.line, d.range.start.character, d.range.end.character], [3, 14, 24]);
    const config = workspaceUri('chain/config.ts').toString();
    assert.deepEqual(
      d.relatedInformation?.map((r) => [r.location.uri.toString(), r.location.range.start.line]),
      [
        [config, 6],
        [config, 7],
        [config, 3],
      ],
    );
  });

  test('editing the helper (unsaved) clears the diagnostic of the file that calls it', async () => {
    const handler = workspaceUri('chain/handler.ts');
    const { document: config } = await open('chain/config.ts');
    const text = config.getText();
    const at = text.indexOf("fs.readFileSync(p, 'utf8')");
    assert.ok(at >= 0);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(config.uri, new vscode.Range(config.positionAt(at), config.positionAt(at + "fs.readFileSync(p, 'utf8')".length)), "'{}'");
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitForDiagnostics(handler, (x) => x.length === 0, 'no diagnostic in chain/handler.ts once the helper no longer blocks');
  });
});
