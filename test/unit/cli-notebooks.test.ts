// `loopguard check` on Jupyter notebooks: a folder's `.ipynb` files are analysed (Python code cells
// as one source), reported as `file.ipynb:cell N:line:col` in text and with a `cell` field in JSON,
// and --fix writes the safe fixes back into the cells.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../server/src/cli/main';
import { writeTree } from '../harness/files';

function notebook(cells: Array<['code' | 'markdown', string]>, language = 'python'): string {
  const nb = {
    cells: cells.map(([cell_type, text]) => ({
      cell_type,
      metadata: {},
      source: text.split(/(?<=\n)/),
      ...(cell_type === 'code' ? { execution_count: null, outputs: [] } : {}),
    })),
    metadata: { kernelspec: { display_name: 'Python 3', language, name: 'python3' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  return JSON.stringify(nb, null, 1) + '\n';
}

const CELLS: Array<['code' | 'markdown', string]> = [
  ['code', 'import time\n%pip install requests'],
  ['markdown', '# Notes\ntime.sleep(5)'],
  ['code', '!ls\nawait ready()\ntime.sleep(1)'],
  ['code', 'time.sleep(2)'],
];

async function run(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { cwd, isTTY: false, stdout: (s: string) => void (out += s), stderr: (s: string) => void (err += s) });
  return { code, out, err };
}

const folder = (files: Record<string, string>): string => writeTree('loopguard-nb-', files);

describe('loopguard check: notebooks', () => {
  it('reports a cell with top-level await by cell, line and column; other kernels and cells without await are quiet', async () => {
    const dir = folder({ 'analysis.ipynb': notebook(CELLS), 'r.ipynb': notebook([['code', 'Sys.sleep(1)']], 'R'), 'ok.py': 'x = 1\n' });
    const { code, out } = await run(dir, 'check', '--no-color');
    assert.equal(code, 1);
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 2, out);
    assert.match(lines[0], /^analysis\.ipynb:cell 3:3:1: warning blocking-call-in-async /);
    assert.match(lines[1], /^Found 1 problem in 2 files/);
  });

  it('JSON v1 findings of a notebook carry the cell, with line and column within it', async () => {
    const dir = folder({ 'analysis.ipynb': notebook(CELLS) });
    const report = JSON.parse((await run(dir, 'check', '--format', 'json')).out) as { findings: Array<Record<string, unknown>> };
    assert.deepEqual(
      report.findings.map((f) => [f.file, f.rule, f.cell, f.line, f.column, f.endLine, f.endColumn]),
      [['analysis.ipynb', 'blocking-call-in-async', 3, 3, 1, 3, 11]],
    );
  });

  it('--fix writes the safe fixes into the cells, the import into cell 1', async () => {
    const dir = folder({ 'analysis.ipynb': notebook(CELLS) });
    const { code } = await run(dir, 'check', '--fix');
    assert.equal(code, 0);
    const nb = JSON.parse(fs.readFileSync(path.join(dir, 'analysis.ipynb'), 'utf8')) as { cells: Array<{ source: string[] }> };
    assert.deepEqual(
      nb.cells.map((c) => c.source.join('')),
      ['import time\nimport asyncio\n%pip install requests', '# Notes\ntime.sleep(5)', '!ls\nawait ready()\nawait asyncio.sleep(1)', 'time.sleep(2)'],
    );
  });

  it('a file named .ipynb that is not a notebook is reported on stderr and skipped', async () => {
    const dir = folder({ 'broken.ipynb': '{"nope": 1}' });
    const { code, err } = await run(dir, 'check');
    assert.equal(code, 0);
    assert.match(err, /broken\.ipynb: not analysed: not a Jupyter notebook/);
  });
});
