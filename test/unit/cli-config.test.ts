// The CLI with project files: each file gets its nearest project file, overrides switch rules per
// glob, the flags go on top, --config names one file for all, --isolated ignores them, exclude
// skips files, and a malformed file is reported on stderr (file + pointer) while the run goes on.
// Runs runCli in-process on temporary folders.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../server/src/cli/main';
import type { JsonReport } from '../../server/src/cli/formats/json';

const RULE = 'blocking-call-in-async';
const PY = 'import time\n\nasync def main():\n    time.sleep(1)\n';
const TS = "import fs from 'node:fs';\nexport async function load(p: string) {\n  return fs.readFileSync(p, 'utf8');\n}\n";

function workspace(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-cli-config-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

async function run(cwd: string, argv: string[], stdin?: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    stdout: (s) => (out += s),
    stderr: (s) => (err += s),
    cwd,
    isTTY: false,
    ...(stdin === undefined ? {} : { readStdin: async () => stdin }),
  });
  return { code, out, err };
}

/** `file severity` per finding of the JSON report, sorted. */
async function findings(cwd: string, ...argv: string[]): Promise<{ code: number; list: string[]; err: string }> {
  const { code, out, err } = await run(cwd, ['check', '--format', 'json', ...argv]);
  assert.ok(out.startsWith('{'), `JSON on stdout (exit ${code}): ${err}`);
  const report = JSON.parse(out) as JsonReport;
  return { code, list: report.findings.map((f) => `${f.file} ${f.rule} ${f.severity}`).sort(), err };
}

describe('loopguard check with project files', () => {
  it('each file gets its nearest project file; an override switches the rule off in tests/**', async () => {
    const dir = workspace({
      'loopguard.json': JSON.stringify({
        rules: { [RULE]: 'error' },
        overrides: [{ files: ['tests/**'], rules: { [RULE]: 'off' } }],
      }),
      'src/app.py': PY,
      'tests/test_app.py': PY,
      // testFiles []: what is asserted for web/tests/ is that the root file's override does not reach it
      'web/package.json': JSON.stringify({ name: 'web', loopguard: { rules: { [RULE]: 'info' }, testFiles: [] } }),
      'web/src/load.ts': TS,
      'web/tests/load.ts': TS, // the root file's override does not reach here: web/ has its own file
    });
    const { code, list, err } = await findings(dir);
    assert.equal(err, '');
    assert.deepEqual(list, [`src/app.py ${RULE} error`, `web/src/load.ts ${RULE} info`, `web/tests/load.ts ${RULE} info`]);
    assert.equal(code, 1);
  });

  it('a [tool.loopguard] table in pyproject.toml applies', async () => {
    const dir = workspace({
      'pyproject.toml': `[project]\nname = "x"\n\n[tool.loopguard.rules]\n"${RULE}" = "hint"\n`,
      'pkg/m.py': PY,
    });
    assert.deepEqual((await findings(dir)).list, [`pkg/m.py ${RULE} hint`]);
  });

  it('the flags go on top of the project file', async () => {
    const dir = workspace({ 'loopguard.json': JSON.stringify({ rules: { [RULE]: 'error' } }), 'a.py': PY });
    assert.deepEqual((await findings(dir, '--rule', `${RULE}=info`)).list, [`a.py ${RULE} info`]);
    assert.deepEqual((await findings(dir, '--ignore', RULE)).list, []);
  });

  it('exclude skips files, also when they are named on the command line or on stdin', async () => {
    const dir = workspace({ 'loopguard.json': JSON.stringify({ exclude: ['generated'] }), 'generated/x.py': PY, 'a.py': PY });
    assert.deepEqual((await findings(dir)).list, [`a.py ${RULE} warning`]);
    assert.deepEqual((await findings(dir, 'generated/x.py')).list, []);
    const stdin = await run(dir, ['check', '--stdin-filename', 'generated/y.py', '--fix'], PY);
    assert.equal(stdin.out, PY, 'an excluded file comes back unchanged');
    assert.equal(stdin.code, 0);
  });

  it('--config names one project file for every file, instead of each file\'s nearest', async () => {
    const dir = workspace({
      'loopguard.json': JSON.stringify({ rules: { [RULE]: 'error' } }),
      'ci/strict.json': JSON.stringify({ rules: { [RULE]: 'hint' }, overrides: [{ files: ['legacy/**'], rules: { [RULE]: 'off' } }] }),
      'a.py': PY,
      'ci/legacy/b.py': PY,
    });
    // globs in the named file are relative to its own directory
    assert.deepEqual((await findings(dir, '--config', 'ci/strict.json')).list, [`a.py ${RULE} hint`]);
  });

  it('--config with a pyproject.toml reads its table; without one it is a usage error', async () => {
    const dir = workspace({
      'cfg/pyproject.toml': `[tool.loopguard]\nrules = { "${RULE}" = "info" }\n`,
      'empty/pyproject.toml': '[project]\nname = "x"\n',
      'a.py': PY,
    });
    assert.deepEqual((await findings(dir, '--config', 'cfg/pyproject.toml')).list, [`a.py ${RULE} info`]);
    const bad = await run(dir, ['check', '--config', 'empty/pyproject.toml']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /empty\/pyproject\.toml: \/tool\/loopguard: /);
    assert.equal(bad.out, '');
  });

  it('--isolated ignores project files', async () => {
    const dir = workspace({ 'loopguard.json': JSON.stringify({ rules: { [RULE]: 'off' } }), 'a.py': PY });
    assert.deepEqual((await findings(dir)).list, []);
    assert.deepEqual((await findings(dir, '--isolated')).list, [`a.py ${RULE} warning`]);
    const both = await run(dir, ['check', '--isolated', '--config', 'loopguard.json']);
    assert.equal(both.code, 2);
  });

  it('a malformed project file is reported on stderr with file and pointer, once, and ignored; other files are unaffected', async () => {
    const dir = workspace({
      'bad/loopguard.json': JSON.stringify({ rules: { [RULE]: 'loud' } }),
      'bad/a.py': PY,
      'bad/b.py': PY,
      'good/loopguard.json': JSON.stringify({ rules: { [RULE]: 'error' } }),
      'good/c.py': PY,
    });
    const { code, list, err } = await findings(dir);
    assert.deepEqual(list, [`bad/a.py ${RULE} warning`, `bad/b.py ${RULE} warning`, `good/c.py ${RULE} error`]);
    assert.equal(code, 1, 'the exit code is the findings\' one');
    const lines = err.trim().split('\n');
    assert.equal(lines.length, 2, err);
    assert.ok(lines[0].startsWith(`loopguard: ${path.join(dir, 'bad', 'loopguard.json')}: /rules/${RULE}: `), lines[0]);
    assert.ok(lines[1].startsWith('loopguard: bad/loopguard.json is ignored'), lines[1]);
  });

  it('test files get no blocking finding by default; loopguard.json {"testFiles": []} and an override bring it back', async () => {
    const JS = "const fs = require('node:fs');\nasync function main() {\n  fs.readFileSync('x');\n}\nmodule.exports = { main };\n";
    const dir = workspace({ 'test/a.test.js': JS, 'test/helper.js': JS, 'src/a.js': JS, 'tests/test_b.py': PY });
    assert.deepEqual((await findings(dir)).list, [`src/a.js ${RULE} warning`]);
    // the default globs are relative to the working directory when no project file governs the file:
    // from inside test/, helper.js is not under a test folder (a.test.js still is a test by its name)
    assert.deepEqual((await findings(path.join(dir, 'test'))).list, [`helper.js ${RULE} warning`]);
    // --rule makes the rule an error for application code; test files stay quiet
    assert.deepEqual((await findings(dir, '--rule', `${RULE}=error`)).list, [`src/a.js ${RULE} error`]);
    fs.writeFileSync(path.join(dir, 'loopguard.json'), JSON.stringify({ testFiles: [] }));
    assert.deepEqual((await findings(dir)).list, [`src/a.js ${RULE} warning`, `test/a.test.js ${RULE} warning`, `test/helper.js ${RULE} warning`, `tests/test_b.py ${RULE} warning`]);
    fs.writeFileSync(path.join(dir, 'loopguard.json'), JSON.stringify({ overrides: [{ files: ['tests/**'], rules: { [RULE]: 'hint' } }] }));
    assert.deepEqual((await findings(dir)).list, [`src/a.js ${RULE} warning`, `tests/test_b.py ${RULE} hint`]);
    // --config carries testFiles for every file, relative to its own folder
    fs.rmSync(path.join(dir, 'loopguard.json'));
    fs.mkdirSync(path.join(dir, 'ci'));
    fs.writeFileSync(path.join(dir, 'ci', 'all.json'), JSON.stringify({ testFiles: [] }));
    assert.equal((await findings(dir, '--config', 'ci/all.json')).list.length, 4);
  });

  it('bad JSON in a --config file is exit 2 with line and column, and nothing is analysed', async () => {
    const dir = workspace({ 'lg.json': '{\n  "rules": \n', 'a.py': PY });
    const r = await run(dir, ['check', '--config', 'lg.json']);
    assert.equal(r.code, 2);
    assert.ok(r.err.startsWith(`loopguard: --config: ${path.join(dir, 'lg.json')}:3:1: `), r.err);
    assert.equal(r.out, '');
  });
});
