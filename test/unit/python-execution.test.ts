// The Python CPU fixes change how a program runs (a process pool instead of the event loop or a
// thread), so reading the fixed text is not enough: this runs a few fixture programs and their
// `.fixed.py` with the local python3 and checks they print the same result. Fixtures opt in by
// ending in `if __name__ == "__main__": print(asyncio.run(main(…)))` (a process pool needs that guard).
// Skipped, with a message, where python3 is missing.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runPython, skipWithoutPython } from '../harness/python';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const DIRS = ['cpu-loop-on-event-loop', 'cpu-bound-work-in-thread-pool'];
const MAIN_GUARD = /^if __name__ == "__main__":\s*\n\s+print\(asyncio\.run\(main\(/m;

const skip = skipWithoutPython;
const run = (file: string) => runPython(file);

function programs(): Array<{ original: string; fixed: string }> {
  const out: Array<{ original: string; fixed: string }> = [];
  for (const dir of DIRS) {
    for (const name of fs.readdirSync(path.join(FIXTURES, dir)).sort()) {
      if (!name.endsWith('.py') || name.endsWith('.fixed.py')) continue;
      const original = path.join(FIXTURES, dir, name);
      const fixed = original.replace(/\.py$/, '.fixed.py');
      if (MAIN_GUARD.test(fs.readFileSync(original, 'utf8')) && fs.existsSync(fixed)) out.push({ original, fixed });
    }
  }
  return out;
}


describe('fixed Python programs compute what the originals compute', { skip }, () => {
  const list = programs();
  it('has programs to run', () => assert.ok(list.length >= 2, 'no runnable fixtures found'));
  for (const { original, fixed } of list) {
    it(path.relative(FIXTURES, original), { timeout: 10_000 }, async () => {
      const [before, after] = await Promise.all([run(original), run(fixed)]);
      assert.equal(before.code, 0, `original failed:\n${before.stderr}`);
      assert.equal(after.code, 0, `fixed failed:\n${after.stderr}`);
      assert.notEqual(before.stdout.trim(), '', 'the original printed nothing');
      assert.equal(after.stdout, before.stdout);
    });
  }
});
