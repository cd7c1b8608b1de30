// The CLI as CI uses it: exit codes, the --format json shape, SARIF, --fix in place, folder walking,
// and clear usage errors. Runs runCli in-process on temporary folders; one test also runs the built
// bin/loopguard.js as a real process.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../server/src/cli/main';
import type { JsonReport } from '../../server/src/cli/formats/json';

const ROOT = path.join(__dirname, '..', '..');

const TS = `import fs from 'node:fs';

export async function load(p: string) {
  return fs.readFileSync(p, 'utf8');
}
`;
const PY = `import time


async def main():
    time.sleep(1)
`;

function workspace(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-cli-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

async function run(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s), cwd, isTTY: false });
  return { code, out, err };
}

describe('loopguard check', () => {
  it('prints the version 1 JSON shape with 1-based UTF-16 positions and exits 1 on findings', async () => {
    const dir = workspace({ 'src/a.ts': TS, 'app.py': PY });
    const { code, out } = await run(dir, 'check', '.', '--format', 'json');
    assert.equal(code, 1);
    const report = JSON.parse(out) as JsonReport;
    assert.equal(report.version, 1);
    assert.deepEqual(Object.keys(report), ['version', 'findings', 'summary']);
    assert.deepEqual(Object.keys(report.summary), ['files', 'findings', 'durationMs']);
    assert.equal(report.summary.files, 2);
    assert.equal(report.summary.findings, 2);
    const [py, ts] = report.findings;
    assert.deepEqual(
      { file: py.file, rule: py.rule, severity: py.severity, line: py.line, column: py.column, endLine: py.endLine, endColumn: py.endColumn },
      { file: 'app.py', rule: 'blocking-call-in-async', severity: 'warning', line: 5, column: 5, endLine: 5, endColumn: 15 },
    );
    assert.deepEqual(
      { file: ts.file, line: ts.line, column: ts.column, endColumn: ts.endColumn },
      { file: 'src/a.ts', line: 4, column: 10, endColumn: 25 },
    );
    assert.deepEqual(Object.keys(ts), ['file', 'rule', 'severity', 'message', 'line', 'column', 'endLine', 'endColumn', 'fixes']);
    assert.equal(ts.fixes[0].safe, true);
    assert.equal(py.fixes[0].safe, true);
  });

  it('exits 0 with no findings and says so', async () => {
    const dir = workspace({ 'ok.py': 'import asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n' });
    const { code, out } = await run(dir, 'check');
    assert.equal(code, 0);
    assert.match(out, /No problems found in 1 file\./);
  });

  it('prints file:line:col in text format', async () => {
    const dir = workspace({ 'app.py': PY });
    const { code, out } = await run(dir, 'check', 'app.py');
    assert.equal(code, 1);
    assert.match(out, /^app\.py:5:5: warning blocking-call-in-async .*\[fixable\]$/m);
    assert.match(out, /Found 1 problem in 1 file \(1 fixable with --fix\)\./);
  });

  it('--fix rewrites the files with the safe fixes and reports nothing left', async () => {
    const dir = workspace({ 'src/a.ts': TS, 'app.py': PY });
    const { code } = await run(dir, 'check', '--fix');
    assert.equal(code, 0);
    assert.equal(fs.readFileSync(path.join(dir, 'src/a.ts'), 'utf8'), TS.replace("fs.readFileSync(p, 'utf8')", "await fs.promises.readFile(p, 'utf8')"));
    const fixedPy = fs.readFileSync(path.join(dir, 'app.py'), 'utf8');
    assert.match(fixedPy, /^import asyncio$/m);
    assert.match(fixedPy, /^ {4}await asyncio\.sleep\(1\)$/m);
  });

  it('--rule sets severities and switches rules off', async () => {
    const dir = workspace({ 'app.py': PY });
    const asError = JSON.parse((await run(dir, 'check', '--format', 'json', '--rule', 'blocking-call-in-async=error')).out) as JsonReport;
    assert.equal(asError.findings[0].severity, 'error');
    const off = await run(dir, 'check', '--rule', 'blocking-call-in-async=off');
    assert.equal(off.code, 0);
  });

  it('skips node_modules, .git and virtual environments when walking', async () => {
    const dir = workspace({
      'node_modules/dep/index.ts': TS,
      '.git/hooks/x.py': PY,
      'env/pyvenv.cfg': 'home = /usr/bin\n',
      'env/lib/site.py': PY,
      '.venv/lib/a.py': PY,
      'src/app.py': PY,
    });
    const report = JSON.parse((await run(dir, 'check', '--format', 'json')).out) as JsonReport;
    assert.deepEqual(report.findings.map((f) => f.file), ['src/app.py']);
  });

  it('prints SARIF 2.1.0 with rules, help URIs and fixes', async () => {
    const dir = workspace({ 'app.py': PY });
    const { code, out } = await run(dir, 'check', '--format', 'sarif');
    assert.equal(code, 1);
    const sarif = JSON.parse(out);
    assert.equal(sarif.version, '2.1.0');
    const run0 = sarif.runs[0];
    assert.equal(run0.tool.driver.name, 'loopguard');
    assert.equal(run0.tool.driver.rules[0].id, 'blocking-call-in-async');
    assert.match(run0.tool.driver.rules[0].helpUri, /docs\/rules\/blocking-call-in-async\.md$/);
    const result = run0.results[0];
    assert.equal(result.ruleId, 'blocking-call-in-async');
    assert.deepEqual(result.locations[0].physicalLocation.region, { startLine: 5, startColumn: 5, endLine: 5, endColumn: 15 });
    assert.ok(result.fixes[0].artifactChanges[0].replacements.length > 0);
  });

  it('exits 2 with a clear message on usage errors', async () => {
    const dir = workspace({});
    for (const [argv, pattern] of [
      [['check', '--format', 'xml'], /--format must be text, json or sarif/],
      [['check', 'missing-folder'], /no such file or folder: missing-folder/],
      [['check', '--rule', 'no-such-rule=error'], /unknown rule id "no-such-rule"/],
      [['check', '--rule', 'blocking-call-in-async=loud'], /must be one of error, warning, info, hint, off/],
      [['check', '--bogus'], /Unknown option '--bogus'/],
      [['frobnicate'], /unknown command "frobnicate"/],
    ] as const) {
      const { code, err } = await run(dir, ...argv);
      assert.equal(code, 2, argv.join(' '));
      assert.match(err, pattern);
    }
  });

  it('still analyses a file that does not parse, and says it has syntax errors', async () => {
    const dir = workspace({ 'broken.py': 'import time\n\nasync def main(:\n    time.sleep(1)\n' });
    const { code, err } = await run(dir, 'check');
    assert.ok(code === 0 || code === 1);
    assert.match(err, /broken\.py has syntax errors/);
  });

  it('runs as the installed bin (the bundled CLI)', () => {
    const dir = workspace({ 'app.py': PY });
    const res = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'loopguard.js'), 'check', '--format', 'json'], { cwd: dir, encoding: 'utf8' });
    assert.equal(res.status, 1, res.stderr);
    assert.equal((JSON.parse(res.stdout) as JsonReport).findings[0].rule, 'blocking-call-in-async');
  });
});
