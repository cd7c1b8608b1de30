// The lock fix must make a racy threaded program exact, not just look right: this runs the threaded
// counter fixture (test/fixtures/unsynchronized-shared-state/run-counter.py) and its `.fixed.py` with the
// local python3. The program runs its counter RUNS times in one process (8 threads each, with
// `sys.setswitchinterval(1e-6)` so the interpreter switches threads as often as it can) and prints the
// global total and the dict entries' sum of every run. The fixed program must reach the exact count in
// every run; the original must lose updates in at least one — on CPython 3.11 here it loses them in
// practically every run, because the update's value comes from a Python call where threads switch.
// Skipped, with a message, where python3 is missing.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { checkFixture, fixedPathFor, listFixtures } from '../harness/fixtures';
import { runPython, skipWithoutPython } from '../harness/python';

const ORIGINAL = path.join(__dirname, '..', 'fixtures', 'unsynchronized-shared-state', 'run-counter.py');
const FIXED = fixedPathFor(ORIGINAL);
const RUNS = 20;
const EXPECTED = 8 * 3_000;

const skip = skipWithoutPython;
const run = (file: string) => runPython(file, [String(RUNS)]);


/** One [total, entries] pair per run. */
function counts(stdout: string): Array<[number, number]> {
  return stdout
    .trim()
    .split(/\r?\n/)
    .map((line) => {
      const [a, b] = line.trim().split(/\s+/).map(Number);
      return [a, b];
    });
}

describe('the lock fix makes a threaded counter exact', { skip }, () => {
  it('the fixed program is the fixture harness output of the original', async () => {
    const fx = listFixtures().find((f) => f.file === ORIGINAL);
    assert.ok(fx, 'run-counter.py is not a fixture');
    const { problems } = await checkFixture(fx);
    assert.deepEqual(problems, []);
    assert.ok(fs.readFileSync(FIXED, 'utf8').includes('with _total_lock:'));
  });

  it(`the fixed program reaches ${EXPECTED} in every one of ${RUNS} runs`, { timeout: 20_000 }, async () => {
    const after = await run(FIXED);
    assert.equal(after.code, 0, after.stderr);
    const got = counts(after.stdout);
    assert.equal(got.length, RUNS);
    for (const [total, entries] of got) {
      assert.equal(total, EXPECTED);
      assert.equal(entries, EXPECTED);
    }
  });

  it('the original loses updates', { timeout: 20_000 }, async () => {
    const before = await run(ORIGINAL);
    assert.equal(before.code, 0, before.stderr);
    const got = counts(before.stdout);
    assert.equal(got.length, RUNS);
    assert.ok(
      got.some(([total, entries]) => total < EXPECTED || entries < EXPECTED),
      `no update was lost in ${RUNS} runs: ${JSON.stringify(got)}`,
    );
  });
});
