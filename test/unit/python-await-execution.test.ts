// race-across-await's Python fixes change when shared state is read, so reading the fixed text is not
// enough: this runs the fixture program test/fixtures/race-across-await/exec-deposits.py — 200 tasks
// under asyncio.gather, each doing `balance += await deposit()` with an `await asyncio.sleep(0)` inside —
// with the local python3. The original loses deposits; every fix the rule offers for it (awaiting first,
// holding a new asyncio.Lock) ends with exactly 200. Skipped, with a message, where python3 is missing.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultAnalysisConfig } from '../../server/src/engine/config';
import { applyEdits } from '../../server/src/engine/finding';
import { sharedEngine } from '../harness/fixtures';
import { runPython, skipWithoutPython } from '../harness/python';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'race-across-await', 'exec-deposits.py');
const TASKS = 200;

const skip = skipWithoutPython;
const run = (file: string) => runPython(file);


async function total(file: string): Promise<number> {
  const r = await run(file);
  assert.equal(r.code, 0, `${path.basename(file)} failed:\n${r.stderr}`);
  const n = Number(r.stdout.trim());
  assert.ok(Number.isInteger(n), `${path.basename(file)} printed ${JSON.stringify(r.stdout)}`);
  return n;
}

describe('race-across-await fixes of a Python program, executed', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-await-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the original loses deposits', { timeout: 20_000 }, async () => {
    assert.ok((await total(FIXTURE)) < TASKS);
  });

  it('the fixture output (.fixed.py, the best fix) ends with the exact total', { timeout: 20_000 }, async () => {
    assert.equal(await total(FIXTURE.replace(/\.py$/, '.fixed.py')), TASKS);
  });

  it('every fix offered for the race ends with the exact total', { timeout: 60_000 }, async () => {
    const engine = await sharedEngine();
    const text = fs.readFileSync(FIXTURE, 'utf8');
    const findings = engine.analyse({ fileName: FIXTURE, text }, defaultAnalysisConfig()).findings.filter((f) => f.rule === 'race-across-await');
    assert.equal(findings.length, 1);
    const titles = findings[0].fixes.map((f) => f.title);
    assert.deepEqual(titles, ['Await first, then update `balance`', 'Guard `balance` with a new `asyncio.Lock` `_balance_lock`']);
    for (const [i, fix] of findings[0].fixes.entries()) {
      const file = path.join(dir, `variant-${i}.py`);
      fs.writeFileSync(file, applyEdits(text, fix.edits));
      assert.equal(await total(file), TASKS, fix.title);
    }
  });
});
