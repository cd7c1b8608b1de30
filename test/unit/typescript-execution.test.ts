// The JS/TS fixes of cpu-loop-on-event-loop, executed: each listed fixture (.mjs, printing a
// deterministic result when run as main) and its .fixed.mjs are run with node and must print the same
// thing; and the fixed loops must really give the event loop a turn while they run.
// (fixtures.test.ts already proves that the fixed text parses and that the findings are gone.)

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { FIXTURES_DIR, fixedPathFor } from '../harness/fixtures';

const run = promisify(execFile);
const DIR = path.join(FIXTURES_DIR, 'cpu-loop-on-event-loop');
const EXECUTED = ['yield-run.mjs'];

async function output(file: string): Promise<string> {
  const { stdout } = await run(process.execPath, [file], { timeout: 30_000 });
  return stdout;
}

describe('cpu-loop-on-event-loop fixes, executed', () => {
  for (const name of EXECUTED) {
    it(`${name} prints the same result before and after the fixes`, async () => {
      const original = path.join(DIR, name);
      const fixed = fixedPathFor(original);
      assert.notEqual(fs.readFileSync(fixed, 'utf8'), fs.readFileSync(original, 'utf8'), 'the fixed file changes nothing');
      const [before, after] = await Promise.all([output(original), output(fixed)]);
      assert.notEqual(before.trim(), '', 'the fixture printed nothing when run as main');
      assert.equal(after, before);
    });
  }

  it('a fixed loop lets an immediate callback run before it finishes; the original does not', async () => {
    type Module = { sumSquares(n: number): Promise<number> };
    const load = async (file: string) => (await import(pathToFileURL(file).href)) as Module;
    const original = await load(path.join(DIR, 'yield-run.mjs'));
    const fixed = await load(fixedPathFor(path.join(DIR, 'yield-run.mjs')));
    const interleaves = async (m: Module) => {
      let ran = false;
      setImmediate(() => (ran = true));
      const done = m.sumSquares(50_000).then(() => ran);
      return done;
    };
    assert.equal(await interleaves(original), false);
    assert.equal(await interleaves(fixed), true);
  });
});
