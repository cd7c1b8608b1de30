// The Marketplace package without building it: what vsce would put in the VSIX (its own file listing over the
// .vscodeignore whitelist), the manifest fields the Marketplace shows, and the icon. `npm run package` and the
// e2e run (test/e2e) build and install the real VSIX.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listFiles, PackageManager, type IListFilesOptions } from '@vscode/vsce';
import { RULE_IDS } from '../../server/src/rules/registry';

const ROOT = path.join(__dirname, '..', '..');

interface Manifest {
  name: string;
  publisher: string;
  version: string;
  displayName?: string;
  description?: string;
  license?: string;
  icon?: string;
  main?: string;
  categories?: string[];
  keywords?: string[];
  repository?: { type: string; url: string };
  homepage?: string;
  bugs?: { url: string };
  galleryBanner?: { color: string; theme: string };
  engines: Record<string, string>;
  capabilities?: {
    untrustedWorkspaces?: { supported: boolean | 'limited'; restrictedConfigurations?: string[]; description?: string };
    virtualWorkspaces?: boolean | { supported: boolean | 'limited'; description?: string };
  };
  contributes?: { grammars?: { path: string }[] };
  scripts: Record<string, string>;
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;

/** vsce's own listing; the manifest is handed over so that this does not depend on packaging validation. */
async function packagedFiles(): Promise<string[]> {
  const options: IListFilesOptions & { manifest: Manifest } = { cwd: ROOT, packageManager: PackageManager.None, manifest };
  return (await listFiles(options)).map((f) => f.split(path.sep).join('/')).sort();
}

/** Whether a file is one the VSIX may hold (docs are matched by pattern: one per rule). */
function allowed(file: string): boolean {
  return (
    [
      'package.json',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
      'images/icon.png',
      'dist/client.js',
      'dist/server.js',
      'dist/analysis-worker.js',
      'dist/tree-sitter.wasm',
      'dist/tree-sitter-python.wasm',
    ].includes(file) ||
    /^docs\/rules\/[a-z0-9-]+\.md$/.test(file) ||
    /^syntaxes\/[a-z0-9-]+\.tmLanguage\.json$/.test(file)
  );
}

describe('VSIX contents (vsce listing over .vscodeignore)', () => {
  it('.vscodeignore is a whitelist: ignore everything, then re-include', () => {
    const lines = fs
      .readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    assert.equal(lines[0], '**');
    for (const l of lines.slice(1)) assert.ok(l.startsWith('!'), `every later line re-includes something: ${l}`);
  });

  it('holds only the shipped files, and all of them', async () => {
    const files = await packagedFiles();
    assert.deepEqual(files.filter((f) => !allowed(f)), [], 'nothing outside the whitelist (sources, tests, maps, node_modules)');
    for (const f of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'images/icon.png']) {
      assert.ok(files.includes(f), `${f} is packaged`);
    }
    for (const id of RULE_IDS) assert.ok(files.includes(`docs/rules/${id}.md`), `docs/rules/${id}.md is packaged`);
    // the bundles exist only after a build (npm test builds first); whatever exists must be packaged
    // the server starts dist/analysis-worker.js for large documents: without it they would never be analysed
    for (const f of ['dist/client.js', 'dist/server.js', 'dist/analysis-worker.js', 'dist/tree-sitter.wasm', 'dist/tree-sitter-python.wasm']) {
      if (fs.existsSync(path.join(ROOT, f))) assert.ok(files.includes(f), `${f} is packaged`);
    }
    assert.ok(!files.some((f) => f.endsWith('.map')), 'no source maps');
  });

  it('every file the manifest points at is packaged', async () => {
    const files = await packagedFiles();
    const referenced = [manifest.main, manifest.icon, ...(manifest.contributes?.grammars ?? []).map((g) => g.path)]
      .filter((p): p is string => typeof p === 'string')
      .map((p) => path.posix.normalize(p.replace(/^\.\//, '')));
    for (const p of referenced) {
      if (p === manifest.main?.replace(/^\.\//, '') && !fs.existsSync(path.join(ROOT, p))) continue; // not built yet
      assert.ok(files.includes(p), `${p} (named in package.json) is in the VSIX`);
    }
  });

  it('the manifest passes vsce packaging validation', async () => {
    await assert.doesNotReject(listFiles({ cwd: ROOT, packageManager: PackageManager.None }));
  });
});

describe('Marketplace manifest', () => {
  it('names the publisher and describes the extension', () => {
    assert.equal(manifest.publisher, 'loopguard');
    assert.equal(manifest.name, 'loopguard');
    assert.equal(manifest.displayName, 'Loopguard');
    assert.ok((manifest.description ?? '').length >= 40, 'a real description');
    assert.deepEqual(manifest.categories, ['Linters']);
    assert.ok(manifest.keywords && manifest.keywords.length > 0 && manifest.keywords.length <= 30, 'keywords (the Marketplace takes at most 30)');
    assert.equal(manifest.engines.vscode, '^1.91.0');
  });

  it('links the repository, homepage and issue tracker', () => {
    const repo = 'https://github.com/loopguard/loopguard';
    assert.equal(manifest.repository?.type, 'git');
    assert.ok(manifest.repository?.url.startsWith(repo), 'repository');
    assert.ok(manifest.homepage?.startsWith(repo), 'homepage');
    assert.equal(manifest.bugs?.url, `${repo}/issues`);
    assert.match(manifest.galleryBanner?.color ?? '', /^#[0-9a-f]{6}$/i);
    assert.ok(['dark', 'light'].includes(manifest.galleryBanner?.theme ?? ''));
  });

  it('is MIT licensed, with the licence text', () => {
    assert.equal(manifest.license, 'MIT');
    assert.match(fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8'), /^MIT License\n/);
  });

  it('declares its workspace capabilities', () => {
    // static analysis that never runs workspace code: fine in Restricted Mode
    assert.equal(manifest.capabilities?.untrustedWorkspaces?.supported, true);
    const virtual = manifest.capabilities?.virtualWorkspaces;
    assert.ok(virtual !== undefined, 'virtualWorkspaces is declared');
  });

  it('has a 128×128 PNG icon', () => {
    assert.equal(manifest.icon, 'images/icon.png');
    const png = fs.readFileSync(path.join(ROOT, 'images', 'icon.png'));
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
    assert.equal(png.toString('ascii', 12, 16), 'IHDR');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
  });

  it('has a CHANGELOG entry for its version', () => {
    const changelog = fs.readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf8');
    assert.ok(changelog.includes(`## [${manifest.version}]`), `CHANGELOG.md has a section for ${manifest.version}`);
  });

  it('packages the production build without dependencies, and runs the e2e suite', () => {
    assert.match(manifest.scripts.package, /esbuild\.mjs --production/);
    assert.match(manifest.scripts.package, /vsce package --no-dependencies/);
    assert.equal(manifest.scripts['test:e2e'], 'bash test/e2e/run.sh');
    assert.ok(fs.existsSync(path.join(ROOT, 'test', 'e2e', 'run.sh')));
  });
});
