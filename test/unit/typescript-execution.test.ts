// The JS/TS fixes of cpu-loop-on-event-loop, executed: each listed fixture (.mjs, printing a
// deterministic result when run as main) and its .fixed.mjs are run with node and must print the same
// thing; and the fixed loops must really give the event loop a turn while they run.
// The worker-pool extractions (node:worker_threads helper variant, ESM and CommonJS) run from a temp
// directory holding the fixed file and the files the fix created (<name>.fixed.files/); the piscina
// variant is checked by fixture only (piscina is not installed here).
// (fixtures.test.ts already proves that the fixed text parses and that the findings are gone.)

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { FIXTURES_DIR, fixedPathFor, otherFileSnapshot } from '../harness/fixtures';

const run = promisify(execFile);
const DIR = path.join(FIXTURES_DIR, 'cpu-loop-on-event-loop');
const EXECUTED = ['yield-run.mjs'];

const EXTRACTED = ['worker-run.mjs', 'worker-commonjs.cjs'];

/** A temp package with the fixed file under the fixture's name and every file its fix created. */
function fixedPackage(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-worker-'));
  const original = path.join(DIR, name);
  fs.copyFileSync(fixedPathFor(original), path.join(dir, name));
  const created = otherFileSnapshot(original, DIR);
  const files = fs.readdirSync(created, { recursive: true }) as string[];
  assert.ok(files.length >= 2, `${name}: the fix should create a worker module and the pool helper`);
  for (const rel of files) {
    const from = path.join(created, rel);
    if (!fs.statSync(from).isFile()) continue;
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, rel));
  }
  return dir;
}

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

  for (const name of EXTRACTED) {
    it(`${name}: the loop moved into a worker prints the same result as the original`, async () => {
      const dir = fixedPackage(name);
      try {
        const fixed = fs.readFileSync(path.join(dir, name), 'utf8');
        assert.match(fixed, /await runInWorker\(/);
        const [before, after] = await Promise.all([output(path.join(DIR, name)), output(path.join(dir, name))]);
        assert.notEqual(before.trim(), '', 'the fixture printed nothing when run as main');
        assert.equal(after, before);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('a loop moved into a worker leaves the event loop free while it runs', async () => {
    const dir = fixedPackage('worker-run.mjs');
    try {
      type Module = { pairStats(xs: number[], ys: number[]): Promise<{ hits: number }> };
      const fixed = (await import(pathToFileURL(path.join(dir, 'worker-run.mjs')).href)) as Module;
      const original = (await import(pathToFileURL(path.join(DIR, 'worker-run.mjs')).href)) as Module;
      const xs = Array.from({ length: 3000 }, (_, i) => i);
      const interleaves = async (m: Module) => {
        let ran = false;
        setImmediate(() => (ran = true));
        const result = await m.pairStats(xs, xs);
        return { ran, hits: result.hits };
      };
      const before = await interleaves(original);
      const after = await interleaves(fixed);
      assert.equal(before.ran, false);
      assert.equal(after.ran, true);
      assert.equal(after.hits, before.hits);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

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
