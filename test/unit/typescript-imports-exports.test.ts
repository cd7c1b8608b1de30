// The TypeScript/JavaScript front end's part of the project model: Call.imported (a callee reached
// through an import of a non-builtin module, as the source names it) and SourceModel.exports (what
// other modules can import from the file), asserted exactly for every form the contract lists, and the
// precision cases: a reassigned, shadowed or parameter binding never yields `imported`.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinCatalogue } from '../../server/src/engine/catalogue';
import type { ImportedName, ModuleExport, SourceModel } from '../../server/src/engine/model';
import { createTypeScriptFrontend } from '../../server/src/frontends/typescript';

const frontend = createTypeScriptFrontend();
const catalogue = builtinCatalogue().node;

function model(text: string, fileName = 'test.ts'): SourceModel {
  return frontend.parse({ fileName, text }, catalogue).model;
}

/** the calls that load modules: never imported themselves, and noise in the tables below */
const LOADERS = new Set(['require', 'import', '__importDefault']);

/** written → imported, for every call in source order except module loaders */
function imported(text: string, fileName = 'test.ts'): Array<[string, ImportedName | undefined]> {
  const m = model(text, fileName);
  for (const c of m.calls) if (LOADERS.has(c.written)) assert.equal(c.imported, undefined);
  return m.calls.filter((c) => !LOADERS.has(c.written)).map((c) => [c.written, c.imported]);
}

/** exports with scope ids replaced by the scope's name (`<anonymous>` when it has none), so tests read as source */
function exportsOf(text: string, fileName = 'test.ts'): Array<{ name: string; scope?: string; from?: ImportedName }> {
  const m = model(text, fileName);
  assert.ok(m.exports, 'the TS/JS front end always says what a file exports');
  return m.exports.map((e: ModuleExport) => ({
    name: e.name,
    ...(e.scope !== undefined ? { scope: m.scopes[e.scope].name ?? `<anonymous@${m.text.slice(m.scopes[e.scope].span.start, m.scopes[e.scope].span.start + 12)}>` } : {}),
    ...(e.from ? { from: e.from } : {}),
  }));
}

const imp = (specifier: string, ...path: string[]): ImportedName => ({ specifier, path });

describe('typescript front end: Call.imported', () => {
  it('named, renamed, default and namespace imports', () => {
    assert.deepEqual(imported(`
      import { loadConfig, readAll as ra } from './config';
      import main from '../app/main.js';
      import * as util from '@acme/utils';
      import db, { query } from '@/lib/db';
      async function h() {
        loadConfig();
        ra();
        main();
        util.readAll();
        util.deep.fn();
        db.connect();
        query();
        util['bracket']();
      }
    `), [
      ['loadConfig', imp('./config', 'loadConfig')],
      ['ra', imp('./config', 'readAll')],
      ['main', imp('../app/main.js', 'default')],
      ['util.readAll', imp('@acme/utils', 'readAll')],
      ['util.deep.fn', imp('@acme/utils', 'deep', 'fn')],
      ['db.connect', imp('@/lib/db', 'default', 'connect')],
      ['query', imp('@/lib/db', 'query')],
      ["util['bracket']", imp('@acme/utils', 'bracket')],
    ]);
  });

  it('`{ default as x }` is the default export', () => {
    assert.deepEqual(imported(`import { default as x } from './x'; x();`), [['x', imp('./x', 'default')]]);
  });

  it('keeps Call.name as it was', () => {
    const m = model(`import { loadConfig } from './config'; loadConfig();`);
    assert.equal(m.calls[0].name, './config.loadConfig');
  });

  it('CommonJS require: destructured, the module object, the module as the function', () => {
    assert.deepEqual(imported(`
      const { f, g: gg } = require('./x');
      const m = require('../lib/m');
      const go = require('./go');
      const h = require('./h').handler;
      f(); gg(); m.run(); go(); h(); require('./direct').now(); m.default();
    `, 'a.js'), [
      ['f', imp('./x', 'f')],
      ['gg', imp('./x', 'g')],
      ['m.run', imp('../lib/m', 'run')],
      ['go', imp('./go')],
      ['h', imp('./h', 'handler')],
      ["require('./direct').now", imp('./direct', 'now')],
      ['m.default', imp('../lib/m', 'default')],
    ]);
  });

  it('import = require, compiled interop helpers and dynamic import bindings', () => {
    assert.deepEqual(imported(`
      import x = require('./x');
      const y = __importDefault(require('./y'));
      async function main() {
        const { load } = await import('./dyn');
        const ns = await import('./ns');
        x.a(); y.default(); load(); ns.go();
      }
    `), [
      ['x.a', imp('./x', 'a')],
      ['y.default', imp('./y', 'default')],
      ['load', imp('./dyn', 'load')],
      ['ns.go', imp('./ns', 'go')],
    ]);
  });

  it('aliases of imports follow through const, and through let/var never assigned again', () => {
    assert.deepEqual(imported(`
      import * as util from './util';
      const read = util.readAll;
      let write = util.writeAll;
      var { deep } = util;
      read(); write(); deep();
    `), [
      ['read', imp('./util', 'readAll')],
      ['write', imp('./util', 'writeAll')],
      ['deep', imp('./util', 'deep')],
    ]);
  });

  it('builtins, globals and local functions get nothing', () => {
    assert.deepEqual(imported(`
      import fs from 'node:fs';
      import { readFile } from 'fs/promises';
      const cp = require('child_process');
      function local() {}
      fs.readFileSync('x'); readFile('x'); cp.execSync('ls'); local(); setTimeout(() => 0); JSON.parse('1');
    `), [
      ['fs.readFileSync', undefined],
      ['readFile', undefined],
      ['cp.execSync', undefined],
      ['local', undefined],
      ['setTimeout', undefined],
      ['JSON.parse', undefined],
    ]);
  });

  it('precision: reassigned, shadowed and parameter bindings never get imported', () => {
    assert.deepEqual(imported(`
      import { f } from './x';
      import * as ns from './ns';
      let m = require('./m');
      m = makeOther();
      var { g } = require('./g');
      [g] = [() => 0];
      let h = require('./h').h;
      ({ h } = other);
      function p(f, ns) { f(); ns.go(); }
      function q() { const f = () => 0; f(); }
      function r() { { let ns = {}; ns.go(); } }
      m.run(); g(); h();
      class C { f() { this.f(); } }
      const alias = m;
      alias.run();
      new ns.Thing();
    `), [
      ['makeOther', undefined],
      ['f', undefined],
      ['ns.go', undefined],
      ['f', undefined],
      ['ns.go', undefined],
      ['m.run', undefined],
      ['g', undefined],
      ['h', undefined],
      ['this.f', undefined],
      ['alias.run', undefined],
      ['ns.Thing', undefined],
    ]);
  });

  it('a shadowing `require` is not require', () => {
    const m = model(`function load(require) { require('./x').go(); }`, 'a.js');
    assert.deepEqual(m.calls.map((c) => [c.written, c.imported]), [
      ["require('./x').go", undefined],
      ['require', undefined],
    ]);
  });
});

describe('typescript front end: SourceModel.exports', () => {
  it('ES declarations: functions, const functions, classes, values', () => {
    assert.deepEqual(exportsOf(`
      export function f() {}
      export async function af() {}
      export const g = () => 0, value = 1;
      export const fe = function named() {};
      export let lf = async () => 1;
      export class C { method() {} }
      export enum E { A }
      export const enum Gone { A }
      export interface I {}
      export type T = number;
      export declare function ambient(): void;
      export function over(a: string): void;
      export function over(a: unknown) {}
      export const { a, b: [c] } = obj;
    `), [
      { name: 'f', scope: 'f' },
      { name: 'af', scope: 'af' },
      { name: 'g', scope: 'g' },
      { name: 'value' },
      { name: 'fe', scope: 'named' },
      { name: 'lf', scope: 'lf' },
      { name: 'C' },
      { name: 'E' },
      { name: 'over', scope: 'over' },
      { name: 'a' },
      { name: 'c' },
    ]);
  });

  it('default exports', () => {
    assert.deepEqual(exportsOf(`export default function main() {}`), [{ name: 'default', scope: 'main' }]);
    assert.deepEqual(exportsOf(`export default async function () {}`), [{ name: 'default', scope: '<anonymous@export defau>' }]);
    assert.deepEqual(exportsOf(`export default async () => 1;`), [{ name: 'default', scope: '<anonymous@async () => >' }]);
    assert.deepEqual(exportsOf(`function run() {}\nexport default run;`), [{ name: 'default', scope: 'run' }]);
    assert.deepEqual(exportsOf(`export default class {}`), [{ name: 'default' }]);
    assert.deepEqual(exportsOf(`export default { a: 1 };`), [{ name: 'default' }]);
    assert.deepEqual(exportsOf(`function run() {}\nexport { run as default };`), [{ name: 'default', scope: 'run' }]);
  });

  it('export lists of locals, and a reassigned let loses its scope', () => {
    assert.deepEqual(exportsOf(`
      function f() {}
      const g = () => 0;
      let h = () => 1;
      h = () => 2;
      class K {}
      export { f, g as gee, h, K, f as 'string name' };
    `), [
      { name: 'f', scope: 'f' },
      { name: 'gee', scope: 'g' },
      { name: 'h' },
      { name: 'K' },
      { name: 'string name', scope: 'f' },
    ]);
  });

  it('re-exports from other modules', () => {
    assert.deepEqual(exportsOf(`
      export { f as g, h } from './x';
      export { default as d } from './y';
      export { default } from './z';
      export * from './all';
      export * as ns from './ns';
      export type { T } from './types';
      export { type U, v } from './mixed';
      export * from 'node:fs';
    `), [
      { name: 'g', from: imp('./x', 'f') },
      { name: 'h', from: imp('./x', 'h') },
      { name: 'd', from: imp('./y', 'default') },
      { name: 'default', from: imp('./z', 'default') },
      { name: '*', from: imp('./all') },
      { name: 'ns', from: imp('./ns') },
      { name: 'v', from: imp('./mixed', 'v') },
      { name: '*', from: imp('node:fs') },
    ]);
  });

  it('import then export', () => {
    assert.deepEqual(exportsOf(`
      import { f, g as gg } from './x';
      import * as ns from './ns';
      import d from './d';
      import fs from 'fs';
      const { h } = require('./h');
      export { f, gg as g, ns, d, fs, h };
      export default f;
    `), [
      { name: 'f', from: imp('./x', 'f') },
      { name: 'g', from: imp('./x', 'g') },
      { name: 'ns', from: imp('./ns') },
      { name: 'd', from: imp('./d', 'default') },
      { name: 'fs' },
      { name: 'h', from: imp('./h', 'h') },
      { name: 'default', from: imp('./x', 'f') },
    ]);
  });

  it('CommonJS: module.exports object, module.exports.f, exports.f', () => {
    assert.deepEqual(exportsOf(`
      function f() {}
      function h() {}
      const k = () => 0;
      module.exports = { f, g: h, k, m() {}, n: function () {}, o: () => 0, p: 42, q: require('./q').q };
      module.exports.r = f;
      exports.s = function s() {};
      exports['t'] = async () => 0;
      exports.u = exports.v = void 0;
      exports.u = h;
    `, 'a.js'), [
      { name: 'f', scope: 'f' },
      { name: 'g', scope: 'h' },
      { name: 'k', scope: 'k' },
      { name: 'm', scope: 'm' },
      { name: 'n', scope: 'n' },
      { name: 'o', scope: 'o' },
      { name: 'p' },
      { name: 'q', from: imp('./q', 'q') },
      { name: 'r', scope: 'f' },
      { name: 's', scope: 's' },
      { name: 'u', scope: 'h' },
      { name: 't', scope: '<anonymous@async () => >' },
      { name: 'v' },
    ].sort((x, y) => order(x.name) - order(y.name)));
  });

  it('CommonJS: module.exports = function is the default; module.exports = require re-exports everything', () => {
    assert.deepEqual(exportsOf(`module.exports = function load() {};`, 'a.js'), [{ name: 'default', scope: 'load' }]);
    assert.deepEqual(exportsOf(`function load() {}\nmodule.exports = load;`, 'a.js'), [{ name: 'default', scope: 'load' }]);
    assert.deepEqual(exportsOf(`module.exports = require('./impl');`, 'a.js'), [{ name: '*', from: imp('./impl') }]);
    assert.deepEqual(exportsOf(`module.exports = { ...require('./impl'), extra() {} };`, 'a.js'), [
      { name: '*', from: imp('./impl') },
      { name: 'extra', scope: 'extra' },
    ]);
    assert.deepEqual(exportsOf(`module.exports = new Service();`, 'a.js'), [{ name: 'default' }]);
  });

  it('export import = require re-exports the module', () => {
    assert.deepEqual(exportsOf(`export import x = require('./x');\nexport import fs = require('fs');`), [
      { name: 'x', from: imp('./x') },
      { name: 'fs' },
    ]);
  });

  it('TypeScript export = is CommonJS', () => {
    assert.deepEqual(exportsOf(`function f() {}\nexport = { f };`), [{ name: 'f', scope: 'f' }]);
    assert.deepEqual(exportsOf(`function f() {}\nexport = f;`), [{ name: 'default', scope: 'f' }]);
  });

  it('a file that binds module or exports itself has no CommonJS exports; nested assignments are not exports', () => {
    assert.deepEqual(exportsOf(`const module = { exports: {} }; module.exports = { f() {} };`, 'a.js'), []);
    assert.deepEqual(exportsOf(`let exports = {}; exports.f = () => 0;`, 'a.js'), []);
    assert.deepEqual(exportsOf(`function setup() { exports.f = () => 0; }`, 'a.js'), []);
    assert.deepEqual(exportsOf(`const x = 1;`), []);
  });
});

/** the CommonJS test's expected order: names in order of first assignment */
function order(name: string): number {
  return ['f', 'g', 'k', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v'].indexOf(name);
}
