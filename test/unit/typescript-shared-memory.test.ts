// The JS/TS front end's shared-memory facts (StateWrite with owner `shared-memory`) and the Atomics fix
// built from them. Each exclusion is tested next to the write it must not hide, so that a test cannot
// pass because nothing at all was recorded.
// (The rule end to end is in test/fixtures/unsynchronized-shared-state/, run by fixtures.test.ts.)

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEdits } from '../../server/src/engine/finding';
import { builtinCatalogue } from '../../server/src/engine/catalogue';
import type { SourceModel, StateWrite } from '../../server/src/engine/model';
import { createTypeScriptFrontend } from '../../server/src/frontends/typescript';

const frontend = createTypeScriptFrontend();
const catalogue = builtinCatalogue().node;

function model(text: string, fileName = 'main.mjs'): SourceModel {
  return frontend.parse({ fileName, text }, catalogue).model;
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

/** `line: written op operator` for every shared-memory write, in order. */
function writes(text: string, fileName = 'main.mjs'): string[] {
  return model(text, fileName)
    .stateWrites.filter((w) => w.state.owner === 'shared-memory')
    .map((w) => `${lineOf(text, w.span.start)}: ${w.state.written} ${w.op} ${w.operator}`);
}

const lines = (...l: string[]) => l.join('\n');

const MAIN = [
  "import { Worker } from 'node:worker_threads';",
  'const sab = new SharedArrayBuffer(64);',
  'const a = new Int32Array(sab);',
];
const WORKER = ["import { workerData, parentPort, threadId } from 'node:worker_threads';"];

describe('shared memory: what is shared', () => {
  it('records the fields of a write: key, written, op, operator, atomics, scope, span', () => {
    const text = lines(...MAIN, "const w = new Worker('./w.js', { workerData: sab });", "w.on('message', () => {", '  a[0] += 2;', '});');
    const m = model(text);
    assert.equal(m.stateWrites.length, 1);
    const w = m.stateWrites[0];
    assert.deepEqual(w.state, { kind: 'element', owner: 'shared-memory', key: 'a[]', written: 'a[0]' });
    assert.equal(w.op, 'update');
    assert.equal(w.operator, '+=');
    assert.equal(w.atomics, true);
    assert.equal(m.scopes[w.scope].kind, 'loop-callback');
    assert.equal(text.slice(w.span.start, w.span.end), 'a[0] += 2;');
  });

  it('a buffer made here counts once it is handed to a worker, in any of the ways it can be carried', () => {
    const carried = [
      "new Worker('./w.js', { workerData: sab });",
      "new Worker('./w.js', { workerData: { sab } });",
      "new Worker('./w.js', { workerData: { list: [1, sab] } });",
      "new Worker('./w.js', { workerData: a });",
      "new Worker('./w.js', { workerData: { buf: a.buffer } });",
      "const data = { sab }; new Worker('./w.js', { workerData: data });",
      "const w = new Worker('./w.js'); w.postMessage(sab);",
      "const w = new Worker('./w.js'); w.postMessage({ views: [a] });",
      "const { port1 } = new MessageChannel(); port1.postMessage({ ...{ sab } });",
    ];
    for (const handOver of carried) {
      assert.deepEqual(writes(lines(...MAIN, handOver, 'a[0] = 1;')), ['5: a[0] store ='], handOver);
    }
  });

  it('memory that stays on this thread is not shared', () => {
    assert.deepEqual(writes(lines(...MAIN, "new Worker('./w.js', { workerData: 1 });", 'a[0] = 1;', 'setTimeout(() => { a[1]++; });')), []);
    assert.deepEqual(writes(lines(...MAIN, "new Worker('./w.js');", 'a[0]++;')), []);
    // a plain ArrayBuffer is copied or transferred, never shared
    const plain = lines("import { Worker } from 'node:worker_threads';", 'const ab = new ArrayBuffer(8);', 'const v = new Int32Array(ab);', "new Worker('./w.js', { workerData: ab });", 'v[0]++;');
    assert.deepEqual(writes(plain), []);
    // one shared buffer, one not: only the shared one
    const two = lines(...MAIN, 'const b = new Int32Array(new SharedArrayBuffer(8));', "new Worker('./w.js', { workerData: sab });", 'a[0]++;', 'b[0]++;');
    assert.deepEqual(writes(two), ['6: a[0] update ++']);
  });

  it('a copy of a shared typed array is not shared; a second view of the buffer is', () => {
    const text = lines(...MAIN, "new Worker('./w.js', { workerData: sab });", 'const copy = new Int32Array(a);', 'const view = new Uint8Array(a.buffer, 4, 4);', 'copy[0]++;', 'view[0]++;');
    assert.deepEqual(writes(text), ['8: view[0] update ++']);
  });

  it('every integer typed array allows Atomics; float and clamped arrays do not', () => {
    const types = ['Int8Array', 'Uint8Array', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array', 'Uint8ClampedArray', 'Float32Array', 'Float64Array'];
    const text = lines(
      "import { Worker } from 'node:worker_threads';",
      'const sab = new SharedArrayBuffer(64);',
      ...types.map((t, i) => `const v${i} = new ${t}(sab);`),
      "new Worker('./w.js', { workerData: sab });",
      ...types.map((_, i) => `v${i}[0] = 0;`),
    );
    const m = model(text);
    assert.deepEqual(m.stateWrites.map((w) => w.atomics), [true, true, true, true, true, true, true, true, false, false, false]);
  });

  it('a shadowing local, a parameter and a reassigned binding are not the shared array', () => {
    const text = lines(
      ...MAIN,
      "const w = new Worker('./w.js', { workerData: sab });",
      "w.on('message', () => {",
      '  { const a = new Int32Array(4); a[0]++; }',
      '  a[1]++;',
      '});',
      'function fill(view) { view[0] = 1; }',
      'fill(a);',
      'let r = new Int32Array(sab);',
      'r = new Int32Array(8);',
      'r[0]++;',
    );
    assert.deepEqual(writes(text), ['7: a[1] update ++']);
  });

  it('worker side: arrays over workerData, its properties (also destructured or required) and message data', () => {
    const esm = lines(
      ...WORKER,
      'const a = new Int32Array(workerData);',
      'const b = new Int32Array(workerData.counts, 0, 4);',
      'const { hist } = workerData;',
      'const c = new Uint16Array(hist);',
      "parentPort.on('message', (msg) => {",
      '  const d = new Int32Array(msg);',
      '  const { buf } = msg;',
      '  const e = new Int32Array(buf);',
      '  d[0]++; e[0]++;',
      '});',
      'let f;',
      "parentPort.once('message', ({ shared }) => { f = new Int8Array(shared); });",
      'a[0]++; b[0]++; c[0]++;',
      'function later() { f[0] = 1; }',
    );
    assert.deepEqual(writes(esm, 'w.mjs'), ['10: d[0] update ++', '10: e[0] update ++', '14: a[0] update ++', '14: b[0] update ++', '14: c[0] update ++', '15: f[0] store =']);
    const cjs = lines(
      "const wt = require('node:worker_threads');",
      "const { workerData: data } = require('worker_threads');",
      'const a = new Int32Array(wt.workerData);',
      'const b = new Int32Array(data.buffer);',
      'a[0]++; b[0]++;',
    );
    assert.deepEqual(writes(cjs, 'w.cjs'), ['5: a[0] update ++', '5: b[0] update ++']);
  });

  it('worker side: a number makes a fresh array, a value received as is is not known to be a typed array', () => {
    const text = lines(
      ...WORKER,
      'const fresh = new Int32Array(workerData.length);',
      'const sized = new Int32Array(workerData.bufferSize);',
      'const raw = workerData.counts;',
      'const view = new Int32Array(workerData.counts, workerData.byteOffset, 4);',
      'fresh[0]++; sized[0]++; raw[0]++; view[0]++;',
    );
    assert.deepEqual(writes(text, 'w.mjs'), ['6: view[0] update ++']);
  });

  it('a message handler that is not parentPort\'s does not receive shared memory', () => {
    const text = lines(...WORKER, "import { EventEmitter } from 'node:events';", 'const bus = new EventEmitter();', "bus.on('message', (m) => { const v = new Int32Array(m); v[0]++; });", 'const w = new Int32Array(workerData); w[0]++;');
    assert.deepEqual(writes(text, 'w.mjs'), ['5: w[0] update ++']);
  });

  it('files that mention none of SharedArrayBuffer, workerData, Atomics are not looked at', () => {
    // (a documented blind spot: shared memory that only ever arrives through parentPort messages)
    const text = lines("import { parentPort } from 'node:worker_threads';", "parentPort.on('message', (m) => { const v = new Int32Array(m); v[0]++; });");
    assert.deepEqual(writes(text, 'w.mjs'), []);
    assert.deepEqual(writes(`// Atomics\n${text}`, 'w.mjs'), ['3: v[0] update ++']);
  });
});

describe('shared memory: when a write on the main side races', () => {
  it('only writes after the hand-over in the same function', () => {
    const text = lines(...MAIN, 'a[0] = 1;', 'for (let i = 1; i < 4; i++) a[i] = i;', "const w = new Worker('./w.js', { workerData: sab });", 'a[0] = 2;');
    assert.deepEqual(writes(text), ['7: a[0] store =']);
  });

  it('callbacks that run later, async functions nobody here calls, and functions they call', () => {
    const text = lines(
      ...MAIN,
      "const w = new Worker('./w.js', { workerData: sab });",
      "w.on('message', () => { bump(); });",
      'function bump() { a[0]++; }',
      'setTimeout(() => { a[1] = 0; }, 5);',
      'Promise.resolve().then(() => { a[2] -= 1; });',
      'export async function reset() { a[3] = 0; }',
      'function unused() { a[4] = 0; }',
    );
    assert.deepEqual(writes(text), ['6: a[0] update ++', '7: a[1] store =', '8: a[2] update -=', '9: a[3] store =']);
  });

  it('an async function called only before the hand-over is initialisation; called after it, it races', () => {
    const before = lines(...MAIN, 'async function init() { a[0] = 1; }', 'await init();', "new Worker('./w.js', { workerData: sab });");
    assert.deepEqual(writes(before), []);
    const after = lines(...MAIN, 'async function init() { a[0] = 1; }', "new Worker('./w.js', { workerData: sab });", 'await init();');
    assert.deepEqual(writes(after), ['4: a[0] store =']);
  });

  it('a hand-over inside a function: later writes there, not in other plain functions', () => {
    const text = lines(
      "import { Worker } from 'node:worker_threads';",
      'function start() {',
      '  const sab = new SharedArrayBuffer(8);',
      '  const v = new Int32Array(sab);',
      '  v[0] = 5;',
      "  const w = new Worker('./w.js', { workerData: sab });",
      "  w.on('exit', () => { v[0] = 0; });",
      '  v[1]++;',
      '}',
    );
    assert.deepEqual(writes(text), ['7: v[0] store =', '8: v[1] update ++']);
  });
});

describe('shared memory: when a write in a worker races', () => {
  it('every worker writing the same element races; writes inside functions and loops too', () => {
    const text = lines(...WORKER, 'const a = new Int32Array(workerData.buf);', 'for (let i = 0; i < 10; i++) a[0]++;', 'for (let i = 0; i < a.length; i++) a[i] = 0;', 'function f() { a[1] |= 4; }');
    assert.deepEqual(writes(text, 'w.mjs'), ['3: a[0] update ++', '4: a[i] store =', '5: a[1] update |=']);
  });

  it('a range [start, end) from workerData is per-worker; from 0 it is not', () => {
    const own = lines(...WORKER, 'const a = new Int32Array(workerData.buf);', 'const { start, end } = workerData;', 'for (let i = start; i < end; i++) a[i] = i;');
    assert.deepEqual(writes(own, 'w.mjs'), []);
    const all = lines(...WORKER, 'const a = new Int32Array(workerData.buf);', 'const { end } = workerData;', 'for (let i = 0; i < end; i++) a[i] = i;');
    assert.deepEqual(writes(all, 'w.mjs'), ['4: a[i] store =']);
  });

  it('bounds computed from the worker index, message fields, ++i / i += 1 / reversed comparison', () => {
    const text = lines(
      ...WORKER,
      'const a = new Int32Array(workerData.buf);',
      'const chunk = Math.ceil(a.length / workerData.workers);',
      'const from = workerData.index * chunk;',
      'const to = Math.min(from + chunk, a.length);',
      'for (let i = from; i < to; ++i) a[i] = 1;',
      'for (let j = workerData.lo; workerData.hi > j; j += 1) a[j] = 2;',
      "parentPort.on('message', ({ lo, hi }) => { for (let k = lo; k < hi; k = k + 1) a[k] += 3; });",
    );
    assert.deepEqual(writes(text, 'w.mjs'), []);
  });

  it('a loop variable the body moves, or `<=`, is not a proven range (and not recorded either: per-worker)', () => {
    const moved = lines(...WORKER, 'const a = new Int32Array(workerData.buf);', 'for (let i = workerData.lo; i < workerData.hi; i++) { a[i] = 1; i += 2; }');
    assert.deepEqual(writes(moved, 'w.mjs'), []);
    const le = lines(...WORKER, 'const a = new Int32Array(workerData.buf);', 'for (let i = workerData.lo; i <= workerData.hi; i++) a[i] = 1;');
    assert.deepEqual(writes(le, 'w.mjs'), []);
  });

  it('values we cannot follow decide nothing; a counter computed from itself is not per-worker', () => {
    const text = lines(
      ...WORKER,
      'const a = new Int32Array(workerData.buf);',
      'const [lo, hi] = workerData.range;',
      'for (let i = lo; i < hi; i++) a[i] = 1;',
      'let mine; mine = workerData.index + 1; a[mine] = 2;',
      'let next = 0;',
      'function step() { next = next + 1; a[next]++; }',
    );
    assert.deepEqual(writes(text, 'w.mjs'), ['7: a[next] update ++']);
  });

  it('per-worker writes race when another write to the same array overlaps other workers', () => {
    const text = lines(
      ...WORKER,
      'const a = new Int32Array(workerData.buf);',
      'const b = new Int32Array(workerData.other);',
      'for (let i = workerData.lo; i < workerData.hi; i++) a[i] = 1;',
      'b[workerData.index] = 1;',
      'a[0] = 9;',
    );
    assert.deepEqual(writes(text, 'w.mjs'), ['4: a[i] store =', '6: a[0] store =']);
  });

  it('per-worker identities: workerData.index/id/slot/workerId…, threadId, also through a const', () => {
    const text = lines(
      ...WORKER,
      'const a = new Int32Array(workerData.buf);',
      'const { slot } = workerData;',
      'a[workerData.index] = 1; a[workerData.id]++; a[slot] += 2; a[workerData.workerIndex] = 3; a[threadId] = 4;',
    );
    assert.deepEqual(writes(text, 'w.mjs'), []);
    // a workerData property that is not an identity is not assumed disjoint either way
    assert.deepEqual(writes(lines(...WORKER, 'const a = new Int32Array(workerData.buf);', 'a[workerData.offset + 1] = 1;'), 'w.mjs'), []);
  });

  it('parameters decide nothing; per-worker data decides stores, not updates', () => {
    const text = lines(
      ...WORKER,
      'const a = new Int32Array(workerData.buf);',
      'function put(i, v) { a[i] = v; }',
      'for (const i of workerData.indices) a[i] = 1;',
      'for (const x of workerData.values) a[x % 8]++;',
      'a[workerData.values[0]] += 1;',
    );
    assert.deepEqual(writes(text, 'w.mjs'), ['5: a[x % 8] update ++', '6: a[workerData.values[0]] update +=']);
  });
});

describe('shared memory: synchronisation', () => {
  it('Atomics calls are not writes', () => {
    const text = lines(...WORKER, 'const a = new Int32Array(workerData);', 'Atomics.add(a, 0, 1); Atomics.store(a, 1, Atomics.load(a, 1) + 1);', 'a[2]++;');
    assert.deepEqual(writes(text, 'w.mjs'), ['4: a[2] update ++']);
  });

  it('no write in a function that waits, swaps or locks, in a lock callback, or in what a locking function calls', () => {
    const text = lines(
      ...WORKER,
      'const a = new Int32Array(workerData);',
      'function waits() { Atomics.wait(a, 0, 0); a[1] = 2; }',
      'function spins() { while (Atomics.compareExchange(a, 0, 0, 1) !== 0); critical(); a[2]++; Atomics.store(a, 0, 0); }',
      'function critical() { a[3]++; }',
      'function locked() { mutex.lock(); a[4]++; mutex.unlock(); }',
      'withLock(() => { a[5]++; });',
      'function plain() { a[6]++; }',
    );
    assert.deepEqual(writes(text, 'w.mjs'), ['8: a[6] update ++']);
  });

  it('a store published by an Atomics write to another array is a hand-off; an update there still races', () => {
    const text = lines(
      ...WORKER,
      'const data = new Int32Array(workerData.data);',
      'const head = new Int32Array(workerData.head);',
      'function push(v) { const at = Atomics.load(head, 0); data[at & 15] = v; data[16]++; Atomics.store(head, 0, at + 1); }',
      'function same() { data[17] = 1; Atomics.add(data, 18, 1); }',
    );
    assert.deepEqual(writes(text, 'w.mjs'), ['4: data[16] update ++', '5: data[17] store =']);
  });
});

function fixed(text: string, fileName = 'w.mjs'): Array<[string, string] | undefined> {
  const m = model(text, fileName);
  return m.stateWrites.map((w: StateWrite) => {
    const fix = m.fixer.useAtomics?.(w);
    if (!fix) return undefined;
    assert.equal(fix.safe, true);
    const out = applyEdits(text, fix.edits);
    const line = out.split('\n')[lineOf(text, w.span.start) - 1];
    return [fix.title, line];
  });
}

describe('shared memory: the Atomics fix', () => {
  const head = [...WORKER, 'const a = new Int32Array(workerData);', 'const big = new BigInt64Array(workerData.big);'];

  it('one Atomics call per kind of write', () => {
    const text = lines(...head, 'a[0] = 5;', 'a[1]++;', '++a[2];', 'a[3]--;', '--a[4];', 'a[5] += n;', 'a[6] -= n;', 'a[7] |= 1;', 'a[8] &= m;', 'a[9] ^= m;', 'big[0]++;', 'big[1] -= 2n;');
    assert.deepEqual(fixed(text), [
      ['Use `Atomics.store(a, 0, 5)`', 'Atomics.store(a, 0, 5);'],
      ['Use `Atomics.add(a, 1, 1)`', 'Atomics.add(a, 1, 1);'],
      ['Use `Atomics.add(a, 2, 1)`', 'Atomics.add(a, 2, 1);'],
      ['Use `Atomics.sub(a, 3, 1)`', 'Atomics.sub(a, 3, 1);'],
      ['Use `Atomics.sub(a, 4, 1)`', 'Atomics.sub(a, 4, 1);'],
      ['Use `Atomics.add(a, 5, n)`', 'Atomics.add(a, 5, n);'],
      ['Use `Atomics.sub(a, 6, n)`', 'Atomics.sub(a, 6, n);'],
      ['Use `Atomics.or(a, 7, 1)`', 'Atomics.or(a, 7, 1);'],
      ['Use `Atomics.and(a, 8, m)`', 'Atomics.and(a, 8, m);'],
      ['Use `Atomics.xor(a, 9, m)`', 'Atomics.xor(a, 9, m);'],
      ['Use `Atomics.add(big, 0, 1n)`', 'Atomics.add(big, 0, 1n);'],
      ['Use `Atomics.sub(big, 1, 2n)`', 'Atomics.sub(big, 1, 2n);'],
    ]);
  });

  it('a read-modify-write with the paired read of the same element', () => {
    const text = lines(...head, 'a[i] = a[i] + d;', 'a[i + 1] = (d * 2) + a[ i + 1 ];', 'a[i] = a[i] - d;', 'a[i] = a[i] | 4;', 'a[j] = (a[j] ^ m);', 'a[i] = a[j] + 1;');
    assert.deepEqual(fixed(text), [
      ['Use `Atomics.add(a, i, d)`', 'Atomics.add(a, i, d);'],
      ['Use `Atomics.add(a, i + 1, (d * 2))`', 'Atomics.add(a, i + 1, (d * 2));'],
      ['Use `Atomics.sub(a, i, d)`', 'Atomics.sub(a, i, d);'],
      ['Use `Atomics.or(a, i, 4)`', 'Atomics.or(a, i, 4);'],
      ['Use `Atomics.xor(a, j, m)`', 'Atomics.xor(a, j, m);'],
      // another element's value is a plain store
      ['Use `Atomics.store(a, i, a[j] + 1)`', 'Atomics.store(a, i, a[j] + 1);'],
    ]);
  });

  it('no single Atomics call: other operators, the value used, reads on both sides, an index with effects, float arrays', () => {
    const text = lines(
      ...head,
      'const f = new Float32Array(workerData.f);',
      'a[0] *= 2;',
      'a[1] = Math.max(a[1], 2);',
      'a[2] = d - a[2];',
      'a[3] = a[3] + a[3];',
      'a[next()] = a[next()] + 1;',
      'a[5] ??= 1;',
      'x = a[6]++;',
      'f[0] += 1;',
      'for (let k = 0; k < 2; a[7]++) k++;',
    );
    assert.deepEqual(fixed(text), Array(9).fill(undefined));
  });

  it('keeps comments, parenthesises a comma index, unwraps a parenthesised target, shortens long titles', () => {
    const text = lines(
      ...head,
      'a[i /* slot */] /* hot */ += /* one */ 1; // trailing',
      'a[i, j] = 1;',
      '(a[k])++;',
      '++/* pre */a[k];',
      'a[someRatherLongIndexExpression + anotherLongName] = computeTheValueToStore(i);',
      'a[0] += // why\n  1;',
    );
    assert.deepEqual(fixed(text), [
      ['Use `Atomics.add(a, i, 1)`', 'Atomics.add(a, i, /* slot */ /* hot */ /* one */ 1); // trailing'],
      ['Use `Atomics.store(a, (i, j), 1)`', 'Atomics.store(a, (i, j), 1);'],
      ['Use `Atomics.add(a, k, 1)`', 'Atomics.add(a, k, 1);'],
      ['Use `Atomics.add(a, k, 1)`', 'Atomics.add(/* pre */ a, k, 1);'],
      ['Use `Atomics.store(a, …)`', 'Atomics.store(a, someRatherLongIndexExpression + anotherLongName, computeTheValueToStore(i));'],
      ['Use `Atomics.add(a, 0, 1)`', 'Atomics.add(a, 0, // why'],
    ]);
  });

  it('TypeScript: type assertions and non-null marks on the target', () => {
    const text = lines(...head, '(a as Int32Array)[0] = 1;', 'a[1]! += 2;');
    assert.deepEqual(fixed(text, 'w.ts'), [
      ['Use `Atomics.store((a as Int32Array), 0, 1)`', 'Atomics.store((a as Int32Array), 0, 1);'],
      ['Use `Atomics.add(a, 1, 2)`', 'Atomics.add(a, 1, 2);'],
    ]);
  });
});
