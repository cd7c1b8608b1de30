// The CLI as CI, hooks and editors use it: exit codes (and --max-warnings), the --format json shape,
// GitHub annotations and JUnit XML (exact output, escaping), --select/--ignore, --stdin-filename,
// --fix in place, folder walking, and clear usage errors. Runs runCli in-process on temporary
// folders; two tests also run the built bin/loopguard.js as a real process. SARIF has its own suite
// (sarif.test.ts).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../server/src/cli/main';
import { escapeData, escapeProperty } from '../../server/src/cli/formats/github';
import type { JsonReport } from '../../server/src/cli/formats/json';
import { escapeXml } from '../../server/src/cli/formats/junit';
import { RULE_IDS } from '../../server/src/rules/registry';

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
  return runWithStdin(cwd, undefined, ...argv);
}

async function runWithStdin(cwd: string, stdin: string | undefined, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
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

async function json(cwd: string, ...argv: string[]): Promise<JsonReport> {
  return JSON.parse((await run(cwd, 'check', '--format', 'json', ...argv)).out) as JsonReport;
}

// a CPU-heavy loop (cpu-loop-on-event-loop) next to a blocking call (blocking-call-in-async)
const TWO_RULES = `import fs from 'node:fs';

export async function both(p: string, n: number) {
  let total = 0;
  for (let i = 0; i < n; i++) {
    total = (total * 33 + i * i) % 1_000_003;
  }
  return fs.readFileSync(p, 'utf8') + total;
}
`;
const CLEAN_PY = 'import asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n';

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
      [['check', '--format', 'xml'], /--format must be one of text, json, sarif, github, junit; got "xml"/],
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

describe('loopguard check --format github', () => {
  it('prints one workflow command per finding, by severity, with 1-based UTF-16 positions', async () => {
    const dir = workspace({ 'app.py': PY, 'src/a.ts': TS });
    const { code, out } = await run(dir, 'check', '--format', 'github', '--rule', 'blocking-call-in-async=error');
    assert.equal(code, 1);
    const [py, ts] = (await json(dir)).findings;
    assert.equal(
      out,
      `::error file=app.py,line=5,col=5,endLine=5,endColumn=15,title=blocking-call-in-async::${py.message}\n` +
        `::error file=src/a.ts,line=4,col=10,endLine=4,endColumn=25,title=blocking-call-in-async::${ts.message}\n`,
    );
    assert.match((await run(dir, 'check', '--format', 'github')).out, /^::warning file=app\.py,line=5,/);
    assert.match((await run(dir, 'check', '--format', 'github', '--rule', 'blocking-call-in-async=info')).out, /^::notice file=app\.py,line=5,/);
    assert.match((await run(dir, 'check', '--format', 'github', '--rule', 'blocking-call-in-async=hint')).out, /^::notice file=app\.py,line=5,/);
  });

  it('escapes %, CR and LF in messages, and also : and , in properties', async () => {
    assert.equal(escapeData('100% done\r\nnext: a, b'), '100%25 done%0D%0Anext: a, b');
    assert.equal(escapeProperty('100% done\r\nnext: a, b'), '100%25 done%0D%0Anext%3A a%2C b');
    const dir = workspace({ 'odd, name: 50%.py': PY });
    const { out } = await run(dir, 'check', '--format', 'github');
    assert.match(out, /^::warning file=odd%2C name%3A 50%25\.py,line=5,col=5,endLine=5,endColumn=15,title=blocking-call-in-async::`time\.sleep` /);
  });

  it('prints nothing when there are no findings', async () => {
    const { code, out } = await run(workspace({ 'ok.py': CLEAN_PY }), 'check', '--format', 'github');
    assert.deepEqual([code, out], [0, '']);
  });
});

describe('loopguard check --format junit', () => {
  it('prints a testsuite per file, a failing testcase per finding and a passing one for a clean file', async () => {
    const dir = workspace({ 'app.py': PY, 'ok.py': CLEAN_PY });
    const { code, out } = await run(dir, 'check', '--format', 'junit');
    assert.equal(code, 1);
    const [py] = (await json(dir)).findings;
    const docs = 'https://github.com/loopguard/loopguard/blob/main/docs/rules/blocking-call-in-async.md';
    assert.equal(
      out.replace(/ time="\d+\.\d{3}"/g, ' time="T"'),
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="loopguard" tests="2" failures="1" errors="0" time="T">',
        '  <testsuite name="app.py" tests="1" failures="1" errors="0" skipped="0" time="T">',
        '    <testcase classname="app" name="blocking-call-in-async at 5:5" file="app.py" line="5" time="0">',
        `      <failure type="warning" message="${py.message}">app.py:5:5: warning blocking-call-in-async ${py.message}`,
        `${docs}</failure>`,
        '    </testcase>',
        '  </testsuite>',
        '  <testsuite name="ok.py" tests="1" failures="0" errors="0" skipped="0" time="T">',
        '    <testcase classname="ok" name="loopguard" file="ok.py" time="T"/>',
        '  </testsuite>',
        '</testsuites>',
        '',
      ].join('\n'),
    );
  });

  it('escapes XML in names, attributes and text', async () => {
    assert.equal(escapeXml(`a&b<c>"d'e\u0001\uD800`), 'a&amp;b&lt;c&gt;&quot;d&apos;e\uFFFD\uFFFD');
    assert.equal(escapeXml('😀 ok'), '😀 ok');
    const dir = workspace({ [`a&b<c>"d'.py`]: PY });
    const { out } = await run(dir, 'check', '--format', 'junit');
    assert.match(out, /^ {2}<testsuite name="a&amp;b&lt;c&gt;&quot;d&apos;\.py" tests="1" failures="1"/m);
    assert.match(out, /^ {4}<testcase classname="a&amp;b&lt;c&gt;&quot;d&apos;" name="blocking-call-in-async at 5:5"/m);
    assert.match(out, /^ {6}<failure type="warning" message="[^"<>]+">a&amp;b&lt;c&gt;&quot;d&apos;\.py:5:5: warning /m);
  });
});

describe('loopguard check --select / --ignore', () => {
  it('runs only the selected rules, comma-separated or repeated', async () => {
    const dir = workspace({ 'a.ts': TWO_RULES });
    const rules = async (...argv: string[]) => (await json(dir, ...argv)).findings.map((f) => f.rule);
    assert.deepEqual(await rules(), ['cpu-loop-on-event-loop', 'blocking-call-in-async']);
    assert.deepEqual(await rules('--select', 'blocking-call-in-async'), ['blocking-call-in-async']);
    assert.deepEqual(await rules('--select', 'blocking-call-in-async,cpu-loop-on-event-loop'), ['cpu-loop-on-event-loop', 'blocking-call-in-async']);
    assert.deepEqual(await rules('--select', 'blocking-call-in-async', '--select', 'cpu-loop-on-event-loop'), ['cpu-loop-on-event-loop', 'blocking-call-in-async']);
    assert.deepEqual(await rules('--ignore', 'blocking-call-in-async'), ['cpu-loop-on-event-loop']);
    assert.deepEqual(await rules('--ignore', 'blocking-call-in-async, cpu-loop-on-event-loop'), []);
    // --ignore wins over --select, and both over --rule
    assert.deepEqual(await rules('--select', 'blocking-call-in-async,cpu-loop-on-event-loop', '--ignore', 'cpu-loop-on-event-loop'), ['blocking-call-in-async']);
    assert.deepEqual(await rules('--select', 'blocking-call-in-async', '--rule', 'cpu-loop-on-event-loop=error'), ['blocking-call-in-async']);
    const { code } = await run(dir, 'check', '--ignore', 'blocking-call-in-async,cpu-loop-on-event-loop');
    assert.equal(code, 0);
  });

  it('names unused-suppression like a rule', async () => {
    const dir = workspace({ 'a.ts': `${TWO_RULES}// loopguard-ignore-next-line race-across-await\nexport const x = 1;\n` });
    const rules = async (...argv: string[]) => (await json(dir, ...argv)).findings.map((f) => f.rule);
    assert.deepEqual(await rules(), ['cpu-loop-on-event-loop', 'blocking-call-in-async', 'unused-suppression']);
    // a directive is judged only when its rule ran
    assert.deepEqual(await rules('--select', 'unused-suppression'), []);
    assert.deepEqual(await rules('--select', 'unused-suppression,race-across-await'), ['unused-suppression']);
    assert.deepEqual(await rules('--ignore', 'unused-suppression'), ['cpu-loop-on-event-loop', 'blocking-call-in-async']);
  });

  it('applies only the selected rules\' fixes with --fix', async () => {
    const dir = workspace({ 'a.ts': TWO_RULES });
    const { code } = await run(dir, 'check', '--fix', '--select', 'blocking-call-in-async');
    assert.equal(code, 0);
    assert.equal(fs.readFileSync(path.join(dir, 'a.ts'), 'utf8'), TWO_RULES.replace("fs.readFileSync(p, 'utf8')", "await fs.promises.readFile(p, 'utf8')"));
  });

  it('exits 2 on an unknown rule id and lists the known ones', async () => {
    const dir = workspace({ 'a.ts': TWO_RULES });
    for (const flag of ['--select', '--ignore']) {
      const { code, out, err } = await run(dir, 'check', flag, 'blocking-call-in-async,no-such-rule');
      assert.equal(code, 2);
      assert.equal(out, '');
      assert.ok(err.startsWith(`loopguard: ${flag}: unknown rule id "no-such-rule" (known: ${[...RULE_IDS, 'unused-suppression'].join(', ')})\n`), err);
      const empty = await run(dir, 'check', flag, ',');
      assert.equal(empty.code, 2);
      assert.match(empty.err, new RegExp(`^loopguard: ${flag} expects rule ids`));
    }
  });
});

describe('loopguard check exit codes and --max-warnings', () => {
  const dir = workspace({ 'app.py': PY, 'b.py': PY.replace('time.sleep(1)', 'time.sleep(2)') });

  it('exits 1 on any finding without --max-warnings, whatever its severity', async () => {
    for (const severity of ['error', 'warning', 'info', 'hint']) {
      assert.equal((await run(dir, 'check', '--rule', `blocking-call-in-async=${severity}`)).code, 1, severity);
    }
  });

  it('fails on errors, or on more warnings than allowed; info and hint never fail', async () => {
    const cases: Array<[string, string, number]> = [
      ['warning', '2', 0],
      ['warning', '1', 1],
      ['warning', '0', 1],
      ['error', '5', 1],
      ['info', '0', 0],
      ['hint', '0', 0],
    ];
    for (const [severity, max, expected] of cases) {
      const { code, err } = await run(dir, 'check', '--rule', `blocking-call-in-async=${severity}`, '--max-warnings', max);
      assert.equal(code, expected, `${severity} with --max-warnings ${max}`);
      assert.equal(/more than --max-warnings/.test(err), severity === 'warning' && expected === 1);
    }
    const { err } = await run(dir, 'check', '--max-warnings', '1');
    assert.match(err, /^loopguard: 2 warnings, more than --max-warnings 1$/m);
    assert.equal((await run(workspace({ 'ok.py': CLEAN_PY }), 'check', '--max-warnings', '0')).code, 0);
  });

  it('exits 2 on a --max-warnings that is not a whole number', async () => {
    for (const v of ['-1', 'many', '1.5', '']) {
      const { code, err } = await run(dir, 'check', `--max-warnings=${v}`);
      assert.equal(code, 2, v);
      assert.match(err, /--max-warnings expects a whole number of 0 or more/);
    }
  });
});

describe('loopguard check --stdin-filename', () => {
  it('analyses stdin as the named file: its language by extension, nothing read from disk', async () => {
    const dir = workspace({});
    const { code, out } = await runWithStdin(dir, PY, 'check', '--stdin-filename', 'src/app.py', '--format', 'json');
    assert.equal(code, 1);
    const report = JSON.parse(out) as JsonReport;
    assert.deepEqual(
      report.findings.map((f) => [f.file, f.rule, f.line, f.column]),
      [['src/app.py', 'blocking-call-in-async', 5, 5]],
    );
    // the same text named as a TypeScript file is not Python
    const asTs = await runWithStdin(dir, PY, 'check', '--stdin-filename', 'src/app.ts', '--format', 'json');
    assert.equal((JSON.parse(asTs.out) as JsonReport).findings.length, 0);
    // a file type Loopguard does not analyse: nothing to report
    const other = await runWithStdin(dir, PY, 'check', '--stdin-filename', 'notes.txt');
    assert.deepEqual([other.code, other.out], [0, 'No problems found in 1 file.\n']);
  });

  it('takes project facts from the named path (ESM or CommonJS worker module)', async () => {
    const dir = workspace({ 'esm/package.json': '{"name": "e", "type": "module"}\n', 'cjs/package.json': '{"name": "c"}\n' });
    const loop = 'export async function checksum(n) {\n  let total = 0;\n  for (let i = 0; i < n; i++) {\n    total = (total * 33 + i * i) % 1_000_003;\n  }\n  return total;\n}\n';
    const titles = async (name: string) =>
      (JSON.parse((await runWithStdin(dir, loop, 'check', '--stdin-filename', name, '--format', 'json')).out) as JsonReport).findings.flatMap((f) =>
        f.fixes.map((x) => x.title),
      );
    assert.ok((await titles('esm/c.js')).some((t) => t.includes('c.worker.mjs')));
    assert.ok((await titles('cjs/c.js')).some((t) => t.includes('c.worker.cjs')));
  });

  it('with --fix prints the fixed source to stdout and the report to stderr, writing no file', async () => {
    const dir = workspace({});
    const { code, out, err } = await runWithStdin(dir, TS, 'check', '--stdin-filename', 'src/a.ts', '--fix');
    assert.equal(code, 0);
    assert.equal(out, TS.replace("fs.readFileSync(p, 'utf8')", "await fs.promises.readFile(p, 'utf8')"));
    assert.equal(err, 'No problems found in 1 file, fixed 1.\n');
    assert.equal(fs.existsSync(path.join(dir, 'src')), false);
    // what --fix leaves (an unsafe-only fix) is reported, in the chosen format, and fails the run
    const left = await runWithStdin(dir, TWO_RULES, 'check', '--stdin-filename', 'a.ts', '--fix', '--format', 'json');
    assert.equal(left.code, 1);
    assert.equal(left.out, TWO_RULES.replace("fs.readFileSync(p, 'utf8')", "await fs.promises.readFile(p, 'utf8')"));
    assert.deepEqual((JSON.parse(left.err) as JsonReport).findings.map((f) => f.rule), ['cpu-loop-on-event-loop']);
    // nothing to fix: the input comes back unchanged
    const clean = await runWithStdin(dir, CLEAN_PY, 'check', '--stdin-filename', 'ok.py', '--fix');
    assert.deepEqual([clean.code, clean.out], [0, CLEAN_PY]);
  });

  it('exits 2 when paths are given too, or no name', async () => {
    const dir = workspace({ 'app.py': PY });
    const withPath = await runWithStdin(dir, PY, 'check', 'app.py', '--stdin-filename', 'x.py');
    assert.equal(withPath.code, 2);
    assert.match(withPath.err, /--stdin-filename reads the source from stdin: give no paths/);
    const dash = await runWithStdin(dir, PY, 'check', '-', '--stdin-filename', 'x.py');
    assert.equal(dash.code, 1);
    const empty = await runWithStdin(dir, PY, 'check', '--stdin-filename', '');
    assert.equal(empty.code, 2);
  });

  it('reads the real standard input of the installed bin', () => {
    const dir = workspace({});
    const res = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'loopguard.js'), 'check', '--stdin-filename', 'app.py', '--fix'], {
      cwd: dir,
      input: PY,
      encoding: 'utf8',
    });
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout, 'import time\nimport asyncio\n\n\nasync def main():\n    await asyncio.sleep(1)\n');
    assert.equal(res.stderr, 'No problems found in 1 file, fixed 1.\n');
  });
});

describe('loopguard --help and the README', () => {
  it('the README\'s Command line section documents every option, format and exit code of --help', async () => {
    const { code, out } = await run(workspace({}), '--help');
    assert.equal(code, 0);
    const flags = [...new Set(out.match(/(?<![\w-])--?[a-z][a-z-]*/g) ?? [])];
    assert.ok(flags.length >= 12, flags.join(' '));
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('\n## Command line\n');
    assert.ok(start >= 0, 'README has a "Command line" section');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    for (const flag of flags) assert.match(section, new RegExp(`(?<![\\w-])${flag}(?![\\w-])`), `README documents ${flag}`);
    for (const format of ['text', 'json', 'sarif', 'github', 'junit']) assert.ok(section.includes(`- \`${format}\`: `), `README describes --format ${format}`);
    for (const exit of ['0', '1', '2']) assert.match(section, new RegExp(`^\\| \`${exit}\` \\| `, 'm'));
  });
});

