// Soak test of the language server's memory (`npm run soak`; figures only, no assertions): the built
// server over stdio, started with --expose-gc, one TypeScript and one Python document of a few hundred
// lines with findings of every rule (fixture files of each rule, joined), saved in a temporary folder
// opened as the workspace folder (so every edit also updates the project model), then N edit cycles (default
// 10,000), alternating between the documents. A cycle is one edit — a line typed somewhere (a
// statement, sometimes a blocking call, so findings change) or that line deleted again — and the wait
// for the diagnostics published for exactly the new version; every 25th cycle also asks for the quick
// fixes of a diagnostic, every 250th for fix-all. Every N/100 cycles it samples the server process: RSS
// from /proc/<pid>/status (VmRSS), and the V8 heap and external memory (WebAssembly memories among it)
// after a forced full GC (loopguard/serverInfo with collectGarbage). Prints the samples, then the
// growth from the first 1,000 cycles to the last 1,000 (means and maxima of the samples in each).
// Usage: npm run soak [-- --cycles N]

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { CodeActionRequest, DidChangeWorkspaceFoldersNotification, type Diagnostic } from 'vscode-languageserver-protocol/node';
import { FIX_ALL_KIND, ServerInfoRequest } from '../server/src/lsp/protocol';
import { ensureBuilt, FULL_CAPABILITIES, LspTestClient, ROOT } from '../test/harness/lsp-client';

const FIXTURES = path.join(ROOT, 'test', 'fixtures');

interface SoakDocument {
  uri: string;
  languageId: string;
  /** the statement typed on a cycle: `i` varies it, `blocking` makes it a finding inside async code */
  statement(i: number, blocking: boolean): string;
  /** the line typed by the last cycle on this document, to delete on the next one */
  inserted: number | undefined;
  /** the diagnostics of the version last published */
  diagnostics: Diagnostic[];
}

function joinFixtures(files: readonly string[]): string {
  return files.map((f) => fs.readFileSync(path.join(FIXTURES, f), 'utf8').replace(/\s+$/, '') + '\n').join('\n');
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function vmRssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const cycles = Number(argValue('--cycles') ?? 10_000);
  if (!Number.isInteger(cycles) || cycles < 2) throw new Error('--cycles takes an integer of 2 or more');
  const every = Math.max(1, Math.floor(cycles / 100));
  ensureBuilt();
  // debounce 0: a cycle times the analysis, not the quiet time after keystrokes
  const client = await LspTestClient.start({
    settings: {},
    nodeArgs: ['--expose-gc'],
    initializationOptions: { debounceMs: 0 },
    capabilities: { ...FULL_CAPABILITIES, workspace: { ...FULL_CAPABILITIES.workspace, workspaceFolders: true } },
  });
  const pid = client.child.pid;
  if (pid === undefined) throw new Error('the server did not start');
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-soak-'));

  const ts = joinFixtures([
    'blocking-call-in-async/contexts.ts',
    'race-across-await/check.ts',
    'cpu-loop-on-event-loop/heuristics.ts',
    'unsynchronized-shared-state/node-shared.ts',
  ]);
  const py = joinFixtures([
    'blocking-call-in-async/contexts.py',
    'race-across-await/check.py',
    'cpu-loop-on-event-loop/heuristics.py',
    'unsynchronized-shared-state/globals.py',
    'cpu-bound-work-in-thread-pool/handovers.py',
  ]);
  fs.writeFileSync(path.join(folder, 'service.ts'), ts);
  fs.writeFileSync(path.join(folder, 'service.py'), py);
  await client.connection.sendNotification(DidChangeWorkspaceFoldersNotification.type, {
    event: { added: [{ uri: pathToFileURL(folder).href, name: 'soak' }], removed: [] },
  });
  const docs: SoakDocument[] = [
    {
      uri: pathToFileURL(path.join(folder, 'service.ts')).href,
      languageId: 'typescript',
      statement: (i, blocking) => (blocking ? `fs.readFileSync('soak-${i}.json');` : `void ${i};`),
      inserted: undefined,
      diagnostics: [],
    },
    {
      uri: pathToFileURL(path.join(folder, 'service.py')).href,
      languageId: 'python',
      statement: (i, blocking) => (blocking ? `time.sleep(${i % 7})` : `_soak = ${i}`),
      inserted: undefined,
      diagnostics: [],
    },
  ];
  for (const [doc, text] of [
    [docs[0], ts],
    [docs[1], py],
  ] as const) {
    const mark = client.diagnostics.mark();
    await client.open(doc.uri, doc.languageId, text);
    doc.diagnostics = (await client.diagnosticsFor(doc.uri, 1, mark)).diagnostics;
    const rules = [...new Set(doc.diagnostics.map((d) => String(d.code)))].sort();
    console.log(`${path.basename(doc.uri)}: ${text.split('\n').length} lines, ${doc.diagnostics.length} findings (${rules.join(', ')})`);
  }

  interface Sample {
    cycle: number;
    seconds: number;
    rss: number;
    heap: number;
    external: number;
  }
  const samples: Sample[] = [];
  const t0 = performance.now();
  const sample = async (cycle: number): Promise<void> => {
    const info = await client.connection.sendRequest(ServerInfoRequest.type, { collectGarbage: true });
    if (!info?.collectedGarbage) throw new Error('the server could not collect garbage (started without --expose-gc?)');
    const s = { cycle, seconds: (performance.now() - t0) / 1000, rss: vmRssBytes(pid), heap: info.heapUsedBytes, external: info.externalBytes };
    samples.push(s);
    console.log(`${String(cycle).padStart(7)} ${s.seconds.toFixed(1).padStart(9)} ${mb(s.rss).padStart(9)} ${mb(s.heap).padStart(14)} ${mb(s.external).padStart(13)}`);
  };

  console.log(`\n${cycles} edit cycles; samples every ${every} cycles (RSS: /proc/${pid}/status VmRSS; heap and external: V8's heapUsed and external after a forced full GC)`);
  console.log('  cycle  elapsed s    RSS MB  heap (GC) MB  external MB');
  await sample(0);
  const latencies: number[] = [];
  let quickFixes = 0;
  let fixAlls = 0;
  for (let i = 1; i <= cycles; i++) {
    const doc = docs[i % docs.length];
    const lines = client.text(doc.uri).split('\n');
    let change: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string };
    if (doc.inserted !== undefined) {
      change = { range: { start: { line: doc.inserted, character: 0 }, end: { line: doc.inserted + 1, character: 0 } }, text: '' };
      doc.inserted = undefined;
    } else {
      // a line typed before line `at`, indented like it: inside whatever block that line is in
      const at = (i * 7919) % (lines.length - 1);
      const indent = /^\s*/.exec(lines[at])?.[0] ?? '';
      change = { range: { start: { line: at, character: 0 }, end: { line: at, character: 0 } }, text: `${indent}${doc.statement(i, i % 3 === 0)}\n` };
      doc.inserted = at;
    }
    const mark = client.diagnostics.mark();
    const sent = performance.now();
    const version = await client.change(doc.uri, [change]);
    doc.diagnostics = (await client.diagnosticsFor(doc.uri, version, mark)).diagnostics;
    latencies.push(performance.now() - sent);
    if (i % 25 === 0 && doc.diagnostics.length > 0) {
      const d = doc.diagnostics[i % doc.diagnostics.length];
      await client.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri: doc.uri }, range: d.range, context: { diagnostics: [d] } });
      quickFixes++;
    }
    if (i % 250 === 0) {
      await client.connection.sendRequest(CodeActionRequest.type, {
        textDocument: { uri: doc.uri },
        range: { start: { line: 0, character: 0 }, end: { line: lines.length, character: 0 } },
        context: { diagnostics: [], only: [FIX_ALL_KIND] },
      });
      fixAlls++;
    }
    if (i % every === 0 || i === cycles) await sample(i);
  }
  const failures = client.logs.items.filter((l) => / failed/.test(l.message));
  await client.stop();
  fs.rmSync(folder, { recursive: true, force: true });

  const window = Math.min(1000, Math.max(1, Math.floor(cycles / 10)));
  const first = samples.filter((s) => s.cycle > 0 && s.cycle <= window);
  const last = samples.filter((s) => s.cycle > cycles - window);
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(`\n${cycles} cycles in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${quickFixes} quick-fix and ${fixAlls} fix-all requests`);
  console.log(`change → diagnostics: p50 ${percentile(sorted, 50).toFixed(1)} ms, p95 ${percentile(sorted, 95).toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`);
  const signed = (x: number): string => `${x >= 0 ? '+' : ''}${mb(x)}`;
  for (const [name, key] of [
    ['heap after GC', 'heap'],
    ['external after GC', 'external'],
    ['RSS', 'rss'],
  ] as const) {
    const [a, b] = [mean(first.map((s) => s[key])), mean(last.map((s) => s[key]))];
    const [maxA, maxB] = [Math.max(...first.map((s) => s[key])), Math.max(...last.map((s) => s[key]))];
    console.log(
      `${name}: cycles 1–${window} mean ${mb(a)} MB (max ${mb(maxA)}), last ${window} mean ${mb(b)} MB (max ${mb(maxB)}): ` +
        `${signed(b - a)} MB (${(((b - a) / a) * 100).toFixed(1)}%) in the mean, ${signed(maxB - maxA)} MB in the max; ` +
        `all samples ${mb(Math.min(...samples.map((s) => s[key])))}–${mb(Math.max(...samples.map((s) => s[key])))} MB`,
    );
  }
  console.log(`server log lines saying "failed": ${failures.length}${failures.length ? `\n  ${failures[0].message.split('\n')[0]}` : ''}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
