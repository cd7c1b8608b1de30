// The project model (engine/workspace): per-file facts, summaries (shortest chains, cycles, the cap),
// incremental updates (dependents recomputed, unchanged facts propagate nothing), the rules' findings
// at helper calls through a Workspace, and `loopguard check` on a multi-file project.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../server/src/cli/main';
import { defaultAnalysisConfig } from '../../server/src/engine/config';
import { Engine } from '../../server/src/engine/engine';
import type { FileFacts } from '../../server/src/engine/workspace/facts';
import { listWorkspaceFiles } from '../../server/src/engine/workspace/files';
import { MAX_CHAIN, solveSummaries, type SummaryNode } from '../../server/src/engine/workspace/summaries';
import type { Hop } from '../../server/src/engine/workspace/types';
import { diskHost, Workspace } from '../../server/src/engine/workspace/workspace';

const config = defaultAnalysisConfig();
let enginePromise: Promise<Engine> | undefined;
const engine = () => (enginePromise ??= Engine.create());

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-ws-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

async function factsOf(fileName: string, text: string): Promise<FileFacts> {
  const facts = (await engine()).facts({ fileName, text }, config);
  assert.ok(facts);
  return facts;
}

async function scanned(dir: string): Promise<Workspace> {
  const ws = new Workspace({ host: diskHost(), roots: [dir], engine: await engine(), configFor: () => config });
  await ws.scan();
  return ws;
}

async function findings(ws: Workspace, file: string): Promise<Array<{ id: string; line: number }>> {
  const text = fs.readFileSync(file, 'utf8');
  const r = (await engine()).analyse({ fileName: file, text }, config, undefined, ws);
  return r.findings.map((f) => ({ id: `${f.rule}/${f.messageId}`, line: r.lines.position(f.span.start).line + 1 }));
}

const hop = (label: string, line = 0): Hop => ({ label, location: { fileName: '/x.ts', start: { line, character: 0 }, end: { line, character: 1 } } });

describe('facts', () => {
  it('records the first blocking call, the first heavy loop and the synchronous edges of each function', async () => {
    const f = await factsOf(
      '/p/a.ts',
      [
        "import * as fs from 'node:fs';",
        "import { helper } from './b';",
        'function local() { return 1; }',
        'export function f(n: number) {',
        '  local();',
        '  [1].map(() => helper());', // inline: an edge of f
        '  setTimeout(() => helper(), 1);', // another function's call
        "  fs.statSync('a');",
        "  fs.readFileSync('b');",
        '  let t = 0; for (let i = 0; i < n; i++) t += i * i;',
        '  return t;',
        '}',
        'export async function g() { await helper(); }',
      ].join('\n'),
    );
    const byName = new Map(f.functions.map((fn) => [fn.name, fn]));
    const fn = byName.get('f');
    assert.ok(fn);
    assert.equal(fn.kind, 'sync');
    assert.equal(fn.blocks?.label, 'fs.statSync');
    assert.equal(fn.blocks?.location.start.line, 7);
    assert.match(fn.heavy?.label ?? '', /numeric kernel/);
    assert.deepEqual(
      fn.edges.map((e) => [e.label, e.target !== undefined, e.imported?.specifier, e.location.start.line]),
      [
        ['local', true, undefined, 4],
        ['helper', false, './b', 5],
      ],
    );
    // an awaited call is no edge
    assert.deepEqual(byName.get('g')?.edges, []);
    assert.ok(f.exports.some((e) => e.name === 'f'));
  });
});

describe('summaries', () => {
  const node = (key: string, edges: string[], blocks?: Hop, kind: SummaryNode['kind'] = 'sync'): SummaryNode => ({
    key,
    kind,
    ...(blocks ? { blocks } : {}),
    edges: edges.map((callee) => ({ callee, hop: hop(callee) })),
  });

  it('finds the shortest chain, preferring direct evidence, through cycles', () => {
    const s = solveSummaries([
      node('a', ['b', 'c']),
      node('b', ['d']),
      node('c', [], hop('fs.readFileSync')),
      node('d', ['c']),
      node('p', ['q']),
      node('q', ['p']),
      node('self', ['self'], hop('time.sleep')),
    ]);
    assert.deepEqual(s.get('a')?.blocks?.hops.map((h) => h.label), ['c', 'fs.readFileSync']);
    assert.deepEqual(s.get('b')?.blocks?.hops.map((h) => h.label), ['d', 'c', 'fs.readFileSync']);
    assert.equal(s.get('p')?.blocks, undefined);
    assert.deepEqual(s.get('self')?.blocks?.hops.map((h) => h.label), ['time.sleep']);
  });

  it('does not propagate through async functions or event-loop callbacks', () => {
    const s = solveSummaries([node('a', ['b']), node('b', [], hop('x'), 'async'), node('c', ['d']), node('d', [], hop('x'), 'loop-callback')]);
    assert.equal(s.get('a')?.blocks, undefined);
    assert.equal(s.get('b')?.blocks, undefined);
    assert.equal(s.get('c')?.blocks, undefined);
  });

  it(`caps chains at ${MAX_CHAIN} hops`, () => {
    const nodes: SummaryNode[] = [];
    for (let i = 0; i < MAX_CHAIN + 2; i++) nodes.push(i === MAX_CHAIN + 1 ? node(`n${i}`, [], hop('x')) : node(`n${i}`, [`n${i + 1}`]));
    const s = solveSummaries(nodes);
    assert.equal(s.get(`n${MAX_CHAIN + 1}`)?.blocks?.hops.length, 1);
    assert.equal(s.get('n2')?.blocks?.hops.length, MAX_CHAIN);
    assert.equal(s.get('n1')?.blocks, undefined);
  });

  it('takes the summaries of functions outside the nodes from the caller', () => {
    const s = solveSummaries([node('a', ['ext'])], (key) => (key === 'ext' ? { blocks: { hops: [hop('y'), hop('z')] } } : undefined));
    assert.deepEqual(s.get('a')?.blocks?.hops.map((h) => h.label), ['ext', 'y', 'z']);
  });
});

describe('Workspace', () => {
  const files = {
    'config.ts': "import * as fs from 'node:fs';\nexport function readJson(p: string) {\n  return fs.readFileSync(p, 'utf8');\n}\n",
    'loader.ts': "import { readJson } from './config';\nexport function loadConfig() {\n  return readJson('c.json');\n}\n",
    'handler.ts': "import { loadConfig } from './loader';\nexport async function handler() {\n  return loadConfig();\n}\n",
    'other.ts': 'export const x = 1;\n',
  };

  it('reports the helper call across three files, and the callee summary says why', async () => {
    const dir = project(files);
    const ws = await scanned(dir);
    assert.deepEqual(await findings(ws, path.join(dir, 'handler.ts')), [{ id: 'blocking-call-in-async/viaHelper', line: 3 }]);
    const s = ws.summaryAt(path.join(dir, 'loader.ts'), { line: 1, character: 18 });
    assert.equal(s?.name, 'loadConfig');
    assert.deepEqual(s?.blocks?.hops.map((h) => [h.label, path.basename(h.location.fileName), h.location.start.line]), [
      ['readJson', 'loader.ts', 2],
      ['fs.readFileSync', 'config.ts', 2],
    ]);
    assert.deepEqual([...ws.dependents(path.join(dir, 'config.ts'))], [path.join(dir, 'loader.ts')]);
  });

  it('update: an edit that changes a summary reaches the dependents, transitively; one that does not, nothing', async () => {
    const dir = project(files);
    const ws = await scanned(dir);
    const config_ = path.join(dir, 'config.ts');
    const names = (s: Set<string>) => [...s].map((f) => path.basename(f)).sort();
    // a trailing comment: same facts, nothing else to re-check
    assert.deepEqual(names(ws.update(config_, `${files['config.ts']}// trailing\n`)), ['config.ts']);
    // a leading one moves the blocking call: the chains (their locations) in the dependents change
    assert.deepEqual(names(ws.update(config_, `// note\n${files['config.ts']}`)), ['config.ts', 'handler.ts', 'loader.ts']);
    // readJson stops blocking: loader's and handler's findings change
    assert.deepEqual(names(ws.update(config_, 'export function readJson(p: string) {\n  return p;\n}\n')), ['config.ts', 'handler.ts', 'loader.ts']);
    assert.deepEqual(await findings(ws, path.join(dir, 'handler.ts')), []);
    // an unrelated file propagates nothing
    assert.deepEqual(names(ws.update(path.join(dir, 'other.ts'), 'export const x = 2;\nexport function y() {}\n')), ['other.ts']);
    // blocking again
    assert.deepEqual(names(ws.update(config_, files['config.ts'])), ['config.ts', 'handler.ts', 'loader.ts']);
    assert.deepEqual(await findings(ws, path.join(dir, 'handler.ts')), [{ id: 'blocking-call-in-async/viaHelper', line: 3 }]);
    // the helper's file deleted: the import no longer resolves
    assert.deepEqual(names(ws.update(config_, undefined)), ['config.ts', 'handler.ts', 'loader.ts']);
    assert.deepEqual(await findings(ws, path.join(dir, 'handler.ts')), []);
  });

  it('analyses an unsaved buffer with its own functions, other files from the workspace', async () => {
    const dir = project(files);
    const ws = await scanned(dir);
    const file = path.join(dir, 'handler.ts');
    const text = "import { loadConfig } from './loader';\nfunction local() { return loadConfig(); }\nexport async function handler() {\n  return local();\n}\n";
    const r = (await engine()).analyse({ fileName: file, text }, config, undefined, ws);
    assert.deepEqual(r.findings.map((f) => [f.messageId, r.lines.position(f.span.start).line + 1, f.data.chain]), [['viaHelper', 4, 'local → loadConfig → readJson → fs.readFileSync']]);
    assert.deepEqual(r.findings[0].related?.map((x) => path.basename(x.location.fileName)), ['handler.ts', 'handler.ts', 'loader.ts', 'config.ts']);
  });

  it('lists files respecting .gitignore, dependency, virtual env and build folders, and tsconfig outDir', () => {
    const dir = project({
      '.gitignore': 'generated/\n*.gen.ts\n',
      'src/a.ts': '',
      'src/b.gen.ts': '',
      'generated/c.ts': '',
      'node_modules/d/index.js': '',
      'venv/pyvenv.cfg': '',
      'venv/lib/e.py': '',
      'dist/f.js': '',
      'tsconfig.json': '{ "compilerOptions": { /* c */ "outDir": "lib" } }',
      'lib/g.js': '',
      'pkg/.gitignore': 'secret.py\n',
      'pkg/secret.py': '',
      'pkg/h.py': '',
    });
    const listed = listWorkspaceFiles([dir], (f) => /\.(ts|js|py)$/.test(f)).map((f) => path.relative(dir, f).split(path.sep).join('/'));
    assert.deepEqual(listed, ['pkg/h.py', 'src/a.ts']);
  });
});

describe('loopguard check with the project model', () => {
  async function run(cwd: string, ...argv: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    const code = await runCli(argv, { stdout: (s) => (out += s), stderr: () => undefined, cwd, isTTY: false });
    return { code, out };
  }
  const py = {
    'app/__init__.py': '',
    'app/files.py': 'import time\n\n\ndef wait():\n    time.sleep(1)\n',
    'app/service.py': 'from app.files import wait\n\n\nasync def handler():\n    wait()\n',
  };

  it('follows calls into other files of the folder, and of a single file\'s folder', async () => {
    const dir = project(py);
    const folder = JSON.parse((await run(dir, 'check', '--format', 'json', '.')).out) as { findings: Array<{ file: string; message: string; line: number }> };
    // JSON carries no message ids: the chain in the message tells the helper finding apart
    assert.deepEqual(folder.findings.map((f) => [f.file, f.line, /wait → time\.sleep \(files\.py:5\)/.test(f.message)]), [['app/service.py', 5, true]]);
    const single = await run(dir, 'check', '--format', 'json', 'app/service.py');
    assert.equal(single.code, 1);
    assert.deepEqual((JSON.parse(single.out) as typeof folder).findings.map((f) => f.line), [5]);
  });

  it('--stdin-filename overlays the disk workspace', async () => {
    const dir = project(py);
    let out = '';
    const code = await runCli(['check', '--format', 'json', '--stdin-filename', 'app/service.py'], {
      stdout: (s) => (out += s),
      stderr: () => undefined,
      cwd: dir,
      isTTY: false,
      readStdin: async () => 'from app.files import wait\n\n\nasync def handler():\n    x = 1\n    wait()\n',
    });
    assert.equal(code, 1);
    assert.deepEqual((JSON.parse(out) as { findings: Array<{ line: number }> }).findings.map((f) => f.line), [6]);
  });
});
