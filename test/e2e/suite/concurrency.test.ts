/// <reference types="mocha" />
// The two shared-state rules in a real VS Code extension host: unsynchronized-shared-state (Python threads,
// a SharedArrayBuffer shared with a worker) and race-across-await (Python, TypeScript) — each diagnostic at
// its place, its fixes listed as the lightbulb lists them, one applied, and the finding gone afterwards.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { applyAction, open, quickFixes, ruleId, waitForDiagnostics } from './helpers';

function assertAt(d: vscode.Diagnostic, rule: string, line: number, start: number, end: number): void {
  assert.equal(ruleId(d), rule);
  assert.deepEqual([d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character], [line, start, line, end], 'diagnostic range');
}

function titles(actions: readonly vscode.CodeAction[]): string {
  return actions.map((a) => `${a.title}${a.isPreferred ? ' (preferred)' : ''}`).join(' | ');
}

suite('Shared state in a real VS Code extension host', () => {
  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('Python: an unlocked counter in a thread target run four times; the safe fix adds a new lock', async () => {
    const { document: doc } = await open('py/threads_counter.py');
    const [d] = await waitForDiagnostics(doc.uri, (x) => x.length === 1, 'one diagnostic');
    assertAt(d, 'unsynchronized-shared-state', 8, 8, 20); // `counter += 1`
    const actions = await quickFixes(doc.uri, d.range);
    const fix = actions.find((a) => a.title === 'Guard `counter` with a new lock `_counter_lock`');
    assert.ok(fix?.isPreferred, `the safe lock fix is offered and preferred; got ${titles(actions)}`);
    await applyAction(fix);
    assert.equal(
      doc.getText(),
      'import threading\n\ncounter = 0\n_counter_lock = threading.Lock()\n\n\ndef work() -> None:\n    global counter\n' +
        '    for _ in range(1000):\n        with _counter_lock:\n            counter += 1\n\n\nthreads = [threading.Thread(target=work) for _ in range(4)]\n',
    );
    await waitForDiagnostics(doc.uri, (x) => x.length === 0, 'no diagnostics after the fix');
  });

  test('JavaScript: a plain ++ on a SharedArrayBuffer view shared with a worker; the fix uses Atomics.add', async () => {
    const { document: doc } = await open('js/shared.mjs');
    const [d] = await waitForDiagnostics(doc.uri, (x) => x.length === 1, 'one diagnostic');
    assertAt(d, 'unsynchronized-shared-state', 6, 2, 14); // `shared[0]++`
    const actions = await quickFixes(doc.uri, d.range);
    const fix = actions.find((a) => a.title === 'Use `Atomics.add(shared, 0, 1)`');
    assert.ok(fix?.isPreferred, `the Atomics fix is offered and preferred; got ${titles(actions)}`);
    await applyAction(fix);
    assert.ok(doc.getText().includes("worker.on('message', () => {\n  Atomics.add(shared, 0, 1);\n});"), doc.getText());
    await waitForDiagnostics(doc.uri, (x) => x.length === 0, 'no diagnostics after the fix');
  });

  test('Python: `balance += await source()` races; "Await first" hoists the await', async () => {
    const { document: doc } = await open('py/await_race.py');
    const [d] = await waitForDiagnostics(doc.uri, (x) => x.length === 1, 'one diagnostic');
    assertAt(d, 'race-across-await', 5, 4, 29);
    const actions = await quickFixes(doc.uri, d.range);
    assert.ok(!actions.some((a) => a.isPreferred), `both fixes are unsafe, neither preferred; got ${titles(actions)}`);
    assert.ok(actions.some((a) => a.title === 'Guard `balance` with a new `asyncio.Lock` `_balance_lock`'), titles(actions));
    const fix = actions.find((a) => a.title === 'Await first, then update `balance`');
    assert.ok(fix, titles(actions));
    await applyAction(fix);
    assert.equal(doc.getText(), 'balance = 0\n\n\nasync def deposit(source) -> None:\n    global balance\n    value = await source()\n    balance += value\n');
    await waitForDiagnostics(doc.uri, (x) => x.length === 0, 'no diagnostics after the fix');
  });

  test('TypeScript: `balance += await source()` races; the lock fix declares a lock and holds it', async () => {
    const { document: doc } = await open('ts/race.ts');
    const [d] = await waitForDiagnostics(doc.uri, (x) => x.length === 1, 'one diagnostic');
    assertAt(d, 'race-across-await', 3, 2, 28);
    const actions = await quickFixes(doc.uri, d.range);
    assert.ok(actions.some((a) => a.title === 'Await first, then update `balance`'), titles(actions));
    const fix = actions.find((a) => a.title === 'Guard `balance` with a new lock `balanceLock`');
    assert.ok(fix && !fix.isPreferred, `the unsafe lock fix is offered, not preferred; got ${titles(actions)}`);
    await applyAction(fix);
    const text = doc.getText();
    assert.ok(text.includes('const balanceLock = createLock();'), text);
    assert.ok(text.includes('  const release = await balanceLock.acquire();\n  try {\n    balance += await source();\n  } finally {\n    release();\n  }\n'), text);
    await waitForDiagnostics(doc.uri, (x) => x.length === 0, 'no diagnostics after the fix');
  });
});
