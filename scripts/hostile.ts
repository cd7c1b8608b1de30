// Times the engine on hostile inputs generated on the spot (nothing large is committed): a 10 MB
// file, a 200,000-line file, a single 1 MB line, a minified bundle, thousands of async functions.
// Prints per input: characters, whether generated-file detection skips it (and why), the time and
// heap growth of one full analysis with detection off and no size limit; then, for the inputs marked
// inWorkspace, the same analysis inside a project model holding the file (the CLI's and the server's
// path, where fixes that follow calls are built too: a minified line with hundreds of such findings);
// then, over the protocol (the built server), how long a small document waits for its diagnostics when
// it is opened right after a large one. `npm run hostile [names…]` (no assertions: figures only;
// `--no-lsp` skips the last part, `--no-workspace` the second).

import { performance } from 'node:perf_hooks';
import { Engine } from '../server/src/engine/engine';
import { DEFAULT_SETTINGS, toAnalysisConfig } from '../server/src/engine/config';
import { hostileInputs } from '../test/harness/hostile';
import { generatedReason } from '../server/src/engine/generated';
import { ensureBuilt, LspTestClient } from '../test/harness/lsp-client';
import { diskHost, Workspace } from '../server/src/engine/workspace/workspace';
import { tsFunctions } from '../test/harness/hostile';

const SMALL = "import * as fs from 'node:fs';\nexport async function f(p: string) {\n  return fs.readFileSync(p);\n}\n";

/** Opens a large document then a small one; returns ms until each one's diagnostics. */
async function largeThenSmall(client: LspTestClient, n: number, functions: number): Promise<{ small: number; large: number }> {
  const large = `file:///hostile/large-${n}.ts`;
  const small = `file:///hostile/small-${n}.ts`;
  const mark = client.diagnostics.mark();
  const t0 = performance.now();
  const times = { small: 0, large: 0 };
  const largeDone = client.diagnosticsFor(large, 1, mark).then(() => (times.large = performance.now() - t0));
  const smallDone = client.diagnosticsFor(small, 1, mark).then(() => (times.small = performance.now() - t0));
  await client.open(large, 'typescript', tsFunctions(functions));
  await client.open(small, 'typescript', SMALL);
  await Promise.all([largeDone, smallDone]);
  await client.close(large);
  await client.close(small);
  return times;
}

async function main(): Promise<void> {
  const engine = await Engine.create();
  const big = toAnalysisConfig({ ...DEFAULT_SETTINGS, maxFileSize: 50_000_000, skipGenerated: false }).config;
  const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  console.log('input                         chars       lines   detection                                 analyse ms  parse ms  heap +MB  findings');
  for (const h of hostileInputs()) {
    if (only.length && !only.includes(h.name)) continue;
    const text = h.text();
    const t0 = performance.now();
    const reason = generatedReason(h.fileName, text);
    const detectMs = performance.now() - t0;
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const t1 = performance.now();
    const r = engine.analyse({ fileName: h.fileName, text }, big);
    const ms = performance.now() - t1;
    const heap = (process.memoryUsage().heapUsed - heap0) / 1e6;
    const lines = r.lines.lineCount;
    const det = `${reason ?? 'analysed'} (${detectMs.toFixed(1)} ms)`;
    console.log(
      `${h.name.padEnd(28)} ${String(text.length).padStart(9)} ${String(lines).padStart(9)}   ${det.slice(0, 40).padEnd(40)} ${ms.toFixed(0).padStart(10)} ${r.timings.parseMs.toFixed(0).padStart(9)} ${heap.toFixed(0).padStart(9)} ${String(r.findings.length).padStart(9)}`,
    );
  }
  if (!process.argv.includes('--no-workspace')) {
    console.log('\nin a project model (a Workspace holding only the file, as `loopguard check` and the server analyse it)');
    console.log('input                         chars     scan ms  analyse ms  findings  with fixes');
    // a folder that does not exist: the host serves the one file from its overlay and finds nothing else
    const root = '/loopguard-hostile-workspace';
    for (const h of hostileInputs()) {
      if (!h.inWorkspace || (only.length && !only.includes(h.name))) continue;
      const text = h.text();
      const fileName = `${root}/${h.fileName}`;
      const ws = new Workspace({ host: diskHost(new Map([[fileName, text]])), roots: [root], engine, configFor: () => big });
      const t0 = performance.now();
      await ws.scan([fileName]);
      const scanMs = performance.now() - t0;
      const t1 = performance.now();
      const r = engine.analyse({ fileName, text }, big, undefined, ws);
      const ms = performance.now() - t1;
      const fixed = r.findings.filter((f) => f.fixes.length > 0).length;
      console.log(`${h.name.padEnd(28)} ${String(text.length).padStart(9)} ${scanMs.toFixed(0).padStart(11)} ${ms.toFixed(0).padStart(11)} ${String(r.findings.length).padStart(9)} ${String(fixed).padStart(11)}`);
    }
  }
  if (process.argv.includes('--no-lsp')) return;
  ensureBuilt();
  const client = await LspTestClient.start({ settings: {} });
  console.log('\nlanguage server: a large TypeScript document opened, then a small one (ms until diagnostics)');
  console.log('large doc chars   small doc   large doc');
  let n = 0;
  for (const functions of [1_000, 5_000, 20_000]) {
    const { small, large } = await largeThenSmall(client, ++n, functions);
    console.log(`${String(tsFunctions(functions).length).padStart(15)} ${small.toFixed(0).padStart(11)} ${large.toFixed(0).padStart(11)}`);
  }
  await client.shutdown();
}

void main();
