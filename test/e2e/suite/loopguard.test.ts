/// <reference types="mocha" />
// The extension in a real VS Code extension host: diagnostics, edits, quick fixes, suppression, settings and
// commands, seen only through the public `vscode` API. Each test works on its own file of the workspace
// template (test/e2e/workspace, copied per run), so the tests do not depend on each other's edits.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import {
  applyAction,
  DiagnosticsRecorder,
  EXTENSION_ID,
  loopguardDiagnostics,
  open,
  quickFixes,
  RULE,
  ruleId,
  setRules,
  waitForDiagnostics,
  waitForEvent,
} from './helpers';

const DISABLE_TITLE = `Disable ${RULE} for this line`;

function lines(diags: readonly vscode.Diagnostic[]): number[] {
  return diags.map((d) => d.range.start.line).sort((a, b) => a - b);
}

function assertRange(d: vscode.Diagnostic, line: number, start: number, end: number): void {
  assert.deepEqual(
    [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character],
    [line, start, line, end],
    'diagnostic range',
  );
}

suite('Loopguard in a real VS Code extension host', () => {
  suiteTeardown(async () => {
    await setRules(undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('activates on a Python file and publishes its first diagnostics (timed)', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    const wasActive = ext.isActive;
    const t0 = Date.now();
    const editor = await open('py/sleep_fix.py');
    await ext.activate();
    const activated = Date.now() - t0;
    const diags = await waitForDiagnostics(editor.document.uri, (d) => d.length > 0, 'the first diagnostics');
    const firstDiagnostics = Date.now() - t0;
    console.log(
      `      activation: open -> activate() resolved ${activated} ms, open -> first diagnostics ${firstDiagnostics} ms` +
        `${wasActive ? ' (extension was already active)' : ''}; VS Code ${vscode.version} (${vscode.env.appName}), route ${process.env.LOOPGUARD_E2E_ROUTE ?? '?'}`,
    );
    assert.equal(diags.length, 1);
    const d = diags[0];
    assert.equal(ruleId(d), RULE);
    assert.equal(d.source, 'loopguard');
    assert.equal(d.severity, vscode.DiagnosticSeverity.Warning);
    assertRange(d, 3, 4, 14); // `time.sleep` in `    time.sleep(1)`
    assert.ok(typeof d.code === 'object' && d.code.target.toString().endsWith(`/docs/rules/${RULE}.md`), 'code links to the rule docs');
  });

  test('TypeScript: reports readFileSync in an async function, not in a sync one', async () => {
    const editor = await open('ts/edit.ts');
    const diags = await waitForDiagnostics(editor.document.uri, (d) => d.length > 0, 'a diagnostic');
    assert.equal(diags.length, 1, 'only the call in the async function');
    assert.equal(ruleId(diags[0]), RULE);
    assert.equal(diags[0].severity, vscode.DiagnosticSeverity.Warning);
    assertRange(diags[0], 7, 9, 24); // `fs.readFileSync` in `  return fs.readFileSync(p, 'utf8');`
  });

  test('JavaScript (CommonJS): reports a blocking call in an http.createServer callback, not in start-up code', async () => {
    const editor = await open('js/server.js');
    const uri = editor.document.uri;
    const diags = await waitForDiagnostics(uri, (d) => d.length > 0, 'a diagnostic');
    assert.deepEqual(lines(diags), [8]);
    assertRange(diags[0], 8, 10, 25); // `fs.readFileSync` in `  res.end(fs.readFileSync('index.html'));`
    // `await` is not legal in the sync callback: no rewrite is offered, only the suppression
    const actions = await quickFixes(uri, diags[0].range);
    assert.ok(!actions.some((a) => a.isPreferred), `no preferred fix; got ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(actions.some((a) => a.title === DISABLE_TITLE), 'the suppression is offered');
  });

  test('Python: blocking call only in the coroutine; warm-up code and to_thread are not reported', async () => {
    const editor = await open('py/mixed.py');
    const diags = await waitForDiagnostics(editor.document.uri, (d) => d.length > 0, 'a diagnostic');
    assert.deepEqual(lines(diags), [11]);
    assertRange(diags[0], 11, 8, 18);
  });

  test('diagnostics follow edits of the document', async () => {
    const editor = await open('ts/edit.ts');
    const doc = editor.document;
    const uri = doc.uri;
    await waitForDiagnostics(uri, (d) => lines(d).join() === '7', 'the diagnostic on line 8');

    // lines inserted above move the finding down
    let edit = new vscode.WorkspaceEdit();
    edit.insert(uri, new vscode.Position(1, 0), '// two lines\n// above\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitForDiagnostics(uri, (d) => lines(d).join() === '9', 'the diagnostic moved to line 10');

    // a second blocking call in the async function is reported too
    edit = new vscode.WorkspaceEdit();
    edit.insert(uri, new vscode.Position(9, 0), '  fs.statSync(p);\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const two = await waitForDiagnostics(uri, (d) => d.length === 2, 'two diagnostics');
    assert.deepEqual(lines(two), [9, 10]);

    // the function is no longer async: nothing runs on the event loop any more
    const asyncAt = doc.getText().indexOf('export async function handle');
    assert.ok(asyncAt >= 0);
    const start = doc.positionAt(asyncAt + 'export '.length);
    edit = new vscode.WorkspaceEdit();
    edit.delete(uri, new vscode.Range(start, start.translate(0, 'async '.length)));
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitForDiagnostics(uri, (d) => d.length === 0, 'no diagnostics once the function is sync');

    // and undo brings them back
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('undo');
    await waitForDiagnostics(uri, (d) => d.length === 2, 'the two diagnostics after undo');
  });

  test('Python: the preferred quick fix rewrites to `await asyncio.sleep(…)` and adds the import', async () => {
    const editor = await open('py/sleep_fix.py');
    const doc = editor.document;
    const [d] = await waitForDiagnostics(doc.uri, (x) => x.length === 1, 'one diagnostic');
    const actions = await quickFixes(doc.uri, d.range);
    const preferred = actions.filter((a) => a.isPreferred);
    assert.equal(preferred.length, 1, `one preferred fix; got ${actions.map((a) => `${a.title}${a.isPreferred ? '*' : ''}`).join(' | ')}`);
    assert.equal(preferred[0].title, 'Replace with `await asyncio.sleep(…)`');
    await applyAction(preferred[0]);
    // `import asyncio` goes after the file's last top-level import (the Python fixer's placement)
    assert.equal(doc.getText(), 'import time\nimport asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n');
    await waitForDiagnostics(doc.uri, (x) => x.length === 0, 'no diagnostics after the fix');
    assert.ok(await doc.save(), 'saved');
  });

  test('TypeScript: the preferred quick fix rewrites to `await fs.promises.readFile(…)`', async () => {
    const editor = await open('ts/load.ts');
    const doc = editor.document;
    const [d] = await waitForDiagnostics(doc.uri, (x) => x.length === 1, 'one diagnostic');
    assertRange(d, 2, 9, 24);
    const preferred = (await quickFixes(doc.uri, d.range)).filter((a) => a.isPreferred);
    assert.equal(preferred.length, 1, 'one preferred fix');
    assert.equal(preferred[0].title, 'Replace with `await fs.promises.readFile(…)`');
    await applyAction(preferred[0]);
    assert.equal(
      doc.getText(),
      "import fs from 'fs';\nexport async function load(p: string) {\n  return await fs.promises.readFile(p, 'utf8');\n}\n",
    );
    await waitForDiagnostics(doc.uri, (x) => x.length === 0, 'no diagnostics after the fix');
  });

  test(`Python: "${DISABLE_TITLE}" silences the finding`, async () => {
    const editor = await open('py/sleep_disable.py');
    const doc = editor.document;
    const [d] = await waitForDiagnostics(doc.uri, (x) => x.length === 1, 'one diagnostic');
    const disable = (await quickFixes(doc.uri, d.range)).find((a) => a.title === DISABLE_TITLE);
    assert.ok(disable, 'the suppression fix is offered');
    assert.ok(!disable.isPreferred, 'the suppression is never the preferred fix');
    await applyAction(disable);
    assert.equal(doc.getText(), `import time\n\n\nasync def tick():\n    time.sleep(0.5)  # loopguard: ignore[${RULE}]\n`);
    await waitForDiagnostics(doc.uri, (x) => x.length === 0, 'no diagnostics after the suppression');
  });

  test(`TypeScript: "${DISABLE_TITLE}" silences the finding`, async () => {
    const editor = await open('ts/disable.ts');
    const doc = editor.document;
    const [d] = await waitForDiagnostics(doc.uri, (x) => x.length === 1, 'one diagnostic');
    assertRange(d, 3, 2, 10);
    const disable = (await quickFixes(doc.uri, d.range)).find((a) => a.title === DISABLE_TITLE);
    assert.ok(disable, 'the suppression fix is offered');
    await applyAction(disable);
    assert.equal(
      doc.getText(),
      `import { execSync } from 'child_process';\n\nexport async function build() {\n  // loopguard-ignore-next-line ${RULE}\n  execSync('make');\n}\n`,
    );
    await waitForDiagnostics(doc.uri, (x) => x.length === 0, 'no diagnostics after the suppression');
  });

  test('loopguard.rules setting: off removes the diagnostics, error raises the severity, reset restores them', async () => {
    const editor = await open('ts/settings.ts');
    const uri = editor.document.uri;
    const [d] = await waitForDiagnostics(uri, (x) => x.length === 1, 'one diagnostic');
    assertRange(d, 3, 2, 10);
    try {
      await setRules({ [RULE]: 'off' });
      await waitForDiagnostics(uri, (x) => x.length === 0, 'no diagnostics with the rule off');
      await setRules({ [RULE]: 'error' });
      await waitForDiagnostics(uri, (x) => x.length === 1 && x[0].severity === vscode.DiagnosticSeverity.Error, 'an Error diagnostic');
    } finally {
      await setRules(undefined);
    }
    await waitForDiagnostics(uri, (x) => x.length === 1 && x[0].severity === vscode.DiagnosticSeverity.Warning, 'the Warning diagnostic back');
  });

  test('the contributed commands are registered', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const id of ['loopguard.restartServer', 'loopguard.showOutputChannel', 'loopguard.showRuleDocumentation']) {
      assert.ok(all.includes(id), `command ${id} is registered`);
    }
  });

  test('loopguard.showRuleDocumentation opens the bundled rule documentation', async () => {
    const hasDocTab = (): boolean =>
      vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.label.includes(RULE)));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('loopguard.showRuleDocumentation', RULE);
    await waitForEvent(vscode.window.tabGroups.onDidChangeTabs, hasDocTab, `a tab showing ${RULE}`);
  });

  test('loopguard.restartServer: diagnostics are cleared and published again by the new server', async () => {
    const files = ['py/mixed.py', 'ts/settings.ts'];
    const uris: vscode.Uri[] = [];
    for (const f of files) {
      const { document } = await open(f);
      await waitForDiagnostics(document.uri, (d) => d.length === 1, 'one diagnostic');
      uris.push(document.uri);
    }
    const recorders = uris.map((u) => new DiagnosticsRecorder(u));
    try {
      await vscode.commands.executeCommand('loopguard.restartServer');
      await Promise.all(
        recorders.map((r) =>
          r.until((c) => {
            const cleared = c.indexOf(0);
            return cleared >= 0 && c.slice(cleared + 1).some((n) => n === 1);
          }, 'the diagnostics to be cleared and published again'),
        ),
      );
    } finally {
      for (const r of recorders) r.dispose();
    }
    assert.deepEqual(lines(loopguardDiagnostics(uris[0])), [11]);
    assert.deepEqual(lines(loopguardDiagnostics(uris[1])), [3]);
  });

  test('Python: a numeric kernel in a coroutine is cpu-loop-on-event-loop; its fix moves it to a process pool', async () => {
    const editor = await open('py/cpu_loop.py');
    const doc = editor.document;
    const [d] = await waitForDiagnostics(doc.uri, (x) => x.length === 1, 'one diagnostic');
    assert.equal(ruleId(d), 'cpu-loop-on-event-loop');
    assertRange(d, 1, 21, 38); // `for i in range(n)` of the generator expression
    const actions = await quickFixes(doc.uri, d.range);
    assert.ok(!actions.some((a) => a.isPreferred), 'the extraction is unsafe: never preferred');
    const move = actions.find((a) => a.title.startsWith('Run the loop in a process pool'));
    assert.ok(move, `the process-pool fix is offered; got ${actions.map((a) => a.title).join(' | ')}`);
    await applyAction(move);
    assert.equal(
      doc.getText(),
      'import asyncio\nimport concurrent.futures\n\n\n_process_pool = concurrent.futures.ProcessPoolExecutor()\n\n\n' +
        'def _checksum_loop(n):\n    return sum(i * i for i in range(n))\n\n\n' +
        'async def checksum(n):\n    return await asyncio.get_running_loop().run_in_executor(_process_pool, _checksum_loop, n)\n',
    );
    await waitForDiagnostics(doc.uri, (x) => x.length === 0, 'no diagnostics after the fix');
  });

  test('Python: CPU-bound work handed to asyncio.to_thread is cpu-bound-work-in-thread-pool', async () => {
    const editor = await open('py/thread_pool.py');
    const [d] = await waitForDiagnostics(editor.document.uri, (x) => x.length === 1, 'one diagnostic');
    assert.equal(ruleId(d), 'cpu-bound-work-in-thread-pool');
    assertRange(d, 11, 35, 41); // `crunch` in `asyncio.to_thread(crunch, n)`
    const actions = await quickFixes(editor.document.uri, d.range);
    assert.ok(actions.some((a) => a.title.startsWith('Run in a process pool')), 'the process-pool fix is offered');
  });

  test('TypeScript: a numeric loop in an async function is cpu-loop-on-event-loop; its fix yields every 1000 iterations', async () => {
    const editor = await open('ts/cpu.ts');
    const doc = editor.document;
    const [d] = await waitForDiagnostics(doc.uri, (x) => x.length === 1, 'one diagnostic');
    assert.equal(ruleId(d), 'cpu-loop-on-event-loop');
    assertRange(d, 2, 2, 29);
    const actions = await quickFixes(doc.uri, d.range);
    const yieldFix = actions.find((a) => a.title === 'Yield to the event loop every 1000 iterations');
    assert.ok(yieldFix && !yieldFix.isPreferred, `the unsafe yield fix is offered, not preferred; got ${actions.map((a) => a.title).join(' | ')}`);
    await applyAction(yieldFix);
    assert.equal(
      doc.getText(),
      'export async function score(n: number): Promise<number> {\n  let total = 0;\n  for (let i = 0; i < n; i++) {\n' +
        '    if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));\n    total += i * i;\n  }\n  return total;\n}\n',
    );
    await waitForDiagnostics(doc.uri, (x) => x.length === 0, 'no diagnostics after the fix');
  });
});
