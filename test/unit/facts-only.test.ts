// The project model's facts from a facts-only parse (Engine.facts, ParseOptions.factsOnly: the front
// ends skip the passes only other rules read) must be exactly the facts of a full parse (what
// Engine.analyse hands onFacts). Compared on every fixture file, on a sample of the installed npm
// packages' sources and of the CPython standard library, each also cut in half (a file being typed:
// syntax errors), and on a notebook's cells. The samples are spread over the sorted file lists and
// bounded in size so the suite stays around a second.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { defaultAnalysisConfig } from '../../server/src/engine/config';
import { Engine, type SourceInput } from '../../server/src/engine/engine';
import type { FileFacts } from '../../server/src/engine/workspace/facts';
import { SUPPORTED_EXTENSIONS } from '../../server/src/frontends';
import { walk } from '../bench/walk';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures');
/** how many files of each real corpus, and the largest taken */
const SAMPLE = 40;
const MAX_BYTES = 25_000;

let engine: Engine;
const config = defaultAnalysisConfig();

function fullFacts(input: SourceInput): FileFacts | undefined {
  let facts: FileFacts | undefined;
  engine.analyse(input, config, [], undefined, (f) => (facts = f));
  return facts;
}

/** Every difference, as file names (an assertion per file would stop at the first). */
function compare(inputs: readonly SourceInput[]): { differ: string[]; functions: number; edges: number; evidence: number } {
  const differ: string[] = [];
  let functions = 0;
  let edges = 0;
  let evidence = 0;
  for (const input of inputs) {
    const full = fullFacts(input);
    const only = engine.facts(input, config);
    try {
      assert.deepStrictEqual(only, full);
    } catch {
      differ.push(input.fileName);
    }
    for (const fn of full?.functions ?? []) {
      functions++;
      edges += fn.edges.length;
      if (fn.blocks || fn.heavy) evidence++;
    }
  }
  return { differ, functions, edges, evidence };
}

/** `count` files spread evenly over `files` (sorted), at most MAX_BYTES each; plus each one cut in half. */
function sample(files: readonly string[], count: number): SourceInput[] {
  const small = files.filter((f) => fs.statSync(f).size <= MAX_BYTES);
  const step = Math.max(1, Math.floor(small.length / count));
  const out: SourceInput[] = [];
  for (let i = 0; i < small.length && out.length < 2 * count; i += step) {
    const text = fs.readFileSync(small[i], 'utf8');
    out.push({ fileName: small[i], text }, { fileName: small[i], text: text.slice(0, text.length >> 1) });
  }
  return out;
}

describe('facts-only parse', () => {
  before(async () => {
    engine = await Engine.create();
  });

  it('gives the facts of a full parse for every fixture file', () => {
    const files: string[] = [];
    walk(FIXTURES, (f) => SUPPORTED_EXTENSIONS.includes(path.extname(f)), files, () => false);
    const inputs = files.map((fileName) => ({ fileName, text: fs.readFileSync(fileName, 'utf8') }));
    const r = compare(inputs);
    assert.deepEqual(r.differ, []);
    // the comparison saw real facts, not empty ones
    assert.ok(files.length > 200 && r.functions > 500 && r.edges > 200 && r.evidence > 100, JSON.stringify({ files: files.length, ...r }));
  });

  it('gives the facts of a full parse for installed npm packages’ sources, whole and cut in half', () => {
    const files: string[] = [];
    const skip = (d: string) => d === 'typescript' || d === '.bin' || d === 'test' || d === 'tests';
    walk(path.join(ROOT, 'node_modules'), (f) => /\.(c|m)?(j|t)sx?$/.test(f) && !f.endsWith('.d.ts') && !/\.min\./.test(f), files, skip);
    const r = compare(sample(files, SAMPLE));
    assert.deepEqual(r.differ, []);
    assert.ok(r.functions > 300 && r.edges > 150, JSON.stringify(r));
  });

  it('gives the facts of a full parse for the CPython standard library, whole and cut in half', (t) => {
    let stdlib: string;
    try {
      stdlib = execFileSync('python3', ['-c', 'import sysconfig;print(sysconfig.get_paths()["stdlib"])'], { encoding: 'utf8' }).trim();
    } catch {
      t.skip('python3 not found');
      return;
    }
    const files: string[] = [];
    walk(stdlib, (f) => f.endsWith('.py'), files, (d) => ['site-packages', '__pycache__', 'idle_test'].includes(d));
    const r = compare(sample(files, SAMPLE));
    assert.deepEqual(r.differ, []);
    assert.ok(r.functions > 300 && r.edges > 300 && r.evidence > 5, JSON.stringify(r));
  });

  it('gives the facts of a full parse for a notebook’s cells', () => {
    const cells = ['import time\nimport asyncio\n', 'def helper():\n    time.sleep(1)\n', 'await asyncio.sleep(0)\nhelper()\n', 'async def main():\n    helper()\n'];
    let text = '';
    const spans = cells.map((c) => {
      const start = text.length;
      text += c;
      return { start, end: text.length };
    });
    const input: SourceInput = { fileName: 'nb.ipynb', languageId: 'python', text, notebookCells: spans };
    const only = engine.facts(input, config);
    assert.deepStrictEqual(only, fullFacts(input));
    assert.equal(only?.functions.find((f) => f.name === 'helper')?.blocks?.label, 'time.sleep');
  });
});
