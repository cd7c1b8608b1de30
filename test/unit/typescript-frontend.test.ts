// The TypeScript/JavaScript front end at model level: what each call resolves to, what kind of scope
// each call runs in, which comments are collected, and that no input makes it throw.
// (The rule's behaviour end to end is in test/fixtures/blocking-call-in-async/, run by fixtures.test.ts.)

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { builtinCatalogue } from '../../server/src/engine/catalogue';
import { defaultAnalysisConfig } from '../../server/src/engine/config';
import { fixAll, pickFirstFix } from '../../server/src/engine/fix-all';
import { effectiveScope, type Call, type SourceModel } from '../../server/src/engine/model';
import { createTypeScriptFrontend } from '../../server/src/frontends/typescript';
import { sharedEngine } from '../harness/fixtures';

const frontend = createTypeScriptFrontend();
const catalogue = builtinCatalogue().node;

function model(text: string, fileName = 'test.ts', languageId?: string): SourceModel {
  return frontend.parse({ fileName, text, languageId }, catalogue).model;
}

/** The calls whose callee is written exactly `written`, in source order. */
function callsOf(m: SourceModel, written: string): Call[] {
  return m.calls.filter((c) => c.written === written);
}

function onlyCall(m: SourceModel, written: string): Call {
  const found = callsOf(m, written);
  assert.equal(found.length, 1, `expected one call written \`${written}\`, found ${found.length}: ${m.calls.map((c) => c.written).join(', ')}`);
  return found[0];
}

/** name of every call, in order, written → name */
function names(text: string, fileName = 'test.ts'): Array<[string, string | undefined]> {
  return model(text, fileName).calls.map((c) => [c.written, c.name]);
}

describe('typescript front end: name resolution', () => {
  it('resolves every ESM import form and drops node:', () => {
    const text = [
      "import fs from 'fs';",
      "import * as nfs from 'node:fs';",
      "import { readFileSync as rf, promises as fsp } from 'fs';",
      "import fsp2 from 'fs/promises';",
      "import { default as fs3 } from 'node:fs';",
      'fs.readFileSync(a); nfs.readFileSync(a); rf(a); fsp.readFile(a); fsp2.readFile(a); fs3.statSync(a);',
    ].join('\n');
    assert.deepEqual(names(text), [
      ['fs.readFileSync', 'fs.readFileSync'],
      ['nfs.readFileSync', 'fs.readFileSync'],
      ['rf', 'fs.readFileSync'],
      ['fsp.readFile', 'fs.promises.readFile'],
      ['fsp2.readFile', 'fs/promises.readFile'],
      ['fs3.statSync', 'fs.statSync'],
    ]);
  });

  it('resolves CommonJS requires, destructuring, inline requires and members of required modules', () => {
    const text = [
      "const fs = require('fs');",
      "const { execSync, spawnSync: run } = require('node:child_process');",
      "const { promises } = require('fs');",
      "const { promises: { readFile: ra } } = require('fs');",
      "const p2 = require('fs').promises;",
      "var zlib = require('zlib');",
      'const stat = fs.statSync;',
      "fs.readFileSync(a); execSync(a); run(a); promises.readFile(a); ra(a); p2.stat(a); zlib.gzipSync(a); stat(a); require('fs').existsSync(a);",
    ].join('\n');
    assert.deepEqual(names(text, 'test.cjs').filter(([w]) => w !== 'require'), [
      ['fs.readFileSync', 'fs.readFileSync'],
      ['execSync', 'child_process.execSync'],
      ['run', 'child_process.spawnSync'],
      ['promises.readFile', 'fs.promises.readFile'],
      ['ra', 'fs.promises.readFile'],
      ['p2.stat', 'fs.promises.stat'],
      ['zlib.gzipSync', 'zlib.gzipSync'],
      ['stat', 'fs.statSync'],
      ["require('fs').existsSync", 'fs.existsSync'],
    ]);
  });

  it('resolves TypeScript import-equals, and ignores type-only imports', () => {
    const m = model([
      "import fs = require('fs');",
      "import type { readFileSync } from 'fs';",
      "import { type statSync, existsSync } from 'fs';",
      'fs.readFileSync(a); readFileSync(a); statSync(a); existsSync(a);',
    ].join('\n'));
    assert.equal(onlyCall(m, 'fs.readFileSync').name, 'fs.readFileSync');
    assert.equal(onlyCall(m, 'readFileSync').name, undefined);
    assert.equal(onlyCall(m, 'statSync').name, undefined);
    assert.equal(onlyCall(m, 'existsSync').name, 'fs.existsSync');
  });

  it('sees through what compilers emit: interop helpers, (0, x.f)(), .default, createRequire, await import()', () => {
    const m = model([
      "const fs_1 = __importDefault(require('fs'));",
      "const cp = _interopRequireWildcard(require('child_process'));",
      "var import_zlib = __toESM(require('zlib'));",
      "import { createRequire } from 'node:module';",
      'const req = createRequire(import.meta.url);',
      "const os = req('fs');",
      'async function f() {',
      "  const dyn = await import('node:fs');",
      '  fs_1.default.readFileSync(a); cp.execSync(a); (0, import_zlib.gzipSync)(a); os.statSync(a); dyn.lstatSync(a);',
      '}',
    ].join('\n'), 'test.mjs');
    assert.equal(onlyCall(m, 'fs_1.default.readFileSync').name, 'fs.readFileSync');
    assert.equal(onlyCall(m, 'cp.execSync').name, 'child_process.execSync');
    assert.equal(onlyCall(m, '(0, import_zlib.gzipSync)').name, 'zlib.gzipSync');
    assert.equal(onlyCall(m, 'os.statSync').name, 'fs.statSync');
    assert.equal(onlyCall(m, 'dyn.lstatSync').name, 'fs.lstatSync');
  });

  it('names unshadowed globals, through globalThis too, and calls of a module object as its default', () => {
    const m = model([
      "import debug from 'debug';",
      'Atomics.wait(a, 0, 0); setTimeout(f); process.nextTick(f); globalThis.setImmediate(f); debug(a); mystery.readFileSync(a);',
    ].join('\n'));
    assert.equal(onlyCall(m, 'Atomics.wait').name, 'Atomics.wait');
    assert.equal(onlyCall(m, 'setTimeout').name, 'setTimeout');
    assert.equal(onlyCall(m, 'process.nextTick').name, 'process.nextTick');
    assert.equal(onlyCall(m, 'globalThis.setImmediate').name, 'setImmediate');
    assert.equal(onlyCall(m, 'debug').name, 'debug.default');
    // a free `mystery` may be anything: not named
    assert.equal(onlyCall(m, 'mystery.readFileSync').name, undefined);
  });

  it('never takes a shadowing local for the module: objects, parameters, functions, catch, loops, blocks, hoisting', () => {
    const m = model([
      "import fs from 'fs';",
      "import { readFileSync } from 'fs';",
      'async function a() { const fs = { readFileSync() {} }; fs.readFileSync(1); }',
      'async function b(fs) { fs.readFileSync(2); }',
      'async function c() { readFileSync(3); function readFileSync() {} }',
      'async function d() { try {} catch (fs) { fs.readFileSync(4); } }',
      'async function e(xs) { for (const fs of xs) fs.readFileSync(5); }',
      'async function g() { { let fs = null; fs.readFileSync(6); } fs.readFileSync(7); }',
      'async function h() { const later = () => fs.readFileSync(8); const fs = {}; }',
      'async function i() { if (x) { var readFileSync = null; } readFileSync(9); }',
      'async function j({ fs }) { fs.readFileSync(10); }',
      'async function k(setTimeout) { setTimeout(11); }',
    ].join('\n'));
    const byArg = (n: number) => m.calls.find((c) => m.text.slice(c.args[0]?.span.start ?? 0, c.args[0]?.span.end ?? 0) === String(n));
    for (const n of [1, 2, 3, 4, 5, 6, 8, 9, 10, 11]) assert.equal(byArg(n)?.name, undefined, `call ${n} must not resolve`);
    assert.equal(byArg(7)?.name, 'fs.readFileSync');
  });

  it('marks awaited calls, and function arguments (inline, local functions, callback parameters, .bind)', () => {
    const m = model([
      "import crypto from 'crypto';",
      'function named() {}',
      'async function f(cb, size) {',
      '  await crypto.randomBytes(1);',
      '  crypto.randomBytes(2, () => {});',
      '  crypto.randomBytes(3, named);',
      '  crypto.randomBytes(4, cb);',
      '  crypto.randomBytes(5, this.done.bind(this));',
      '  crypto.randomBytes(6, size);',
      '}',
    ].join('\n'));
    const calls = callsOf(m, 'crypto.randomBytes');
    assert.deepEqual(calls.map((c) => c.awaited), [true, false, false, false, false, false]);
    assert.deepEqual(calls.map((c) => c.args[1]?.isFunction ?? null), [null, true, true, true, true, false]);
  });

  it('records spans in UTF-16 code units and the callee as written', () => {
    const text = "import fs from 'fs';\nconst s = '😀é'; fs.readFileSync(s);";
    const c = onlyCall(model(text), 'fs.readFileSync');
    assert.equal(text.slice(c.calleeSpan.start, c.calleeSpan.end), 'fs.readFileSync');
    assert.equal(text.slice(c.span.start, c.span.end), 'fs.readFileSync(s)');
    assert.equal(text.slice(c.args[0].span.start, c.args[0].span.end), 's');
  });
});

describe('typescript front end: where code runs', () => {
  function kindAt(text: string, written: string, fileName = 'test.ts'): [string, string | undefined] {
    const m = model(text, fileName);
    const s = effectiveScope(m, onlyCall(m, written).scope);
    return [s.kind, s.reason];
  }

  it('async functions of every shape', () => {
    for (const text of [
      'async function f() { target(); }',
      'const f = async () => target();',
      'const f = async function () { target(); };',
      'class C { async m() { target(); } }',
      'class C { static async m() { target(); } }',
      'class C { m = async () => { target(); }; }',
      'const o = { async m() { target(); } };',
      'const o = { m: async () => target() };',
      'async function* g() { target(); }',
      '(async () => { target(); })();',
    ]) {
      assert.deepEqual(kindAt(text, 'target'), ['async', undefined], text);
    }
  });

  it('sync callbacks the event loop runs', () => {
    const cases: Array<[string, string]> = [
      ["app.get('/x', (req, res) => { target(); });", 'route handler'],
      ['router.post(`/x/${id}`, function (req, res) { target(); });', 'route handler'],
      ['app.all(/x/, (req) => target());', 'route handler'],
      ["fastify.get('/x', { schema }, (req) => target());", 'route handler'],
      ["app.route('/x').get((req) => target());", 'route handler'],
      ["server.route({ method: 'GET', path: '/x', handler: (r) => target() });", 'route handler'],
      ['app.use((req, res, next) => target());', 'middleware'],
      ['thing.use((ctx) => target());', 'middleware'],
      ["import http from 'http'; http.createServer((req, res) => target());", 'request handler'],
      ["import net from 'node:net'; net.createServer((s) => target());", 'connection listener'],
      ["emitter.on('data', () => target());", "'data' listener"],
      ['emitter.once(EVENT, () => target());', 'event listener'],
      ["el.addEventListener('click', () => target());", "'click' listener"],
      ['setTimeout(() => target(), 1);', 'setTimeout callback'],
      ['setInterval(() => target(), 1);', 'setInterval callback'],
      ['setImmediate(() => target());', 'setImmediate callback'],
      ['queueMicrotask(() => target());', 'queueMicrotask callback'],
      ['process.nextTick(() => target());', 'process.nextTick callback'],
      ["import { setTimeout as later } from 'timers'; later(() => target(), 1);", 'setTimeout callback'],
      ['p.then(() => target());', '.then() callback'],
      ['p.then(ok, () => target());', '.then() callback'],
      ['p.catch(() => target());', '.catch() callback'],
      ['p.finally(() => target());', '.finally() callback'],
      ['new Promise((resolve) => target());', 'Promise executor'],
      ["function handler(req, res) { target(); }\napp.get('/x', handler);", 'route handler'],
      ["import { Controller, Get } from '@nestjs/common';\nclass C { @Get(':id') find() { return target(); } }", 'route handler'],
    ];
    for (const [text, reason] of cases) assert.deepEqual(kindAt(text, 'target'), ['loop-callback', reason], text);
  });

  it('inline callbacks run in their parent context', () => {
    for (const method of ['map', 'forEach', 'filter', 'reduce', 'reduceRight', 'some', 'every', 'find', 'findIndex', 'findLast', 'findLastIndex', 'flatMap', 'sort', 'toSorted']) {
      const text = `async function f(xs) { xs.${method}((x) => target()); }`;
      const m = model(text);
      const call = onlyCall(m, 'target');
      assert.equal(m.scopes[call.scope].kind, 'inline', method);
      assert.equal(effectiveScope(m, call.scope).kind, 'async', method);
    }
    assert.deepEqual(kindAt('async function f(xs) { Array.from(xs, (x) => target()); }', 'target'), ['async', undefined]);
    assert.deepEqual(kindAt('async function f() { (() => target())(); }', 'target'), ['async', undefined]);
    assert.deepEqual(kindAt('async function f() { (function () { target(); }).call(this); }', 'target'), ['async', undefined]);
    assert.deepEqual(kindAt('function f(xs) { xs.map((x) => target()); }', 'target'), ['sync', undefined]);
    assert.deepEqual(kindAt('xs.map((x) => target());', 'target'), ['module', undefined]);
  });

  it('plain functions, start-up code, exit listeners and field initialisers are not event-loop code', () => {
    assert.deepEqual(kindAt('target();', 'target'), ['module', undefined]);
    assert.deepEqual(kindAt('function f() { target(); }', 'target'), ['sync', undefined]);
    assert.deepEqual(kindAt('async function f() { function g() { target(); } }', 'target'), ['sync', undefined]);
    assert.deepEqual(kindAt('async function f() { return () => target(); }', 'target'), ['sync', undefined]);
    for (const event of ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'uncaughtException', 'unhandledRejection']) {
      assert.deepEqual(kindAt(`process.on('${event}', () => target());`, 'target'), ['sync', 'process shutdown listener'], event);
    }
    assert.deepEqual(kindAt("process.on('message', () => target());", 'target'), ['loop-callback', "'message' listener"]);
    assert.deepEqual(kindAt("child.on('exit', () => target());", 'target'), ['loop-callback', "'exit' listener"]);
    assert.deepEqual(kindAt("app.get('user', (req) => target());", 'target'), ['sync', undefined]);
    assert.deepEqual(kindAt('async function f() { class C { x = target(); } }', 'target'), ['sync', 'field initialiser']);
    assert.deepEqual(kindAt('function setTimeout(f) {}\nsetTimeout(() => target());', 'target'), ['sync', undefined]);
  });

  it('worker files and functions handed to a Worker are offloaded', () => {
    for (const text of [
      "import { parentPort } from 'worker_threads'; parentPort.on('message', async () => { target(); });",
      "const { workerData } = require('node:worker_threads'); async function f() { target(); }",
      "const wt = require('worker_threads'); wt.parentPort.on('message', () => target());",
    ]) {
      assert.deepEqual(kindAt(text, 'target', 'worker.js'), ['offloaded', 'worker file'], text);
    }
    assert.deepEqual(kindAt("import { Worker } from 'worker_threads'; new Worker(() => target());", 'target'), ['offloaded', 'worker']);
    // starting a worker does not make a file a worker file
    assert.deepEqual(kindAt("import { Worker } from 'worker_threads'; async function f() { target(); }", 'target'), ['async', undefined]);
  });

  it('names scopes for messages', () => {
    const m = model('class Store { async load() { a(); } }\nconst save = async () => { b(); };\nconst o = { async put() { c(); } };');
    assert.equal(m.scopes[onlyCall(m, 'a').scope].name, 'Store.load');
    assert.equal(m.scopes[onlyCall(m, 'b').scope].name, 'save');
    assert.equal(m.scopes[onlyCall(m, 'c').scope].name, 'put');
  });
});

describe('typescript front end: comments, dialects and syntax problems', () => {
  it('collects comments only when the text mentions loopguard, and only real comments', () => {
    assert.deepEqual(model('// a comment\nf();').comments, []);
    const text = [
      '// loopguard-ignore-file x',
      "const s = '// loopguard-ignore-line a';",
      'const t = `',
      '  // loopguard-ignore-line b',
      '`;',
      'f(); /* loopguard-ignore-line c */',
      'const el = <div>// loopguard-ignore-line d{/* loopguard-ignore-next-line e */}</div>;',
    ].join('\n');
    const comments = model(text, 'test.tsx').comments.map((c) => c.text);
    assert.deepEqual(comments, ['// loopguard-ignore-file x', '/* loopguard-ignore-line c */', '/* loopguard-ignore-next-line e */']);
  });

  it('picks the dialect from the language id, else the extension', () => {
    const jsx = 'const a = <div>{f()}</div>;';
    assert.deepEqual(model(jsx, 'a.tsx').syntaxProblems, []);
    assert.deepEqual(model(jsx, 'a.jsx').syntaxProblems, []);
    assert.deepEqual(model(jsx, 'a.js').syntaxProblems, []);
    assert.deepEqual(model(jsx, 'untitled-1', 'typescriptreact').syntaxProblems, []);
    assert.notDeepEqual(model(jsx, 'a.ts').syntaxProblems, []);
    assert.notDeepEqual(model(jsx, 'a.tsx', 'typescript').syntaxProblems, []);
    assert.equal(model('f();', 'a.mts').languageId, 'typescript');
    assert.equal(model('f();', 'a.cjs').languageId, 'javascript');
  });

  it('reports the parser’s syntax errors with their spans', () => {
    const m = model('function f( {\n');
    assert.ok(m.syntaxProblems.length > 0);
    for (const p of m.syntaxProblems) assert.ok(p.span.start >= 0 && p.span.end >= p.span.start && p.span.end <= m.text.length);
    assert.deepEqual(model('const ok = 1;').syntaxProblems, []);
  });
});

describe('typescript front end: never throws', () => {
  const deep: Record<string, string> = {
    parens: 'x = ' + '('.repeat(30000) + 'f()' + ')'.repeat(30000),
    arrays: 'x = ' + '['.repeat(30000) + ']'.repeat(30000),
    'binary chain': 'x = ' + Array.from({ length: 30000 }, (_, i) => `f${i}()`).join(' + '),
    'call chain': 'x' + '()'.repeat(30000),
    'member chain': 'x' + '.a'.repeat(30000) + '()',
    'nested functions': 'function a(){'.repeat(5000) + '}'.repeat(5000),
    'nested arrows': '(() => '.repeat(5000) + '1' + ')'.repeat(5000),
    garbage: Array.from({ length: 20000 }, (_, i) => '{[(<`${/\'"'[i % 11]).join(''),
    empty: '',
    'only a BOM': '\uFEFF',
    'lone surrogates': '\uD800f(\uDC00);',
  };
  for (const [name, text] of Object.entries(deep)) {
    it(`survives ${name}`, () => {
      const m = model(text);
      assert.equal(m.scopes[0].kind, 'module');
      assert.ok(Array.isArray(m.calls));
    });
  }

  it('keeps the calls of a long binary chain (walked without recursion)', () => {
    const m = model('x = ' + Array.from({ length: 20000 }, (_, i) => `f${i}()`).join(' + '));
    assert.equal(m.calls.length, 20000);
  });

  it('survives every prefix of real fixture files (code being typed)', () => {
    const dir = path.join(__dirname, '..', 'fixtures', 'blocking-call-in-async');
    for (const name of ['contexts.ts', 'require.cjs', 'suppressions.tsx']) {
      const text = fs.readFileSync(path.join(dir, name), 'utf8');
      for (let end = 0; end <= text.length; end += 13) {
        const m = model(text.slice(0, end), name);
        for (const c of m.calls) assert.ok(c.scope >= 0 && c.scope < m.scopes.length);
        // every suppression must be buildable wherever a finding could be
        for (const c of m.calls.slice(0, 3)) assert.ok(m.fixer.suppress(c.calleeSpan, 'blocking-call-in-async').edits.length === 1);
      }
    }
  });
});

describe('typescript fixer: file style', () => {
  // the fixer is exercised end to end by the fixtures; these pin the choices a fixture cannot show
  async function fixed(text: string, fileName: string): Promise<string> {
    const engine = await sharedEngine();
    return fixAll(engine, { fileName, text }, defaultAnalysisConfig(), pickFirstFix).text;
  }

  it('writes CRLF where the file uses CRLF', async () => {
    const text = "import { readFileSync } from 'node:fs';\r\nexport async function f(p: string) {\r\n  return readFileSync(p);\r\n}\r\n";
    assert.equal(
      await fixed(text, 'crlf.ts'),
      "import { readFileSync } from 'node:fs';\r\nimport { readFile } from 'node:fs/promises';\r\nexport async function f(p: string) {\r\n  return await readFile(p);\r\n}\r\n",
    );
    const m = model(text, 'crlf.ts');
    const call = onlyCall(m, 'readFileSync');
    assert.deepEqual(m.fixer.suppress(call.calleeSpan, 'blocking-call-in-async').edits, [
      { start: text.indexOf('  return'), end: text.indexOf('  return'), newText: '  // loopguard-ignore-next-line blocking-call-in-async\r\n' },
    ]);
  });

  it('uses require in a TypeScript file that requires, and import in an .mjs file that does neither yet', async () => {
    assert.equal(
      await fixed("const { statSync } = require('fs');\nexport async function f(p: string) {\n  return statSync(p);\n}\n", 'req.ts'),
      "const { statSync } = require('fs');\nconst { stat } = require('node:fs/promises');\nexport async function f(p: string) {\n  return await stat(p);\n}\n",
    );
    assert.equal(
      await fixed("'use strict';\nexport async function f(m) {\n  const { gzipSync } = m;\n  const zlib = await import('zlib');\n  return zlib.gzipSync(m);\n}\n", 'none.mjs'),
      "'use strict';\nimport { promisify } from 'node:util';\n\nexport async function f(m) {\n  const { gzipSync } = m;\n  const zlib = await import('zlib');\n  return await promisify(zlib.gzip)(m);\n}\n",
    );
  });
});

describe('typescript front end: loops', () => {
  /** loops as [headSpan text, bound, extra facts] in source order */
  function loops(text: string, fileName = 'test.ts') {
    const m = model(text, fileName);
    return m.loops.map((l) => ({
      head: text.slice(l.headSpan.start, l.headSpan.end),
      kind: l.kind,
      bound: l.bound,
      parent: l.parent,
      scope: m.scopes[l.scope].kind,
      yields: l.yields,
      busyWait: l.busyWait,
      variables: l.variables,
      computeOnly: l.computeOnly,
      bodyScope: l.bodyScope === undefined ? undefined : m.scopes[l.bodyScope].kind,
    }));
  }
  const bounds = (text: string) => loops(text).map((l) => [l.head, l.bound]);

  it('counts constant loops, folding constants, separators, steps and const bindings', () => {
    const text = [
      'const N = 1_000, M = N * 1e3; let notConst = 5;',
      'for (let i = 0; i < 1e6; i++) {}',
      'for (let i = 0; i <= 500; i++) {}',
      'for (let i = 10; i > 0; i--) {}',
      'for (let i = 0; i < 2 ** 20; i += 2) {}',
      'for (let i = 0; i < M; i++) {}',
      'for (let i = 0; i < notConst; i++) {}',
      'for (let i = 5; i < 3; i++) {}',
      'for (let i = 1; i < 1e9; i *= 2) {}',
      'for (let i = 0; i < 10; i--) {}',
      'let k = 0; while (k < 1000) { k += 10; }',
    ].join('\n');
    assert.deepEqual(bounds(text), [
      ['for (let i = 0; i < 1e6; i++)', { kind: 'literal', count: 1_000_000 }],
      ['for (let i = 0; i <= 500; i++)', { kind: 'literal', count: 501 }],
      ['for (let i = 10; i > 0; i--)', { kind: 'literal', count: 10 }],
      ['for (let i = 0; i < 2 ** 20; i += 2)', { kind: 'literal', count: 524_288 }],
      ['for (let i = 0; i < M; i++)', { kind: 'literal', count: 1_000_000 }],
      ['for (let i = 0; i < notConst; i++)', { kind: 'numeric', expression: 'notConst' }],
      ['for (let i = 5; i < 3; i++)', { kind: 'literal', count: 0 }],
      ['for (let i = 1; i < 1e9; i *= 2)', { kind: 'unknown' }],
      ['for (let i = 0; i < 10; i--)', { kind: 'unknown' }],
      ['while (k < 1000)', { kind: 'literal', count: 100 }],
    ]);
  });

  it('tells run-time counts, collections, known items and unbounded loops apart', () => {
    const text = [
      'const PATTERNS = ["a", "b"];',
      'for (let i = 0; i < n; i++) {}',
      'for (let i = 0; i < /* rows */ xs.length; i++) {}',
      'for (let i = xs.length - 1; i >= 0; i--) {}',
      'for (let i = 0; i < count && !done; i++) {}',
      'let j = 0; while (j < limit) { j++; }',
      'for (const x of items) {}',
      'for (const k in obj) {}',
      'for (const [k, v] of Object.entries(obj)) {}',
      'for (const s of ["a", "b", "c"]) {}',
      'for (const p of PATTERNS) {}',
      'for (const i of Array.from({ length: n })) {}',
      'for (;;) {}',
      'while (true) {}',
      'for (let node = head; node; node = node.next) {}',
      'while (queue.length > 0) queue.pop();',
    ].join('\n');
    assert.deepEqual(bounds(text), [
      ['for (let i = 0; i < n; i++)', { kind: 'numeric', expression: 'n' }],
      ['for (let i = 0; i < /* rows */ xs.length; i++)', { kind: 'collection', expression: 'xs' }],
      ['for (let i = xs.length - 1; i >= 0; i--)', { kind: 'collection', expression: 'xs' }],
      ['for (let i = 0; i < count && !done; i++)', { kind: 'numeric', expression: 'count' }],
      ['while (j < limit)', { kind: 'numeric', expression: 'limit' }],
      ['for (const x of items)', { kind: 'collection', expression: 'items' }],
      ['for (const k in obj)', { kind: 'collection', expression: 'obj' }],
      ['for (const [k, v] of Object.entries(obj))', { kind: 'collection', expression: 'Object.entries(obj)' }],
      ['for (const s of ["a", "b", "c"])', { kind: 'known-items', count: 3 }],
      ['for (const p of PATTERNS)', { kind: 'known-items', count: 2 }],
      ['for (const i of Array.from({ length: n }))', { kind: 'numeric', expression: 'n' }],
      ['for (;;)', { kind: 'unbounded' }],
      ['while (true)', { kind: 'unbounded' }],
      ['for (let node = head; node; node = node.next)', { kind: 'unbounded' }],
      ['while (queue.length > 0)', { kind: 'unbounded' }],
    ]);
  });

  it('marks yielding loops, busy-waits and compute-only bodies', () => {
    const text = [
      'async function f(end: number, src: AsyncIterable<number>) {',
      '  while (Date.now() < end) {}',
      '  while (performance.now() < end) { spins++; }',
      '  while (Date.now() < end) { poll(); }',
      '  while (Date.now() < end) { await tick(); }',
      '  for await (const x of src) { for (const y of ys) use(y); }',
      '  for (let i = 0; i < n; i++) total += Math.sqrt(i) * i;',
      '  for (let i = 0; i < n; i++) out.push(i);',
      '  for (let i = 0; i < n; i++) fns.push(() => i);',
      '  for (const x of make()) total += x;',
      '}',
      'function* g(n: number) { for (let i = 0; i < n; i++) yield i; }',
    ].join('\n');
    const facts = loops(text).map((l) => [l.head, l.yields, l.busyWait, l.computeOnly]);
    assert.deepEqual(facts, [
      ['while (Date.now() < end)', false, true, false],
      ['while (performance.now() < end)', false, true, false],
      ['while (Date.now() < end)', false, false, false],
      ['while (Date.now() < end)', true, false, false],
      ['for await (const x of src)', true, false, false],
      ['for (const y of ys)', false, false, false],
      ['for (let i = 0; i < n; i++)', false, false, true],
      ['for (let i = 0; i < n; i++)', false, false, false],
      ['for (let i = 0; i < n; i++)', false, false, false],
      // the iterated expression is evaluated once, not per pass
      ['for (const x of make())', false, false, true],
      ['for (let i = 0; i < n; i++)', true, false, false],
    ]);
    assert.deepEqual(loops(text).map((l) => l.bound.kind).slice(0, 4), ['unbounded', 'unbounded', 'unbounded', 'unbounded']);
  });

  it('nests loops per function, with header variables and locals derived from them', () => {
    const text = [
      'async function f(paths: string[], users: { roles: string[] }[]) {',
      '  for (const p of paths) {',
      '    const parts = p.split("/"), n = parts.length;',
      '    for (const part of parts) {}',
      '    const helper = () => { for (const u of users) {} };',
      '  }',
      '  for (let i = 0, j = 10; i < j; i++) {}',
      '}',
    ].join('\n');
    const ls = loops(text);
    assert.deepEqual(ls.map((l) => [l.head, l.parent, l.variables, l.scope]), [
      ['for (const p of paths)', undefined, ['p', 'parts', 'n'], 'async'],
      ['for (const part of parts)', 0, ['part'], 'async'],
      // a function in a loop is not part of its passes
      ['for (const u of users)', undefined, ['u'], 'sync'],
      ['for (let i = 0, j = 10; i < j; i++)', undefined, ['i', 'j'], 'async'],
    ]);
    assert.equal(ls[0].computeOnly, false);
  });

  it('represents array-method callbacks as loops whose body is the inline callback', () => {
    const text = [
      'async function f(xs: number[], users: { roles: string[] }[]) {',
      '  xs.forEach((a) => { ys.map((b) => a * b); });',
      '  users.forEach((u) => u.roles.forEach((r) => r));',
      '  const sq = Array.from({ length: 1e6 }, (_, i) => i * i);',
      '  xs.map(async (x) => x);',
      '  xs.map(double);',
      '}',
    ].join('\n');
    assert.deepEqual(loops(text).map((l) => [l.head, l.kind, l.bound, l.parent, l.variables, l.scope, l.bodyScope]), [
      ['forEach', 'for-of', { kind: 'collection', expression: 'xs' }, undefined, ['a'], 'async', 'inline'],
      ['map', 'for-of', { kind: 'collection', expression: 'ys' }, 0, ['b'], 'inline', 'inline'],
      ['forEach', 'for-of', { kind: 'collection', expression: 'users' }, undefined, ['u'], 'async', 'inline'],
      ['forEach', 'for-of', { kind: 'collection', expression: 'u.roles' }, 2, ['r'], 'inline', 'inline'],
      ['from', 'for-of', { kind: 'literal', count: 1_000_000 }, undefined, ['_', 'i'], 'async', 'inline'],
    ]);
  });
});

describe('typescript fixer: yielding to the event loop', () => {
  async function fixLoops(text: string, fileName = 'test.mjs'): Promise<string> {
    const engine = await sharedEngine();
    const input = { fileName, text };
    return (await fixAll(engine, input, defaultAnalysisConfig(), pickFirstFix)).text;
  }

  it('uses the for index, or a fresh counter per loop that clashes with nothing in the file', async () => {
    const text = [
      'export async function f(n, xs, ys) {',
      '  const __n = "taken";',
      '  for (let i = 0; i < n; i++) t += i * i;',
      '  for (const a of xs) {',
      '    for (const b of ys) t += a * b;',
      '  }',
      '  let k = 0;',
      '  outer: while (k < n) { k++; }',
      '}',
      '',
    ].join('\n');
    assert.equal(await fixLoops(text), [
      'export async function f(n, xs, ys) {',
      '  const __n = "taken";',
      '  for (let i = 0; i < n; i++) {',
      '    if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));',
      '    t += i * i;',
      '  }',
      '  let __n2 = 0;',
      '  for (const a of xs) {',
      '    if (++__n2 % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));',
      '    for (const b of ys) t += a * b;',
      '  }',
      '  let k = 0;',
      // (a name per loop that could take a counter, reported or not: the inner loop has `__n3`)
      '  let __n4 = 0;',
      '  outer: while (k < n) { if (++__n4 % 1000 === 0) await new Promise((resolve) => setImmediate(resolve)); k++; }',
      '}',
      '',
    ].join('\n'));
  });

  it('offers no yielding fix for busy-waits, sync callbacks, array methods, or loops that are not in a statement list', async () => {
    const text = [
      "import express from 'express';",
      'const app = express();',
      'app.get("/x", (req, res) => { for (let i = 0; i < 1e6; i++) res.write("."); });',
      'export async function f(n, xs, ys, end, ok) {',
      '  while (Date.now() < end) {}',
      '  xs.forEach((a) => ys.forEach((b) => a + b));',
      '  if (ok) while (n > 0) n--;',
      '}',
      '',
    ].join('\n');
    const engine = await sharedEngine();
    const result = engine.analyse({ fileName: 'test.mjs', text }, defaultAnalysisConfig());
    const found = result.findings.filter((f) => f.rule === 'cpu-loop-on-event-loop');
    assert.deepEqual(found.map((f) => [result.lines.position(f.span.start).line, f.messageId, f.fixes.filter((x) => !x.title.startsWith('Disable')).length]), [
      [2, 'literalCount', 0],
      [4, 'busyWait', 0],
      [5, 'quadratic', 0],
      [6, 'numericKernel', 0],
    ]);
  });
});

describe('typescript front end: calls to functions of the file', () => {
  function targetOf(m: SourceModel, written: string, index = 0): string | undefined {
    const c = callsOf(m, written)[index];
    assert.ok(c, written);
    return c.target === undefined ? undefined : m.scopes[c.target].name;
  }

  it('links plain names bound to function declarations and const functions, and counts self-calls', () => {
    const m = model([
      'function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }',
      'const walk = (node) => { if (node) walk(node.next); };',
      'const half = function (n) { return n > 1 ? half(n / 2) + half(n / 2) + half(n / 2) : n; };',
      'async function main() { fib(30); walk(list); half(8); }',
    ].join('\n'));
    assert.equal(targetOf(m, 'fib', 2), 'fib');
    assert.equal(targetOf(m, 'walk', 1), 'walk');
    assert.equal(targetOf(m, 'half', 3), 'half');
    const selfCalls = (name: string) => m.scopes.find((s) => s.name === name)?.selfCalls;
    assert.equal(selfCalls('fib'), 2);
    assert.equal(selfCalls('walk'), 1);
    assert.equal(selfCalls('half'), 3);
    assert.equal(selfCalls('main'), undefined);
  });

  it('does not count calls from nested functions as self-calls', () => {
    const m = model('function tree(n) { return n.kids.map((k) => tree(k)).concat(tree(n.left)); }');
    assert.equal(targetOf(m, 'tree', 0), 'tree');
    assert.equal(targetOf(m, 'tree', 1), 'tree');
    assert.equal(m.scopes.find((s) => s.name === 'tree')?.selfCalls, 1);
  });

  it('leaves shadowed, reassignable, imported and unknown names unlinked', () => {
    const m = model([
      "import { parse } from './parse';",
      'function fib(n) { return n; }',
      'let again = () => again();',
      'function outer(fib) { fib(1); parse(2); missing(3); again(); }',
      '{ const fib = (n) => n; fib(4); }',
      'new fib();',
    ].join('\n'));
    assert.deepEqual(callsOf(m, 'fib').map((c) => c.target === undefined ? undefined : m.scopes[c.target].name), [undefined, 'fib', undefined]);
    assert.equal(targetOf(m, 'parse'), undefined);
    assert.equal(targetOf(m, 'missing'), undefined);
    assert.equal(targetOf(m, 'again', 0), undefined);
  });

  it('links this.method(…) to the one method of that name on the same side of the enclosing class', () => {
    const m = model([
      'class Solver {',
      '  search(i) { return i > 9 ? 1 : this.search(i + 1) + this.search(i + 2); }',
      '  static count(n) { return n && this.count(n - 1); }',
      '  run() { const go = () => this.search(0); function inner() { this.search(1); } return this.count(3) + this.size(); }',
      '  get size() { return 1; }',
      '  dup() {} dup2() { this.dup(); }',
      '  dup() {}',
      '  field = 1;',
      '  field() {}',
      '  usesField() { this.field(); }',
      '}',
      'const o = { search(i) { return this.search(i); } };',
    ].join('\n'));
    const targets = callsOf(m, 'this.search').map((c) => c.target === undefined ? undefined : m.scopes[c.target].name);
    assert.deepEqual(targets, ['Solver.search', 'Solver.search', 'Solver.search', undefined, undefined]);
    assert.equal(m.scopes.find((s) => s.name === 'Solver.search')?.selfCalls, 2);
    assert.equal(targetOf(m, 'this.count', 0), 'Solver.count');
    // called from an instance method: `this` is an instance, not the class
    assert.equal(targetOf(m, 'this.count', 1), undefined);
    assert.equal(targetOf(m, 'this.size'), undefined);
    assert.equal(targetOf(m, 'this.dup'), undefined);
    assert.equal(targetOf(m, 'this.field'), undefined);
  });
});

describe('typescript front end: worker task modules', () => {
  const kind = (text: string, fileName: string): [string, string | undefined] => {
    const m = model(text, fileName);
    const s = effectiveScope(m, onlyCall(m, 'target').scope);
    return [s.kind, s.reason];
  };
  const task = ['offloaded', 'worker task module'];

  it('recognises worker modules by name, by piscina helpers, and by the shape of a task module', () => {
    const body = 'export async function run(n) { target(); }';
    assert.deepEqual(kind(body, '/p/score.worker.mjs'), task);
    assert.deepEqual(kind(body, '/p/score-worker.ts'), task);
    assert.deepEqual(kind(body, '/p/score_worker.cjs'), task);
    assert.deepEqual(kind(`import { move } from 'piscina';\n${body}`, '/p/score.js'), task);
    assert.deepEqual(kind(`const { isWorkerRunning } = require('piscina');\n${body}`, '/p/score.js'), task);
    assert.deepEqual(kind("'use strict';\nconst fs = require('fs');\nmodule.exports = async ({ n }) => { target(); };", '/p/tasks.js'), task);
    assert.deepEqual(kind('export default async function (n) { target(); }', '/p/resizeWorker.mjs'), task);
    assert.deepEqual(kind('async function handle(n) { target(); }\nexport default handle;', '/p/image-task.ts'), task);
  });

  it('is conservative: top-level code, no default function, a pool of its own, or an unrelated name', () => {
    assert.deepEqual(kind("module.exports = async () => { target(); };\nconsole.log('ready');", '/p/taskRunner.js'), ['async', undefined]);
    assert.deepEqual(kind('export async function run(n) { target(); }', '/p/taskRunner.js'), ['async', undefined]);
    assert.deepEqual(kind('const q = makeQueue();\nexport default async function () { target(); }', '/p/tasks.js'), ['async', undefined]);
    assert.deepEqual(kind('export default async function () { target(); }', '/p/handlers.js'), ['async', undefined]);
    assert.deepEqual(kind("import Piscina from 'piscina';\nconst pool = new Piscina({ filename: 'x.js' });\nexport async function f() { target(); }", '/p/main.worker.js'), ['async', undefined]);
  });
});
