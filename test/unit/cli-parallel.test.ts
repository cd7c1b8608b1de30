// loopguard check --jobs: the output of a run on worker threads is byte for byte the output of the
// in-process run (--jobs 1) — JSON (durationMs aside), SARIF, exit codes — on the examples, the
// cross-file fixture workspaces, a generated project whose blocking helper and its callers land on
// different threads, and with --fix; a worker that throws or dies on a file reports an internal error
// for that file and the run goes on. Runs runCli in-process; the workers run cli/worker.ts under tsx.
// LOOPGUARD_PARALLEL_MIN_FILES=0 switches off the small-input threshold, so every run below with
// --jobs > 1 uses the pool (a folder of at most four files goes entirely to the first worker: see
// Pool.run, which hands each worker four files before this thread takes any).

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../server/src/cli/main';
import type { JsonReport } from '../../server/src/cli/formats/json';
import { defaultJobs } from '../../server/src/cli/parallel';
import { writeTree } from '../harness/files';

const ROOT = path.join(__dirname, '..', '..');

async function run(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s), cwd, isTTY: false });
  return { code, out, err };
}

/** The JSON report without its one run-dependent figure. */
function stableJson(out: string): string {
  const report = JSON.parse(out) as JsonReport;
  report.summary.durationMs = 0;
  return JSON.stringify(report, null, 2);
}

/**
 * Both ways: identical JSON, stderr and exit code; with `sarif`, identical SARIF too. The formats are
 * written from the same results, so SARIF is compared once (the examples) rather than for every case:
 * each run with workers costs about a second of worker start-up under tsx.
 * Returns the --jobs 1 JSON for further checks.
 */
async function assertSameOutput(cwd: string, jobs: number, targets: string[], sarif = false): Promise<JsonReport> {
  const oneJson = await run(cwd, 'check', ...targets, '--format', 'json', '--jobs', '1');
  const manyJson = await run(cwd, 'check', ...targets, '--format', 'json', '--jobs', String(jobs));
  assert.equal(manyJson.code, oneJson.code, `exit code, --jobs ${jobs} vs 1`);
  assert.equal(stableJson(manyJson.out), stableJson(oneJson.out));
  assert.equal(manyJson.err, oneJson.err);
  if (!sarif) return JSON.parse(oneJson.out) as JsonReport;
  const oneSarif = await run(cwd, 'check', ...targets, '--format', 'sarif', '--jobs', '1');
  const manySarif = await run(cwd, 'check', ...targets, '--format', 'sarif', '--jobs', String(jobs));
  assert.equal(manySarif.code, oneSarif.code);
  assert.equal(manySarif.out, oneSarif.out);
  return JSON.parse(oneJson.out) as JsonReport;
}

const folder = (files: Record<string, string>): string => writeTree('loopguard-parallel-', files);

/**
 * A project where one helper blocks and sixty callers in other files call it from async functions
 * (directly, or through a second helper), plus files that only define things: with three threads,
 * the helper's facts and most callers' analyses are computed on different threads.
 */
function generatedProject(): Record<string, string> {
  const files: Record<string, string> = {
    'src/lib/io.ts': `import * as fs from 'node:fs';\n\nexport function readConfig(p: string): string {\n  return fs.readFileSync(p, 'utf8');\n}\n`,
    'src/lib/relay.ts': `import { readConfig } from './io';\n\nexport function relay(p: string): string {\n  return readConfig(p) + '!';\n}\n`,
    'py/helpers.py': `import time\n\n\ndef pause():\n    time.sleep(1)\n`,
  };
  for (let i = 0; i < 60; i++) {
    const via = i % 3 === 0 ? `import { relay as load } from '../lib/relay';` : `import { readConfig as load } from '../lib/io';`;
    files[`src/callers/c${String(i).padStart(2, '0')}.ts`] =
      `${via}\n\nexport async function handler${i}(p: string) {\n  const v = load(p);\n  return v.length + ${i};\n}\n\nexport function plain${i}(n: number) {\n  return n * ${i};\n}\n`;
  }
  for (let i = 0; i < 10; i++) {
    files[`py/app${i}.py`] = `from helpers import pause\n\n\nasync def main${i}():\n    pause()\n`;
  }
  return files;
}

describe('loopguard check --jobs', () => {
  const saved = { min: process.env.LOOPGUARD_PARALLEL_MIN_FILES, fault: process.env.LOOPGUARD_CLI_FAULT_INJECT };
  before(() => {
    process.env.LOOPGUARD_PARALLEL_MIN_FILES = '0';
  });
  after(() => {
    for (const [key, value] of [
      ['LOOPGUARD_PARALLEL_MIN_FILES', saved.min],
      ['LOOPGUARD_CLI_FAULT_INJECT', saved.fault],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('gives the in-process output on the examples, in JSON and SARIF', async () => {
    const report = await assertSameOutput(ROOT, 2, ['examples'], true);
    assert.ok(report.findings.length > 5, 'the examples have findings');
    assert.ok(new Set(report.findings.map((f) => f.file)).size >= 4);
  });

  it('gives the in-process output on the cross-file fixture workspaces', async () => {
    const dirs: string[] = [];
    for (const rule of fs.readdirSync(path.join(ROOT, 'test', 'fixtures'))) {
      const ruleDir = path.join(ROOT, 'test', 'fixtures', rule);
      if (!fs.statSync(ruleDir).isDirectory()) continue;
      for (const d of fs.readdirSync(ruleDir)) if (d.endsWith('.workspace')) dirs.push(path.relative(ROOT, path.join(ruleDir, d)));
    }
    assert.ok(dirs.length >= 10, `found ${dirs.length} workspaces`);
    // run from the repository root, every fixture is under test/: a test file by default, with no
    // blocking or CPU-loop findings. {"testFiles": []} keeps them analysed as the fixtures mean
    const config = path.join(folder({ 'loopguard.json': JSON.stringify({ testFiles: [] }) }), 'loopguard.json');
    // one run over all of them (a worker per run costs a second under tsx): each folder is a root of the model
    const report = await assertSameOutput(ROOT, 2, [...dirs, '--config', config]);
    assert.ok(report.findings.some((f) => f.rule === 'blocking-call-in-async'), 'blocking findings in the fixtures');
    assert.ok(new Set(report.findings.map((f) => f.file.split('/').slice(0, 4).join('/'))).size >= 10, 'most workspaces have findings');
    // a worker holding one whole workspace: its chain fixes depend on files only the main thread knows
    const chain = dirs.find((d) => d.endsWith('chain-async-ts.workspace'));
    assert.ok(chain);
    await assertSameOutput(path.join(ROOT, chain), 2, ['.']);
  });

  it('finds a blocking helper of one file in callers that other threads analysed', async () => {
    const dir = folder(generatedProject());
    const report = await assertSameOutput(dir, 3, ['.']);
    const callers = report.findings.filter((f) => f.file.startsWith('src/callers/') && f.rule === 'blocking-call-in-async');
    assert.equal(callers.length, 60);
    assert.equal(report.findings.filter((f) => f.file.startsWith('py/app') && f.rule === 'blocking-call-in-async').length, 10);
  });

  it('applies the same fixes with --fix', async () => {
    const files = generatedProject();
    files['src/direct.ts'] = `import * as fs from 'node:fs';\n\nexport async function direct(p: string) {\n  return fs.readFileSync(p, 'utf8');\n}\n`;
    const one = folder(files);
    const many = folder(files);
    const a = await run(one, 'check', '--fix', '--format', 'json', '--jobs', '1');
    const b = await run(many, 'check', '--fix', '--format', 'json', '--jobs', '2');
    assert.equal(b.code, a.code);
    assert.equal(stableJson(b.out), stableJson(a.out));
    const fixed = fs.readFileSync(path.join(one, 'src/direct.ts'), 'utf8');
    assert.match(fixed, /await fs\.promises\.readFile\(/);
    for (const name of Object.keys(files)) assert.equal(fs.readFileSync(path.join(many, name), 'utf8'), fs.readFileSync(path.join(one, name), 'utf8'), name);
  });

  it('reports a file the worker throws on as an internal error and goes on', async () => {
    process.env.LOOPGUARD_CLI_FAULT_INJECT = 'bad.ts';
    try {
      const dir = folder({
        'a.ts': `import * as fs from 'node:fs';\n\nexport async function a(p: string) {\n  return fs.readFileSync(p, 'utf8');\n}\n`,
        'bad.ts': `export const x = 1;\n`,
      });
      const res = await run(dir, 'check', '--format', 'sarif', '--jobs', '2');
      assert.equal(res.code, 1, res.err);
      assert.match(res.err, /a rule failed on some files/);
      const sarif = JSON.parse(res.out) as {
        runs: Array<{ results: Array<{ ruleId: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }>; invocations: Array<{ executionSuccessful: boolean; toolExecutionNotifications: Array<{ message: { text: string }; locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }> }> }>;
      };
      const [runReport] = sarif.runs;
      assert.deepEqual(
        runReport.results.map((r) => [r.ruleId, r.locations[0].physicalLocation.artifactLocation.uri]),
        [['blocking-call-in-async', 'a.ts']],
      );
      const notes = runReport.invocations[0].toolExecutionNotifications;
      assert.equal(notes.length, 1);
      assert.equal(notes[0].locations[0].physicalLocation.artifactLocation.uri, 'bad.ts');
      assert.match(notes[0].message.text, /^internal error in rule loopguard .*fault injected on bad\.ts/);
      assert.equal(runReport.invocations[0].executionSuccessful, false);
    } finally {
      delete process.env.LOOPGUARD_CLI_FAULT_INJECT;
    }
  });

  it('replaces a worker that dies on a file: that file is an internal error, the others are analysed', async () => {
    process.env.LOOPGUARD_CLI_FAULT_INJECT = 'exit:bad.ts';
    try {
      const dir = folder({
        'a.ts': `import * as fs from 'node:fs';\n\nexport async function a(p: string) {\n  return fs.readFileSync(p, 'utf8');\n}\n`,
        'bad.ts': `export const x = 1;\n`,
        'c.ts': `import * as fs from 'node:fs';\n\nexport async function c(p: string) {\n  return fs.readFileSync(p, 'utf8');\n}\n`,
        'd.py': `import time\n\n\nasync def d():\n    time.sleep(1)\n`,
      });
      const res = await run(dir, 'check', '--jobs', '2');
      assert.equal(res.code, 1, res.err);
      const lines = res.out.split('\n');
      assert.ok(lines.some((l) => /^bad\.ts: internal error in rule loopguard .*the analysis worker stopped: exit code 70/.test(l)), res.out);
      for (const file of ['a.ts', 'c.ts', 'd.py']) assert.ok(lines.some((l) => l.startsWith(`${file}:`) && l.includes('blocking-call-in-async')), `${file} analysed:\n${res.out}`);
    } finally {
      delete process.env.LOOPGUARD_CLI_FAULT_INJECT;
    }
  });

  it('defaults to one thread below four cores, then one per core up to eight', () => {
    assert.deepEqual([1, 2, 3, 4, 6, 8, 64].map((cores) => defaultJobs(cores)), [1, 1, 1, 4, 6, 8, 8]);
  });

  it('rejects a --jobs that is not a whole number of 1 or more', async () => {
    for (const bad of ['0', 'two', '1.5']) {
      const res = await run(ROOT, 'check', 'examples', '--jobs', bad);
      assert.equal(res.code, 2, bad);
      assert.match(res.err, /--jobs expects a whole number of 1 or more/);
    }
  });
});
