// `npm run bench`: how much the analysis costs on top of parsing, on real code available offline —
// the JS/TS sources of the installed npm packages and the local CPython standard library.
// Prints lines/second for parse-only and for the full analysis, and their ratio (target ≤ 1.5×).
// Then the project model (workspace-bench.ts): cold scan of a workspace against parse-only, memory,
// and the time from an edit to updated diagnostics.
// Then the peers (peers.ts): Loopguard's CLI against ESLint (n/no-sync, no-await-in-loop), oxlint and
// Ruff's WASM build (ASYNC rules), and parse-only, on the same copied files, each a separate process:
// lines/s, peak RSS, findings, each peer's time ÷ Loopguard's.
// Then the language server's latency (lsp-latency.ts): didChange → publishDiagnostics, p50/p95, for
// files of ~1k, 5k and 20k lines, the debounce excluded. The peers and the latency make the chart
// (chart.ts, docs/benchmarks-peers.png, written with --write).
// A benchmark, not a test: it prints figures and never fails on them. The whole run takes 4–5 minutes on
// 2 cores shared with other work at load average ~5 (10½ at ~10); the peers are most of it.
//   --write              also record the tables in docs/benchmarks.md (a new dated section on top) and the chart
//   --lines N            corpus size per language (default 250000 lines)
//   --ws-lines N         workspace size per language for the project model (default 120000 lines)
//   --peer-lines N       corpus size per language for the peers (default 100000 lines)
//   --peer-rounds N      measured runs per tool after the warm-up (default 3)
//   --latency-edits N    edits per file for the latency (default 60)
//   --no-workspace, --no-peers, --no-latency    skip that part
//   --only-workspace, --only-peers, --only-latency    run only that part (combinable)

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import ts from 'typescript';
import { Parser } from 'web-tree-sitter';
import { defaultAnalysisConfig } from '../../server/src/engine/config';
import { Engine } from '../../server/src/engine/engine';
import { loadPythonLanguage } from '../../server/src/frontends/python/parser';
import { writeChart } from './chart';
import { runLatency, type LatencyReport } from './lsp-latency';
import { runPeers, type PeerReport } from './peers';
import { buildWorkspaces, measureInChild, workspaceTable, type WorkspaceRow } from './workspace-bench';
import { walk } from './walk';

const ROOT = path.join(__dirname, '..', '..');
const args = process.argv.slice(2);
const LINE_BUDGET = Number(args[args.indexOf('--lines') + 1]) || 250_000;
const WS_LINE_BUDGET = Number(args[args.indexOf('--ws-lines') + 1]) || 120_000;
const numberArg = (flag: string, fallback: number): number => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) || fallback : fallback);
const PEER_LINES = numberArg('--peer-lines', 100_000);
const PEER_ROUNDS = numberArg('--peer-rounds', 3);
const LATENCY_EDITS = numberArg('--latency-edits', 60);
const PARTS = ['workspace', 'peers', 'latency'] as const;
const only = PARTS.filter((p) => args.includes(`--only-${p}`));
/** whether a part runs: with any --only-… flag, the parts named; otherwise all but those --no-… names */
const runs = (part: (typeof PARTS)[number]): boolean => (only.length ? only.includes(part) : !args.includes(`--no-${part}`));
const ROUNDS = 3;

interface Corpus {
  name: string;
  files: Array<{ fileName: string; text: string }>;
  lines: number;
}

function takeCorpus(name: string, candidates: string[]): Corpus {
  const files: Corpus['files'] = [];
  let lines = 0;
  for (const f of candidates) {
    if (lines >= LINE_BUDGET) break;
    const stat = fs.statSync(f);
    if (stat.size > 1_000_000 || stat.size === 0) continue;
    const text = fs.readFileSync(f, 'utf8');
    // minified bundles measure nothing useful per line
    if (text.length / (text.split('\n').length || 1) > 300) continue;
    files.push({ fileName: f, text });
    lines += text.split('\n').length;
  }
  return { name, files, lines };
}

function jsCorpus(): Corpus {
  const found: string[] = [];
  walk(path.join(ROOT, 'node_modules'), (f) => /\.(c|m)?(j|t)s$/.test(f) && !f.endsWith('.d.ts') && !/\.min\./.test(f), found, (d) => d === 'typescript' || d === '.bin' || d === 'test');
  return takeCorpus('JS/TS (node_modules)', found);
}

function pythonCorpus(): Corpus | undefined {
  let stdlib: string;
  try {
    stdlib = execFileSync('python3', ['-c', 'import sysconfig;print(sysconfig.get_paths()["stdlib"])'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
  const found: string[] = [];
  walk(stdlib, (f) => f.endsWith('.py'), found, (d) => ['site-packages', 'test', 'tests', 'idle_test', '__pycache__', 'lib2to3'].includes(d));
  return takeCorpus(`Python (CPython ${path.basename(stdlib)} stdlib)`, found);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => void): number {
  const samples: number[] = [];
  fn(); // warm-up: JIT, WASM compilation
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

function scriptKind(fileName: string): ts.ScriptKind {
  if (/\.tsx$/.test(fileName)) return ts.ScriptKind.TSX;
  if (/\.jsx$/.test(fileName)) return ts.ScriptKind.JSX;
  if (/\.(c|m)?ts$/.test(fileName)) return ts.ScriptKind.TS;
  return ts.ScriptKind.JS;
}

interface Row {
  corpus: string;
  files: number;
  lines: number;
  parseMs: number;
  fullMs: number;
  findings: number;
}

async function main(): Promise<void> {
  const engine = await Engine.create();
  const config = defaultAnalysisConfig();
  const pyParser = new Parser();
  pyParser.setLanguage(await loadPythonLanguage());

  const rows: Row[] = [];
  // the parse-only vs full analysis table: not with --only-…
  const onlyWorkspace = only.length > 0;
  const corpora: Array<{ corpus: Corpus; parse: (f: Corpus['files'][number]) => void }> = [];
  if (!onlyWorkspace) {
    corpora.push({ corpus: jsCorpus(), parse: (f) => void ts.createSourceFile(f.fileName, f.text, ts.ScriptTarget.Latest, false, scriptKind(f.fileName)) });
    const py = pythonCorpus();
    if (py) corpora.push({ corpus: py, parse: (f) => pyParser.parse(f.text)?.delete() });
    else console.log('python3 not found: skipping the Python corpus');
  }

  for (const { corpus, parse } of corpora) {
    let findings = 0;
    const parseMs = time(() => corpus.files.forEach(parse));
    const fullMs = time(() => {
      findings = 0;
      for (const f of corpus.files) findings += engine.analyse(f, config).findings.length;
    });
    rows.push({ corpus: corpus.name, files: corpus.files.length, lines: corpus.lines, parseMs, fullMs, findings });
  }

  const kl = (lines: number, ms: number) => `${Math.round(lines / (ms / 1000) / 1000)}k`;
  const header = '| corpus | files | lines | parse-only lines/s | full analysis lines/s | full ÷ parse | findings |';
  const table = [
    header,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) => `| ${r.corpus} | ${r.files} | ${r.lines} | ${kl(r.lines, r.parseMs)} | ${kl(r.lines, r.fullMs)} | ${(r.fullMs / r.parseMs).toFixed(2)}× | ${r.findings} |`,
    ),
  ].join('\n');
  // a shared machine slows every figure: say how busy it was
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)} after the run, median of ${ROUNDS} rounds after a warm-up`;
  if (!onlyWorkspace) console.log(`\n${table}\n\n${machine}\nTarget: full analysis ≤ 1.5× parse-only.`);

  let wsSection = '';
  if (runs('workspace')) {
    const { tmp, corpora: workspaces } = buildWorkspaces(WS_LINE_BUDGET);
    try {
      const wsRows: WorkspaceRow[] = workspaces.map(measureInChild);
      const wsTable = workspaceTable(wsRows);
      // a shared machine makes the tails (p95) noisy: say how busy it was
      const wsMachine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)} after the run; each corpus in a fresh process; cold scan (new Workspace, nothing cached) and parse-only: median of 3 after warm-up; edits: 50 each (an edit re-analyses the edited file and every file Workspace.update returns; the server's 175 ms debounce is not included)`;
      const targets = 'Targets: cold scan ≤ 2× parse-only; re-analysis after an edit of a 5,000-line file < 100 ms p95; server memory < 400 MB for 100k lines.';
      console.log(`\nProject model:\n\n${wsTable}\n\n${wsMachine}\n${targets}`);
      wsSection = `## ${new Date().toISOString().slice(0, 10)}: project model (workspace scan, memory, edits)\n\n${wsTable}\n\n${wsMachine}.\n${targets}\n`;
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  let peers: PeerReport | undefined;
  if (runs('peers')) {
    console.log('\nPeers on the same files:');
    peers = runPeers({ lines: PEER_LINES, rounds: PEER_ROUNDS });
    console.log(`\n${peers.markdown}`);
  }
  let latency: LatencyReport | undefined;
  if (runs('latency')) {
    console.log('\nLanguage server latency:');
    latency = await runLatency({ edits: LATENCY_EDITS });
    console.log(`\n${latency.markdown}`);
  }

  if (args.includes('--write')) {
    const file = path.join(ROOT, 'docs', 'benchmarks.md');
    const date = new Date().toISOString().slice(0, 10);
    let peerSection = '';
    if (peers || latency) {
      const chart = path.join(ROOT, 'docs', 'benchmarks-peers.png');
      const caption = `npm run bench, ${date}: ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}`;
      writeChart(chart, peers?.rows ?? [], latency?.rows ?? [], caption);
      peerSection = [
        `## ${date}: against the peers, and the language server's latency`,
        '',
        `![Lines per second per tool on the same files, and the language server's edit-to-diagnostics latency](${path.basename(chart)})`,
        '',
        peers ? `### Same files, each tool a separate process\n\n${peers.markdown}\n` : '',
        latency ? `### Language server: didChange → diagnostics\n\n${latency.markdown}\n` : '',
      ]
        .filter((l, i, all) => l !== '' || all[i - 1] !== '')
        .join('\n');
      console.log(`chart written to ${path.relative(ROOT, chart)}`);
    }
    const section = [onlyWorkspace ? '' : `## ${date}: parse-only vs full analysis\n\n${table}\n\n${machine}.\n`, wsSection, peerSection].filter(Boolean).join('\n');
    const prev = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n\nFigures from `npm run bench -- --write`, newest first. Older sections stay so regressions show in the history.\n';
    const [head, ...rest] = prev.split(/\n(?=## )/);
    fs.writeFileSync(file, [head.trimEnd(), '', section, ...rest].join('\n'));
    console.log(`recorded in ${path.relative(ROOT, file)}`);
  }
}

void main();
