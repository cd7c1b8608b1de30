// The generic fixture harness: every rule's tests are files under test/fixtures/<rule-id>/.
//
// - A line that must be reported carries an inline annotation in a comment:
//     fs.readFileSync(p)   // expect: blocking-call-in-async fix=safe
//     time.sleep(1)        # expect: blocking-call-in-async fix=none
//   Several findings on one line: `expect: a fix=safe, b`. `fix=` (optional) asserts the safety of the
//   finding's best fix: safe, unsafe, or none. Every line without an annotation must produce nothing.
// - `<name>.fixed.<ext>` holds the text after the best fix of every finding is applied (in passes, like
//   --fix). It must exist exactly when some finding has a fix. The harness re-parses it (no syntax
//   errors) and re-analyses it: what was fixed is gone and nothing new appears.
// - Every finding's "disable for this line" suppression is applied on its own and must silence exactly
//   that finding without breaking the syntax.
// - A fixture whose fixes need the file's package (the worker-pool extraction) declares it on its first
//   line: `// fixture-project: {"dependencies": ["piscina"], "moduleType": "module"}`; the project root is
//   the fixture's directory and `fileExists` asks the real file system. A TypeScript fixture may add its
//   tsconfig facts: `"tsconfig": {"module": "commonjs", "rootDir": "src", "include": ["src"]}` (the
//   tsconfig's directory is the fixture's; `rootDir` is relative to it).
// - When a best fix also changes other files, their texts after the fix are compared with snapshots in
//   `<name>.fixed.files/<path relative to the fixture's directory>`, and each must analyse without syntax
//   errors. One multi-file fix per fixture: two would both create the same helper.
// - In a workspace fixture (below), `multi-file` after a finding's annotation (`expect: rule fix=unsafe
//   multi-file`) names the finding whose multi-file fix — its first fix with changes to other files, in
//   any position — is checked: every file it changes, the analysed one included, is compared with its
//   snapshot in `<name>.fixed.files/` and re-analysed in a copy of the workspace with the fix applied
//   (no syntax errors, the finding gone, no new finding in any changed file).
// - A directory `test/fixtures/<rule-id>/<case>.workspace/` is one workspace (the project model,
//   engine/workspace): every TS/JS/Python file in it (not .fixed ones) is a fixture of its own, with the
//   rules following calls into the other files. Annotations and `.fixed.*` files work as above, per file.
// Set UPDATE_FIXTURES=1 to (re)write the .fixed files from the current output; review the diff.
// The fixtures run in several test files, one per FIXTURE_GROUPS entry (test/unit/fixtures-<group>.test.ts),
// so that `npm test` runs them beside the other suites; fixtureGroup() puts each fixture in exactly one.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe as suite, it } from 'node:test';
import { defaultAnalysisConfig } from '../../server/src/engine/config';
import { Engine, type AnalysisResult } from '../../server/src/engine/engine';
import { fixAll, pickFirstFix } from '../../server/src/engine/fix-all';
import { applyEdits, type FileChange, type Finding, type Fix } from '../../server/src/engine/finding';
import type { ProjectFacts, SourceInput, TsconfigFacts } from '../../server/src/frontends/frontend';
import { diskHost, Workspace } from '../../server/src/engine/workspace/workspace';
import { SUPPORTED_EXTENSIONS } from '../../server/src/frontends';

export const FIXTURES_DIR = path.join(__dirname, '..', 'fixtures');

export interface Expectation {
  rule: string;
  fix: 'safe' | 'unsafe' | 'none' | undefined;
  /** the finding's multi-file fix is snapshotted and re-analysed (workspace fixtures) */
  multiFile?: boolean;
}

const ANNOTATION = /(?:\/\/|#)\s*expect:\s*(.*?)\s*(?:\*\/)?$/;

/** Expected findings per 0-based line. */
export function parseExpectations(text: string): Map<number, Expectation[]> {
  const out = new Map<number, Expectation[]>();
  text.split(/\r\n|\r|\n/).forEach((line, i) => {
    const m = ANNOTATION.exec(line);
    if (!m) return;
    const list = m[1]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((entry): Expectation => {
        const [rule, ...opts] = entry.split(/\s+/);
        const fixOpt = opts.find((o) => o.startsWith('fix='))?.slice(4);
        if (fixOpt !== undefined && fixOpt !== 'safe' && fixOpt !== 'unsafe' && fixOpt !== 'none') {
          throw new Error(`line ${i + 1}: bad annotation option fix=${fixOpt}`);
        }
        return { rule, fix: fixOpt, ...(opts.includes('multi-file') ? { multiFile: true } : {}) };
      });
    out.set(i, list);
  });
  return out;
}

export interface FixtureFile {
  rule: string;
  /** absolute path */
  file: string;
  /** the expected .fixed file path */
  fixedFile: string;
  /** a multi-file fixture: the directory analysed as one workspace */
  workspace?: string;
}

export function isFixedFile(name: string): boolean {
  // `x.fixed.py`, and the snapshots of a multi-file fix under `x.fixed.files/`
  return /\.fixed\.[^.]+$/.test(name) || /\.fixed\.files(?:[\\/]|$)/.test(name);
}

export function fixedPathFor(file: string): string {
  const ext = path.extname(file);
  return file.slice(0, -ext.length) + '.fixed' + ext;
}

/** All fixture files (not .fixed ones) per rule folder. */
export function listFixtures(): FixtureFile[] {
  const out: FixtureFile[] = [];
  for (const rule of fs.readdirSync(FIXTURES_DIR).sort()) {
    const dir = path.join(FIXTURES_DIR, rule);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const name of fs.readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      // other directories hold support files that fixtures refer to (a worker pool module a fix reuses)
      if (name.endsWith('.workspace') && fs.statSync(file).isDirectory()) {
        for (const inner of (fs.readdirSync(file, { recursive: true }) as string[]).sort()) {
          if (isFixedFile(inner) || !SUPPORTED_EXTENSIONS.includes(path.extname(inner))) continue;
          const f = path.join(file, inner);
          out.push({ rule, file: f, fixedFile: fixedPathFor(f), workspace: file });
        }
        continue;
      }
      if (isFixedFile(name) || !SUPPORTED_EXTENSIONS.includes(path.extname(name))) continue;
      out.push({ rule, file, fixedFile: fixedPathFor(file) });
    }
  }
  return out;
}

/** The test files the fixtures are split over: test/unit/fixtures-<group>.test.ts each. */
export const FIXTURE_GROUPS = ['blocking-catalogue', 'blocking-js', 'blocking-python', 'blocking-workspaces', 'cpu', 'state'] as const;
export type FixtureGroup = (typeof FIXTURE_GROUPS)[number];

/**
 * The group whose test file runs a fixture. A workspace's files stay together (its scan is shared); the
 * catalogue coverage files, one finding per line and a suppression check each, have a file of their own.
 */
export function fixtureGroup(fx: FixtureFile): FixtureGroup {
  if (fx.rule === 'blocking-call-in-async') {
    if (fx.workspace !== undefined) return 'blocking-workspaces';
    if (path.basename(fx.file).startsWith('catalogue-coverage.')) return 'blocking-catalogue';
    return /\.pyi?$/.test(fx.file) ? 'blocking-python' : 'blocking-js';
  }
  if (fx.rule === 'cpu-loop-on-event-loop' || fx.rule === 'cpu-bound-work-in-thread-pool') return 'cpu';
  return 'state';
}

let enginePromise: Promise<Engine> | undefined;
export function sharedEngine(): Promise<Engine> {
  return (enginePromise ??= Engine.create());
}

const workspaces = new Map<string, Promise<Workspace>>();
/** The workspace of a multi-file fixture directory, scanned once per run. */
export function fixtureWorkspace(dir: string): Promise<Workspace> {
  let ws = workspaces.get(dir);
  if (!ws) {
    ws = (async () => {
      const engine = await sharedEngine();
      const config = defaultAnalysisConfig();
      const host = diskHost();
      const w = new Workspace({ host, roots: [dir], engine, configFor: () => config });
      // the fixture's own files only: the .fixed ones are outputs, not part of the project
      const files: string[] = [];
      for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
        const f = path.join(dir, name);
        if (!isFixedFile(name) && engine.supports(f) && fs.statSync(f).isFile()) files.push(f);
      }
      await w.scan(files.sort());
      return w;
    })();
    workspaces.set(dir, ws);
  }
  return ws;
}

function lineOf(result: AnalysisResult, f: Finding): number {
  return result.lines.position(f.span.start).line;
}

function describe(f: Finding, result: AnalysisResult): string {
  const p = result.lines.position(f.span.start);
  return `${f.rule} at ${p.line + 1}:${p.character + 1} (${f.message})`;
}

function fixSafety(f: Finding): Expectation['fix'] {
  return f.fixes.length === 0 ? 'none' : f.fixes[0].safe ? 'safe' : 'unsafe';
}

/** Compares findings with annotations; returns human-readable problems (empty = pass). */
export function compareWithExpectations(text: string, result: AnalysisResult): string[] {
  const problems: string[] = [];
  const expected = parseExpectations(text);
  const actual = new Map<number, Finding[]>();
  for (const f of result.findings) {
    const l = lineOf(result, f);
    actual.set(l, [...(actual.get(l) ?? []), f]);
  }
  const lines = new Set([...expected.keys(), ...actual.keys()]);
  for (const line of [...lines].sort((a, b) => a - b)) {
    const exp = [...(expected.get(line) ?? [])];
    const act = actual.get(line) ?? [];
    for (const f of act) {
      const i = exp.findIndex((e) => e.rule === f.rule);
      if (i < 0) {
        problems.push(`line ${line + 1}: unexpected ${describe(f, result)}`);
        continue;
      }
      const [e] = exp.splice(i, 1);
      if (e.fix !== undefined && e.fix !== fixSafety(f)) {
        problems.push(`line ${line + 1}: expected fix=${e.fix} but best fix is ${fixSafety(f)} for ${describe(f, result)}`);
      }
    }
    for (const e of exp) problems.push(`line ${line + 1}: expected ${e.rule} but nothing was reported`);
  }
  return problems;
}

export interface FixtureOutcome {
  problems: string[];
  findings: number;
}

const PROJECT_LINE = /^\s*(?:\/\/|#)\s*fixture-project:\s*(\{.*\})\s*$/;

/** The project facts a fixture declares on its first line, or undefined. */
export function fixtureProject(file: string, text: string): ProjectFacts | undefined {
  const m = PROJECT_LINE.exec(text.split(/\r?\n/, 1)[0] ?? '');
  if (!m) return undefined;
  const raw = JSON.parse(m[1]) as {
    dependencies?: string[];
    moduleType?: 'module' | 'commonjs';
    tsconfig?: Omit<TsconfigFacts, 'dir'>;
  };
  const dir = path.dirname(file);
  const tsconfig: TsconfigFacts | undefined = raw.tsconfig && {
    ...raw.tsconfig,
    dir,
    ...(raw.tsconfig.rootDir !== undefined ? { rootDir: path.resolve(dir, raw.tsconfig.rootDir) } : {}),
  };
  return {
    root: dir,
    dependencies: raw.dependencies ?? [],
    moduleType: raw.moduleType ?? 'commonjs',
    fileExists: (p) => fs.existsSync(p) && fs.statSync(p).isFile(),
    ...(tsconfig ? { tsconfig } : {}),
  };
}

/** Where the snapshot of a file changed by a fixture's multi-file fix lives. */
export function otherFileSnapshot(fixture: string, changed: string): string {
  const ext = path.extname(fixture);
  return path.join(fixture.slice(0, -ext.length) + '.fixed.files', path.relative(path.dirname(fixture), changed));
}

/** The other files of the fixture's best fixes, checked against their snapshots and parsed. */
async function checkOtherFiles(fx: FixtureFile, findings: readonly Finding[], annotated: readonly Finding[] = []): Promise<string[]> {
  const engine = await sharedEngine();
  const config = defaultAnalysisConfig();
  const problems: string[] = [];
  const changes: FileChange[] = [];
  // an annotated finding whose best fix is its multi-file fix (JS: the chain fix is its only fix) counts once
  const multi = findings.filter((f) => f.fixes[0]?.otherFiles && !annotated.includes(f));
  if (multi.length + annotated.length > 1) problems.push(`${multi.length + annotated.length} findings have multi-file fixes; a fixture may have one`);
  for (const f of multi) {
    if (f.fixes[0].safe) problems.push(`a multi-file fix is marked safe: ${f.fixes[0].title}`);
    changes.push(...(f.fixes[0].otherFiles ?? []));
  }
  for (const f of annotated) {
    const fix = multiFileFix(f);
    if (!fix) continue;
    if (fix.safe) problems.push(`a multi-file fix is marked safe: ${fix.title}`);
    changes.push({ fileName: fx.file, edits: fix.edits }, ...(fix.otherFiles ?? []));
  }
  const snapshotDir = otherFileSnapshot(fx.file, path.dirname(fx.file));
  const expected = new Set<string>();
  for (const change of changes) {
    const snapshot = otherFileSnapshot(fx.file, change.fileName);
    expected.add(snapshot);
    if (!change.create && !fs.existsSync(change.fileName)) problems.push(`edits ${change.fileName}, which does not exist`);
    if (change.create && fs.existsSync(change.fileName)) problems.push(`creates ${change.fileName}, which exists`);
    const before = change.create ? '' : fs.readFileSync(change.fileName, 'utf8');
    const after = applyEdits(before, change.edits);
    if (process.env.UPDATE_FIXTURES) {
      fs.mkdirSync(path.dirname(snapshot), { recursive: true });
      fs.writeFileSync(snapshot, after);
    } else if (!fs.existsSync(snapshot)) problems.push(`${path.relative(path.dirname(fx.file), snapshot)} is missing (UPDATE_FIXTURES=1 writes it)`);
    else if (fs.readFileSync(snapshot, 'utf8') !== after) problems.push(`${path.relative(path.dirname(fx.file), snapshot)} differs:\n${after}`);
    const parsed = engine.analyse({ fileName: change.fileName, text: after }, config);
    if (parsed.syntaxProblems.length > 0) problems.push(`${change.fileName} does not parse after the fix: ${parsed.syntaxProblems.map((p) => p.message).join('; ')}`);
  }
  // snapshots of files no fix changes any more are stale
  if (fs.existsSync(snapshotDir)) {
    for (const name of fs.readdirSync(snapshotDir, { recursive: true }) as string[]) {
      const full = path.join(snapshotDir, name);
      if (!fs.statSync(full).isFile() || expected.has(full)) continue;
      if (process.env.UPDATE_FIXTURES) fs.rmSync(full);
      else problems.push(`${path.relative(path.dirname(fx.file), full)} is a snapshot of no fix's change`);
    }
  }
  return problems;
}

/** The fix a `multi-file` annotation names: the finding's first fix that changes other files. */
function multiFileFix(f: Finding): Fix | undefined {
  return f.fixes.find((fix) => fix.otherFiles && fix.otherFiles.length > 0);
}

/**
 * A `multi-file` fix applied to a copy of the workspace (the changed files overlaid on the disk): every
 * changed file parses, the finding is gone from the analysed file, and no changed file has a finding of
 * the rule it did not have before.
 */
async function checkMultiFileFix(fx: FixtureFile, finding: Finding, before: AnalysisResult): Promise<string[]> {
  const problems: string[] = [];
  const fix = multiFileFix(finding);
  if (!fix || fx.workspace === undefined) return [`the finding at line ${lineOf(before, finding) + 1} has no multi-file fix`];
  const engine = await sharedEngine();
  const config = defaultAnalysisConfig();
  const overlay = new Map<string, string>();
  for (const change of [{ fileName: fx.file, edits: fix.edits }, ...(fix.otherFiles ?? [])]) {
    overlay.set(change.fileName, applyEdits(fs.readFileSync(change.fileName, 'utf8'), change.edits));
  }
  // the original files are the fixture's shared workspace (same files, host and settings): no second scan
  const original = await fixtureWorkspace(fx.workspace);
  const files = original.fileNames().sort();
  const fixedWs = new Workspace({ host: diskHost(overlay), roots: [fx.workspace], engine, configFor: () => config });
  await fixedWs.scan(files);
  for (const [fileName, after] of overlay) {
    const rel = path.relative(fx.workspace, fileName);
    const was = engine.analyse({ fileName, text: fs.readFileSync(fileName, 'utf8') }, config, undefined, original);
    const now = engine.analyse({ fileName, text: after }, config, undefined, fixedWs);
    if (now.syntaxProblems.length > 0) problems.push(`${rel} does not parse after the multi-file fix: ${now.syntaxProblems.map((p) => p.message).join('; ')}`);
    const keys = (r: AnalysisResult) => r.findings.filter((f) => f.rule === finding.rule).map((f) => `${f.messageId}:${f.data.name ?? ''}`);
    const left = keys(was);
    if (fileName === fx.file) left.splice(left.indexOf(`${finding.messageId}:${finding.data.name ?? ''}`), 1);
    for (const k of keys(now)) {
      const i = left.indexOf(k);
      if (i < 0) problems.push(`${rel} after the multi-file fix: ${k} reported`);
      else left.splice(i, 1);
    }
  }
  return problems;
}

/** Runs one fixture through every check described at the top of this file. */
export async function checkFixture(fx: FixtureFile): Promise<FixtureOutcome> {
  const engine = await sharedEngine();
  const config = defaultAnalysisConfig();
  const text = fs.readFileSync(fx.file, 'utf8');
  const project = fixtureProject(fx.file, text);
  const input: SourceInput = { fileName: fx.file, text, ...(project ? { project } : {}) };
  const ws = fx.workspace === undefined ? undefined : await fixtureWorkspace(fx.workspace);
  const result = engine.analyse(input, config, undefined, ws);
  const problems: string[] = [];
  const allowSyntaxErrors = path.basename(fx.file).includes('syntax-error');
  if (!allowSyntaxErrors && result.syntaxProblems.length > 0) {
    problems.push(`fixture has syntax errors: ${result.syntaxProblems.map((p) => p.message).join('; ')}`);
  }
  if (result.ruleErrors.length) problems.push(`rule crashed: ${result.ruleErrors.map((e) => e.error).join('\n')}`);
  problems.push(...compareWithExpectations(text, result));

  // the fixes: .fixed file exists exactly when something is fixable
  const fixable = result.findings.filter((f) => f.fixes.length > 0);
  const hasFixedFile = fs.existsSync(fx.fixedFile);
  if (fixable.length > 0) {
    // the passes start from this analysis, and the last one is the re-analysis of the fixed text
    const run = fixAll(engine, input, config, pickFirstFix, ws, result);
    const fixed = run.text;
    if (process.env.UPDATE_FIXTURES) fs.writeFileSync(fx.fixedFile, fixed);
    else if (!hasFixedFile) problems.push(`${fixable.length} finding(s) have fixes but ${path.basename(fx.fixedFile)} is missing (UPDATE_FIXTURES=1 writes it)`);
    else if (fs.readFileSync(fx.fixedFile, 'utf8') !== fixed) problems.push(`fix output differs from ${path.basename(fx.fixedFile)}:\n${fixed}`);
    const after = run.final ?? engine.analyse({ ...input, text: fixed }, config, undefined, ws);
    if (after.syntaxProblems.length > 0 && !allowSyntaxErrors) {
      problems.push(`fixed text does not parse: ${after.syntaxProblems.map((p) => p.message).join('; ')}`);
    }
    // what is left must be exactly the findings that had no fix
    const key = (f: Finding) => `${f.rule}:${f.messageId}:${f.data.name ?? ''}`;
    const leftExpected = result.findings.filter((f) => f.fixes.length === 0).map(key).sort();
    const leftActual = after.findings.map(key).sort();
    if (JSON.stringify(leftExpected) !== JSON.stringify(leftActual)) {
      problems.push(`after fixing, expected only the unfixable findings [${leftExpected.join(', ')}] but got [${leftActual.join(', ')}]`);
    }
  } else if (hasFixedFile && !process.env.UPDATE_FIXTURES) {
    problems.push(`${path.basename(fx.fixedFile)} exists but no finding has a fix`);
  } else if (hasFixedFile) fs.rmSync(fx.fixedFile);
  const expectations = parseExpectations(text);
  const annotated = result.findings.filter((f) => expectations.get(lineOf(result, f))?.some((e) => e.multiFile && e.rule === f.rule));
  problems.push(...(await checkOtherFiles(fx, result.findings, annotated)));
  for (const f of annotated) problems.push(...(await checkMultiFileFix(fx, f, result)));

  // every suppression silences its finding, and only it, and keeps the syntax valid; findings of one
  // rule on one line share their suppression comment, and the text it makes is analysed once
  const suppressedAnalyses = new Map<string, AnalysisResult>();
  for (const f of result.findings) {
    if (!f.suppression || f.suppression.edits.length === 0) {
      problems.push(`no suppression offered for ${describe(f, result)}`);
      continue;
    }
    const suppressed = applyEdits(text, f.suppression.edits);
    let after = suppressedAnalyses.get(suppressed);
    if (!after) suppressedAnalyses.set(suppressed, (after = engine.analyse({ ...input, text: suppressed }, config, undefined, ws)));
    if (after.syntaxProblems.length > result.syntaxProblems.length) {
      problems.push(`suppressing ${describe(f, result)} breaks the syntax:\n${suppressed}`);
    }
    const sameLine = (r: AnalysisResult, g: Finding) => r.lines.position(g.span.start).line === lineOf(result, f) && g.rule === f.rule;
    const before = result.findings.filter((g) => sameLine(result, g)).length;
    const afterCount = after.findings.filter((g) => g.rule === f.rule).length;
    // the whole line is suppressed for the rule, so every finding of the rule on that line goes
    if (afterCount !== result.findings.filter((g) => g.rule === f.rule).length - before) {
      problems.push(`suppressing ${describe(f, result)} left ${afterCount} finding(s) of the rule, expected ${result.findings.filter((g) => g.rule === f.rule).length - before}`);
    }
  }
  return { problems, findings: result.findings.length };
}

/** The node:test cases of one group: a test per fixture, failing with the problems checkFixture lists. */
export function fixtureTests(group: FixtureGroup): void {
  const fixtures = listFixtures().filter((fx) => fixtureGroup(fx) === group);
  suite(`rule fixtures: ${group}`, () => {
    it('has fixtures', () => assert.ok(fixtures.length > 0, `no fixture is in the group ${group}`));
    for (const fx of fixtures) {
      const name = fx.workspace === undefined ? path.basename(fx.file) : path.relative(path.dirname(fx.workspace), fx.file);
      it(`${fx.rule}/${name}`, async () => {
        const { problems } = await checkFixture(fx);
        assert.deepEqual(problems, [], problems.join('\n'));
      });
    }
  });
}
