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
import { MAX_CHAIN, solveSummaries, summaryKey, SummaryGraph, type SummaryNode } from '../../server/src/engine/workspace/summaries';
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

describe('SummaryGraph (incremental summaries)', () => {
  /** mulberry32: a small seeded generator, so a failing sequence can be replayed */
  function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const KINDS: SummaryNode['kind'][] = ['sync', 'sync', 'sync', 'sync', 'offloaded', 'inline', 'async', 'loop-callback'];

  function randomGraph(random: () => number, size: number): Map<string, SummaryNode> {
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
    const keys = Array.from({ length: size }, (_, i) => `n${i}`);
    let line = 0;
    const h = (label: string) => hop(label, line++);
    const makeNode = (key: string): SummaryNode => {
      const edges = Array.from({ length: Math.floor(random() * 4) }, () => {
        // mostly existing nodes; some calls resolve to nothing, some to a key that is not (yet) a node
        const r = random();
        const callee = r < 0.08 ? undefined : r < 0.14 ? `ghost${Math.floor(random() * 3)}` : pick(keys);
        return { callee, hop: h(callee ?? '?'), ...(random() < 0.5 ? { iterates: true } : {}) };
      });
      return {
        key,
        kind: pick(KINDS),
        ...(random() < 0.2 ? { generator: true } : {}),
        ...(random() < 0.12 ? { blocks: h('fs.readFileSync') } : {}),
        ...(random() < 0.08 ? { heavy: h('loop') } : {}),
        edges,
      };
    };
    const nodes = new Map(keys.map((k) => [k, makeNode(k)]));
    // a long path so the MAX_CHAIN cap is crossed by edits
    for (let i = 0; i < MAX_CHAIN + 3; i++) {
      const key = `p${i}`;
      nodes.set(key, { key, kind: 'sync', edges: [{ callee: i === MAX_CHAIN + 2 ? 'n0' : `p${i + 1}`, hop: h(`p${i + 1}`) }] });
    }
    // edits replace nodes with fresh random ones, reuse removed keys (a file's scope ids) and add ghosts
    (nodes as Map<string, SummaryNode> & { make?: (k: string) => SummaryNode }).make = makeNode;
    return nodes;
  }

  function changedKeys(before: Map<string, unknown>, after: Map<string, unknown>): string[] {
    const keys = new Set([...before.keys(), ...after.keys()]);
    return [...keys].filter((k) => summaryKey(before.get(k) as never) !== summaryKey(after.get(k) as never)).sort();
  }

  it('equals a from-scratch solve after every edit of random edit sequences (seeded)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const random = rng(seed);
      const nodes = randomGraph(random, 24);
      const make = (nodes as Map<string, SummaryNode> & { make: (k: string) => SummaryNode }).make;
      const graph = new SummaryGraph(nodes.values());
      let expected = solveSummaries(nodes.values());
      for (const key of nodes.keys()) assert.deepEqual(graph.get(key), expected.get(key), `seed ${seed}: initial ${key}`);
      for (let step = 0; step < 30; step++) {
        // one "file edit": a few nodes removed, replaced or added at once
        const removed: string[] = [];
        const upserted: SummaryNode[] = [];
        const count = 1 + Math.floor(random() * 3);
        const pool = [...nodes.keys(), 'ghost0', 'ghost1', 'ghost2', `new${step}`];
        for (let i = 0; i < count; i++) {
          const key = pool[Math.floor(random() * pool.length)];
          if (removed.includes(key) || upserted.some((n) => n.key === key)) continue;
          const r = random();
          if (r < 0.25 && nodes.has(key)) {
            removed.push(key);
            nodes.delete(key);
          } else if (r < 0.5 && nodes.has(key)) {
            // only the evidence changes (the common edit: a blocking call added, removed or moved)
            const old = nodes.get(key) as SummaryNode;
            const { blocks: _b, ...rest } = old;
            const next: SummaryNode = random() < 0.5 ? { ...rest, blocks: hop('time.sleep', 1000 + step) } : rest;
            // or it becomes a generator, or stops being one (a `yield` added or removed)
            if (random() < 0.3) next.generator = !next.generator;
            upserted.push(next);
            nodes.set(key, next);
          } else {
            const next = make(key);
            upserted.push(next);
            nodes.set(key, next);
          }
        }
        const changed = [...graph.update(removed, upserted)].sort();
        const solved = solveSummaries(nodes.values());
        const where = `seed ${seed} step ${step} (removed ${removed.join(',')}; upserted ${upserted.map((n) => n.key).join(',')})`;
        for (const key of nodes.keys()) assert.deepEqual(graph.get(key), solved.get(key), `${where}: ${key}`);
        for (const key of removed) assert.equal(graph.get(key), undefined, `${where}: ${key} removed`);
        assert.deepEqual(changed, changedKeys(expected, solved), `${where}: changed keys`);
        expected = solved;
      }
    }
  });

  it('a blocking call removed inside a cycle clears the whole cycle; put back, it returns', () => {
    const node = (key: string, callees: string[], blocks?: Hop): SummaryNode => ({ key, kind: 'sync', ...(blocks ? { blocks } : {}), edges: callees.map((c) => ({ callee: c, hop: hop(c) })) });
    const graph = new SummaryGraph([node('a', ['b']), node('b', ['c']), node('c', ['a'], hop('time.sleep')), node('top', ['a'])]);
    assert.deepEqual(graph.get('top')?.blocks?.hops.map((h) => h.label), ['a', 'b', 'c', 'time.sleep']);
    assert.deepEqual([...graph.update([], [node('c', ['a'])])].sort(), ['a', 'b', 'c', 'top']);
    for (const key of ['a', 'b', 'c', 'top']) assert.equal(graph.get(key)?.blocks, undefined, key);
    assert.deepEqual([...graph.update([], [node('c', ['a'], hop('time.sleep'))])].sort(), ['a', 'b', 'c', 'top']);
    assert.deepEqual(graph.get('a')?.blocks?.hops.map((h) => h.label), ['b', 'c', 'time.sleep']);
    // an edit that leaves the summaries as they were changes nothing, and says so
    assert.deepEqual([...graph.update([], [node('top', ['a'])])], []);
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

  it('incremental updates equal a fresh scan, on random edits of a generated project (seeded)', async () => {
    // files f0..f5 define functions f<i>_<k>, import each other's names (some missing), re-export some and
    // block in some; an edit rewrites, deletes or creates a file. After each, every function's summary and
    // every edge's callee must be what a Workspace scanned from scratch over the same texts says.
    const random = (() => {
      let a = 7;
      return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = Math.imul(a ^ (a >>> 15), a | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    })();
    const int = (n: number) => Math.floor(random() * n);
    const FILES = 6;
    interface Spec {
      head: string[];
      fns: Array<{ name: string; async: boolean; generator: boolean; body: string[]; blocks: boolean }>;
    }
    const generate = (i: number): Spec => {
      const head = ["import * as fs from 'node:fs';"];
      const imported: string[] = [];
      for (let n = int(4); n > 0; n--) {
        const j = int(FILES);
        const name = `f${j}_${int(3)}`;
        if (imported.includes(name) || j === i) continue;
        imported.push(name);
        // mostly from the file that defines it; else through another file, which may re-export it (or not)
        head.push(`import { ${name} } from './f${random() < 0.75 ? j : int(FILES)}';`);
      }
      if (random() < 0.4) head.push(`export { f${int(FILES)}_${int(3)} } from './f${int(FILES)}';`);
      if (random() < 0.15) head.push(`export * from './f${int(FILES)}';`);
      const own = [0, 1, 2].filter(() => random() < 0.7).map((k) => `f${i}_${k}`);
      const callable = [...own, ...imported];
      const fns = own.map((name) => {
        const body: string[] = [];
        // a call, or one that iterates the result (which runs the callee's body if it is a generator)
        for (let n = int(3); n > 0; n--) if (callable.length) body.push(random() < 0.3 ? `  [...${callable[int(callable.length)]}()];` : `  ${callable[int(callable.length)]}();`);
        return { name, async: random() < 0.2, generator: random() < 0.2, body, blocks: random() < 0.2 };
      });
      return { head, fns };
    };
    const render = (spec: Spec): string =>
      `${[...spec.head, ...spec.fns.flatMap((f) => [`export ${f.async ? 'async ' : ''}function${f.generator ? '*' : ''} ${f.name}() {`, ...f.body, ...(f.blocks ? ["  fs.readFileSync('x');"] : []), '}'])].join('\n')}\n`;
    const specs = new Map<number, Spec>();
    const dir = '/virtual/p';
    const texts = new Map<string, string>();
    for (let i = 0; i < FILES; i++) {
      specs.set(i, generate(i));
      texts.set(`${dir}/f${i}.ts`, render(specs.get(i) as Spec));
    }
    const host = {
      readFile: (f: string) => texts.get(f),
      fileExists: (f: string) => texts.has(f),
      directoryExists: (d: string) => [...texts.keys()].some((f) => f.startsWith(`${d}/`)),
    };
    const eng = await engine();
    const fresh = async () => {
      const ws = new Workspace({ host, roots: [dir], engine: eng, configFor: () => config });
      await ws.scan([...texts.keys()]);
      return ws;
    };
    const view = (ws: Workspace) => {
      const out: Record<string, unknown> = {};
      for (const file of [...texts.keys()].sort()) {
        for (const fn of ws.functions(file)) {
          const key = `${file}#${fn.scope}`;
          const edges = fn.edges.map((e) => (e.target !== undefined ? `${file}#${e.target}` : e.imported ? ws.resolveImport(file, e.imported) : undefined));
          out[`${fn.name}`] = { key, summary: ws.summary(key), edges };
        }
      }
      return out;
    };
    const ws = await fresh();
    let previous = view(ws);
    for (let step = 0; step < 50; step++) {
      const i = int(FILES);
      const file = `${dir}/f${i}.ts`;
      // mostly the small edit (a function starts or stops blocking, or turns async), sometimes a rewrite or a deletion
      const r = random();
      let spec = specs.get(i);
      if (r < 0.1) spec = undefined;
      else if (r < 0.3 || !spec || spec.fns.length === 0) spec = generate(i);
      else {
        const fn = spec.fns[int(spec.fns.length)];
        const e = random();
        if (e < 0.6) fn.blocks = !fn.blocks;
        else if (e < 0.8) fn.generator = !fn.generator;
        else fn.async = !fn.async;
      }
      const text = spec && render(spec);
      if (spec) specs.set(i, spec);
      else specs.delete(i);
      if (text === undefined) texts.delete(file);
      else texts.set(file, text);
      const affected = ws.update(file, text);
      const expected = view(await fresh());
      assert.deepEqual(view(ws), expected, `step ${step}: ${text === undefined ? 'deleted' : 'rewrote'} f${i}`);
      // the files of functions whose summary or edges changed, and of the calls to a changed summary, are returned
      type Entry = { key: string; summary: unknown; edges: Array<string | undefined> };
      const changedKeys = new Set<string>();
      for (const [name, v] of Object.entries(expected) as Array<[string, Entry]>) {
        const old = previous[name] as Entry | undefined;
        if (JSON.stringify(v) === JSON.stringify(old)) continue;
        if (summaryKey(v.summary as never) !== summaryKey(old?.summary as never)) changedKeys.add(v.key);
        assert.ok(affected.has(v.key.split('#')[0]), `step ${step}: ${name} changed but its file was not returned`);
      }
      for (const v of Object.values(expected) as Entry[]) {
        if (v.edges.some((t) => t !== undefined && changedKeys.has(t))) assert.ok(affected.has(v.key.split('#')[0]), `step ${step}: ${v.key} calls a changed summary`);
      }
      previous = expected;
    }
  });

  it('recording(): a view that answers as the workspace does and tells whether its answers still hold', async () => {
    const dir = project(files);
    const ws = await scanned(dir);
    const handler = path.join(dir, 'handler.ts');
    const unrelated = ws.recording();
    assert.equal(unrelated.workspace.summary('nothing#1'), undefined);
    const view = ws.recording();
    const key = view.workspace.resolveImport(handler, { specifier: './loader', path: ['loadConfig'] });
    assert.equal(key, `${path.join(dir, 'loader.ts')}#1`);
    assert.deepEqual(view.workspace.calleeSummary(key)?.blocks?.hops.map((h) => h.label), ['readJson', 'fs.readFileSync']);
    assert.equal(view.unchanged(), true);
    ws.update(path.join(dir, 'config.ts'), 'export function readJson(p: string) {\n  return p;\n}\n');
    assert.equal(view.unchanged(), false);
    assert.equal(unrelated.unchanged(), true);
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

  it('a file analysed during the scan before the helper it calls is known is analysed again; others keep their result', async () => {
    // a_handler.ts comes before z_helper.ts in the scan, so the early analysis cannot see the helper
    const dir = project({
      'a_handler.ts': "import { helper } from './z_helper';\nexport async function handler() {\n  return helper();\n}\n",
      'b_plain.ts': "import * as fs from 'node:fs';\nexport async function direct() {\n  return fs.readFileSync('x');\n}\n",
      'z_helper.ts': "import * as fs from 'node:fs';\nexport function helper() {\n  return fs.readFileSync('x');\n}\n",
    });
    const out = JSON.parse((await run(dir, 'check', '--format', 'json', '.')).out) as { findings: Array<{ file: string; line: number; message: string }> };
    assert.deepEqual(out.findings.map((f) => [f.file, f.line, /helper → fs\.readFileSync/.test(f.message)]), [
      ['a_handler.ts', 3, true],
      ['b_plain.ts', 3, false],
    ]);
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
