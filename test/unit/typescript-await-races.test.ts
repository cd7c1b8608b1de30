// The JS/TS front end's race-across-await facts: which AwaitRaces it records (pattern, state key and
// owner, the read / await / write it points at) and which async LockRegions, and what it leaves alone.
// (The rule's behaviour end to end is in test/fixtures/race-across-await/, run by fixtures.test.ts.)

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinCatalogue } from '../../server/src/engine/catalogue';
import { lockAround, type AwaitRace, type SourceModel } from '../../server/src/engine/model';
import { createTypeScriptFrontend } from '../../server/src/frontends/typescript';

const frontend = createTypeScriptFrontend();
const catalogue = builtinCatalogue().node;

function model(text: string, fileName = 'test.ts'): SourceModel {
  return frontend.parse({ fileName, text }, catalogue).model;
}

interface Seen {
  pattern: AwaitRace['pattern'];
  key: string;
  owner: string;
  kind: string;
  read: string;
  await: string;
  write: string;
}

function races(text: string, fileName = 'test.ts'): Seen[] {
  const m = model(text, fileName);
  const slice = (s: { start: number; end: number }) => text.slice(s.start, s.end);
  return m.awaitRaces.map((r) => ({
    pattern: r.pattern, key: r.state.key, owner: r.state.owner, kind: r.state.kind,
    read: slice(r.read), await: slice(r.await), write: slice(r.write),
  }));
}

/** Only the pattern and key of each race, for tests about which races there are. */
function keys(text: string, fileName = 'test.ts'): string[] {
  return races(text, fileName).map((r) => `${r.pattern} ${r.key}`);
}

const DECLS = [
  'declare function f(): Promise<number>;',
  'declare function g(x: number): Promise<number>;',
  'declare function compute(k: string): Promise<number>;',
].join('\n');

describe('typescript front end: update races', () => {
  it('records a compound assignment, x = x + await, x = await g(x) and a Map read-modify-write', () => {
    const text = [
      'let balance = 0;',
      'const cache = new Map<string, number>();',
      DECLS,
      'async function a() { balance += await f(); }',
      'async function b() { balance = balance + (await f()); }',
      'async function c() { balance = await g(balance); }',
      'async function d(k: string) { cache.set(k, (cache.get(k) ?? 0) + await f()); }',
    ].join('\n');
    assert.deepEqual(races(text), [
      { pattern: 'update', key: 'balance', owner: 'module', kind: 'variable', read: 'balance', await: 'await f()', write: 'balance += await f();' },
      { pattern: 'update', key: 'balance', owner: 'module', kind: 'variable', read: 'balance', await: 'await f()', write: 'balance = balance + (await f());' },
      { pattern: 'update', key: 'balance', owner: 'module', kind: 'variable', read: 'balance', await: 'await g(balance)', write: 'balance = await g(balance);' },
      { pattern: 'update', key: 'cache[]', owner: 'module', kind: 'element', read: 'cache.get(k)', await: 'await f()', write: 'cache.set(k, (cache.get(k) ?? 0) + await f());' },
    ]);
  });

  it('records nothing when the state is read after the await, or the value is fresh', () => {
    const text = [
      'let balance = 0;',
      DECLS,
      'async function a() { balance = (await f()) + balance; }',
      'async function b() { const d = await f(); balance += d; }',
      'async function c() { balance = await f(); }',
      'async function d() { balance = await g(balance) + balance; }',
    ].join('\n');
    assert.deepEqual(keys(text), []);
  });

  it('keys instance state per class, static state per class, and a module object literal\'s `this` as the object', () => {
    const text = [
      DECLS,
      'export const store = { count: 0, async inc() { this.count += await f(); } };',
      'class Account {',
      '  balance = 0;',
      '  static created = 0;',
      '  async deposit() { this.balance = this.balance + (await f()); }',
      '  static async made() { this.created += await f(); }',
      '  handle = async () => { this.balance += await f(); };',
      '}',
      'function Legacy() {}',
      'Legacy.prototype.add = async function () { this.total += await f(); };',
    ].join('\n');
    assert.deepEqual(keys(text), ['update store.count', 'update Account.this.balance', 'update Account.created', 'update Account.this.balance', 'update Legacy.this.total']);
    assert.deepEqual(races(text).map((r) => r.owner), ['module', 'instance', 'instance', 'instance', 'instance']);
  });

  it('counts `await` only in the function itself, `for await` heads and `yield` in async generators', () => {
    const text = [
      'let total = 0;',
      DECLS,
      'async function nested(xs: number[]) { const b = total; xs.forEach(async () => { await f(); }); total = b + 1; }',
      'async function drain(s: AsyncIterable<number>) { let sum = total; for await (const x of s) sum += x; total = sum; }',
      'async function* gen() { const b = total; yield b; total = b + 1; }',
    ].join('\n');
    const seen = races(text);
    assert.deepEqual(seen.map((r) => `${r.pattern} ${r.await}`), ['stale for await (const x of s)', 'stale yield b']);
  });
});

describe('typescript front end: stale races', () => {
  it('follows a value through locals, destructuring and calls to the write', () => {
    const text = [
      DECLS,
      'const state = { count: 0, items: [] as number[] };',
      'class Wallet {',
      '  balance = 0;',
      '  async withdraw(n: number) { const b = this.balance; const next = Math.max(b - n, 0); await f(); this.balance = next; }',
      '  async take() { const { balance } = this; await f(); this.balance = balance - 1; }',
      '}',
      'async function bump() { let { count } = state; count++; await f(); state.count = count; }',
      'async function add(x: number) { const list = state.items; await f(); state.items = list.concat(x); }',
    ].join('\n');
    assert.deepEqual(races(text).map((r) => [r.pattern, r.key, r.read, r.write]), [
      ['stale', 'Wallet.this.balance', 'this.balance', 'this.balance = next;'],
      ['stale', 'Wallet.this.balance', 'this', 'this.balance = balance - 1;'],
      ['stale', 'state.count', 'state', 'state.count = count;'],
      ['stale', 'state.items', 'state.items', 'state.items = list.concat(x);'],
    ]);
  });

  it('a re-read of the local after the await, or a write that reads the state again, ends the race', () => {
    const text = [
      'let total = 0;',
      DECLS,
      'async function a() { let b = total; await f(); b = total; total = b + 1; }',
      'async function c(delta: number) { const before = total; await f(); total = total + (delta - before); }',
    ].join('\n');
    assert.deepEqual(keys(text), []);
  });

  it('is conservative about branches: an await that may not have run does not count', () => {
    const text = [
      'let total = 0;',
      DECLS,
      'async function a(c: boolean) { const b = total; if (c) { await f(); } total = b + 1; }',
      'async function b(xs: number[]) { const b = total; for (const x of xs) { await g(x); } total = b + 1; }',
      'async function c() { const b = total; try { await f(); } catch { /* */ } total = b + 1; }',
      'async function d(c: boolean) { const b = total; if (c) { await f(); } else { await g(1); } total = b + 1; }',
      'async function e() { const b = total; try { await f(); } finally { /* */ } total = b + 1; }',
    ].join('\n');
    // d: both branches await, but different awaits; e: the try block always ran to its end
    const m = model(text);
    assert.deepEqual(m.awaitRaces.map((r) => r.pattern), ['stale']);
    assert.ok(m.awaitRaces[0].write.start > text.indexOf('async function e'));
  });

  it('finds a race carried from one loop iteration into the next', () => {
    const text = [
      'let total = 0;',
      DECLS,
      'async function a(xs: number[]) { const b = total; for (const x of xs) { total = b + x; await g(x); } }',
    ].join('\n');
    assert.deepEqual(races(text).map((r) => [r.pattern, r.await, r.write]), [['stale', 'await g(x)', 'total = b + x;']]);
  });

  it('does not follow a local that a nested function assigns', () => {
    const text = [
      'let total = 0;',
      DECLS,
      'async function a(run: (cb: () => void) => Promise<void>) { let b = total; await run(() => { b = total; }); total = b + 1; }',
    ].join('\n');
    assert.deepEqual(keys(text), []);
  });
});

describe('typescript front end: check-then-act races', () => {
  it('records the tests of state that decide a write after an await', () => {
    const text = [
      DECLS,
      'declare function connect(): Promise<object>;',
      'const cache = new Map<string, number>();',
      'const seen: Record<string, number> = {};',
      'let conn: object | undefined;',
      'async function a(k: string) { if (!cache.has(k)) { cache.set(k, await compute(k)); } }',
      'async function b(k: string) { if (!(k in seen)) seen[k] = await compute(k); }',
      'async function c() { if (!conn) conn = await connect(); }',
      'async function d() { if (conn === undefined) { conn = await connect(); } }',
      'async function e() { conn ??= await connect(); }',
      'async function h() { conn = conn ?? await connect(); }',
      'async function i(k: string) { if (cache.has(k)) return cache.get(k); const v = await compute(k); cache.set(k, v); return v; }',
      'async function j(k: string) { const hit = cache.get(k); if (hit !== undefined) return hit; const v = await compute(k); cache.set(k, v); return v; }',
    ].join('\n');
    assert.deepEqual(races(text).map((r) => [r.pattern, r.key, r.read]), [
      ['check', 'cache[]', 'cache.has(k)'],
      ['check', 'seen[]', 'k in seen'],
      ['check', 'conn', 'conn'],
      ['check', 'conn', 'conn'],
      ['check', 'conn', 'conn'],
      ['check', 'conn', 'conn'],
      ['check', 'cache[]', 'cache.has(k)'],
      ['check', 'cache[]', 'cache.get(k)'],
    ]);
  });

  it('leaves alone re-checks, writes before the await, other entries, and the branch where the state is there', () => {
    const text = [
      DECLS,
      'const cache = new Map<string, number>();',
      'let started = false;',
      'let running = true;',
      'async function a(k: string) { if (!cache.has(k)) { const v = await compute(k); if (!cache.has(k)) cache.set(k, v); } }',
      'async function b() { if (started) return; started = true; await f(); }',
      'async function c(k: string, j: string) { if (!cache.has(k)) { cache.set(j, await compute(j)); } }',
      'async function d() { if (!running) return; await f(); running = false; }',
      'function e(k: string) { if (!cache.has(k)) cache.set(k, 0); }',
      'async function h(k: string) { if (!cache.has(k)) { cache.set(k, 0); cache.set(k, await compute(k)); } }',
    ].join('\n');
    assert.deepEqual(keys(text), []);
  });
});

describe('typescript front end: what is not state', () => {
  it('never locals, parameters, parameters\' objects or shadowing names', () => {
    const text = [
      DECLS,
      'let balance = 0;',
      'const registry = { value: 0 };',
      'async function a() { let sum = 0; sum += await f(); return sum; }',
      'async function b(req: { n: number; user?: number }) { req.n += await f(); req.user = await f(); }',
      'async function c(balance: number) { balance += await f(); return balance; }',
      'async function d(x: boolean) { if (x) { let balance = 1; return balance; } balance += await f(); }',
      'async function e() { console.log(registry); registry.value = await f(); }',
      'function outer() { let count = 0; return async () => { count += await f(); return count; }; }',
    ].join('\n');
    // d: a declaration anywhere in the function hides the module variable (a missed race beats a false one)
    assert.deepEqual(keys(text), []);
  });

  it('never `this` in constructors or plain functions, nor module constants that hold no object', () => {
    const text = [
      DECLS,
      'const LIMIT = 10;',
      'class C {',
      '  n = 0;',
      '  p: Promise<void>;',
      '  constructor() { this.p = (async () => { this.n = this.n + (await f()); })(); }',
      '}',
      'async function plain(this: { n: number }) { this.n += await f(); }',
      'async function lim() { return LIMIT + (await f()); }',
    ].join('\n');
    assert.deepEqual(keys(text), []);
  });

  it('ignores start-up code and files without await', () => {
    assert.deepEqual(keys('let n = 0;\nn += await Promise.resolve(1);\nexport {};', 'test.mjs'), []);
    const m = model('let n = 0;\nexport async function f() { n += 1; }\n');
    assert.deepEqual(m.awaitRaces, []);
    assert.deepEqual(m.lockRegions, []);
  });
});

describe('typescript front end: async lock regions', () => {
  it('records runExclusive, acquire/release, Semaphore tuples, async-lock and Web Locks callbacks, and covers their races', () => {
    const text = [
      "import { Mutex, Semaphore } from 'async-mutex';",
      "import AsyncLock from 'async-lock';",
      DECLS,
      'let n = 0;',
      'const mutex = new Mutex();',
      'const sem = new Semaphore(2);',
      'const keyed = new AsyncLock();',
      'async function a() { await mutex.runExclusive(async () => { n += await f(); }); }',
      'async function b() { const release = await mutex.acquire(); try { n += await f(); } finally { release(); } n += await f(); }',
      'async function c() { const [, release] = await sem.acquire(); try { n += await f(); } finally { release(); } }',
      'async function d() { await mutex.acquire(); try { n += await f(); } finally { mutex.release(); } }',
      "async function e() { await keyed.acquire('n', async () => { n += await f(); }); }",
      "async function h() { await navigator.locks.request('n', async () => { n += await f(); }); }",
      'class Q { private lock = new Mutex(); size = 0; async push() { const unlock = await this.lock.acquire(); try { this.size += await f(); } finally { unlock(); } } }',
    ].join('\n');
    const m = model(text);
    assert.deepEqual(m.lockRegions.map((r) => [r.kind, r.lock, text.slice(r.span.start, r.span.end).slice(0, 12)]), [
      ['async', 'mutex', '{ n += await'],
      ['async', 'mutex', 'try { n += a'],
      ['async', 'sem', 'try { n += a'],
      ['async', 'mutex', 'try { n += a'],
      ['async', 'keyed', '{ n += await'],
      ['async', 'navigator.locks', '{ n += await'],
      ['async', 'this.lock', 'try { this.s'],
    ]);
    // races under a lock are recorded (the rule decides): all but the one after `finally` are covered
    assert.equal(m.awaitRaces.length, 8);
    const uncovered = m.awaitRaces.filter((r) => !lockAround(m, { start: r.read.start, end: r.write.end }, r.scope, 'async'));
    assert.deepEqual(uncovered.map((r) => text.slice(r.write.start, r.write.end)), ['n += await f();']);
    assert.ok(uncovered[0].write.start > text.indexOf('finally { release(); } n'));
  });

  it('takes `if (busy) return; busy = true` for a lock held until the flag is lowered', () => {
    const text = [
      DECLS,
      'class S {',
      '  reading = false;',
      '  n = 0;',
      '  async read() {',
      '    if (this.reading) return;',
      '    this.reading = true;',
      '    try { this.n += await f(); } finally { this.reading = false; }',
      '    this.n += await f();',
      '  }',
      '  async other() { if (this.n) return; this.reading = true; this.n += await f(); }',
      '}',
    ].join('\n');
    const m = model(text);
    assert.deepEqual(m.lockRegions.map((r) => [r.lock, text.slice(r.span.start, r.span.end)]), [
      ['this.reading', 'try { this.n += await f(); } finally { this.reading = false; }'],
    ]);
    const uncovered = m.awaitRaces.filter((r) => !lockAround(m, { start: r.read.start, end: r.write.end }, r.scope, 'async'));
    assert.equal(m.awaitRaces.length, 3);
    assert.equal(uncovered.length, 2);
  });

  it('does not take a pool\'s acquire for a lock', () => {
    const text = [
      DECLS,
      'let n = 0;',
      'async function a(pool: { acquire(): Promise<{ q(): Promise<number> }>; release(c: unknown): void }) {',
      '  const conn = await pool.acquire();',
      '  try { n += await conn.q(); } finally { pool.release(conn); }',
      '}',
    ].join('\n');
    const m = model(text);
    assert.deepEqual(m.lockRegions, []);
    assert.equal(m.awaitRaces.length, 1);
  });
});

describe('typescript front end: model invariants', () => {
  it('sorts races by their writes and points each at its own scope', () => {
    const text = [
      DECLS,
      'let a = 0;',
      'let b = 0;',
      'async function outer() {',
      '  const x = a;',
      '  const inner = async () => { b += await f(); };',
      '  await inner();',
      '  a = x + 1;',
      '}',
    ].join('\n');
    const m = model(text);
    assert.deepEqual(m.awaitRaces.map((r) => r.state.key), ['b', 'a']);
    const starts = m.awaitRaces.map((r) => r.write.start);
    assert.deepEqual(starts, [...starts].sort((x, y) => x - y));
    for (const r of m.awaitRaces) {
      const s = m.scopes[r.scope];
      assert.equal(s.kind, 'async');
      assert.ok(s.span.start <= r.read.start && r.write.end <= s.span.end);
    }
    assert.notEqual(m.awaitRaces[0].scope, m.awaitRaces[1].scope);
  });

  it('survives deep nesting and odd code without throwing', () => {
    const deep = `let n = 0;\nasync function f() { ${'if (n) {'.repeat(300)} n += await Promise.resolve(1); ${'}'.repeat(300)} }`;
    assert.equal(model(deep).awaitRaces.length, 1);
    const odd = 'let n = 0;\nasync function g() { [n] = [await 1]; ({ n } = await Promise.resolve({ n: 1 })); delete (globalThis as any)[await 1]; n++; }';
    assert.deepEqual(model(odd).syntaxProblems, []);
    assert.deepEqual(keys(odd), []);
  });
});
