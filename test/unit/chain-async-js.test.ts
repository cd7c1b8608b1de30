// "Make the chain async" (fixes/chain-async.ts + fixes/typescript/chain-async.ts) on temporary
// TypeScript and CommonJS workspaces: exact texts of every changed file, each refusal as a one-change
// variant of a workspace where the fix is offered (so no refusal test can pass because the fix is never
// built), and a fixed CommonJS program run with node printing what the original prints.

import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { defaultAnalysisConfig } from '../../server/src/engine/config';
import { applyEdits, type Fix } from '../../server/src/engine/finding';
import { diskHost, Workspace } from '../../server/src/engine/workspace/workspace';
import { sharedEngine } from '../harness/fixtures';

const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

const BASE: Record<string, string> = {
  'src/settings.ts': "import * as fs from 'node:fs';\n\nexport function readSettings(file: string): string {\n  return fs.readFileSync(file, 'utf8');\n}\n",
  'src/config.ts': "import { readSettings } from './settings';\n\nexport const loadConfig = (name: string): number => {\n  return readSettings(name).length;\n};\n",
  'src/handlers.ts': "import { loadConfig } from './config';\n\nexport async function handle(name: string) {\n  const size = loadConfig(name);\n  return size;\n}\n",
};

function write(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-chain-js-'));
  made.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

/** The chain fix of the viaHelper finding on `line` (1-based) of `file`, if any. */
async function chainFix(
  files: Record<string, string>,
  { file = 'src/handlers.ts', line = 4, text }: { file?: string; line?: number; text?: string } = {},
): Promise<{ root: string; fix: Fix | undefined }> {
  const root = write(files);
  const engine = await sharedEngine();
  const config = defaultAnalysisConfig();
  const ws = new Workspace({ host: diskHost(), roots: [root], engine, configFor: () => config });
  await ws.scan();
  const fileName = path.join(root, file);
  const result = engine.analyse({ fileName, text: text ?? fs.readFileSync(fileName, 'utf8') }, config, undefined, ws);
  assert.deepEqual(result.ruleErrors, []);
  const finding = result.findings.find((f) => f.messageId === 'viaHelper' && result.lines.position(f.span.start).line === line - 1);
  assert.ok(finding, `no viaHelper finding on line ${line}: ${result.findings.map((f) => f.message).join('; ')}`);
  return { root, fix: finding.fixes.find((f) => f.title.startsWith('Make ')) };
}

/** Every changed file's text after the fix, by path relative to the root. */
function applied(root: string, fix: Fix, file = 'src/handlers.ts'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of [{ fileName: path.join(root, file), edits: fix.edits }, ...(fix.otherFiles ?? [])]) {
    out[path.relative(root, c.fileName)] = applyEdits(fs.readFileSync(c.fileName, 'utf8'), c.edits);
  }
  return out;
}

describe('make the chain async (JavaScript/TypeScript)', () => {
  it('converts an arrow and a function over two files, a return type to Promise<T>, and awaits a call in a third file', async () => {
    const { root, fix } = await chainFix({
      ...BASE,
      'src/jobs.ts': "import * as config from './config';\n\nexport class Jobs {\n  async nightly() {\n    return config.loadConfig('n').toFixed(2) + `${config.loadConfig('m') ** 2}`;\n  }\n}\n",
    });
    assert.ok(fix);
    assert.equal(fix.title, 'Make `loadConfig` → `readSettings` async (4 files)');
    assert.equal(fix.safe, false);
    assert.deepEqual(applied(root, fix), {
      'src/handlers.ts': "import { loadConfig } from './config';\n\nexport async function handle(name: string) {\n  const size = await loadConfig(name);\n  return size;\n}\n",
      'src/config.ts': "import { readSettings } from './settings';\n\nexport const loadConfig = async (name: string): Promise<number> => {\n  return (await readSettings(name)).length;\n};\n",
      'src/settings.ts': "import * as fs from 'node:fs';\n\nexport async function readSettings(file: string): Promise<string> {\n  return await fs.promises.readFile(file, 'utf8');\n}\n",
      'src/jobs.ts': "import * as config from './config';\n\nexport class Jobs {\n  async nightly() {\n    return (await config.loadConfig('n')).toFixed(2) + `${(await config.loadConfig('m')) ** 2}`;\n  }\n}\n",
    });
  });

  it('converts methods called through this, a function expression and void → Promise<void>, in one file', async () => {
    const store =
      "import { writeFileSync } from 'node:fs';\n\nconst save = function (text: string): void {\n  writeFileSync('out.txt', text);\n};\n\n" +
      'export class Store {\n  async handle() {\n    return this.flush();\n  }\n\n  private flush(): void {\n    save(String(Date.now()));\n  }\n}\n';
    const { root, fix } = await chainFix({ 'src/store.ts': store }, { file: 'src/store.ts', line: 9 });
    assert.ok(fix);
    assert.equal(fix.title, 'Make `flush` → `save` async (1 file)');
    assert.deepEqual(applied(root, fix, 'src/store.ts'), {
      'src/store.ts':
        "import { writeFileSync } from 'node:fs';\nimport { writeFile } from 'node:fs/promises';\n\nconst save = async function (text: string): Promise<void> {\n  await writeFile('out.txt', text);\n};\n\n" +
        'export class Store {\n  async handle() {\n    return await this.flush();\n  }\n\n  private async flush(): Promise<void> {\n    await save(String(Date.now()));\n  }\n}\n',
    });
  });

  it('converts a CommonJS chain exported with module.exports = { f } and exports.f = f', async () => {
    const files = {
      'lib/settings.js': "const fs = require('fs');\n\nfunction readSettings(file) {\n  return fs.readFileSync(file, 'utf8');\n}\n\nmodule.exports = { readSettings };\n",
      'lib/config.js': "const { readSettings } = require('./settings');\n\nfunction loadConfig(name) {\n  return readSettings(name).length;\n}\n\nexports.loadConfig = loadConfig;\n",
      'handlers.js': "const config = require('./lib/config');\n\nasync function handle(name) {\n  return config.loadConfig(name);\n}\n\nmodule.exports = { handle };\n",
    };
    const { root, fix } = await chainFix(files, { file: 'handlers.js' });
    assert.ok(fix);
    assert.deepEqual(applied(root, fix, 'handlers.js'), {
      'handlers.js': "const config = require('./lib/config');\n\nasync function handle(name) {\n  return await config.loadConfig(name);\n}\n\nmodule.exports = { handle };\n",
      'lib/config.js': "const { readSettings } = require('./settings');\n\nasync function loadConfig(name) {\n  return (await readSettings(name)).length;\n}\n\nexports.loadConfig = loadConfig;\n",
      'lib/settings.js': "const fs = require('fs');\n\nasync function readSettings(file) {\n  return await fs.promises.readFile(file, 'utf8');\n}\n\nmodule.exports = { readSettings };\n",
    });
  });

  it('is offered when the package is private (its entry points are not public)', async () => {
    assert.ok((await chainFix({ ...BASE, 'package.json': '{ "name": "app", "private": true, "exports": { ".": "./src/config.ts" } }' })).fix);
  });

  const caller = (body: string) => ({ 'src/other.ts': `import { loadConfig } from './config';\n\n${body}\n` });
  const refusals: Array<[string, Record<string, string>]> = [
    ['a plain function calls it (it cannot await)', caller("export function boot() {\n  loadConfig('x');\n}")],
    ['module-level code calls it', caller("export const size = loadConfig('x');")],
    ['it is passed as a callback', caller("export async function job() {\n  setTimeout(loadConfig, 10, 'x');\n}")],
    ['it is stored as a value', caller('export const hooks = [loadConfig];')],
    ['a default parameter calls it', caller("export async function job(n = loadConfig('x')) {\n  return n;\n}")],
    ['a sync callback in an async function calls it', caller('export async function job(names: string[]) {\n  return names.map((n) => loadConfig(n));\n}')],
    ['a class field calls it', caller("export class Job {\n  size = loadConfig('x');\n}")],
    ['it is constructed with new', caller("export async function job() {\n  return new (loadConfig as any)('x');\n}")],
    ['its value is chained with .then', caller("export async function job() {\n  return (loadConfig('x') as any).then(String);\n}")],
    ['it is imported under another name', { 'src/other.ts': "import { loadConfig as load } from './config';\n\nexport async function job() {\n  return load('x');\n}\n" }],
    ['it is re-exported under another name', { 'src/index.ts': "export { loadConfig as load } from './config';\n" }],
    ['a type mentions it', caller('export type Loader = typeof loadConfig;')],
    ['a string names it', caller("export const name = 'loadConfig';")],
    ['it is the default export', { 'src/config.ts': BASE['src/config.ts'] + '\nexport default loadConfig;\n' }],
    ['it is a let (it may be reassigned)', { 'src/config.ts': BASE['src/config.ts'].replace('export const', 'export let') }],
    ['it is overloaded', {
      'src/settings.ts': "import * as fs from 'node:fs';\n\nexport function readSettings(file: string): string;\nexport function readSettings(file: string): string {\n  return fs.readFileSync(file, 'utf8');\n}\n",
    }],
    ['its return type is already a promise', {
      'src/settings.ts': "import * as fs from 'node:fs';\n\nexport function readSettings(file: string): Promise<string> {\n  return Promise.resolve(fs.readFileSync(file, 'utf8'));\n}\n",
    }],
    ['its package exports it (a public entry point)', { 'package.json': '{ "name": "lib", "exports": { ".": "./src/config.ts" } }' }],
    ['the chain is four functions long', {
      'src/settings.ts': "import * as fs from 'node:fs';\n\nexport function readSettings(file: string): string {\n  return a(file);\n}\n\nfunction a(f: string): string {\n  return b(f);\n}\n\nfunction b(f: string): string {\n  return fs.readFileSync(f, 'utf8');\n}\n",
    }],
    ['the blocking call has no awaited twin', {
      'src/settings.ts': "import * as fs from 'node:fs';\n\nexport function readSettings(file: string): string {\n  return String(fs.existsSync(file));\n}\n",
    }],
  ];
  it('is offered for the base workspace the refusals vary', async () => {
    assert.ok((await chainFix(BASE)).fix);
  });
  for (const [why, change] of refusals) {
    it(`is refused when ${why}`, async () => {
      assert.equal((await chainFix({ ...BASE, ...change })).fix, undefined);
    });
  }
  it('is refused when a method of the chain is decorated (the decorator wraps what it returns)', async () => {
    const store =
      "import * as fs from 'node:fs';\n\nfunction logged(_t: unknown, _k: string) {}\n\nexport class Store {\n  async handle() {\n    return this.read();\n  }\n\n  @logged\n  read(): string {\n    return fs.readFileSync('x', 'utf8');\n  }\n}\n";
    assert.equal((await chainFix({ 'src/store.ts': store }, { file: 'src/store.ts', line: 7 })).fix, undefined);
    // the same class without the decorator is converted
    assert.ok((await chainFix({ 'src/store.ts': store.replace('  @logged\n', '') }, { file: 'src/store.ts', line: 7 })).fix);
  });
  it('is refused when a generator is in the chain', async () => {
    // iterated where it is called: a call that only creates a generator runs none of it and is no finding
    const store = "import * as fs from 'node:fs';\n\nexport function* lines() {\n  yield fs.readFileSync('x', 'utf8');\n}\n\nexport async function handle() {\n  return [...lines()];\n}\n";
    assert.equal((await chainFix({ 'src/store.ts': store }, { file: 'src/store.ts', line: 8 })).fix, undefined);
    const plain = store.replace('function* lines', 'function lines').replace('yield', 'return').replace('[...lines()]', 'lines()');
    assert.ok((await chainFix({ 'src/store.ts': plain }, { file: 'src/store.ts', line: 8 })).fix);
  });
  it('is refused when the analysed text is newer than the workspace copy', async () => {
    const text = BASE['src/handlers.ts'].replace('return size;', 'return size + 1;');
    assert.equal((await chainFix(BASE, { text })).fix, undefined);
  });

  it('the fixed CommonJS program prints what the original prints', { timeout: 20_000 }, async () => {
    const files = {
      'data.txt': 'hello',
      'lib/settings.js': "const fs = require('fs');\nconst path = require('path');\n\nfunction readSettings(file) {\n  return fs.readFileSync(path.join(__dirname, '..', file), 'utf8');\n}\n\nmodule.exports = { readSettings };\n",
      'lib/config.js': "const { readSettings } = require('./settings');\n\nconst loadConfig = (name) => readSettings(name).toUpperCase();\n\nmodule.exports = { loadConfig };\n",
      'handlers.js': "const { loadConfig } = require('./lib/config');\n\nasync function handle(name) {\n  const text = loadConfig(name);\n  return text.length + ':' + text;\n}\n\nmodule.exports = { handle };\n",
      'main.js': "const { handle } = require('./handlers');\n\nhandle('data.txt').then((v) => console.log(v));\n",
    };
    const { root, fix } = await chainFix(files, { file: 'handlers.js' });
    assert.ok(fix);
    const fixed = applied(root, fix, 'handlers.js');
    assert.equal(fixed['lib/config.js'], "const { readSettings } = require('./settings');\n\nconst loadConfig = async (name) => (await readSettings(name)).toUpperCase();\n\nmodule.exports = { loadConfig };\n");
    const fixedRoot = write({ ...files, ...fixed });
    const run = (dir: string) => promisify(execFile)(process.execPath, [path.join(dir, 'main.js')], { cwd: dir });
    const [before, afterFix] = await Promise.all([run(root), run(fixedRoot)]);
    assert.equal(before.stdout, '5:HELLO\n');
    assert.equal(afterFix.stdout, before.stdout);
  });

  it('the fixed TypeScript program prints what the original prints (run with tsx)', { timeout: 30_000 }, async () => {
    const files = {
      'package.json': '{ "name": "app", "private": true, "type": "module" }',
      'data.txt': 'hi',
      'src/settings.ts': "import { readFileSync } from 'node:fs';\n\nexport function readSettings(file: string): string {\n  return readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');\n}\n",
      'src/config.ts': "import { readSettings } from './settings.ts';\n\nexport function load(name: string): string[] {\n  return readSettings(name).split('');\n}\n",
      'src/handlers.ts': "import { load } from './config.ts';\n\nexport async function handle(name: string) {\n  return load(name).length;\n}\n",
      'src/main.ts': "import { handle } from './handlers.ts';\n\nconsole.log(await handle('data.txt'));\n",
    };
    const offered = await chainFix(files, { line: 4 });
    assert.ok(offered.fix);
    const fixed = applied(offered.root, offered.fix);
    assert.equal(fixed['src/handlers.ts'], "import { load } from './config.ts';\n\nexport async function handle(name: string) {\n  return (await load(name)).length;\n}\n");
    const fixedRoot = write({ ...files, ...fixed });
    const tsx = pathToFileURL(path.resolve(__dirname, '../../node_modules/tsx/dist/loader.mjs')).href;
    const run = (dir: string) => promisify(execFile)(process.execPath, ['--import', tsx, path.join(dir, 'src/main.ts')], { cwd: dir });
    const [before, afterFix] = await Promise.all([run(offered.root), run(fixedRoot)]);
    assert.equal(before.stdout, '2\n');
    assert.equal(afterFix.stdout, before.stdout);
  });
});
