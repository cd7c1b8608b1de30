// The Atomics fix of unsynchronized-shared-state, executed: count-run.mjs has four worker threads add
// 1 to one Int32Array element 100,000 times each, started together. The fixed program must sum exactly
// in every one of ten rounds (one process, fresh workers and buffer per round). Whether the original
// loses increments depends on the scheduler, so it is run and its totals reported, never asserted.
// (fixtures.test.ts already proves that the fixed text parses and that the finding is gone.)

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { FIXTURES_DIR, fixedPathFor } from '../harness/fixtures';

const run = promisify(execFile);
const ORIGINAL = path.join(FIXTURES_DIR, 'unsynchronized-shared-state', 'count-run.mjs');
const ROUNDS = 10;
const EXPECTED = 4 * 100_000;

async function totals(file: string, rounds: number): Promise<number[]> {
  const { stdout } = await run(process.execPath, [file, String(rounds)], { timeout: 60_000 });
  const parsed: unknown = JSON.parse(stdout);
  assert.ok(Array.isArray(parsed) && parsed.every((n) => typeof n === 'number'), `unexpected output: ${stdout}`);
  return parsed as number[];
}

describe('unsynchronized-shared-state Atomics fix, executed', () => {
  it('the fixed workers sum exactly in every round', async (t) => {
    const fixed = fixedPathFor(ORIGINAL);
    const fixedText = fs.readFileSync(fixed, 'utf8');
    assert.match(fixedText, /Atomics\.add\(counts, 0, 1\);/);
    assert.doesNotMatch(fixedText, /counts\[0\]\+\+/);
    const after = await totals(fixed, ROUNDS);
    assert.equal(after.length, ROUNDS);
    assert.deepEqual(after, Array(ROUNDS).fill(EXPECTED));
    // for the record: the unfixed program on this machine (not asserted)
    const before = await totals(ORIGINAL, 3);
    const lost = before.filter((n) => n !== EXPECTED).length;
    t.diagnostic(`original: ${lost}/${before.length} rounds lost increments (${before.join(', ')})`);
  });
});
