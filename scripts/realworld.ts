// `npm run test:realworld`: fix safety on code nobody here wrote. Downloads pinned npm packages (cached
// in ~/.cache/loopguard-realworld, so a second run is offline) and, when python3 is present, takes the
// local CPython standard library, the asyncio-heavy part of CPython's own test suite and a few
// async-heavy packages of python3's site-packages (each only when installed; its version is printed).
// For each corpus, on copies:
//   1. the real CLI: `loopguard check <dir> --fix --format json` with `testFiles: []` (test code is
//      real code too), in a child process while step 2 runs, then a re-check of the fixed copy when
//      --fix changed a file;
//   2. every fix of every finding (safe, unsafe, the suppression comment), applied alone through the
//      engine API to the original text, the file re-analysed with the project model.
// A fixed file must not have more syntax problems than the original (the engine's own, TypeScript's
// parser diagnostics, `python3 -m py_compile`'s verdict), a re-check must not report the finding a fix
// was for (same rule, overlapping the fixed place) nor crash. Prints a table per corpus and per fix
// title; exits 1 on any broken file or crash, with the file, the fix title and a diff excerpt.
//   --only <name,…>   run only these corpora (package names; "cpython" for the stdlib, "cpython-tests",
//                     or a site-packages name such as "trio")
//   --keep            keep the temporary copies (their path is printed)

import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import ts from 'typescript';
import { defaultAnalysisConfig, type AnalysisConfig } from '../server/src/engine/config';
import { Engine, type AnalysisResult } from '../server/src/engine/engine';
import { applyEdits, type Finding, type Fix, type TextEdit } from '../server/src/engine/finding';
import { projectFactsFor } from '../server/src/engine/project';
import { diskHost, Workspace } from '../server/src/engine/workspace/workspace';
import { listWorkspaceFiles } from '../server/src/engine/workspace/files';

const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const CACHE = path.join(os.homedir(), '.cache', 'loopguard-realworld');

/** Exact versions: a new release must not change what CI checks without a commit saying so. */
const PACKAGES: ReadonlyArray<readonly [name: string, version: string]> = [
  ['express', '5.3.0'],
  ['koa', '3.3.0'],
  ['fastify', '5.12.8'],
  ['undici', '8.12.4'],
  ['ws', '8.23.0'],
  ['socket.io', '4.8.4'],
  ['axios', '1.21.1'],
  ['pino', '10.4.0'],
  // TypeScript sources (src/**/*.ts) as well as their build output
  ['@trpc/server', '11.25.2'],
  // CLIs, build tools, test runners and package managers: file-system and process work mixed with
  // async code, where the fixes have something to do (chosen among ~40 such packages for their findings;
  // zod and hono, 0 fixes in 1,400 files, made room for them)
  ['eslint', '10.15.0'],
  ['release-it', '21.1.2'],
  ['@angular/cli', '22.2.7'],
  ['app-builder-lib', '26.17.0'],
  ['@11ty/eleventy', '3.1.8'],
  ['@npmcli/arborist', '10.0.4'],
  ['pacote', '22.0.0'],
  ['cacache', '21.0.2'],
  ['ava', '8.1.2'],
  ['metro', '0.87.1'],
  ['verdaccio', '6.10.4'],
  ['karma', '6.4.4'],
  ['nyc', '18.0.0'],
  ['c8', '12.0.0'],
  ['plop', '4.0.5'],
  ['@vscode/test-electron', '3.1.0'],
  ['pm2', '7.0.4'],
  ['@nestjs/cli', '12.0.8'],
  ['mocha', '12.0.3'],
  ['@jest/core', '30.5.2'],
  ['jest-runtime', '30.5.2'],
  ['jest-haste-map', '30.5.1'],
];

/** CPython's tests with the most asyncio, threading and subprocess code (those present are taken). */
const CPYTHON_TESTS = [
  'test_asyncio', 'test_asyncgen.py', 'test_contextlib_async.py', 'test_coroutines.py', 'test_concurrent_futures.py',
  'test_threading.py', 'test_thread.py', 'test_queue.py', 'test_socketserver.py', 'test_selectors.py',
  'test_signal.py', 'test_subprocess.py', 'test_socket.py', 'test_asyncore.py', 'test_asynchat.py',
];

/** Packages of python3's site-packages with async code, taken when installed. */
const SITE_PACKAGES = ['trio', 'prompt_toolkit', 'jinja2'];

/** Folder names the CLI and the project model skip as build output: renamed in the copy so they are checked. */
const RENAMED_DIRS: Record<string, string> = { dist: 'dist_', build: 'build_', out: 'out_', lib2to3: 'lib2to3_' };
const PY_SKIP_DIRS = new Set(['site-packages', '__pycache__', 'idle_test']);

const args = process.argv.slice(2);
const ONLY = args.includes('--only') ? new Set(args[args.indexOf('--only') + 1].split(',')) : undefined;
const KEEP = args.includes('--keep');

interface Corpus {
  name: string;
  /** the pristine sources (never written) */
  dir: string;
  /** skip folders named like this when copying */
  skipDir?: (name: string) => boolean;
  /** copy only these entries of `dir` (files or folders) */
  entries?: readonly string[];
}

interface Problem {
  corpus: string;
  file: string;
  what: string;
  fix?: string;
  excerpt?: string;
}

interface Counts {
  files: number;
  lines: number;
  findings: Map<string, number>;
  cliSafeFixable: number;
  cliFilesChanged: number;
  cliLeftFixable: number;
  tried: { safe: number; unsafe: number; suppression: number; multiFile: number };
  /** per kind of fix (titleKind): fixes tried alone, and how many broke the file or left the finding */
  byTitle: Map<string, TitleCounts>;
  stillReported: number;
  broken: number;
  crashes: number;
  ms: number;
}

interface TitleCounts {
  safe: boolean;
  tried: number;
  broken: number;
  still: number;
}

/**
 * A fix title without the names of the user's code in it (`Hold \`lock\` while updating \`x\``), so
 * that the table has a row per kind of fix; titles that name the API they switch to keep it.
 */
function titleKind(title: string): string {
  if (/^(Replace with|Use|Run in a thread)\b/.test(title)) return title;
  return title
    .replace(/`[^`]*`/g, '`…`')
    .replace(/\(\d+ files?\)/, '(n files)')
    .replace(/ in [^\s()]+\.worker(\.[cm]?[jt]s)\)/, ' in ….worker$1)');
}

function countFix(counts: Counts, fix: Fix, what: 'tried' | 'broken' | 'still'): void {
  const key = titleKind(fix.title);
  let c = counts.byTitle.get(key);
  if (!c) counts.byTitle.set(key, (c = { safe: fix.safe, tried: 0, broken: 0, still: 0 }));
  c[what]++;
}

// ---------------------------------------------------------------------------------------- corpora

function fetchPackage(name: string, version: string): string {
  const dir = path.join(CACHE, `${name.replace('/', '__')}-${version}`);
  const pkg = path.join(dir, 'package');
  if (fs.existsSync(path.join(pkg, 'package.json'))) return pkg;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const out = execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', dir, '--silent', '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const tarball = path.join(dir, out.trim().split('\n').pop() ?? '');
  execFileSync('tar', ['xzf', tarball, '-C', dir]);
  fs.rmSync(tarball);
  return pkg;
}

function pythonStdlib(): string | undefined {
  try {
    return execFileSync('python3', ['-c', 'import sysconfig;print(sysconfig.get_paths()["stdlib"])'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

function copyTree(from: string, to: string, skipDir: (name: string) => boolean = () => false, entries?: readonly string[]): void {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    if (entries && !entries.includes(e.name)) continue;
    const src = path.join(from, e.name);
    if (e.isDirectory()) {
      if (!skipDir(e.name) && e.name !== 'node_modules') copyTree(src, path.join(to, RENAMED_DIRS[e.name] ?? e.name), skipDir);
    } else if (e.isFile()) fs.copyFileSync(src, path.join(to, e.name));
  }
}

/** The copy's path of a file back to the pristine one. */
function originalOf(corpus: Corpus, copyRoot: string, file: string): string {
  const back = Object.fromEntries(Object.entries(RENAMED_DIRS).map(([k, v]) => [v, k]));
  const rel = path.relative(copyRoot, file).split(path.sep).map((s) => back[s] ?? s);
  return path.join(corpus.dir, ...rel);
}

// ---------------------------------------------------------------------------------------- parsing

const hasPython = pythonStdlib() !== undefined;

function isPython(file: string): boolean {
  return file.endsWith('.py') || file.endsWith('.pyi');
}

function scriptKind(file: string): ts.ScriptKind {
  if (/\.tsx$/.test(file)) return ts.ScriptKind.TSX;
  if (/\.(c|m)?ts$/.test(file)) return ts.ScriptKind.TS;
  if (/\.jsx$/.test(file)) return ts.ScriptKind.JSX;
  return ts.ScriptKind.JS;
}

function tsParseErrors(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, scriptKind(file));
  const diags = (sf as unknown as { parseDiagnostics?: readonly ts.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
  return diags.map((d) => `${sf.getLineAndCharacterOfPosition(d.start).line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

/**
 * CPython's verdict on many sources in one process: the 0-based indexes of those that do not compile.
 * `compile()` is what py_compile runs, without writing .pyc files into the corpus.
 */
function pythonRejects(texts: readonly string[], tmp: string): Set<number> {
  if (!hasPython || texts.length === 0) return new Set();
  const dir = fs.mkdtempSync(path.join(tmp, 'py-'));
  texts.forEach((t, i) => fs.writeFileSync(path.join(dir, `${i}.py`), t));
  const script = [
    'import sys, os, warnings',
    'warnings.simplefilter("ignore")',
    'd = sys.argv[1]',
    'for i in range(int(sys.argv[2])):',
    '    p = os.path.join(d, f"{i}.py")',
    '    try:',
    '        compile(open(p, "rb").read(), p, "exec", dont_inherit=True)',
    '    except Exception:',
    '        print(i)',
  ].join('\n');
  const out = execFileSync('python3', ['-c', script, dir, String(texts.length)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  fs.rmSync(dir, { recursive: true, force: true });
  return new Set(out.split('\n').filter(Boolean).map(Number));
}

/** Syntax problems the fixed text has and the original did not (engine and TypeScript parser; Python is batched). */
function newSyntaxProblems(file: string, before: string, after: string, beforeResult: AnalysisResult, afterResult: AnalysisResult): string | undefined {
  if (afterResult.syntaxProblems.length > beforeResult.syntaxProblems.length) {
    const known = new Set(beforeResult.syntaxProblems.map((p) => p.message));
    const fresh = afterResult.syntaxProblems.find((p) => !known.has(p.message)) ?? afterResult.syntaxProblems[0];
    return `engine: ${fresh.message} (line ${afterResult.lines.position(fresh.span.start).line + 1})`;
  }
  if (isPython(file)) return undefined;
  const was = tsParseErrors(file, before);
  const now = tsParseErrors(file, after);
  if (now.length > was.length) return `typescript: ${now.find((d) => !was.includes(d)) ?? now[0]}`;
  return undefined;
}

/** The lines around the first difference, as `-`/`+` lines. */
function diffExcerpt(before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  let top = 0;
  while (top < a.length && top < b.length && a[top] === b[top]) top++;
  let ea = a.length - 1;
  let eb = b.length - 1;
  while (ea > top && eb > top && a[ea] === b[eb]) {
    ea--;
    eb--;
  }
  const cap = (lines: string[]) => lines.slice(0, 8).map((l) => (l.length > 160 ? l.slice(0, 160) + '…' : l));
  return [`@@ line ${top + 1}`, ...cap(a.slice(top, ea + 1)).map((l) => `- ${l}`), ...cap(b.slice(top, eb + 1)).map((l) => `+ ${l}`)].join('\n');
}

// ---------------------------------------------------------------------------------------- the CLI pass

interface JsonReport {
  findings: Array<{ file: string; rule: string; line: number; fixes: Array<{ title: string; safe: boolean }> }>;
  summary: { files: number; findings: number };
}

interface CliRun {
  report?: JsonReport;
  error?: string;
}

/**
 * `loopguard check <dir> --format json [--fix]` in a child process, which works on the other core while
 * this process runs the engine pass; its report goes to a file, so a busy parent never stalls its output.
 */
function runCli(dir: string, fix: boolean, tmp: string): Promise<CliRun> {
  const outFile = path.join(tmp, `cli-${fix ? 'fix' : 'check'}.json`);
  const out = fs.openSync(outFile, 'w');
  // test code is real code too: the fixes are tried there as well (by default test files get no
  // blocking/CPU findings, and the engine pass below does not apply project configuration either)
  const config = path.join(tmp, 'loopguard-realworld.json');
  fs.writeFileSync(config, JSON.stringify({ testFiles: [] }));
  const child = spawn(process.execPath, [CLI, 'check', dir, '--format', 'json', '--config', config, ...(fix ? ['--fix'] : [])], { stdio: ['ignore', out, 'pipe'] });
  fs.closeSync(out);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      const stdout = fs.readFileSync(outFile, 'utf8');
      if (code !== 0 && code !== 1) return resolve({ error: `exit ${code ?? signal}: ${(stderr || stdout).slice(0, 2000)}` });
      try {
        resolve({ report: JSON.parse(stdout) as JsonReport });
      } catch (e) {
        resolve({ error: `unreadable JSON (${String(e)}): ${stdout.slice(0, 500)}` });
      }
    });
  });
}

function walkFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) walkFiles(full, out);
    else if (e.isFile()) out.push(full);
  }
  return out;
}

/** A copy for the CLI, and `check --fix` started on it. */
function startCliPass(corpus: Corpus, tmp: string): { copy: string; fixed: Promise<CliRun> } {
  const copy = path.join(tmp, 'cli');
  copyTree(corpus.dir, copy, corpus.skipDir, corpus.entries);
  return { copy, fixed: runCli(copy, true, tmp) };
}

async function cliPass(corpus: Corpus, engine: Engine, config: AnalysisConfig, tmp: string, started: ReturnType<typeof startCliPass>, counts: Counts, problems: Problem[]): Promise<void> {
  const { copy } = started;
  const fixed = await started.fixed;
  if (!fixed.report) {
    problems.push({ corpus: corpus.name, file: copy, what: `CLI crashed on check --fix: ${fixed.error}` });
    counts.crashes++;
    return;
  }
  const changed: Array<{ file: string; original: string; text: string }> = [];
  for (const file of walkFiles(copy)) {
    const original = fs.readFileSync(originalOf(corpus, copy, file), 'utf8');
    const text = fs.readFileSync(file, 'utf8');
    if (text !== original) changed.push({ file, original, text });
  }
  counts.cliFilesChanged = changed.length;
  const pyChecks: Array<{ file: string; original: string; text: string }> = [];
  for (const c of changed) {
    if (!engine.supports(c.file)) {
      problems.push({ corpus: corpus.name, file: c.file, what: '--fix changed a file Loopguard does not analyse', excerpt: diffExcerpt(c.original, c.text) });
      counts.broken++;
      continue;
    }
    const was = engine.analyse({ fileName: c.file, text: c.original }, config);
    const now = engine.analyse({ fileName: c.file, text: c.text }, config);
    const syntax = newSyntaxProblems(c.file, c.original, c.text, was, now);
    if (syntax) {
      problems.push({ corpus: corpus.name, file: c.file, what: `--fix broke the file: ${syntax}`, fix: 'loopguard check --fix', excerpt: diffExcerpt(c.original, c.text) });
      counts.broken++;
    } else if (isPython(c.file)) pyChecks.push(c);
  }
  const rejects = pythonRejects(pyChecks.flatMap((c) => [c.original, c.text]), tmp);
  pyChecks.forEach((c, i) => {
    if (!rejects.has(2 * i) && rejects.has(2 * i + 1)) {
      problems.push({ corpus: corpus.name, file: c.file, what: '--fix broke the file: python3 no longer compiles it', fix: 'loopguard check --fix', excerpt: diffExcerpt(c.original, c.text) });
      counts.broken++;
    }
  });
  // --fix reports what is left after its last pass; a fresh process re-checks the files it changed
  const again = changed.length > 0 ? await runCli(copy, false, tmp) : fixed;
  if (!again.report) {
    problems.push({ corpus: corpus.name, file: copy, what: `CLI crashed re-checking the fixed copy: ${again.error}` });
    counts.crashes++;
    return;
  }
  // --fix loops until no safe fix applies: what is left with a safe fix was fixed and came back, or never applied
  const left = again.report.findings.filter((f) => f.fixes.some((x) => x.safe));
  counts.cliLeftFixable = left.length;
  for (const f of left) {
    problems.push({ corpus: corpus.name, file: `${f.file}:${f.line}`, what: `after --fix, the re-check still reports ${f.rule} with a safe fix`, fix: f.fixes.find((x) => x.safe)?.title });
  }
}

// ---------------------------------------------------------------------------------------- the engine pass

/** Where an offset of the original text is after the edits (inside an edit: that edit's new text). */
function mapRange(start: number, end: number, edits: readonly TextEdit[]): { start: number; end: number } {
  const map = (offset: number, side: 'start' | 'end'): number => {
    let delta = 0;
    for (const e of [...edits].sort((x, y) => x.start - y.start)) {
      if (e.end <= offset && !(e.start === e.end && e.start === offset && side === 'start')) delta += e.newText.length - (e.end - e.start);
      else if (e.start < offset || (e.start === offset && side === 'end')) return side === 'start' ? e.start + delta : e.start + delta + e.newText.length;
    }
    return offset + delta;
  };
  return { start: map(start, 'start'), end: Math.max(map(start, 'start'), map(end, 'end')) };
}

interface Variant {
  file: string;
  original: string;
  text: string;
  finding: Finding;
  fix: Fix;
  /** set for another file of a multi-file fix */
  other?: boolean;
}

async function enginePass(corpus: Corpus, engine: Engine, config: AnalysisConfig, tmp: string, counts: Counts, problems: Problem[]): Promise<void> {
  const copy = path.join(tmp, 'engine');
  copyTree(corpus.dir, copy, corpus.skipDir, corpus.entries);
  const files = listWorkspaceFiles([copy], (f) => engine.supports(f));
  const workspace = new Workspace({ host: diskHost(), roots: [copy], engine, configFor: () => config });
  await workspace.scan(files);
  const pyVariants: Variant[] = [];
  const pyOriginals = new Map<string, string>();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    counts.files++;
    counts.lines += text.split('\n').length;
    const project = projectFactsFor(file);
    const input = { fileName: file, text, ...(project ? { project } : {}) };
    let result: AnalysisResult;
    try {
      result = engine.analyse(input, config, undefined, workspace);
    } catch (e) {
      problems.push({ corpus: corpus.name, file, what: `analysis threw: ${e instanceof Error ? e.stack : String(e)}` });
      counts.crashes++;
      continue;
    }
    for (const re of result.ruleErrors) {
      problems.push({ corpus: corpus.name, file, what: `rule ${re.rule} threw: ${re.error}` });
      counts.crashes++;
    }
    for (const finding of result.findings) {
      counts.findings.set(finding.rule, (counts.findings.get(finding.rule) ?? 0) + 1);
      // what --fix will apply (the engine pass runs first; the CLI's own count would cost another run)
      if (finding.fixes.some((x) => x.safe)) counts.cliSafeFixable++;
      const fixes = [...finding.fixes, ...(finding.suppression ? [finding.suppression] : [])];
      for (const fix of fixes) {
        if (fix === finding.suppression) counts.tried.suppression++;
        else if (fix.safe) counts.tried.safe++;
        else counts.tried.unsafe++;
        countFix(counts, fix, 'tried');
        if (fix.otherFiles?.length) counts.tried.multiFile++;
        let fixedText: string;
        try {
          fixedText = applyEdits(text, fix.edits);
        } catch (e) {
          problems.push({ corpus: corpus.name, file, what: `the fix's edits do not apply: ${String(e)}`, fix: fix.title });
          counts.broken++;
          countFix(counts, fix, 'broken');
          continue;
        }
        let after: AnalysisResult;
        try {
          after = engine.analyse({ ...input, text: fixedText }, config, undefined, workspace);
        } catch (e) {
          problems.push({ corpus: corpus.name, file, what: `re-analysis threw: ${e instanceof Error ? e.stack : String(e)}`, fix: fix.title, excerpt: diffExcerpt(text, fixedText) });
          counts.crashes++;
          countFix(counts, fix, 'broken');
          continue;
        }
        const syntax = newSyntaxProblems(file, text, fixedText, result, after);
        if (syntax) {
          problems.push({ corpus: corpus.name, file, what: `the fix broke the file: ${syntax}`, fix: fix.title, excerpt: diffExcerpt(text, fixedText) });
          counts.broken++;
          countFix(counts, fix, 'broken');
          continue;
        }
        if (isPython(file)) {
          pyVariants.push({ file, original: text, text: fixedText, finding, fix });
          pyOriginals.set(file, text);
        }
        const place = mapRange(finding.span.start, finding.span.end, fix.edits);
        const still = after.findings.find((f) => f.rule === finding.rule && f.span.start <= place.end && place.start <= f.span.end);
        if (still) {
          counts.stillReported++;
          countFix(counts, fix, 'still');
          const line = after.lines.position(still.span.start).line + 1;
          problems.push({ corpus: corpus.name, file: `${file}:${line}`, what: `after the fix, ${finding.rule} is still reported there (${still.messageId})`, fix: fix.title, excerpt: diffExcerpt(text, fixedText) });
        }
        for (const other of fix.otherFiles ?? []) {
          const otherOriginal = other.create ? '' : workspace.readFile(other.fileName) ?? fs.readFileSync(other.fileName, 'utf8');
          let otherText: string;
          try {
            otherText = applyEdits(otherOriginal, other.edits);
          } catch (e) {
            problems.push({ corpus: corpus.name, file: other.fileName, what: `the fix's edits to another file do not apply: ${String(e)}`, fix: fix.title });
            counts.broken++;
            countFix(counts, fix, 'broken');
            continue;
          }
          const o1 = engine.analyse({ fileName: other.fileName, text: otherOriginal }, config);
          const o2 = engine.analyse({ fileName: other.fileName, text: otherText }, config);
          const otherSyntax = newSyntaxProblems(other.fileName, otherOriginal, otherText, o1, o2);
          if (otherSyntax) {
            problems.push({ corpus: corpus.name, file: other.fileName, what: `the fix broke another file: ${otherSyntax}`, fix: fix.title, excerpt: diffExcerpt(otherOriginal, otherText) });
            counts.broken++;
            countFix(counts, fix, 'broken');
          } else if (isPython(other.fileName)) pyVariants.push({ file: other.fileName, original: otherOriginal, text: otherText, finding, fix, other: true });
        }
      }
    }
  }
  const originals = [...new Set(pyVariants.map((v) => v.original))];
  const rejects = pythonRejects([...originals, ...pyVariants.map((v) => v.text)], tmp);
  pyVariants.forEach((v, i) => {
    if (!rejects.has(originals.indexOf(v.original)) && rejects.has(originals.length + i)) {
      problems.push({ corpus: corpus.name, file: v.file, what: `the fix broke ${v.other ? 'another' : 'the'} file: python3 no longer compiles it`, fix: v.fix.title, excerpt: diffExcerpt(v.original, v.text) });
      counts.broken++;
      countFix(counts, v.fix, 'broken');
    }
  });
}

// ---------------------------------------------------------------------------------------- main

/** A file of a temporary copy, as a path inside the package (the copies are gone when this prints). */
function shortPath(file: string): string {
  const m = /loopguard-realworld-[^/\\]+[/\\](?:engine|cli)[/\\](.*)$/.exec(file);
  return m ? m[1] : file;
}

/** Python corpora: the standard library, CPython's async tests, async packages of site-packages. */
function pythonCorpora(): Corpus[] {
  const stdlib = pythonStdlib();
  if (!stdlib) {
    console.log('python3 not found: the CPython corpora are skipped');
    return [];
  }
  const out: Corpus[] = [];
  const version = execFileSync('python3', ['-c', 'import platform;print(platform.python_version())'], { encoding: 'utf8' }).trim();
  if (!ONLY || ONLY.has('cpython')) {
    // the test suite is a third of the library and mostly synchronous test code: its async part is a corpus of its own
    out.push({ name: `CPython ${version} stdlib`, dir: stdlib, skipDir: (d) => PY_SKIP_DIRS.has(d) || d === 'test' || d === 'tests' });
  }
  const tests = path.join(stdlib, 'test');
  const present = CPYTHON_TESTS.filter((e) => fs.existsSync(path.join(tests, e)));
  if ((!ONLY || ONLY.has('cpython-tests')) && present.length > 0) {
    out.push({ name: `CPython ${version} tests (asyncio, threads)`, dir: tests, entries: present, skipDir: (d) => PY_SKIP_DIRS.has(d) });
  } else if (!ONLY || ONLY.has('cpython-tests')) console.log(`CPython's test suite is not installed (${tests}): its corpus is skipped`);
  const wanted = SITE_PACKAGES.filter((p) => !ONLY || ONLY.has(p));
  if (wanted.length > 0) {
    const script = [
      'import importlib.util, importlib.metadata, json, os, sys',
      'out = {}',
      'for name in sys.argv[1:]:',
      '    spec = importlib.util.find_spec(name)',
      '    if spec is None or not spec.submodule_search_locations: continue',
      '    dist = importlib.metadata.packages_distributions().get(name, [name])[0]',
      '    out[name] = [list(spec.submodule_search_locations)[0], dist, importlib.metadata.version(dist)]',
      'print(json.dumps(out))',
    ].join('\n');
    const found = JSON.parse(execFileSync('python3', ['-c', script, ...wanted], { encoding: 'utf8' })) as Record<string, [string, string, string]>;
    for (const name of wanted) {
      const f = found[name];
      if (!f) {
        console.log(`site-packages: ${name} is not installed, skipped`);
        continue;
      }
      const [dir, dist, v] = f;
      out.push({ name: `${dist} ${v} (site-packages)`, dir: path.dirname(dir), entries: [path.basename(dir)], skipDir: (d) => PY_SKIP_DIRS.has(d) });
    }
  }
  return out;
}

const RULE_SHORT: Record<string, string> = {
  'blocking-call-in-async': 'block',
  'cpu-loop-on-event-loop': 'loop',
  'cpu-bound-work-in-thread-pool': 'pool',
  'unsynchronized-shared-state': 'shared',
  'race-across-await': 'race',
  'unused-suppression': 'unused',
};

function table(header: readonly string[], rows: ReadonlyArray<readonly (string | number)[]>, leftColumns = 1): string {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function printSummary(rows: ReadonlyArray<{ name: string; counts: Counts }>): void {
  const rules = Object.keys(RULE_SHORT).filter((r) => rows.some((row) => row.counts.findings.has(r)));
  const sum = (f: (c: Counts) => number) => rows.reduce((s, r) => s + f(r.counts), 0);
  const cols: Array<[string, (c: Counts) => number | string]> = [
    ['files', (c) => c.files],
    ['lines', (c) => c.lines],
    ...rules.map((r): [string, (c: Counts) => number] => [RULE_SHORT[r], (c) => c.findings.get(r) ?? 0]),
    ['safe', (c) => c.tried.safe],
    ['unsafe', (c) => c.tried.unsafe],
    ['suppr', (c) => c.tried.suppression],
    ['multi', (c) => c.tried.multiFile],
    ['--fix files', (c) => c.cliFilesChanged],
    ['still', (c) => c.stillReported],
    ['broken', (c) => c.broken],
    ['crash', (c) => c.crashes],
    ['s', (c) => (c.ms / 1000).toFixed(1)],
  ];
  console.log('\nper corpus (findings per rule; fixes tried one at a time: safe, unsafe, suppression, of which multi-file;');
  console.log('files changed by --fix; fixes whose finding is still reported, broken files, crashes; seconds)\n');
  const body = rows.map((r) => [r.name, ...cols.map(([, f]) => f(r.counts))]);
  body.push(['total', ...cols.map(([k, f]) => (k === 's' ? (sum((c) => c.ms) / 1000).toFixed(1) : sum((c) => Number(f(c)))))]);
  console.log(table(['corpus', ...cols.map(([k]) => k)], body));
  const titles = new Map<string, TitleCounts & { corpora: number }>();
  for (const r of rows) {
    for (const [k, c] of r.counts.byTitle) {
      const t = titles.get(k) ?? { safe: c.safe, tried: 0, broken: 0, still: 0, corpora: 0 };
      t.tried += c.tried;
      t.broken += c.broken;
      t.still += c.still;
      t.corpora++;
      titles.set(k, t);
    }
  }
  const byTitle = [...titles].sort((a, b) => b[1].tried - a[1].tried || (a[0] < b[0] ? -1 : 1));
  console.log('\nper fix (names in the code shown as `…`): tried alone, corpora it came up in, still reported, broken\n');
  console.log(table(['fix', 'safe', 'tried', 'corpora', 'still', 'broken'], byTitle.map(([k, t]) => [k.length > 90 ? k.slice(0, 89) + '…' : k, t.safe ? 'safe' : 'unsafe', t.tried, t.corpora, t.still, t.broken]), 2));
}

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const tStart = performance.now();
  const corpora: Corpus[] = [];
  for (const [name, version] of PACKAGES) {
    if (ONLY && !ONLY.has(name)) continue;
    corpora.push({ name: `${name}@${version}`, dir: fetchPackage(name, version) });
  }
  corpora.push(...pythonCorpora());
  const fetchMs = performance.now() - tStart;
  const engine = await Engine.create();
  const config = defaultAnalysisConfig();
  const problems: Problem[] = [];
  const rows: Array<{ name: string; counts: Counts }> = [];
  for (const corpus of corpora) {
    const t0 = performance.now();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-realworld-'));
    const counts: Counts = {
      files: 0, lines: 0, findings: new Map(), cliSafeFixable: 0, cliFilesChanged: 0, cliLeftFixable: 0,
      tried: { safe: 0, unsafe: 0, suppression: 0, multiFile: 0 }, byTitle: new Map(), stillReported: 0, broken: 0, crashes: 0, ms: 0,
    };
    const before = problems.length;
    const cli = startCliPass(corpus, tmp);
    await enginePass(corpus, engine, config, tmp, counts, problems);
    await cliPass(corpus, engine, config, tmp, cli, counts, problems);
    counts.ms = performance.now() - t0;
    rows.push({ name: corpus.name, counts });
    if (KEEP) console.log(`${corpus.name}: copies kept in ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
    const findings = [...counts.findings].sort().map(([r, n]) => `${r} ${n}`).join(', ') || 'none';
    console.log(
      `${corpus.name}: ${counts.files} files, ${counts.lines} lines, findings: ${findings}; ` +
        `--fix: ${counts.cliSafeFixable} safe-fixable, ${counts.cliFilesChanged} files changed, ${counts.cliLeftFixable} left; ` +
        `one at a time: ${counts.tried.safe} safe + ${counts.tried.unsafe} unsafe + ${counts.tried.suppression} suppression fixes (${counts.tried.multiFile} multi-file), ` +
        `${counts.stillReported} still reported, ${counts.broken} broken, ${counts.crashes} crashes; ${(counts.ms / 1000).toFixed(1)} s` +
        (problems.length > before ? `  ← ${problems.length - before} problem(s)` : ''),
    );
  }
  printSummary(rows);
  const total = (k: 'files' | 'lines' | 'broken' | 'crashes' | 'stillReported') => rows.reduce((s, r) => s + r.counts[k], 0);
  console.log(
    `\ntotal: ${rows.length} corpora, ${total('files')} files, ${total('lines')} lines, ${total('broken')} broken, ${total('stillReported')} still reported, ${total('crashes')} crashes; ` +
      `${((performance.now() - tStart) / 1000).toFixed(0)} s (${(fetchMs / 1000).toFixed(0)} s of it fetching)`,
  );
  if (problems.length > 0) {
    console.log(`\n${problems.length} problem(s):`);
    for (const p of problems) {
      console.log(`\n[${p.corpus}] ${shortPath(p.file)}\n  ${p.what}${p.fix ? `\n  fix: ${p.fix}` : ''}`);
      if (p.excerpt) console.log(p.excerpt.split('\n').map((l) => `    ${l}`).join('\n'));
    }
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 2;
});
