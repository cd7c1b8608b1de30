// The peer comparison of `npm run bench` (issue 8): Loopguard's CLI against the tools a user would pick
// instead, on the same real files, each tool a separate process timed by wall clock.
//
//   JS/TS: a fixed set of files from the installed npm packages (half the line budget TypeScript, half
//          JavaScript; name order; no `.d.ts`, nothing Loopguard's default skips as generated or minified),
//          copied to a temporary folder so every tool sees identical files and none finds the repo's
//          configuration. Tools: `loopguard check --format json` (all rules, defaults); ESLint with only
//          `n/no-sync` and `no-await-in-loop` (a flat config written next to the copy, passed with `-c`,
//          @typescript-eslint/parser for `.ts`, no cache); oxlint with only `node/no-sync` and
//          `eslint/no-await-in-loop` (a `.oxlintrc.json`, default threads; installed on first use into
//          ~/.cache/loopguard-bench, see oxlintBin); parse-only with TypeScript's
//          `createSourceFile` (reading every file, as the linters do).
//   Python: the CPython standard library (the bench corpus' walk), Loopguard's CLI; Ruff's WASM build
//          (`@astral-sh/ruff-wasm-nodejs`, `select: ['ASYNC']`, `Workspace.check` per file in a Node child
//          that reads the files); parse-only with web-tree-sitter's Python grammar.
//
// Measurement: every run goes through a small python3 wrapper that starts the command with posix_spawn and
// reaps it with os.wait4, which returns the child's rusage: wall time is perf_counter around the two, peak
// memory is ru_maxrss (the largest RSS of the process and of any process it waited for — oxlint's native
// binary under its Node launcher included). Node's spawnSync gives no rusage, and /usr/bin/time is not on
// every machine nor the same program everywhere. Without python3 there is no Python corpus anyway; the
// JS/TS runs are then timed from Node and peak memory is not reported.
// Each tool: one warm-up run (file cache, compile caches), then ROUNDS runs, tools interleaved round by round
// so a busy moment of a shared machine does not land on one tool only; the median is reported.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { EXCLUDED_DIRS } from '../../server/src/cli/files';
import { generatedReason } from '../../server/src/engine/generated';
import { walk } from './walk';

const ROOT = path.join(__dirname, '..', '..');

export interface PeerOptions {
  /** lines per language (JS/TS: half TypeScript, half JavaScript) */
  lines: number;
  /** measured runs per tool after the warm-up */
  rounds: number;
  log?: (line: string) => void;
}

export interface CorpusInfo {
  language: 'JS/TS' | 'Python';
  description: string;
  dir: string;
  files: string[];
  lines: number;
  /** files of the language Loopguard skips by default that the walk met before the budget ran out */
  skippedGenerated: number;
}

export interface ToolRow {
  language: 'JS/TS' | 'Python';
  tool: string;
  kind: 'loopguard' | 'peer' | 'parse';
  /** files the tool analysed (as it reports them) */
  files: number;
  lines: number;
  wallMs: number;
  samples: number[];
  /** median user + system CPU time: steadier than wall time on a busy machine; above it for multi-threaded tools */
  cpuMs: number | undefined;
  /** the same command on a folder of one or two one-line files (median): start-up, loading, WASM compilation */
  startupMs: number;
  peakRssMb: number | undefined;
  findings: number | undefined;
  /** findings per rule, parse failures: printed next to the count */
  detail: string;
}

export interface PeerReport {
  corpora: CorpusInfo[];
  rows: ToolRow[];
  /** lines naming a file where each JS/TS tool's blocking-call rule fired (proof the configuration is live) */
  spotChecks: string[];
  machine: string;
  markdown: string;
}

// ---- corpora -----------------------------------------------------------------------------------------

const MAX_FILE_BYTES = 1_000_000;

function lineCount(text: string): number {
  return text.split('\n').length;
}

/**
 * Copies files from `candidates` to `dest` until `budget` lines, skipping generated ones. The order is
 * fixed but spread over every package: by a hash of the path relative to `from` (name order would fill
 * the budget with the first few packages of the alphabet, the same kind of code throughout).
 */
function take(candidates: readonly string[], from: string, dest: string, budget: number, out: CorpusInfo): void {
  const key = (f: string) => createHash('sha1').update(path.relative(from, f).split(path.sep).join('/')).digest('hex');
  const ordered = candidates.map((f) => ({ f, k: key(f) })).sort((a, b) => (a.k < b.k ? -1 : 1)).map((x) => x.f);
  let lines = 0;
  for (const f of ordered) {
    if (lines >= budget) break;
    const size = fs.statSync(f).size;
    if (size === 0 || size > MAX_FILE_BYTES) continue;
    const text = fs.readFileSync(f, 'utf8');
    if (generatedReason(f, text) !== undefined) {
      out.skippedGenerated++;
      continue;
    }
    // a folder one of the tools never enters (node_modules for all three, dist and build folders for
    // Loopguard's CLI, as for Ruff) is renamed in the copy, so every tool walks to every file
    const rel = path.relative(from, f).split(path.sep).map((s, i, all) => (i < all.length - 1 && EXCLUDED_DIRS.has(s) ? `${s}_` : s));
    const target = path.join(dest, ...rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
    out.files.push(target);
    lines += lineCount(text);
  }
  out.lines += lines;
}

export function jsCorpus(tmp: string, budget: number): CorpusInfo {
  const nm = path.join(ROOT, 'node_modules');
  const dir = path.join(tmp, 'js');
  const skipDir = (d: string) => d === 'typescript' || d === '.bin' || d === 'test' || d === 'tests' || d === '__tests__';
  const ts: string[] = [];
  const js: string[] = [];
  walk(nm, (f) => /\.[cm]?ts$/.test(f) && !/\.d\.[cm]?ts$/.test(f), ts, skipDir);
  walk(nm, (f) => /\.[cm]?js$/.test(f), js, skipDir);
  const info: CorpusInfo = { language: 'JS/TS', description: 'JS/TS (installed npm packages)', dir, files: [], lines: 0, skippedGenerated: 0 };
  take(ts, nm, dir, Math.floor(budget / 2), info);
  take(js, nm, dir, budget - info.lines, info);
  return info;
}

export function pythonStdlib(): string | undefined {
  try {
    return execFileSync('python3', ['-c', 'import sysconfig;print(sysconfig.get_paths()["stdlib"])'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

export function pythonCorpus(tmp: string, budget: number, stdlib: string): CorpusInfo {
  const found: string[] = [];
  walk(stdlib, (f) => f.endsWith('.py'), found, (d) => ['site-packages', 'test', 'tests', 'idle_test', '__pycache__', 'lib2to3'].includes(d));
  const dir = path.join(tmp, 'py');
  const info: CorpusInfo = { language: 'Python', description: `Python (CPython ${path.basename(stdlib)} stdlib)`, dir, files: [], lines: 0, skippedGenerated: 0 };
  take(found, stdlib, dir, budget, info);
  return info;
}

// ---- running one tool --------------------------------------------------------------------------------

const MEASURE_PY = `
import json, os, sys, time
out, err, cwd = sys.argv[1], sys.argv[2], sys.argv[3]
argv = sys.argv[4:]
os.chdir(cwd)
actions = [
    (os.POSIX_SPAWN_OPEN, 1, out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
    (os.POSIX_SPAWN_OPEN, 2, err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
]
t0 = time.perf_counter()
pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
_, status, ru = os.wait4(pid, 0)
t1 = time.perf_counter()
# ru_maxrss: kilobytes on Linux, bytes on macOS
rss = ru.ru_maxrss / 1024 if sys.platform != 'darwin' else ru.ru_maxrss / 1048576
print(json.dumps({"wallMs": (t1 - t0) * 1000, "cpuMs": (ru.ru_utime + ru.ru_stime) * 1000, "peakRssMb": rss, "exit": os.waitstatus_to_exitcode(status)}))
`;

interface RunResult {
  wallMs: number;
  /** user + system CPU time of the process and its children (undefined without python3) */
  cpuMs: number | undefined;
  peakRssMb: number | undefined;
  exit: number;
  stdout: string;
  stderr: string;
}

interface Tool {
  language: 'JS/TS' | 'Python';
  name: string;
  kind: ToolRow['kind'];
  argv: string[];
  cwd: string;
  /** exit codes that mean "ran fine" (linters exit 1 when they find something) */
  okExits: number[];
  /** files analysed, findings and the detail cell, from the output of one run */
  read: (r: RunResult) => { files: number; findings: number | undefined; detail: string };
}

class Runner {
  private readonly wrapper: string | undefined;
  private n = 0;

  constructor(private readonly tmp: string, python: boolean) {
    if (python) {
      this.wrapper = path.join(tmp, 'measure.py');
      fs.writeFileSync(this.wrapper, MEASURE_PY);
    }
  }

  run(tool: Tool): RunResult {
    const out = path.join(this.tmp, `out-${++this.n}.txt`);
    const err = `${out}.err`;
    let wallMs: number;
    let cpuMs: number | undefined;
    let peakRssMb: number | undefined;
    let exit: number;
    if (this.wrapper) {
      const r = spawnSync('python3', [this.wrapper, out, err, tool.cwd, ...tool.argv], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`measuring ${tool.name} failed: ${r.stderr}`);
      const m = JSON.parse(r.stdout) as { wallMs: number; cpuMs: number; peakRssMb: number; exit: number };
      ({ wallMs, cpuMs, peakRssMb, exit } = m);
    } else {
      const t0 = performance.now();
      const r = spawnSync(tool.argv[0], tool.argv.slice(1), { cwd: tool.cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
      wallMs = performance.now() - t0;
      fs.writeFileSync(out, r.stdout);
      fs.writeFileSync(err, r.stderr);
      exit = r.status ?? -1;
    }
    const result = { wallMs, cpuMs, peakRssMb, exit, stdout: fs.readFileSync(out, 'utf8'), stderr: fs.readFileSync(err, 'utf8') };
    fs.rmSync(out);
    fs.rmSync(err);
    if (!tool.okExits.includes(exit)) throw new Error(`${tool.name} exited with ${exit}:\n${result.stderr.slice(0, 2000)}`);
    return result;
  }
}

// ---- the tools ---------------------------------------------------------------------------------------

const node = process.execPath;
const resolve = (id: string) => require.resolve(id, { paths: [ROOT] });
/** A file of an installed package that its `exports` do not list (the CLIs' bin scripts). */
const packageFile = (...parts: string[]) => path.join(ROOT, 'node_modules', ...parts);

const OXLINT_VERSION = '1.94.0';

/**
 * oxlint's launcher, installed on first use into ~/.cache/loopguard-bench (pinned). It is not a
 * devDependency: its native binary comes in one optional package per platform, the registry these
 * machines reach has only the Linux glibc ones, and a lockfile that lacks the others fails `npm ci`.
 * Undefined when the install fails (the tool is then reported as failed, the run goes on).
 */
function oxlintBin(): string | undefined {
  const prefix = path.join(os.homedir(), '.cache', 'loopguard-bench', `oxlint-${OXLINT_VERSION}`);
  const bin = path.join(prefix, 'node_modules', 'oxlint', 'bin', 'oxlint');
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(prefix, { recursive: true });
  const r = spawnSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', prefix, `oxlint@${OXLINT_VERSION}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (r.status !== 0 || !fs.existsSync(bin)) {
    process.stderr.write(`oxlint ${OXLINT_VERSION} could not be installed into ${prefix}:\n${r.stderr}\n`);
    return undefined;
  }
  return bin;
}

function countBy(items: readonly string[]): string {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
}

function loopguard(language: ToolRow['language'], dir: string): Tool {
  return {
    language,
    name: 'Loopguard CLI',
    kind: 'loopguard',
    argv: [node, path.join(ROOT, 'bin', 'loopguard.js'), 'check', dir, '--format', 'json'],
    cwd: dir,
    okExits: [0, 1],
    read: (r) => {
      const report = JSON.parse(r.stdout) as { findings: Array<{ rule: string; file: string; line: number }>; summary: { files: number; findings: number } };
      return { files: report.summary.files, findings: report.summary.findings, detail: countBy(report.findings.map((f) => f.rule)) };
    },
  };
}

/**
 * A flat config for exactly the two rules, importing the plugin and parser from the repo by absolute path.
 * `.ts` files: @typescript-eslint/parser, its result passed on without the parser services. eslint-plugin-n
 * 18's n/no-sync takes any parser services as a request for type information and throws ("You have used a
 * rule which requires type information") on the first `…Sync()` call in a `.ts` file parsed without a
 * project; without the services it checks `.ts` files by syntax, as it checks `.js` files. The parse is
 * the same (the parser builds its node maps either way); typed linting would add a type-checked program,
 * which neither rule needs.
 */
function eslintConfig(tmp: string): string {
  const file = path.join(tmp, 'eslint.config.mjs');
  const url = (id: string) => JSON.stringify(`file://${resolve(id)}`);
  const rules = `{ 'n/no-sync': 'error', 'no-await-in-loop': 'error' }`;
  fs.writeFileSync(
    file,
    `import n from ${url('eslint-plugin-n')};
import tsParser from ${url('@typescript-eslint/parser')};
const parser = {
  meta: { name: 'typescript-eslint-parser-without-services' },
  parseForESLint(code, options) {
    const { services, ...rest } = tsParser.parseForESLint(code, options);
    return rest;
  },
};
export default [
  { linterOptions: { reportUnusedDisableDirectives: 'off' } },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], plugins: { n }, rules: ${rules} },
  { files: ['**/*.ts', '**/*.mts', '**/*.cts'], languageOptions: { parser }, plugins: { n }, rules: ${rules} },
];
`,
  );
  return file;
}

const ESLINT_RULES = ['n/no-sync', 'no-await-in-loop'];

interface EslintResult {
  filePath: string;
  messages: Array<{ ruleId: string | null; fatal?: boolean; line: number }>;
}

function eslint(dir: string, config: string): Tool {
  return {
    language: 'JS/TS',
    name: 'ESLint (n/no-sync, no-await-in-loop)',
    kind: 'peer',
    // -c with a config outside any project: no lookup of the repo's or a package's config, no cache
    argv: [node, packageFile('eslint', 'bin', 'eslint.js'), '-c', config, '--format', 'json', dir],
    cwd: dir,
    okExits: [0, 1],
    read: (r) => {
      const results = JSON.parse(r.stdout) as EslintResult[];
      const ids = results.flatMap((f) => f.messages.filter((m) => m.ruleId !== null).map((m) => m.ruleId as string));
      const rules = ids.filter((id) => ESLINT_RULES.includes(id));
      // an `eslint-disable` comment naming a rule this config does not load is reported as a problem of that rule
      const unknown = ids.length - rules.length;
      const fatal = results.filter((f) => f.messages.some((m) => m.fatal)).map((f) => path.basename(f.filePath));
      return {
        files: results.length - fatal.length,
        findings: rules.length,
        detail: [
          countBy(rules),
          fatal.length ? `${fatal.length} not parsed: ${fatal.slice(0, 3).join(', ')}` : '',
          unknown ? `not counted: ${unknown} reports of rules named in disable comments and not loaded` : '',
        ]
          .filter(Boolean)
          .join('; '),
      };
    },
  };
}

function oxlintConfig(tmp: string): string {
  const file = path.join(tmp, 'oxlintrc.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      plugins: ['node'],
      categories: { correctness: 'off' },
      rules: { 'node/no-sync': 'error', 'eslint/no-await-in-loop': 'error' },
    }),
  );
  return file;
}

function oxlint(dir: string, config: string): Tool {
  return {
    language: 'JS/TS',
    name: 'oxlint (node/no-sync, no-await-in-loop)',
    kind: 'peer',
    argv: [node, oxlintBin() ?? 'oxlint-not-installed', '-c', config, '--format', 'json', dir],
    cwd: dir,
    okExits: [0, 1],
    read: (r) => {
      const out = JSON.parse(r.stdout) as { diagnostics: Array<{ code: string; filename: string }>; number_of_files?: number };
      const rules = out.diagnostics.map((d) => d.code);
      return { files: out.number_of_files ?? -1, findings: rules.length, detail: countBy(rules) };
    },
  };
}

/** A plain CommonJS child (no tsx: its start-up is not the tool's) that reads `list` and prints one JSON line. */
function childScript(tmp: string, name: string, body: string): string {
  const file = path.join(tmp, `${name}.cjs`);
  fs.writeFileSync(file, `'use strict';\nconst fs = require('node:fs');\nconst files = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));\n${body}\n`);
  return file;
}

function listFile(tmp: string, corpus: CorpusInfo): string {
  const file = path.join(tmp, `${path.basename(corpus.dir)}-files.json`);
  fs.writeFileSync(file, JSON.stringify(corpus.files));
  return file;
}

function readChild(r: RunResult): { files: number; findings: number | undefined; detail: string } {
  return JSON.parse(r.stdout) as { files: number; findings: number | undefined; detail: string };
}

function tsParseOnly(tmp: string, corpus: CorpusInfo): Tool {
  const script = childScript(
    tmp,
    'ts-parse',
    `const ts = require(${JSON.stringify(resolve('typescript'))});
function kind(f) { return /\\.[cm]?ts$/.test(f) ? ts.ScriptKind.TS : ts.ScriptKind.JS; }
let nodes = 0;
for (const f of files) nodes += ts.createSourceFile(f, fs.readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, false, kind(f)).statements.length;
process.stdout.write(JSON.stringify({ files: files.length, findings: undefined, detail: nodes + ' top-level statements' }));`,
  );
  return { language: 'JS/TS', name: 'parse only (TypeScript createSourceFile)', kind: 'parse', argv: [node, script, listFile(tmp, corpus)], cwd: corpus.dir, okExits: [0], read: readChild };
}

function ruff(tmp: string, corpus: CorpusInfo): Tool {
  const script = childScript(
    tmp,
    'ruff',
    `const { Workspace, PositionEncoding } = require(${JSON.stringify(resolve('@astral-sh/ruff-wasm-nodejs'))});
const ws = new Workspace({ lint: { select: ['ASYNC'] } }, PositionEncoding.Utf16);
const codes = new Map();
let findings = 0, syntax = 0;
for (const f of files) {
  const diags = ws.check(fs.readFileSync(f, 'utf8'));
  for (const d of diags) {
    if (d.code === null) { syntax++; continue; }
    findings++;
    codes.set(d.code, (codes.get(d.code) || 0) + 1);
  }
}
const detail = [...codes].sort((a, b) => b[1] - a[1]).map(([k, v]) => k + ' ' + v).join(', ') + (syntax ? '; ' + syntax + ' syntax errors' : '');
process.stdout.write(JSON.stringify({ files: files.length, findings, detail }));`,
  );
  return { language: 'Python', name: 'Ruff WASM (ASYNC rules)', kind: 'peer', argv: [node, script, listFile(tmp, corpus)], cwd: corpus.dir, okExits: [0], read: readChild };
}

function treeSitterParseOnly(tmp: string, corpus: CorpusInfo): Tool {
  const script = childScript(
    tmp,
    'ts-python-parse',
    `const { Parser, Language } = require(${JSON.stringify(resolve('web-tree-sitter'))});
(async () => {
  await Parser.init({ locateFile: () => ${JSON.stringify(resolve('web-tree-sitter/tree-sitter.wasm'))} });
  const parser = new Parser();
  parser.setLanguage(await Language.load(${JSON.stringify(resolve('tree-sitter-python/tree-sitter-python.wasm'))}));
  let errors = 0;
  for (const f of files) {
    const tree = parser.parse(fs.readFileSync(f, 'utf8'));
    if (tree.rootNode.hasError) errors++;
    tree.delete();
  }
  process.stdout.write(JSON.stringify({ files: files.length, findings: undefined, detail: errors ? errors + ' trees with errors' : '' }));
})();`,
  );
  return { language: 'Python', name: 'parse only (tree-sitter)', kind: 'parse', argv: [node, script, listFile(tmp, corpus)], cwd: corpus.dir, okExits: [0], read: readChild };
}

// ---- the run -----------------------------------------------------------------------------------------

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** A file and line where `rule` fired in each tool's output: shows the configuration really checks something. */
function spotChecks(jsOutputs: Map<string, RunResult>, dir: string): string[] {
  const out: string[] = [];
  const rel = (f: string) => path.relative(dir, f).split(path.sep).join('/');
  const lg = jsOutputs.get('Loopguard CLI');
  if (lg) {
    const f = (JSON.parse(lg.stdout) as { findings: Array<{ rule: string; file: string; line: number }> }).findings.find((x) => x.rule === 'blocking-call-in-async');
    if (f) out.push(`Loopguard blocking-call-in-async: ${rel(path.resolve(dir, f.file))}:${f.line}`);
  }
  const es = [...jsOutputs].find(([k]) => k.startsWith('ESLint'))?.[1];
  if (es) {
    for (const rule of ['n/no-sync', 'no-await-in-loop']) {
      const hit = (JSON.parse(es.stdout) as EslintResult[]).flatMap((r) => r.messages.filter((m) => m.ruleId === rule).map((m) => `${rel(r.filePath)}:${m.line}`))[0];
      out.push(`ESLint ${rule}: ${hit ?? 'never fired'}`);
    }
  }
  const ox = [...jsOutputs].find(([k]) => k.startsWith('oxlint'))?.[1];
  if (ox) {
    const diags = (JSON.parse(ox.stdout) as { diagnostics: Array<{ code: string; filename: string; labels?: Array<{ span?: { line?: number } }> }> }).diagnostics;
    for (const rule of ['no-sync', 'no-await-in-loop']) {
      const d = diags.find((x) => x.code.endsWith(`(${rule})`));
      out.push(`oxlint ${rule}: ${d ? `${rel(path.resolve(dir, d.filename))}:${d.labels?.[0]?.span?.line ?? '?'}` : 'never fired'}`);
    }
  }
  return out;
}

function toolsFor(tmp: string, corpus: CorpusInfo, eslintCfg: string, oxlintCfg: string): Tool[] {
  if (corpus.language === 'Python') return [loopguard('Python', corpus.dir), ruff(tmp, corpus), treeSitterParseOnly(tmp, corpus)];
  return [loopguard('JS/TS', corpus.dir), eslint(corpus.dir, eslintCfg), oxlint(corpus.dir, oxlintCfg), tsParseOnly(tmp, corpus)];
}

/** A corpus of one-line files: what each tool costs before it reads the first real file. */
function startupCorpus(tmp: string, language: CorpusInfo['language']): CorpusInfo {
  const dir = path.join(tmp, language === 'Python' ? 'py-startup' : 'js-startup');
  fs.mkdirSync(dir);
  // a .ts file too, so ESLint loads its TypeScript parser and Loopguard its TypeScript front end
  const files = language === 'Python' ? { 'a.py': 'a = 1\n' } : { 'a.ts': 'export const a: number = 1;\n', 'b.js': 'export const b = 1;\n' };
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return { language, description: `${language} start-up`, dir, files: Object.keys(files).map((f) => path.join(dir, f)), lines: Object.keys(files).length, skippedGenerated: 0 };
}

export function runPeers(options: PeerOptions): PeerReport {
  const log = options.log ?? ((l: string) => console.log(l));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-peers-'));
  try {
    const stdlib = pythonStdlib();
    const corpora: CorpusInfo[] = [jsCorpus(tmp, options.lines)];
    if (stdlib) corpora.push(pythonCorpus(tmp, options.lines, stdlib));
    else log('python3 not found: no Python corpus, and peak memory is not measured');
    for (const c of corpora) log(`${c.description}: ${c.files.length} files, ${c.lines} lines (${c.skippedGenerated} generated/minified files passed over)`);
    const eslintCfg = eslintConfig(tmp);
    const oxlintCfg = oxlintConfig(tmp);
    const tools = corpora.flatMap((c) => toolsFor(tmp, c, eslintCfg, oxlintCfg));
    const startupTools = corpora.flatMap((c) => toolsFor(tmp, startupCorpus(tmp, c.language), eslintCfg, oxlintCfg));

    const runner = new Runner(tmp, stdlib !== undefined);
    const samples = tools.map((): RunResult[] => []);
    const startups = tools.map((): number[] => []);
    const lastOutput = new Map<string, RunResult>();
    // a tool that fails (a peer's new version, a missing binary) is reported and left out; the rest goes on
    const failed: Array<string | undefined> = tools.map(() => undefined);
    const fail = (i: number, e: unknown) => {
      failed[i] = (e instanceof Error ? e.message : String(e)).split('\n').filter(Boolean).slice(0, 3).join(' ');
      log(`  ${tools[i].language} ${tools[i].name} failed: ${failed[i]}`);
    };
    for (let round = 0; round <= options.rounds; round++) {
      tools.forEach((tool, i) => {
        if (failed[i] !== undefined) return;
        try {
          const r = runner.run(tool);
          try {
            tool.read(r); // the output must be readable, every round
          } catch (e) {
            throw new Error(`unreadable output (${e instanceof Error ? e.message : String(e)}); exit ${r.exit}; stderr: ${r.stderr.trim().slice(0, 300)}`);
          }
          const s = runner.run(startupTools[i]);
          if (round > 0) {
            samples[i].push(r);
            startups[i].push(s.wallMs);
          }
          if (tool.language === 'JS/TS') lastOutput.set(tool.name, r);
          log(`  ${round === 0 ? 'warm-up' : `round ${round}`}: ${tool.language} ${tool.name} ${Math.round(r.wallMs)} ms (start-up ${Math.round(s.wallMs)} ms)`);
        } catch (e) {
          fail(i, e);
        }
      });
    }

    const failures = tools.flatMap((t, i) => (failed[i] === undefined ? [] : [`${t.language} ${t.name}: ${failed[i]}`]));
    const rows: ToolRow[] = tools.flatMap((tool, i): ToolRow[] => {
      if (failed[i] !== undefined) return [];
      const runs = samples[i];
      const rss = runs.map((r) => r.peakRssMb).filter((x): x is number => x !== undefined);
      const corpus = corpora.find((c) => c.language === tool.language)!;
      const { files, findings, detail } = tool.read(runs[runs.length - 1]);
      return [{
        language: tool.language,
        tool: tool.name,
        kind: tool.kind,
        files,
        lines: corpus.lines,
        wallMs: median(runs.map((r) => r.wallMs)),
        samples: runs.map((r) => r.wallMs),
        cpuMs: runs.every((r) => r.cpuMs !== undefined) ? median(runs.map((r) => r.cpuMs as number)) : undefined,
        startupMs: median(startups[i]),
        peakRssMb: rss.length ? Math.max(...rss) : undefined,
        findings,
        detail,
      }];
    });
    const spot = spotChecks(lastOutput, corpora[0].dir);
    const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)} after the run; each tool a separate process, median of ${options.rounds} runs after a warm-up run, tools interleaved`;
    return { corpora, rows, spotChecks: spot, machine, markdown: peerMarkdown(corpora, rows, spot, machine, failures) };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---- the report --------------------------------------------------------------------------------------

export function linesPerSecond(r: Pick<ToolRow, 'lines' | 'wallMs'>): number {
  return r.lines / (r.wallMs / 1000);
}

function peerMarkdown(corpora: readonly CorpusInfo[], rows: readonly ToolRow[], spot: readonly string[], machine: string, failures: readonly string[]): string {
  const k = (n: number) => (n >= 10_000 ? `${Math.round(n / 1000)}k` : `${(n / 1000).toFixed(1)}k`);
  const table = [
    '| language | tool | files | lines | wall ms | lines/s | time ÷ Loopguard | CPU ms | start-up ms | lines/s after start-up | peak RSS | findings |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    const lg = rows.find((x) => x.language === r.language && x.kind === 'loopguard');
    const ratio = r.kind === 'loopguard' || !lg ? '—' : `${(r.wallMs / lg.wallMs).toFixed(2)}×`;
    const findings = r.findings === undefined ? (r.detail ? `— (${r.detail})` : '—') : `${r.findings}${r.detail ? ` (${r.detail})` : ''}`;
    table.push(
      `| ${r.language} | ${r.tool} | ${r.files} | ${r.lines} | ${Math.round(r.wallMs)} | ${k(linesPerSecond(r))} | ${ratio} | ${r.cpuMs === undefined ? 'n/a' : Math.round(r.cpuMs)} | ${Math.round(r.startupMs)} | ${r.wallMs > r.startupMs ? k(r.lines / ((r.wallMs - r.startupMs) / 1000)) : '—'} | ${r.peakRssMb === undefined ? 'n/a' : `${Math.round(r.peakRssMb)} MB`} | ${findings} |`,
    );
  }
  const target = (language: ToolRow['language'], peerPrefix: string, want: number, phrase: string): string => {
    const lg = rows.find((x) => x.language === language && x.kind === 'loopguard');
    const peer = rows.find((x) => x.language === language && x.tool.startsWith(peerPrefix));
    if (!lg || !peer) return '';
    const ratio = peer.wallMs / lg.wallMs;
    return `${phrase}: ${ratio.toFixed(2)}× (target ≥ ${want}×) — ${ratio >= want ? 'met' : 'missed'}`;
  };
  const bound = (() => {
    const parse = rows.find((x) => x.language === 'JS/TS' && x.kind === 'parse');
    const es = rows.find((x) => x.language === 'JS/TS' && x.tool.startsWith('ESLint'));
    const lg = rows.find((x) => x.language === 'JS/TS' && x.kind === 'loopguard');
    if (!parse || !es || !lg) return '';
    return `For scale: ESLint time ÷ parse-only time is ${(es.wallMs / parse.wallMs).toFixed(2)}× — what a checker that parsed with TypeScript in a fresh process and did nothing else would reach; Loopguard's CLI takes ${(lg.wallMs / parse.wallMs).toFixed(2)}× parse-only.`;
  })();
  const corpusLines = corpora.map((c) => `${c.description}: ${c.files.length} files, ${c.lines} lines, copied to a temporary folder (${c.skippedGenerated} generated or minified files passed over, as Loopguard skips them by default)`);
  return [
    table.join('\n'),
    '',
    ...(failures.length ? [`**Failed, left out of the table:** ${failures.join('; ')}.`, ''] : []),
    `${machine}.`,
    ...corpusLines.map((l) => `${l}.`),
    '',
    'Targets (stated, not asserted):',
    `- ${target('JS/TS', 'ESLint', 5, 'Loopguard JS/TS ≥ 5× faster than ESLint with the two rules — ESLint time ÷ Loopguard time')}`,
    `- ${target('Python', 'Ruff', 0.5, "Python ≥ half Ruff WASM's speed — Ruff time ÷ Loopguard time")}`,
    ...(bound ? ['', bound] : []),
    '',
    'Loopguard runs all its rules with the project model (cross-file summaries); ESLint and oxlint run only the two rules, `n/no-sync` reporting every `…Sync()` call anywhere (Loopguard reports blocking calls only where they run on the event loop); Ruff runs its `ASYNC` rules, file by file. ESLint parses `.ts` with @typescript-eslint/parser (its parser services withheld: eslint-plugin-n 18\'s `n/no-sync` otherwise demands type information and throws). Wall time is what the ratios and lines/s use; CPU ms is user + system time of the process and its children (steadier than wall time on a busy machine, above it for a multi-threaded tool), start-up ms the same command on a folder of one-line files. Peak RSS is the largest resident set of the process and its children (os.wait4).',
    '',
    `Spot checks (a file where each rule fired, so no configuration is silently empty): ${spot.join('; ')}.`,
  ].join('\n');
}
