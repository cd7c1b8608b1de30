// The Python module resolver: imports (as Call.imported names them) to files of a workspace on disk.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { createPythonResolver } from '../../server/src/engine/workspace/resolve-python';
import type { WorkspaceHost } from '../../server/src/engine/workspace/types';

const temps: string[] = [];
after(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

/** A workspace from relative file names (`a/b.py`, or `dir/` for an empty directory). */
function workspace(files: readonly string[]): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-pyres-'));
  temps.push(root);
  for (const f of files) {
    const full = path.join(root, f);
    if (f.endsWith('/')) fs.mkdirSync(full, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, '');
    }
  }
  return root;
}

/** Counts file-system questions, to see the caches work. */
function diskHost(): WorkspaceHost & { questions: number } {
  const host = {
    questions: 0,
    readFile: (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined),
    fileExists: (f: string) => {
      host.questions++;
      return fs.statSync(f, { throwIfNoEntry: false })?.isFile() ?? false;
    },
    directoryExists: (f: string) => {
      host.questions++;
      return fs.statSync(f, { throwIfNoEntry: false })?.isDirectory() ?? false;
    },
  };
  return host;
}

/** resolve, with the file relative to the root */
function resolver(root: string, roots: readonly string[] = [root]) {
  const r = createPythonResolver(diskHost(), roots);
  return (specifier: string, names: string[], from: string) => {
    const hit = r.resolve(specifier, names, path.join(root, from));
    return hit && { file: path.relative(root, hit.fileName).split(path.sep).join('/'), path: [...hit.path] };
  };
}

describe('python resolver: absolute imports', () => {
  it('a flat package: submodules come off the path, attributes stay on it', () => {
    const root = workspace(['pkg/__init__.py', 'pkg/util.py', 'pkg/helpers/__init__.py', 'pkg/helpers/io.py', 'app.py']);
    const resolve = resolver(root);
    assert.deepEqual(resolve('pkg', ['util', 'read_all'], 'app.py'), { file: 'pkg/util.py', path: ['read_all'] });
    // `from pkg import helper_fn` where no submodule is named so: an attribute of pkg/__init__.py
    assert.deepEqual(resolve('pkg', ['helper_fn'], 'app.py'), { file: 'pkg/__init__.py', path: ['helper_fn'] });
    assert.deepEqual(resolve('pkg.helpers', ['go'], 'app.py'), { file: 'pkg/helpers/__init__.py', path: ['go'] });
    // `import pkg.helpers.io; pkg.helpers.io.read()` names module pkg
    assert.deepEqual(resolve('pkg', ['helpers', 'io', 'read'], 'app.py'), { file: 'pkg/helpers/io.py', path: ['read'] });
    assert.deepEqual(resolve('pkg.util', [], 'app.py'), { file: 'pkg/util.py', path: [] });
    assert.deepEqual(resolve('app', ['main'], 'pkg/util.py'), { file: 'app.py', path: ['main'] });
  });

  it('a src layout, and the importing file’s own package root', () => {
    const root = workspace(['src/mylib/__init__.py', 'src/mylib/core.py', 'src/mylib/sub/__init__.py', 'src/mylib/sub/deep.py', 'tests/test_core.py']);
    const resolve = resolver(root);
    assert.deepEqual(resolve('mylib.core', ['run'], 'tests/test_core.py'), { file: 'src/mylib/core.py', path: ['run'] });
    assert.deepEqual(resolve('mylib', ['sub', 'deep', 'f'], 'src/mylib/core.py'), { file: 'src/mylib/sub/deep.py', path: ['f'] });
  });

  it('a project nested below the workspace root is found from its own files', () => {
    const root = workspace(['services/api/app/__init__.py', 'services/api/app/main.py', 'services/api/app/db.py']);
    const resolve = resolver(root);
    assert.deepEqual(resolve('app.db', ['connect'], 'services/api/app/main.py'), { file: 'services/api/app/db.py', path: ['connect'] });
    // from a file outside that project, `app` is nothing
    assert.equal(resolve('app.db', ['connect'], 'other.py'), undefined);
  });

  it('a regular package wins over a module of the same name, a module over a namespace directory', () => {
    const root = workspace(['a/__init__.py', 'a.py', 'b/', 'b.py', 'c/x.py', 'main.py']);
    const resolve = resolver(root);
    assert.deepEqual(resolve('a', ['f'], 'main.py'), { file: 'a/__init__.py', path: ['f'] });
    assert.deepEqual(resolve('b', ['f'], 'main.py'), { file: 'b.py', path: ['f'] });
    assert.deepEqual(resolve('c', ['x', 'f'], 'main.py'), { file: 'c/x.py', path: ['f'] });
  });

  it('namespace packages (no __init__.py), also spread over two roots', () => {
    const root = workspace(['ns/one.py', 'ns/deeper/two.py', 'lib/ns/three.py', 'main.py']);
    const resolve = resolver(root, [root, path.join(root, 'lib')]);
    assert.deepEqual(resolve('ns.one', ['f'], 'main.py'), { file: 'ns/one.py', path: ['f'] });
    assert.deepEqual(resolve('ns', ['deeper', 'two', 'f'], 'main.py'), { file: 'ns/deeper/two.py', path: ['f'] });
    assert.deepEqual(resolve('ns.three', ['f'], 'main.py'), { file: 'lib/ns/three.py', path: ['f'] });
    // a namespace package has no file of its own
    assert.equal(resolve('ns', ['f'], 'main.py'), undefined);
    assert.equal(resolve('ns.deeper', [], 'main.py'), undefined);
  });

  it('.pyi stubs count when there is no .py; the .py wins when both exist', () => {
    const root = workspace(['stubbed/__init__.pyi', 'stubbed/api.pyi', 'both.py', 'both.pyi', 'main.py']);
    const resolve = resolver(root);
    assert.deepEqual(resolve('stubbed', ['api', 'f'], 'main.py'), { file: 'stubbed/api.pyi', path: ['f'] });
    assert.deepEqual(resolve('stubbed', ['g'], 'main.py'), { file: 'stubbed/__init__.pyi', path: ['g'] });
    assert.deepEqual(resolve('both', ['f'], 'main.py'), { file: 'both.py', path: ['f'] });
  });

  it('virtual envs, site-packages, node_modules and __pycache__ are not the workspace', () => {
    const root = workspace([
      '.venv/lib/python3.12/site-packages/requests/__init__.py',
      'venv/__init__.py',
      'env/pyvenv.cfg',
      'env/mod.py',
      'site-packages/sp.py',
      'node_modules/nm/__init__.py',
      '__pycache__/cached.py',
      'main.py',
    ]);
    const resolve = resolver(root);
    assert.equal(resolve('requests', ['get'], 'main.py'), undefined);
    assert.equal(resolve('venv', ['f'], 'main.py'), undefined);
    assert.equal(resolve('env.mod', ['f'], 'main.py'), undefined);
    assert.equal(resolve('env', ['mod', 'f'], 'main.py'), undefined);
    assert.equal(resolve('site-packages', [], 'main.py'), undefined);
    assert.equal(resolve('nm', [], 'main.py'), undefined);
    assert.equal(resolve('node_modules', ['nm'], 'main.py'), undefined);
    assert.equal(resolve('__pycache__.cached', [], 'main.py'), undefined);
    // from inside a virtual env, not even relative imports lead anywhere
    assert.equal(resolve('.', ['mod'], 'env/mod.py'), undefined);
  });

  it('not found: the standard library, a missing submodule path, files outside the workspace roots', () => {
    const outer = workspace(['shared/__init__.py', 'proj/main.py', 'proj/pkg/__init__.py']);
    const proj = path.join(outer, 'proj');
    const resolve = resolver(outer, [proj]);
    assert.equal(resolve('os', ['path', 'join'], 'proj/main.py'), undefined);
    assert.equal(resolve('pkg.missing', ['f'], 'proj/main.py'), undefined);
    assert.equal(resolve('missing', [], 'proj/main.py'), undefined);
    assert.deepEqual(resolve('pkg', ['missing', 'f'], 'proj/main.py'), { file: 'proj/pkg/__init__.py', path: ['missing', 'f'] });
    // `shared` sits next to the workspace root, not in it
    assert.equal(resolve('shared', ['f'], 'proj/main.py'), undefined);
  });
});

describe('python resolver: relative imports', () => {
  const files = [
    'app/__init__.py',
    'app/config.py',
    'app/util.py',
    'app/core/__init__.py',
    'app/core/engine.py',
    'app/core/parts/__init__.py',
    'app/core/parts/gear.py',
    'app/core/parts/sub/thing.py',
  ];

  it('one dot: the importing file’s package; `from . import m` takes the submodule off the path', () => {
    const resolve = resolver(workspace(files));
    assert.deepEqual(resolve('.config', ['load_config'], 'app/util.py'), { file: 'app/config.py', path: ['load_config'] });
    assert.deepEqual(resolve('.', ['util', 'read_all'], 'app/config.py'), { file: 'app/util.py', path: ['read_all'] });
    assert.deepEqual(resolve('.', ['VERSION'], 'app/config.py'), { file: 'app/__init__.py', path: ['VERSION'] });
    // in a package's __init__.py, `.` is that package
    assert.deepEqual(resolve('.core', ['engine', 'start'], 'app/__init__.py'), { file: 'app/core/engine.py', path: ['start'] });
  });

  it('two and three dots go up one and two packages', () => {
    const resolve = resolver(workspace(files));
    assert.deepEqual(resolve('..config', ['load_config'], 'app/core/engine.py'), { file: 'app/config.py', path: ['load_config'] });
    assert.deepEqual(resolve('..', ['util', 'f'], 'app/core/engine.py'), { file: 'app/util.py', path: ['f'] });
    assert.deepEqual(resolve('...util', ['f'], 'app/core/parts/gear.py'), { file: 'app/util.py', path: ['f'] });
    assert.deepEqual(resolve('...core.engine', ['start'], 'app/core/parts/gear.py'), { file: 'app/core/engine.py', path: ['start'] });
    assert.deepEqual(resolve('..', ['gear', 'turn'], 'app/core/parts/sub/thing.py'), { file: 'app/core/parts/gear.py', path: ['turn'] });
  });

  it('relative imports that lead nowhere', () => {
    const resolve = resolver(workspace(files));
    assert.equal(resolve('.missing', ['f'], 'app/util.py'), undefined);
    assert.equal(resolve('.config.deeper', ['f'], 'app/util.py'), undefined);
    // above the workspace root
    assert.equal(resolve('....x', ['f'], 'app/core/engine.py'), undefined);
  });
});

describe('python resolver: caching', () => {
  it('answers a repeated lookup without asking the host again, and sees new files after invalidate()', () => {
    const root = workspace(['pkg/__init__.py', 'main.py']);
    const host = diskHost();
    const r = createPythonResolver(host, [root]);
    const from = path.join(root, 'main.py');
    assert.deepEqual(r.resolve('pkg', ['util', 'f'], from), { fileName: path.join(root, 'pkg/__init__.py'), path: ['util', 'f'] });
    const asked = host.questions;
    r.resolve('pkg', ['util', 'f'], from);
    assert.equal(host.questions, asked);
    fs.writeFileSync(path.join(root, 'pkg/util.py'), '');
    r.invalidate();
    assert.deepEqual(r.resolve('pkg', ['util', 'f'], from), { fileName: path.join(root, 'pkg/util.py'), path: ['f'] });
  });
});
