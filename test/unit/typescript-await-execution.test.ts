// The JS fixes of race-across-await, executed: test/fixtures/race-across-await/counter-run.mjs makes 200
// concurrent deposits of 1, each doing `balance += await deposit()` with a setImmediate tick inside,
// and loses updates. Every fixed variant must end with exactly 200:
// - the fixture's .fixed.mjs (the first fix: await first, then update);
// - a new lock made by the fix itself (`createLock()`, no async-mutex in the package);
// - a new async-mutex `Mutex` (the package in the dependencies), and an existing one reused ("Hold …").
// async-mutex is not installed here: those two variants run against a stand-in package written into
// the temp directory with async-mutex's documented API (`new Mutex()`, `acquire()` resolving to a
// release function, `runExclusive`), so they check the code the fix writes, not the library.
// (fixtures.test.ts already proves that the fixed texts parse and that the findings are gone.)

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { defaultAnalysisConfig } from '../../server/src/engine/config';
import { fixAll, type FixPicker } from '../../server/src/engine/fix-all';
import type { ProjectFacts } from '../../server/src/frontends/frontend';
import { FIXTURES_DIR, fixedPathFor, sharedEngine } from '../harness/fixtures';

const run = promisify(execFile);
const FIXTURE = path.join(FIXTURES_DIR, 'race-across-await', 'counter-run.mjs');
const CALLS = 200;

const MUTEX_STAND_IN = `'use strict';
class Mutex {
  constructor() {
    this._tail = Promise.resolve();
  }
  acquire() {
    let release = () => {};
    const held = new Promise((resolve) => {
      release = () => resolve();
    });
    const ready = this._tail.then(() => release);
    this._tail = held;
    return ready;
  }
  async runExclusive(fn) {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
exports.Mutex = Mutex;
`;

/** A temp package holding `text` as counter-run.mjs (and the async-mutex stand-in when asked). */
function tempPackage(text: string, withMutex: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-await-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'counter', type: 'module', dependencies: withMutex ? { 'async-mutex': '*' } : {} }));
  fs.writeFileSync(path.join(dir, 'counter-run.mjs'), text);
  if (withMutex) {
    const mod = path.join(dir, 'node_modules', 'async-mutex');
    fs.mkdirSync(mod, { recursive: true });
    fs.writeFileSync(path.join(mod, 'package.json'), JSON.stringify({ name: 'async-mutex', main: 'index.js' }));
    fs.writeFileSync(path.join(mod, 'index.js'), MUTEX_STAND_IN);
  }
  return dir;
}

async function finalBalance(file: string): Promise<number> {
  const { stdout } = await run(process.execPath, [file], { timeout: 30_000 });
  const n = Number(stdout.trim());
  assert.ok(Number.isInteger(n), `the program printed ${JSON.stringify(stdout)}`);
  return n;
}

/** The program after every race-across-await finding got the fix whose title starts with `prefix`. */
async function fixedWith(text: string, prefix: string, project?: ProjectFacts): Promise<string> {
  const engine = await sharedEngine();
  const pick: FixPicker = (f) => (f.rule === 'race-across-await' ? f.fixes.find((x) => x.title.startsWith(prefix)) : undefined);
  const input = { fileName: FIXTURE, text, ...(project ? { project } : {}) };
  const { text: fixed, applied } = fixAll(engine, input, defaultAnalysisConfig(), pick);
  assert.ok(applied > 0, `no fix titled "${prefix}…" was applied`);
  return fixed;
}

function project(dir: string, dependencies: string[]): ProjectFacts {
  return { root: dir, dependencies, moduleType: 'module', fileExists: (p) => fs.existsSync(p) };
}

async function runVariant(text: string, withMutex: boolean): Promise<number> {
  const dir = tempPackage(text, withMutex);
  try {
    return await finalBalance(path.join(dir, 'counter-run.mjs'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('race-across-await fixes, executed', () => {
  const original = fs.readFileSync(FIXTURE, 'utf8');

  it('the original program loses updates', async () => {
    const n = await finalBalance(FIXTURE);
    assert.ok(n < CALLS, `expected lost updates, got ${n}`);
  });

  it('awaiting first, then updating (the fixture\'s .fixed.mjs), ends with the exact total', async () => {
    const fixed = fs.readFileSync(fixedPathFor(FIXTURE), 'utf8');
    assert.match(fixed, /const value = await deposit\(\);\s+balance \+= value;/);
    assert.equal(await finalBalance(fixedPathFor(FIXTURE)), CALLS);
  });

  it('a new createLock() lock ends with the exact total', async () => {
    const fixed = await fixedWith(original, 'Guard');
    assert.match(fixed, /function createLock\(\)/);
    assert.match(fixed, /const release = await balanceLock\.acquire\(\);/);
    assert.equal(await runVariant(fixed, false), CALLS);
  });

  it('a new async-mutex Mutex ends with the exact total', async () => {
    const fixed = await fixedWith(original, 'Guard', project(path.dirname(FIXTURE), ['async-mutex']));
    assert.match(fixed, /import \{ Mutex \} from 'async-mutex';/);
    assert.match(fixed, /const balanceMutex = new Mutex\(\);/);
    assert.equal(await runVariant(fixed, true), CALLS);
  });

  it('an existing async-mutex Mutex, reused, ends with the exact total', async () => {
    const withLock = original
      .replace("import { pathToFileURL } from 'node:url';", "import { pathToFileURL } from 'node:url';\nimport { Mutex } from 'async-mutex';\n\nconst mutex = new Mutex();")
      .replace('export async function run(', 'export async function depositLocked() {\n  await mutex.runExclusive(async () => {\n    balance += await deposit();\n  });\n}\n\nexport async function run(');
    assert.notEqual(withLock, original);
    const fixed = await fixedWith(withLock, 'Hold `mutex`');
    assert.match(fixed, /const release = await mutex\.acquire\(\);/);
    assert.equal(await runVariant(fixed, true), CALLS);
  });
});
