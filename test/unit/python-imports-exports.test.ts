// The Python front end's part of the project model: Call.imported (callees reached through an import
// of another module) and SourceModel.exports (what other modules can import from the file).

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { builtinCatalogue } from '../../server/src/engine/catalogue';
import type { ImportedName, ModuleExport, SourceModel } from '../../server/src/engine/model';
import type { Frontend } from '../../server/src/frontends/frontend';
import { createPythonFrontend } from '../../server/src/frontends/python';

let frontend: Frontend;
before(async () => {
  frontend = await createPythonFrontend();
});

function model(text: string, notebook = false): SourceModel {
  const cells = notebook ? [{ start: 0, end: text.length }] : undefined;
  const parsed = frontend.parse({ fileName: 'mod.py', text, notebookCells: cells }, builtinCatalogue().python);
  parsed.dispose();
  return parsed.model;
}

/** every call as [written callee, imported] */
function imported(text: string): Array<[string, ImportedName | undefined]> {
  return model(text).calls.map((c) => [c.written, c.imported]);
}

const imp = (specifier: string, ...path: string[]): ImportedName => ({ specifier, path });

describe('python front end: Call.imported', () => {
  it('absolute imports: from-imports, aliased dotted modules, dotted modules bound by their package', () => {
    const text = [
      'from pkg import util',
      'from pkg.sub import load as ld',
      'import pkg.helpers as hp',
      'import other.helpers',
      'import plain',
      'async def main():',
      '    util.read_all()',
      '    util()',
      '    ld()',
      '    hp.go()',
      '    other.helpers.go()',
      '    plain.run(1)',
      '',
    ].join('\n');
    assert.deepEqual(imported(text), [
      ['util.read_all', imp('pkg', 'util', 'read_all')],
      ['util', imp('pkg', 'util')],
      ['ld', imp('pkg.sub', 'load')],
      ['hp.go', imp('pkg.helpers', 'go')],
      // `import a.b` binds `a`: the specifier is the bound module, the submodule stays on the path
      ['other.helpers.go', imp('other', 'helpers', 'go')],
      ['plain.run', imp('plain', 'run')],
    ]);
  });

  it('relative imports keep their dots, and their calls are named with them', () => {
    const text = [
      'from .config import load_config',
      'from . import util',
      'from ..core import x as y',
      'from ...a.b import c',
      'from .. import up',
      'load_config()',
      'util.read_all()',
      'y()',
      'c.d()',
      'up()',
      '',
    ].join('\n');
    const m = model(text);
    assert.deepEqual(
      m.calls.map((c) => [c.written, c.name, c.imported]),
      [
        ['load_config', '.config.load_config', imp('.config', 'load_config')],
        ['util.read_all', '.util.read_all', imp('.', 'util', 'read_all')],
        ['y', '..core.x', imp('..core', 'x')],
        ['c.d', '...a.b.c.d', imp('...a.b', 'c', 'd')],
        ['up', '..up', imp('..', 'up')],
      ],
    );
  });

  it('catalogue APIs, builtins, local defs and values of known types are not imported', () => {
    const text = [
      'import time, sqlite3, requests',
      'from os import path',
      'def helper(): pass',
      'async def main():',
      '    time.sleep(1)',
      '    requests.get("u")',
      '    conn = sqlite3.connect("db")',
      '    conn.execute("q")',
      '    open("f")',
      '    helper()',
      '    path.join("a", "b")',
      '',
    ].join('\n');
    assert.deepEqual(imported(text), [
      ['time.sleep', undefined],
      ['requests.get', undefined],
      ['sqlite3.connect', undefined],
      ['conn.execute', undefined],
      ['open', undefined],
      ['helper', undefined],
      // not in the catalogue: the resolver finds it is no file of the workspace
      ['path.join', imp('os', 'path', 'join')],
    ]);
  });

  it('a name rebound locally, a parameter, a comprehension variable or a conflicting binding is never imported', () => {
    const text = [
      'from pkg import util, load',
      'from .a import f',
      'try:',
      '    from ._speedups import fast',
      'except ImportError:',
      '    def fast(): pass',
      'def rebound():',
      '    util = make()',
      '    util.read_all()',
      'def param(load):',
      '    load()',
      'def comp(xs):',
      '    return [util.go() for util in xs]',
      'def nested():',
      '    def f(): pass',
      '    f()',
      'fast()',
      'def uses_global():',
      '    load()',
      '',
    ].join('\n');
    assert.deepEqual(imported(text), [
      ['make', undefined],
      ['util.read_all', undefined],
      ['load', undefined],
      ['util.go', undefined],
      ['f', undefined],
      ['fast', undefined],
      ['load', imp('pkg', 'load')],
    ]);
  });

  it('an alias bound once to an imported module or function is followed, as name resolution follows it', () => {
    const text = ['from pkg import util', 'u = util', 'go = util.go', 'u.read()', 'go()', 'def f():', '    go = other', '    go()', ''].join('\n');
    assert.deepEqual(imported(text), [
      ['u.read', imp('pkg', 'util', 'read')],
      ['go', imp('pkg', 'util', 'go')],
      ['go', undefined],
    ]);
  });

  it('an import inside a function counts in that function only', () => {
    const text = ['def a():', '    from .x import g', '    g()', 'def b():', '    g()', ''].join('\n');
    assert.deepEqual(imported(text), [
      ['g', imp('.x', 'g')],
      ['g', undefined],
    ]);
  });

  it('a relative import is still no catalogue API, and an absolute star import still names only what the catalogue knows', () => {
    const text = ['from . import time', 'from .impl import *', 'time.sleep(1)', 'sleep(1)', ''].join('\n');
    const m = model(text);
    assert.deepEqual(
      m.calls.map((c) => [c.name, c.imported]),
      [
        ['.time.sleep', imp('.', 'time', 'sleep')],
        // a relative star import may bring `sleep` in, but nothing says it does
        [undefined, undefined],
      ],
    );
  });
});

describe('python front end: SourceModel.exports', () => {
  function exportsOf(text: string): ModuleExport[] | undefined {
    return model(text).exports;
  }
  const scopeNamed = (m: SourceModel, name: string, nth = 0): number => m.scopes.filter((s) => s.name === name)[nth].id;

  it('module-level defs (async too, under if/try, underscore names) with their scopes; classes without; not methods or nested defs', () => {
    const text = [
      'import sys',
      'def load(): pass',
      'async def fetch(): pass',
      'def _private(): pass',
      'if sys.platform == "win32":',
      '    def native(): pass',
      'else:',
      '    def native(): pass',
      'try:',
      '    def guarded():',
      '        def inner(): pass',
      'finally:',
      '    pass',
      'class Client:',
      '    def get(self): pass',
      '__all__ = ["load"]',
      '',
    ].join('\n');
    const m = model(text);
    assert.deepEqual(m.exports, [
      { name: 'sys', from: imp('sys') },
      { name: 'load', scope: scopeNamed(m, 'load') },
      { name: 'fetch', scope: scopeNamed(m, 'fetch') },
      { name: '_private', scope: scopeNamed(m, '_private') },
      // redefined: the last one
      { name: 'native', scope: scopeNamed(m, 'native', 1) },
      { name: 'guarded', scope: scopeNamed(m, 'guarded') },
      { name: 'Client' },
    ]);
  });

  it('imported names are re-exported with the import they come through, star imports as `*`', () => {
    const text = [
      'from .impl import f, g as h',
      'from . import util',
      'from pkg.sub import thing',
      'import pkg.helpers',
      'import pkg.other as other',
      'from .all import *',
      'def local():',
      '    from .x import notexported',
      '',
    ].join('\n');
    const m = model(text);
    assert.deepEqual(m.exports, [
      { name: 'f', from: imp('.impl', 'f') },
      { name: 'h', from: imp('.impl', 'g') },
      { name: 'util', from: imp('.', 'util') },
      { name: 'thing', from: imp('pkg.sub', 'thing') },
      { name: 'pkg', from: imp('pkg') },
      { name: 'other', from: imp('pkg.other') },
      { name: '*', from: imp('.all') },
      { name: 'local', scope: scopeNamed(m, 'local') },
    ]);
  });

  it('the last binding of a name wins: a def after an import, an import after a def, a rebinding drops what we know', () => {
    const text = [
      'from .slow import a',
      'def a(): pass',
      'def b(): pass',
      'from .fast import b',
      'def c(): pass',
      'c = wrap(c)',
      'try:',
      '    from ._c import d',
      'except ImportError:',
      '    d = None',
      'def e(): pass',
      'def set_e():',
      '    global e',
      '    e = other',
      'x = 1',
      '',
    ].join('\n');
    const m = model(text);
    assert.deepEqual(m.exports, [
      { name: 'a', scope: scopeNamed(m, 'a') },
      { name: 'b', from: imp('.fast', 'b') },
      { name: 'c' },
      { name: 'd' },
      { name: 'set_e', scope: scopeNamed(m, 'set_e') },
      { name: 'e' },
    ]);
  });

  it('a memoized def is exported without its scope (the name calls the cache); other decorators keep it', () => {
    const text = [
      'import functools',
      '@functools.cache',
      'def cached(): pass',
      '@functools.lru_cache(maxsize=None)',
      'def lru(): pass',
      '@app.route("/")',
      'def handler(): pass',
      '',
    ].join('\n');
    const m = model(text);
    assert.deepEqual(m.exports, [{ name: 'functools', from: imp('functools') }, { name: 'cached' }, { name: 'lru' }, { name: 'handler', scope: scopeNamed(m, 'handler') }]);
  });

  it('an empty module exports nothing; a notebook does not say', () => {
    assert.deepEqual(exportsOf('x = 1\n'), []);
    assert.equal(model('def f(): pass\n', true).exports, undefined);
  });
});
