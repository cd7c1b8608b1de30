// The project model's part of `npm run bench` (issue 6): a workspace of real code is copied to a
// temporary folder (the installed npm packages' JS/TS sources; the CPython standard library), then,
// in a fresh Node process per corpus so memory figures are the server's own:
//   - cold scan (a new Workspace reading, parsing and summarising every file, as the language server
//     does on `initialized`) against parse-only of the same files (texts in memory; and read from disk
//     first, as the scan must) — target ≤ 2× — both with the code warmed up and taken in turns (a busy
//     spell on a shared machine slows both), and the first scan of the fresh process (what a server
//     start costs);
//   - memory after the scan: RSS, heap after a full GC, and peak RSS — target < 400 MB for 100k lines;
//   - an edit in a file with dependents (`didChange` → `Workspace.update` → the file and every file the
//     update returns analysed again, as the server re-validates them): p50/p95 over 50 edits. The corpus
//     gets a helper file at its root, called from an async function appended to DEPENDENTS real files;
//     the edits make the helper block and stop blocking in turn, so every edit changes its summary and
//     all its dependents are analysed again;
//   - re-analysis after an edit of a ~5,000-line file — a line typed in the middle, then deleted, so
//     the functions below move and the file's facts change every time: p50/p95 over 50 edits, target
//     < 100 ms p95. Two ways: Workspace.update then Engine.analyse (two parses: the language server's
//     validator today), and one parse (Engine.analyse handing its facts to Workspace.update through
//     onFacts), split into parse / update / rules.
// Times are printed, never asserted.

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import ts from 'typescript';
import { Parser } from 'web-tree-sitter';
import { defaultAnalysisConfig } from '../../server/src/engine/config';
import { Engine } from '../../server/src/engine/engine';
import { diskHost, Workspace } from '../../server/src/engine/workspace/workspace';
import { loadPythonLanguage } from '../../server/src/frontends/python/parser';
import { RULES } from '../../server/src/rules/registry';
import { walk } from './walk';

const ROOT = path.join(__dirname, '..', '..');
const EDITS = 50;
const DEPENDENTS = 20;
const TIMING_ROUNDS = 3;

const JS_HELPER = 'bench_helper.ts';
const PY_HELPER = 'bench_helper.py';
function helperText(python: boolean, blocking: boolean): string {
  return python
    ? `import time\n\n\ndef bench_helper():\n    ${blocking ? 'time.sleep(1)' : 'pass'}\n    return 1\n`
    : `import fs from 'node:fs';\n\nexport function benchHelper(): unknown {\n  return ${blocking ? "fs.readFileSync('x')" : '1'};\n}\n`;
}

/** Adds the helper at the root of `dir` and a caller of it to every `step`-th copied file, DEPENDENTS in all. */
function addHelper(dir: string, copied: readonly string[], python: boolean): void {
  fs.writeFileSync(path.join(dir, python ? PY_HELPER : JS_HELPER), helperText(python, true));
  const step = Math.max(1, Math.floor(copied.length / DEPENDENTS));
  for (let i = 0; i < copied.length && i / step < DEPENDENTS; i += step) {
    const file = copied[i];
    let rel = path.relative(path.dirname(file), path.join(dir, 'bench_helper')).split(path.sep).join('/');
    if (!rel.startsWith('.')) rel = `./${rel}`;
    const caller = python
      ? `\n\nfrom bench_helper import bench_helper as _bench_helper\n\n\nasync def _bench_handler():\n    return _bench_helper()\n`
      : `\nimport { benchHelper as __benchHelper } from '${rel}';\nexport async function __benchHandler() { return __benchHelper(); }\n`;
    fs.appendFileSync(file, caller);
  }
}

export interface WorkspaceRow {
  corpus: string;
  files: number;
  lines: number;
  parseMs: number;
  /** parse-only, reading each file from disk first */
  readParseMs: number;
  /** a new Workspace scanning every file, the code warmed up (median of TIMING_ROUNDS, taken in turns with parse-only) */
  scanMs: number;
  /** the first scan in a fresh process: what a server start costs (JIT warm-up, WASM compilation included) */
  firstScanMs: number;
  rssMb: number;
  heapMb: number;
  peakRssMb: number;
  /** the edited file with dependents: its lines, its dependents, and how many files each edit re-analysed */
  dependentFile: string;
  dependents: number;
  affected: number;
  editP50: number;
  editP95: number;
  bigFile: string;
  bigLines: number;
  /** Workspace.update (a parse for the facts), then Engine.analyse (a second parse and the rules) */
  twoParsesP50: number;
  twoParsesP95: number;
  /** Engine.analyse with onFacts → Workspace.update(file, text, facts): one parse */
  oneParseP50: number;
  oneParseP95: number;
  /** of which, p95: the parse, Workspace.update given the facts (edges, summaries, dependents), the rules (facts included) */
  parseP95: number;
  updateP95: number;
  rulesP95: number;
}

/** Folders whose names files.ts skips as build output or dependencies: renamed in the copy, consistently. */
const RENAMED_DIRS: Record<string, string> = { dist: 'dist_', build: 'build_', out: 'out_', lib2to3: 'lib2to3_' };

/** Copies files from under `from` to `to` (same relative paths, build-output folder names renamed) up to `budget` lines. */
function copyCorpus(from: string, candidates: string[], to: string, budget: number): string[] {
  let lines = 0;
  const files: string[] = [];
  for (const f of candidates) {
    if (lines >= budget) break;
    const stat = fs.statSync(f);
    if (stat.size > 1_000_000 || stat.size === 0) continue;
    const text = fs.readFileSync(f, 'utf8');
    if (text.length / (text.split('\n').length || 1) > 300) continue; // minified bundles
    const rel = path.relative(from, f).split(path.sep).map((s) => RENAMED_DIRS[s] ?? s);
    const dest = path.join(to, ...rel);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, text);
    files.push(dest);
    lines += text.split('\n').length;
  }
  return files;
}

export interface CorpusSpec {
  name: string;
  dir: string;
}

/** Builds the two workspaces under a temporary folder; the caller removes it. */
export function buildWorkspaces(budget: number): { tmp: string; corpora: CorpusSpec[] } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-bench-ws-'));
  const corpora: CorpusSpec[] = [];
  const jsFound: string[] = [];
  const nm = path.join(ROOT, 'node_modules');
  walk(nm, (f) => /\.(c|m)?(j|t)sx?$/.test(f) && !f.endsWith('.d.ts') && !/\.min\./.test(f), jsFound, (d) => d === 'typescript' || d === '.bin' || d === 'test' || d === 'node_modules');
  const jsDir = path.join(tmp, 'js');
  addHelper(jsDir, copyCorpus(nm, jsFound, jsDir, budget), false);
  corpora.push({ name: 'JS/TS (node_modules copy)', dir: jsDir });
  try {
    const stdlib = execFileSync('python3', ['-c', 'import sysconfig;print(sysconfig.get_paths()["stdlib"])'], { encoding: 'utf8' }).trim();
    const pyFound: string[] = [];
    walk(stdlib, (f) => f.endsWith('.py'), pyFound, (d) => ['site-packages', 'test', 'tests', 'idle_test', '__pycache__', 'lib2to3'].includes(d));
    const pyDir = path.join(tmp, 'py');
    addHelper(pyDir, copyCorpus(stdlib, pyFound, pyDir, budget), true);
    corpora.push({ name: `Python (CPython ${path.basename(stdlib)} stdlib copy)`, dir: pyDir });
  } catch {
    console.log('python3 not found: skipping the Python workspace');
  }
  return { tmp, corpora };
}

/** Runs one corpus in a fresh process (this file with --workspace-child) and returns its row. */
export function measureInChild(corpus: CorpusSpec): WorkspaceRow {
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--workspace-child', corpus.dir, corpus.name], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`workspace benchmark of ${corpus.name} failed:\n${r.stdout}\n${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as WorkspaceRow;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

const mb = (bytes: number) => Math.round(bytes / (1024 * 1024));

function scriptKind(fileName: string): ts.ScriptKind {
  if (/\.tsx$/.test(fileName)) return ts.ScriptKind.TSX;
  if (/\.jsx$/.test(fileName)) return ts.ScriptKind.JSX;
  if (/\.(c|m)?ts$/.test(fileName)) return ts.ScriptKind.TS;
  return ts.ScriptKind.JS;
}

async function child(dir: string, name: string): Promise<void> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const engine = await Engine.create();
  const config = defaultAnalysisConfig();
  const host = diskHost();
  const newWorkspace = () => new Workspace({ host, roots: [dir], engine, configFor: () => config });

  // the cold scan whose memory is measured: nothing else has been kept yet
  let t0 = performance.now();
  const ws = newWorkspace();
  await ws.scan();
  const firstScanMs = performance.now() - t0;
  gc();
  const mem = process.memoryUsage();
  const heapMb = mb(v8.getHeapStatistics().used_heap_size);
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  const files = ws.fileNames().sort();
  const texts = new Map(files.map((f) => [f, fs.readFileSync(f, 'utf8')]));
  const lines = [...texts.values()].reduce((n, t) => n + t.split('\n').length, 0);

  // an edit of the helper that DEPENDENTS files call: it blocks, then it does not, and so on
  const python = files.some((f) => path.basename(f) === PY_HELPER);
  const dependentFile = path.join(dir, python ? PY_HELPER : JS_HELPER);
  const dependents = ws.dependents(dependentFile).size;
  const editSamples: number[] = [];
  let affectedTotal = 0;
  for (let i = 0; i <= EDITS; i++) {
    const text = helperText(python, i % 2 === 0);
    const start = performance.now();
    const affected = ws.update(dependentFile, text);
    engine.analyse({ fileName: dependentFile, text }, config, RULES, ws);
    for (const f of affected) if (f !== dependentFile) engine.analyse({ fileName: f, text: texts.get(f) ?? '' }, config, RULES, ws);
    if (i > 0) {
      editSamples.push(performance.now() - start);
      affectedTotal += affected.size;
    }
  }

  // a ~5,000-line file: the file closest to 5,000 lines, or files concatenated up to it
  let bigFile = files[0];
  for (const f of files) {
    const n = (texts.get(f) ?? '').split('\n').length;
    if (Math.abs(n - 5000) < Math.abs((texts.get(bigFile) ?? '').split('\n').length - 5000)) bigFile = f;
  }
  let bigText = texts.get(bigFile) ?? '';
  if (bigText.split('\n').length < 4000) {
    const sameExt = files.filter((f) => path.extname(f) === path.extname(bigFile));
    for (const f of sameExt) {
      if (bigText.split('\n').length >= 5000) break;
      if (f !== bigFile) bigText += `\n${texts.get(f) ?? ''}`;
    }
  }
  if (bigText.split('\n').length > 5500) {
    // cut at the first top-level definition from line 5,000 on, so the text still parses as a whole
    const rows = bigText.split('\n');
    const cut = rows.findIndex((r, i) => i >= 5000 && /^(def |class |async def |@|function |export |const |let |var |import )/.test(r));
    if (cut > 0) bigText = rows.slice(0, cut).join('\n');
  }
  const bigLines = bigText.split('\n').length;
  const bigRows = bigText.split('\n');
  const middle = Math.floor(bigRows.length / 2);
  const bigComment = /\.py$/.test(bigFile) ? '#' : '//';
  // a comment line typed in the middle (at column 0: valid anywhere in both languages), then deleted
  const bigEdit = (i: number) => (i % 2 === 0 ? [...bigRows.slice(0, middle), `${bigComment} edit ${i}`, ...bigRows.slice(middle)] : bigRows).join('\n');
  const twoParses: number[] = [];
  for (let i = 0; i <= EDITS; i++) {
    const text = bigEdit(i);
    const start = performance.now();
    ws.update(bigFile, text);
    engine.analyse({ fileName: bigFile, text }, config, RULES, ws);
    if (i > 0) twoParses.push(performance.now() - start);
  }
  const oneParse: number[] = [];
  const parse: number[] = [];
  const update: number[] = [];
  const rules: number[] = [];
  for (let i = 0; i <= EDITS; i++) {
    const text = bigEdit(i);
    let updateMs = 0;
    const start = performance.now();
    const result = engine.analyse({ fileName: bigFile, text }, config, RULES, ws, (facts) => {
      const t = performance.now();
      ws.update(bigFile, text, facts);
      updateMs = performance.now() - t;
    });
    if (i > 0) {
      oneParse.push(performance.now() - start);
      parse.push(result.timings.parseMs);
      update.push(updateMs);
      rules.push(result.timings.rulesMs - updateMs);
    }
  }

  // timing: more cold scans (new Workspaces, nothing cached) and parse-only of the same texts, taken in
  // turns so that a busy spell on a shared machine slows both
  const pyParser = new Parser();
  pyParser.setLanguage(await loadPythonLanguage());
  const parseOne = (f: string, text: string) => {
    if (/\.py$/.test(f)) pyParser.parse(text)?.delete();
    else ts.createSourceFile(f, text, ts.ScriptTarget.Latest, false, scriptKind(f));
  };
  const parseAll = () => {
    for (const [f, text] of texts) parseOne(f, text);
  };
  // the same, reading each file first: a scan has to read the files too (and list them, which this does not)
  const readAndParseAll = () => {
    for (const f of texts.keys()) parseOne(f, fs.readFileSync(f, 'utf8'));
  };
  parseAll();
  readAndParseAll();
  const scans: number[] = [];
  const parses: number[] = [];
  const readParses: number[] = [];
  for (let i = 0; i < TIMING_ROUNDS; i++) {
    t0 = performance.now();
    await newWorkspace().scan();
    scans.push(performance.now() - t0);
    t0 = performance.now();
    parseAll();
    parses.push(performance.now() - t0);
    t0 = performance.now();
    readAndParseAll();
    readParses.push(performance.now() - t0);
  }
  const row: WorkspaceRow = {
    corpus: name,
    files: files.length,
    lines,
    parseMs: percentile(parses, 50),
    readParseMs: percentile(readParses, 50),
    scanMs: percentile(scans, 50),
    firstScanMs,
    rssMb: mb(mem.rss),
    heapMb,
    peakRssMb,
    dependentFile: path.relative(dir, dependentFile),
    dependents,
    affected: Math.round((affectedTotal / EDITS) * 10) / 10,
    editP50: percentile(editSamples, 50),
    editP95: percentile(editSamples, 95),
    bigFile: path.relative(dir, bigFile),
    bigLines,
    twoParsesP50: percentile(twoParses, 50),
    twoParsesP95: percentile(twoParses, 95),
    oneParseP50: percentile(oneParse, 50),
    oneParseP95: percentile(oneParse, 95),
    parseP95: percentile(parse, 95),
    updateP95: percentile(update, 95),
    rulesP95: percentile(rules, 95),
  };
  console.log(JSON.stringify(row));
}

export function workspaceTable(rows: readonly WorkspaceRow[]): string {
  const ms = (x: number) => (x >= 100 ? `${Math.round(x)}` : x.toFixed(1));
  return [
    '| corpus | files | lines | parse-only ms (texts in memory) | reading + parse-only ms | cold scan ms | scan ÷ parse | scan ÷ (reading + parse) | first scan in a fresh process | RSS after scan | heap after GC | peak RSS |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.corpus} | ${r.files} | ${r.lines} | ${ms(r.parseMs)} | ${ms(r.readParseMs)} | ${ms(r.scanMs)} | ${(r.scanMs / r.parseMs).toFixed(2)}× | ${(r.scanMs / r.readParseMs).toFixed(2)}× | ${ms(r.firstScanMs)} ms | ${r.rssMb} MB | ${r.heapMb} MB | ${r.peakRssMb} MB |`,
    ),
    '',
    '| corpus | edited file (dependents) | files re-analysed per edit | edit → diagnostics p50 | p95 |',
    '| --- | --- | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.corpus} | \`${r.dependentFile}\` (${r.dependents}) | ${r.affected} | ${ms(r.editP50)} ms | ${ms(r.editP95)} ms |`),
    '',
    '| corpus | ~5k-line file (lines) | update, then analyse p50 | p95 | one parse (onFacts) p50 | p95 | of which parse / update / rules p95 |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.corpus} | \`${r.bigFile}\` (${r.bigLines}) | ${ms(r.twoParsesP50)} ms | ${ms(r.twoParsesP95)} ms | ${ms(r.oneParseP50)} ms | ${ms(r.oneParseP95)} ms | ${ms(r.parseP95)} / ${ms(r.updateP95)} / ${ms(r.rulesP95)} ms |`,
    ),
  ].join('\n');
}

if (process.argv[2] === '--workspace-child') {
  void child(process.argv[3], process.argv[4]).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
