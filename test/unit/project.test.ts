// engine/project.ts: the facts fixes get about a file's package — package.json (dependencies, type)
// and the nearest tsconfig.json within the package (extends chains, comments, module formats, rootDir,
// include) — cached by mtime, and nothing for files outside a package.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { projectFactsFor } from '../../server/src/engine/project';

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-project-'));
after(() => fs.rmSync(temp, { recursive: true, force: true }));

let counter = 0;
/** A fresh directory tree: paths relative to it → contents. */
function tree(files: Record<string, string>): string {
  const root = path.join(temp, `p${counter++}`);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

/** Rewrites a file with an mtime that certainly differs from the one the cache saw. */
function rewrite(file: string, text: string): void {
  const before = fs.statSync(file).mtimeMs;
  fs.writeFileSync(file, text);
  const t = new Date(before + 5_000);
  fs.utimesSync(file, t, t);
}

describe('project facts: package.json', () => {
  it('reads dependencies and devDependencies, and the module type', () => {
    const root = tree({
      'package.json': JSON.stringify({ type: 'module', dependencies: { piscina: '5' }, devDependencies: { tsx: '4', piscina: '5' } }),
      'src/a.js': '',
    });
    const facts = projectFactsFor(path.join(root, 'src', 'a.js'));
    assert.ok(facts);
    assert.equal(facts.root, root);
    assert.deepEqual([...facts.dependencies], ['piscina', 'tsx']);
    assert.equal(facts.moduleType, 'module');
    assert.equal(facts.tsconfig, undefined);
    assert.equal(facts.fileExists(path.join(root, 'src', 'a.js')), true);
    assert.equal(facts.fileExists(path.join(root, 'src')), false, 'a directory is not a file');
    assert.equal(facts.fileExists(path.join(root, 'src', 'b.js')), false);
  });

  it('treats a missing or non-module type as commonjs', () => {
    const root = tree({ 'package.json': '{"type": "commonjs"}', 'a.js': '' });
    assert.equal(projectFactsFor(path.join(root, 'a.js'))?.moduleType, 'commonjs');
    const bare = tree({ 'package.json': '{}', 'a.js': '' });
    assert.equal(projectFactsFor(path.join(bare, 'a.js'))?.moduleType, 'commonjs');
  });

  it('gives nothing for relative paths, unreadable package.json, or no package.json above the file', () => {
    assert.equal(projectFactsFor('src/a.ts'), undefined);
    const broken = tree({ 'package.json': '{ not json', 'a.js': '' });
    assert.equal(projectFactsFor(path.join(broken, 'a.js')), undefined);
    const array = tree({ 'package.json': '[]', 'a.js': '' });
    assert.equal(projectFactsFor(path.join(array, 'a.js')), undefined);
    // the file system root has no package.json in a clean container; a stray one would make this vacuous
    if (!fs.existsSync(path.join(path.parse(temp).root, 'package.json'))) {
      assert.equal(projectFactsFor(path.join(path.parse(temp).root, 'loopguard-nowhere', 'a.js')), undefined);
    }
  });

  it('re-reads package.json when its mtime changes, and hands out the same object while it does not', () => {
    const root = tree({ 'package.json': '{"type": "module"}', 'a.js': '' });
    const file = path.join(root, 'a.js');
    const first = projectFactsFor(file);
    assert.equal(projectFactsFor(file), first);
    rewrite(path.join(root, 'package.json'), '{"dependencies": {"piscina": "5"}}');
    const second = projectFactsFor(file);
    assert.notEqual(second, first);
    assert.equal(second?.moduleType, 'commonjs');
    assert.deepEqual(second?.dependencies, ['piscina']);
  });
});

describe('project facts: tsconfig.json', () => {
  it('parses comments and trailing commas, and maps the module kind', () => {
    const cases: Array<[string, string | undefined]> = [
      ['commonjs', 'commonjs'], ['CommonJS', 'commonjs'], ['es2015', 'esm'], ['es2022', 'esm'], ['esnext', 'esm'],
      ['preserve', 'esm'], ['node16', 'node'], ['node18', 'node'], ['nodenext', 'node'], ['umd', 'other'], ['system', 'other'],
    ];
    for (const [module, expected] of cases) {
      const root = tree({
        'package.json': '{}',
        'tsconfig.json': `{\n  // how it is built\n  "compilerOptions": { "module": "${module}", /* block */ "strict": true, },\n}\n`,
        'src/a.ts': '',
      });
      assert.equal(projectFactsFor(path.join(root, 'src', 'a.ts'))?.tsconfig?.module, expected, module);
    }
  });

  it('leaves module out when the config does not set it', () => {
    const root = tree({ 'package.json': '{}', 'tsconfig.json': '{}', 'a.ts': '' });
    const tsconfig = projectFactsFor(path.join(root, 'a.ts'))?.tsconfig;
    assert.deepEqual(tsconfig, { dir: root, include: ['**/*'] });
  });

  it('follows extends: options, rootDir and include come from the base, rebased to the extending config', () => {
    const root = tree({
      'package.json': '{}',
      'config/tsconfig.base.json': '{\n  // shared\n  "compilerOptions": { "module": "nodenext", "rootDir": "../src", "verbatimModuleSyntax": true },\n  "include": ["../src/**/*"],\n}',
      'tsconfig.json': '{ "extends": "./config/tsconfig.base.json", "compilerOptions": { "strict": true } }',
      'src/a.ts': '',
    });
    const tsconfig = projectFactsFor(path.join(root, 'src', 'a.ts'))?.tsconfig;
    assert.ok(tsconfig);
    assert.equal(tsconfig.dir, root);
    assert.equal(tsconfig.module, 'node');
    assert.equal(tsconfig.rootDir, path.join(root, 'src'));
    assert.equal(tsconfig.verbatimModuleSyntax, true);
    assert.equal(tsconfig.include?.length, 1);
    assert.equal(path.resolve(root, tsconfig.include[0]), path.join(root, 'src', '**', '*'));
  });

  it('takes the nearest tsconfig at or above the file, but none above the package root', () => {
    const root = tree({
      'tsconfig.json': '{ "compilerOptions": { "module": "commonjs" } }',
      'pkg/package.json': '{}',
      'pkg/src/a.ts': '',
      'pkg/nested/tsconfig.json': '{ "compilerOptions": { "module": "esnext" }, "include": ["lib"] }',
      'pkg/nested/lib/b.ts': '',
    });
    assert.equal(projectFactsFor(path.join(root, 'pkg', 'src', 'a.ts'))?.tsconfig, undefined);
    const nested = projectFactsFor(path.join(root, 'pkg', 'nested', 'lib', 'b.ts'));
    assert.equal(nested?.root, path.join(root, 'pkg'));
    assert.equal(nested?.tsconfig?.dir, path.join(root, 'pkg', 'nested'));
    assert.deepEqual(nested?.tsconfig?.include, ['lib']);
    assert.equal(nested?.tsconfig?.module, 'esm');
  });

  it('ignores a tsconfig that is not JSON, and one whose extends target is missing keeps its own options', () => {
    const broken = tree({ 'package.json': '{}', 'tsconfig.json': '{ "compilerOptions": ', 'a.ts': '' });
    const facts = projectFactsFor(path.join(broken, 'a.ts'));
    assert.ok(facts, 'the package facts stay');
    assert.equal(facts.tsconfig, undefined);
    const dangling = tree({
      'package.json': '{}',
      'tsconfig.json': '{ "extends": "./base.json", "compilerOptions": { "module": "commonjs" } }',
      'a.ts': '',
    });
    assert.equal(projectFactsFor(path.join(dangling, 'a.ts'))?.tsconfig?.module, 'commonjs');
  });

  it('re-reads a tsconfig when it or a config it extends changes, or when a missing base appears', () => {
    const root = tree({
      'package.json': '{}',
      'base.json': '{ "compilerOptions": { "module": "commonjs" } }',
      'tsconfig.json': '{ "extends": "./base.json" }',
      'a.ts': '',
    });
    const file = path.join(root, 'a.ts');
    const first = projectFactsFor(file);
    assert.equal(first?.tsconfig?.module, 'commonjs');
    assert.equal(projectFactsFor(file), first, 'unchanged files: the cached object');

    rewrite(path.join(root, 'base.json'), '{ "compilerOptions": { "module": "esnext" } }');
    assert.equal(projectFactsFor(file)?.tsconfig?.module, 'esm');

    rewrite(path.join(root, 'tsconfig.json'), '{ "extends": "./other.json" }');
    assert.equal(projectFactsFor(file)?.tsconfig?.module, undefined);
    fs.writeFileSync(path.join(root, 'other.json'), '{ "compilerOptions": { "module": "node16" } }');
    assert.equal(projectFactsFor(file)?.tsconfig?.module, 'node');

    fs.rmSync(path.join(root, 'tsconfig.json'));
    assert.equal(projectFactsFor(file)?.tsconfig, undefined);
  });
});
