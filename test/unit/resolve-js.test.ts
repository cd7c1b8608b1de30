// The JS/TS module resolver of the project model, on real directories in a temp folder: relative
// specifiers (extension probing, index files, `.js` → `.ts`, a directory's package.json main), tsconfig
// `paths`/`baseUrl` through `extends`, a monorepo (workspaces globs, a symlinked package with `exports`
// conditions and subpath patterns, dist → src mapping), and everything that must stay unresolved:
// installed packages in node_modules, builtins, declaration files, names a package does not export.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createJsResolver, type JsResolver } from '../../server/src/engine/workspace/resolve-js';
import type { WorkspaceHost } from '../../server/src/engine/workspace/types';

let root: string;

function write(rel: string, text = '// file\n'): string {
  const f = path.join(root, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, text);
  return f;
}

function json(rel: string, value: unknown): string {
  return write(rel, JSON.stringify(value, null, 2));
}

/** Counts reads so the cache is observable. */
class DiskHost implements WorkspaceHost {
  probes = 0;
  readonly overlay = new Map<string, string>();
  readFile(f: string): string | undefined {
    const o = this.overlay.get(f);
    if (o !== undefined) return o;
    try {
      return fs.readFileSync(f, 'utf8');
    } catch {
      return undefined;
    }
  }
  fileExists(f: string): boolean {
    this.probes++;
    if (this.overlay.has(f)) return true;
    try {
      return fs.statSync(f).isFile();
    } catch {
      return false;
    }
  }
  directoryExists(f: string): boolean {
    try {
      return fs.statSync(f).isDirectory();
    } catch {
      return false;
    }
  }
}

let host: DiskHost;
let resolver: JsResolver;

/** The workspace-relative file `specifier` resolves to from `fromRel`, or undefined. */
function r(specifier: string, fromRel: string): string | undefined {
  const res = resolver.resolve(specifier, [], path.join(root, fromRel));
  return res && path.relative(root, res.fileName).split(path.sep).join('/');
}

before(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-resolve-js-')));

  // relative imports
  write('app/src/main.ts');
  write('app/src/config.ts');
  write('app/src/util/index.ts');
  write('app/src/both.ts');
  write('app/src/both.js');
  write('app/src/plain.js');
  write('app/src/mod.mts');
  write('app/src/comp.tsx');
  write('app/src/types.d.ts');
  json('app/src/lib/package.json', { main: 'entry.js' });
  write('app/src/lib/entry.js');
  write('app/src/lib/index.ts');
  write('app/src/jsdir/index.js');

  // tsconfig paths and baseUrl, through extends
  json('tsconfig.base.json', { compilerOptions: { baseUrl: '.', paths: { '@/*': ['shared/*', 'fallback/*'], '#config': ['app/src/config.ts'], 'nm/*': ['node_modules/*'] } } });
  json('app/tsconfig.json', { extends: '../tsconfig.base.json', compilerOptions: { strict: true } });
  write('shared/lib/db.ts');
  write('fallback/only-here.ts');
  write('shared/strings/index.ts');
  write('fs.ts'); // a file named like a builtin at the baseUrl
  json('other/tsconfig.json', { compilerOptions: { paths: { '~/*': ['./src/*'] } } });
  write('other/src/x.ts');
  write('other/src/deep/y.ts');

  // a monorepo: workspaces globs, a symlinked package with exports, dist → src
  json('package.json', { name: 'root', private: true, workspaces: ['packages/*', 'tools/**'] });
  json('packages/utils/package.json', {
    name: '@acme/utils',
    exports: {
      '.': { types: './dist/index.d.ts', import: './dist/index.mjs', require: './dist/index.cjs' },
      './strings': './dist/strings.js',
      './feature/*': { default: './dist/feature/*.js' },
      './package.json': './package.json',
    },
  });
  json('packages/utils/tsconfig.json', { compilerOptions: { outDir: 'dist', rootDir: 'src' } });
  write('packages/utils/src/index.ts');
  write('packages/utils/src/strings.ts');
  write('packages/utils/src/feature/a.ts');
  write('packages/utils/src/private.ts');
  write('packages/utils/dist/index.mjs'); // built output that exists: the source still wins
  write('packages/utils/dist/index.d.ts');
  fs.mkdirSync(path.join(root, 'node_modules/@acme'), { recursive: true });
  fs.symlinkSync(path.join(root, 'packages/utils'), path.join(root, 'node_modules/@acme/utils'), 'dir');
  // not linked (never installed): found through the workspaces glob; plain JS main
  json('packages/plain/package.json', { name: 'plain-js', main: 'lib/index.js' });
  write('packages/plain/lib/index.js');
  write('packages/plain/lib/extra.js');
  // no tsconfig: the dist → src guess
  json('tools/nested/noconf/package.json', { name: '@acme/noconf', main: './dist/index.js', types: './dist/index.d.ts' });
  write('tools/nested/noconf/src/index.ts');
  // exports as a bare string and conditions at top level
  json('packages/str/package.json', { name: 'str-export', exports: './src/main.js' });
  write('packages/str/src/main.ts');
  json('packages/cond/package.json', { name: 'cond-export', exports: { node: { import: './esm/a.mjs' }, default: './cjs/a.cjs' } });
  write('packages/cond/esm/a.mjs');
  write('packages/cond/cjs/a.cjs');
  // given by the caller only
  json('elsewhere/given/package.json', { name: 'given-pkg', main: 'main.ts' });
  write('elsewhere/given/main.ts');

  // installed packages: never ours
  json('node_modules/lodash/package.json', { name: 'lodash', main: 'lodash.js' });
  write('node_modules/lodash/lodash.js');
  json('node_modules/plain-js/package.json', { name: 'plain-js', main: 'index.js' });
  write('node_modules/plain-js/index.js');
  write('node_modules/loose.js');
});

after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function fresh(options: Parameters<typeof createJsResolver>[2] = {}): void {
  host = new DiskHost();
  resolver = createJsResolver(host, [root], options);
}

describe('resolve-js: relative specifiers', () => {
  before(() => fresh());

  it('probes extensions, index files and a directory package.json main', () => {
    assert.equal(r('./config', 'app/src/main.ts'), 'app/src/config.ts');
    assert.equal(r('./util', 'app/src/main.ts'), 'app/src/util/index.ts');
    assert.equal(r('./util/', 'app/src/main.ts'), 'app/src/util/index.ts');
    assert.equal(r('./plain', 'app/src/main.ts'), 'app/src/plain.js');
    assert.equal(r('./comp', 'app/src/main.ts'), 'app/src/comp.tsx');
    assert.equal(r('./lib', 'app/src/main.ts'), 'app/src/lib/entry.js');
    assert.equal(r('./jsdir', 'app/src/main.ts'), 'app/src/jsdir/index.js');
    assert.equal(r('../config', 'app/src/util/index.ts'), 'app/src/config.ts');
    assert.equal(r('.', 'app/src/util/other.ts'), 'app/src/util/index.ts');
  });

  it('a .ts source wins over its .js, and `.js`/`.mjs` specifiers name their TypeScript source', () => {
    assert.equal(r('./both', 'app/src/main.ts'), 'app/src/both.ts');
    assert.equal(r('./config.js', 'app/src/main.ts'), 'app/src/config.ts');
    assert.equal(r('./both.js', 'app/src/main.ts'), 'app/src/both.ts');
    assert.equal(r('./comp.js', 'app/src/main.ts'), 'app/src/comp.tsx');
    assert.equal(r('./mod.mjs', 'app/src/main.ts'), 'app/src/mod.mts');
    assert.equal(r('./plain.js', 'app/src/main.ts'), 'app/src/plain.js');
    assert.equal(r('./config.ts', 'app/src/main.ts'), 'app/src/config.ts');
  });

  it('missing files, declaration files and non-code files are not resolved', () => {
    assert.equal(r('./missing', 'app/src/main.ts'), undefined);
    assert.equal(r('./types', 'app/src/main.ts'), undefined);
    assert.equal(r('./types.d.ts', 'app/src/main.ts'), undefined);
    assert.equal(r('../../package.json', 'app/src/main.ts'), undefined);
  });

  it('returns the path unchanged', () => {
    const res = resolver.resolve('./config', ['load', 'deep'], path.join(root, 'app/src/main.ts'));
    assert.deepEqual(res, { fileName: path.join(root, 'app/src/config.ts'), path: ['load', 'deep'] });
  });
});

describe('resolve-js: tsconfig paths and baseUrl', () => {
  before(() => fresh());

  it('follows extends: paths relative to the baseUrl of the config that sets them, in order of the targets', () => {
    assert.equal(r('@/lib/db', 'app/src/main.ts'), 'shared/lib/db.ts');
    assert.equal(r('@/strings', 'app/src/main.ts'), 'shared/strings/index.ts');
    assert.equal(r('@/only-here', 'app/src/main.ts'), 'fallback/only-here.ts');
    assert.equal(r('#config', 'app/src/util/index.ts'), 'app/src/config.ts');
    assert.equal(r('@/nothing', 'app/src/main.ts'), undefined);
  });

  it('baseUrl resolves bare specifiers from the base', () => {
    assert.equal(r('shared/lib/db', 'app/src/main.ts'), 'shared/lib/db.ts');
    assert.equal(r('app/src/config.js', 'app/src/main.ts'), 'app/src/config.ts');
  });

  it('paths without baseUrl are relative to their config; the nearest config wins', () => {
    assert.equal(r('~/x', 'other/src/deep/y.ts'), 'other/src/x.ts');
    assert.equal(r('~/deep/y', 'other/src/x.ts'), 'other/src/deep/y.ts');
    // other/tsconfig.json does not extend the base: its files do not see `@/*`
    assert.equal(r('@/lib/db', 'other/src/x.ts'), undefined);
  });

  it('never a builtin, even where a file of the same name exists; never into node_modules', () => {
    assert.equal(r('fs', 'app/src/main.ts'), undefined);
    assert.equal(r('node:fs', 'app/src/main.ts'), undefined);
    assert.equal(r('fs/promises', 'app/src/main.ts'), undefined);
    assert.equal(r('nm/lodash', 'app/src/main.ts'), undefined);
    assert.equal(r('./node_modules/loose', 'main.ts'), undefined);
  });
});

describe('resolve-js: workspace packages', () => {
  before(() => fresh());

  it('a symlinked package through its exports conditions, mapped from dist back to src', () => {
    assert.equal(r('@acme/utils', 'app/src/main.ts'), 'packages/utils/src/index.ts');
    assert.equal(r('@acme/utils/strings', 'app/src/main.ts'), 'packages/utils/src/strings.ts');
    assert.equal(r('@acme/utils/feature/a', 'app/src/main.ts'), 'packages/utils/src/feature/a.ts');
  });

  it('what exports does not list cannot be imported', () => {
    assert.equal(r('@acme/utils/private', 'app/src/main.ts'), undefined);
    assert.equal(r('@acme/utils/src/private', 'app/src/main.ts'), undefined);
    assert.equal(r('@acme/utils/feature/missing', 'app/src/main.ts'), undefined);
  });

  it('a package that is not linked is found through the workspaces globs (including **)', () => {
    assert.equal(r('@acme/noconf', 'packages/utils/src/index.ts'), 'tools/nested/noconf/src/index.ts');
    assert.equal(r('str-export', 'app/src/main.ts'), 'packages/str/src/main.ts');
    assert.equal(r('cond-export', 'app/src/main.ts'), 'packages/cond/esm/a.mjs');
  });

  it('an installed copy in node_modules shadows the workspace package of the same name', () => {
    // Node would load node_modules/plain-js: that is what runs, and it is not ours
    assert.equal(r('plain-js', 'app/src/main.ts'), undefined);
  });

  it('a plain-JS workspace package and its subpaths, from a folder without the installed copy', () => {
    fresh({ realpath: (f) => (f.includes(`${path.sep}node_modules${path.sep}plain-js`) ? undefined : fs.realpathSync(f)) });
    const host2 = new DiskHost();
    // hide the installed copy: as if node_modules had not been populated yet
    host2.directoryExists = (f: string) => !f.endsWith(path.join('node_modules', 'plain-js')) && DiskHost.prototype.directoryExists.call(host2, f);
    const res = createJsResolver(host2, [root]);
    const rel = (s: string) => {
      const x = res.resolve(s, [], path.join(root, 'app/src/main.ts'));
      return x && path.relative(root, x.fileName).split(path.sep).join('/');
    };
    assert.equal(rel('plain-js'), 'packages/plain/lib/index.js');
    assert.equal(rel('plain-js/lib/extra'), 'packages/plain/lib/extra.js');
    fresh();
  });

  it('packages named by the caller', () => {
    fresh({ packages: new Map([['given-pkg', path.join(root, 'elsewhere/given')]]) });
    assert.equal(r('given-pkg', 'app/src/main.ts'), 'elsewhere/given/main.ts');
    fresh();
    assert.equal(r('given-pkg', 'app/src/main.ts'), undefined);
  });

  it('installed packages and unknown names are not resolved', () => {
    assert.equal(r('lodash', 'app/src/main.ts'), undefined);
    assert.equal(r('lodash/lodash.js', 'app/src/main.ts'), undefined);
    assert.equal(r('left-pad', 'app/src/main.ts'), undefined);
    assert.equal(r('@scope', 'app/src/main.ts'), undefined);
  });

  it('nothing outside the roots', () => {
    const outside = createJsResolver(new DiskHost(), [path.join(root, 'app')]);
    assert.equal(outside.resolve('../../shared/lib/db', [], path.join(root, 'app/src/main.ts')), undefined);
    assert.equal(outside.resolve('@acme/utils', [], path.join(root, 'app/src/main.ts')), undefined);
    assert.equal(outside.resolve('./config', [], path.join(root, 'app/src/main.ts'))?.fileName, path.join(root, 'app/src/config.ts'));
  });
});

describe('resolve-js: caching and invalidation', () => {
  it('caches per directory and specifier; invalidate drops misses for created files and re-reads configs', () => {
    fresh();
    assert.equal(r('./later', 'app/src/main.ts'), undefined);
    const probes = host.probes;
    assert.equal(r('./later', 'app/src/main.ts'), undefined);
    assert.equal(host.probes, probes, 'a cached answer probes nothing');
    const created = write('app/src/later.ts');
    try {
      assert.equal(r('./later', 'app/src/main.ts'), undefined, 'still cached until told');
      resolver.invalidate(created);
      assert.equal(r('./later', 'app/src/main.ts'), 'app/src/later.ts');
    } finally {
      fs.rmSync(created);
    }

    assert.equal(r('~/x', 'other/src/x.ts'), 'other/src/x.ts');
    const config = path.join(root, 'other/tsconfig.json');
    host.overlay.set(config, JSON.stringify({ compilerOptions: { paths: { '~/*': ['./src/deep/*'] } } }));
    resolver.invalidate(config);
    assert.equal(r('~/x', 'other/src/x.ts'), undefined);
    assert.equal(r('~/y', 'other/src/x.ts'), 'other/src/deep/y.ts');
  });
});
