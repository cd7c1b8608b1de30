// The CLI and generated, minified and oversized files: skipped by default with a `skipped:` line per
// file and one summary line; analysed with `"skipGenerated": false` in a project file; the JSON
// report keeps its shape (a skipped file has no findings).

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../server/src/cli/main';
import type { JsonReport } from '../../server/src/cli/formats/json';
import { minified, tsFunctions } from '../harness/hostile';

function workspace(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-cli-hostile-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

async function run(cwd: string, ...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runCli(argv, { stdout: (s) => (out += s), stderr: () => undefined, cwd, isTTY: false });
  return { code, out };
}

const HAND_WRITTEN = tsFunctions(1);
const FILES = {
  'src/app.ts': HAND_WRITTEN,
  'dist/vendor.js': minified(5_000),
  'src/app.min.js': HAND_WRITTEN.replace(/: string|: Promise<number>/g, ''),
  'src/gen.ts': '/* @generated */\n' + HAND_WRITTEN,
};

describe('loopguard check and generated files', () => {
  it('skips them with a line each and a summary line', async () => {
    const dir = workspace(FILES);
    const { code, out } = await run(dir, 'check', 'src', 'dist/vendor.js');
    assert.equal(code, 1);
    const lines = out.trimEnd().split('\n');
    assert.deepEqual(
      lines.filter((l) => l.includes(': skipped: ')).map((l) => l.slice(0, l.indexOf(': skipped: '))).sort(),
      ['dist/vendor.js', 'src/app.min.js', 'src/gen.ts'],
    );
    assert.ok(lines.includes('skipped: 3 files not analysed (3 generated or minified)'), out);
    assert.match(lines.filter((l) => /^src\/app\.ts:\d+:\d+:/.test(l)).join('\n'), /^src\/app\.ts:4:\d+: warning blocking-call-in-async /);
  });

  it('analyses them with "skipGenerated": false in the project file, and says nothing about skipping', async () => {
    const dir = workspace({ ...FILES, 'loopguard.json': JSON.stringify({ skipGenerated: false }) });
    const { out } = await run(dir, 'check', 'src', 'dist/vendor.js');
    assert.doesNotMatch(out, /skipped/);
    for (const f of ['src/app.ts', 'src/app.min.js', 'src/gen.ts', 'dist/vendor.js']) assert.match(out, new RegExp(`^${f.replace(/\./g, '\\.')}:\\d+:\\d+: warning blocking-call-in-async`, 'm'), f);
  });

  it('keeps the JSON shape: skipped files count as files without findings', async () => {
    const dir = workspace(FILES);
    const report = JSON.parse((await run(dir, 'check', 'src', 'dist/vendor.js', '--format', 'json')).out) as JsonReport;
    assert.deepEqual(Object.keys(report.summary).sort(), ['durationMs', 'files', 'findings']);
    assert.equal(report.summary.files, 4);
    assert.deepEqual([...new Set(report.findings.map((f) => f.file))], ['src/app.ts']);
  });
});
