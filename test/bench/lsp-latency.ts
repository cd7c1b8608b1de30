// The language server's latency (issue 8), part of `npm run bench`: the real server (dist/server.js over
// stdio, through the test harness' LspTestClient) with `initializationOptions: { debounceMs: 0 }`, so the
// figure is the analysis and the protocol round trip, not the quiet time the server waits after a keystroke
// (175 ms by default, added on top of these figures in the editor).
//
// For each language, real files of about 1,000, 5,000 and 20,000 lines (the one closest to the size within
// ±25 % — for JS/TS a TypeScript file when one is that long — from the installed npm packages and the
// CPython standard library, nothing Loopguard's default skips as generated or minified; when no real file is
// that long, real files concatenated, largest first, and the table says so) are opened one at a time without
// a workspace folder (single-file mode). Then edits: a character typed at the end of the first identifier in
// the body of the function nearest the middle of the file, then deleted, and so on; each timed from sending
// `didChange` to the `publishDiagnostics` of that version. WARM_UP edits first, not counted. Documents of
// 100,000 characters or more are analysed in the server's worker thread (lsp/off-thread.ts), as in the editor.
// Times are printed, never asserted.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { Parser } from 'web-tree-sitter';
import { defaultAnalysisConfig } from '../../server/src/engine/config';
import { Engine } from '../../server/src/engine/engine';
import { generatedReason } from '../../server/src/engine/generated';
import { loadPythonLanguage } from '../../server/src/frontends/python/parser';
import { OFF_THREAD_CHARS } from '../../server/src/lsp/off-thread';
import { LspTestClient } from '../harness/lsp-client';
import { walk } from './walk';

const ROOT = path.join(__dirname, '..', '..');
export const SIZES = [1_000, 5_000, 20_000] as const;
const WARM_UP = 6;
/** the server's default quiet time after a keystroke (lsp/language-server.ts), excluded here */
export const DEFAULT_DEBOUNCE_MS = 175;

export interface LatencyRow {
  language: 'JS/TS' | 'Python';
  target: number;
  /** the file (relative to its corpus root), or the files concatenated */
  file: string;
  concatenated: number;
  lines: number;
  chars: number;
  offThread: boolean;
  edits: number;
  p50: number;
  p95: number;
  max: number;
  /** Engine.analyse of the same texts in this process (no protocol, no worker): the analysis' share */
  analyseP50: number;
}

export interface LatencyReport {
  rows: LatencyRow[];
  machine: string;
  markdown: string;
}

interface Source {
  path: string;
  rel: string;
  text: string;
  lines: number;
}

function lineCount(text: string): number {
  return text.split('\n').length;
}

function sources(root: string, accept: (f: string) => boolean, skipDir: (d: string) => boolean): Source[] {
  const found: string[] = [];
  walk(root, accept, found, skipDir);
  const out: Source[] = [];
  for (const f of found) {
    const size = fs.statSync(f).size;
    if (size === 0 || size > 3_000_000) continue;
    const text = fs.readFileSync(f, 'utf8');
    if (generatedReason(f, text) !== undefined) continue;
    out.push({ path: f, rel: path.relative(root, f).split(path.sep).join('/'), text, lines: lineCount(text) });
  }
  return out;
}

/**
 * The real file closest to `target` lines within ±25 % (JS/TS: a TypeScript file when there is one, the
 * more typical document in an editor), else the largest files concatenated up to `target` lines.
 */
function pick(all: readonly Source[], target: number): { text: string; name: string; concatenated: number; ext: string } {
  const near = all.filter((s) => s.lines >= target * 0.75 && s.lines <= target * 1.25);
  const isTs = (s: Source) => /\.[cm]?ts$/.test(s.path);
  near.sort((a, b) => Number(isTs(b)) - Number(isTs(a)) || Math.abs(a.lines - target) - Math.abs(b.lines - target) || (a.rel < b.rel ? -1 : 1));
  if (near.length) return { text: near[0].text, name: near[0].rel, concatenated: 0, ext: path.extname(near[0].path) };
  const largest = [...all].sort((a, b) => b.lines - a.lines || (a.rel < b.rel ? -1 : 1));
  const parts: Source[] = [];
  let lines = 0;
  for (const s of largest) {
    if (lines >= target) break;
    parts.push(s);
    lines += s.lines;
  }
  const ext = path.extname(parts[0].path);
  return {
    text: parts.map((p) => (p.text.endsWith('\n') ? p.text : `${p.text}\n`)).join(''),
    name: parts.map((p) => p.rel).join(' + '),
    concatenated: parts.length,
    ext,
  };
}

function firstIdentifierEnd(node: ts.Node): number | undefined {
  if (ts.isIdentifier(node)) return node.getEnd();
  return ts.forEachChild(node, firstIdentifierEnd);
}

/** JS/TS: the end of the first identifier in the body of the function nearest the middle of the file. */
function tsEditOffset(fileName: string, text: string): number | undefined {
  const kind = /\.[cm]?ts$/.test(fileName) ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind);
  const mid = text.length / 2;
  let best: number | undefined;
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n)) {
      const body = (n as ts.FunctionLikeDeclaration).body;
      if (body && ts.isBlock(body) && body.statements.length > 0) {
        const end = firstIdentifierEnd(body.statements[0]);
        if (end !== undefined && (best === undefined || Math.abs(end - mid) < Math.abs(best - mid))) best = end;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return best;
}

/** Python: the same, with tree-sitter (checked against the text, so offsets are UTF-16 whatever the grammar counts). */
function pyEditOffset(parser: Parser, text: string): number | undefined {
  const tree = parser.parse(text);
  if (!tree) return undefined;
  const mid = text.length / 2;
  let best: number | undefined;
  try {
    for (const fn of tree.rootNode.descendantsOfType('function_definition')) {
      const body = fn?.childForFieldName('body');
      const id = body?.descendantsOfType('identifier')[0];
      if (!id) continue;
      const end = id.endIndex;
      if (text.slice(end - id.text.length, end) !== id.text) continue;
      if (best === undefined || Math.abs(end - mid) < Math.abs(best - mid)) best = end;
    }
  } finally {
    tree.delete();
  }
  return best;
}

function positionAt(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

function languageId(ext: string): string {
  if (ext === '.py') return 'python';
  return /^\.[cm]?ts$/.test(ext) ? 'typescript' : 'javascript';
}

export async function runLatency(options: { edits: number; log?: (line: string) => void }): Promise<LatencyReport> {
  const log = options.log ?? ((l: string) => console.log(l));
  const nm = path.join(ROOT, 'node_modules');
  const corpora: Array<{ language: LatencyRow['language']; all: Source[] }> = [
    {
      language: 'JS/TS',
      all: sources(nm, (f) => /\.[cm]?[jt]s$/.test(f) && !/\.d\.[cm]?ts$/.test(f), (d) => d === 'typescript' || d === '.bin' || d === 'test' || d === 'tests'),
    },
  ];
  try {
    const stdlib = execFileSync('python3', ['-c', 'import sysconfig;print(sysconfig.get_paths()["stdlib"])'], { encoding: 'utf8' }).trim();
    corpora.push({
      language: 'Python',
      all: sources(stdlib, (f) => f.endsWith('.py'), (d) => ['site-packages', 'test', 'tests', 'idle_test', '__pycache__', 'lib2to3'].includes(d)),
    });
  } catch {
    log('python3 not found: no Python latency');
  }
  const language = await loadPythonLanguage();
  const parser = new Parser();
  parser.setLanguage(language);

  const engine = await Engine.create();
  const config = defaultAnalysisConfig();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-latency-'));
  const client = await LspTestClient.start({ initializationOptions: { debounceMs: 0 } });
  const rows: LatencyRow[] = [];
  try {
    for (const { language, all } of corpora) {
      for (const target of SIZES) {
        const chosen = pick(all, target);
        const file = path.join(tmp, `latency-${target}${chosen.ext}`);
        fs.writeFileSync(file, chosen.text);
        const offset = chosen.ext === '.py' ? pyEditOffset(parser, chosen.text) : tsEditOffset(file, chosen.text);
        if (offset === undefined) {
          log(`  ${language} ${target}: no function body to type in (${chosen.name}); skipped`);
          continue;
        }
        const uri = pathToFileURL(file).toString();
        const at = positionAt(chosen.text, offset);
        const open = client.diagnostics.mark();
        await client.open(uri, languageId(chosen.ext), chosen.text);
        await client.diagnosticsFor(uri, 1, open);
        const samples: number[] = [];
        for (let i = 0; i < WARM_UP + options.edits; i++) {
          const typing = i % 2 === 0;
          const range = { start: at, end: typing ? at : { line: at.line, character: at.character + 1 } };
          const mark = client.diagnostics.mark();
          const t0 = performance.now();
          const version = await client.change(uri, [{ range, text: typing ? 'x' : '' }]);
          await client.diagnosticsFor(uri, version, mark);
          if (i >= WARM_UP) samples.push(performance.now() - t0);
        }
        if (client.text(uri) !== chosen.text) throw new Error(`${uri}: the edits did not leave the text as it was`);
        await client.close(uri);
        // the same two texts analysed here, for the analysis' share of the round trip
        const typed = chosen.text.slice(0, offset) + 'x' + chosen.text.slice(offset);
        const analyseSamples: number[] = [];
        for (let i = 0; i < WARM_UP + Math.min(options.edits, 20); i++) {
          const t0 = performance.now();
          engine.analyse({ fileName: file, text: i % 2 === 0 ? typed : chosen.text }, config);
          if (i >= WARM_UP) analyseSamples.push(performance.now() - t0);
        }
        const row: LatencyRow = {
          language,
          target,
          file: chosen.name,
          concatenated: chosen.concatenated,
          lines: lineCount(chosen.text),
          chars: chosen.text.length,
          offThread: chosen.text.length >= OFF_THREAD_CHARS,
          edits: samples.length,
          p50: percentile(samples, 50),
          p95: percentile(samples, 95),
          max: Math.max(...samples),
          analyseP50: percentile(analyseSamples, 50),
        };
        rows.push(row);
        log(`  ${language} ~${target} lines (${row.lines}, ${row.file.slice(0, 80)}): p50 ${row.p50.toFixed(1)} ms, p95 ${row.p95.toFixed(1)} ms; Engine.analyse alone p50 ${row.analyseP50.toFixed(1)} ms`);
      }
    }
  } finally {
    await client.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)} after the run`;
  return { rows, machine, markdown: latencyMarkdown(rows, machine, options.edits) };
}

function latencyMarkdown(rows: readonly LatencyRow[], machine: string, edits: number): string {
  const ms = (x: number) => (x >= 100 ? `${Math.round(x)} ms` : `${x.toFixed(1)} ms`);
  const table = [
    '| language | size | file | lines | characters | analysed in | didChange → diagnostics p50 | p95 | max | Engine.analyse alone p50 |',
    '| --- | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.language} | ~${r.target / 1000}k | ${r.concatenated ? `${r.concatenated} real files concatenated (${r.file.split(' + ').slice(0, 3).map((f) => `\`${f}\``).join(', ')}${r.concatenated > 3 ? ', …' : ''})` : `\`${r.file}\``} | ${r.lines} | ${r.chars} | ${r.offThread ? 'worker thread' : 'server thread'} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.max)} | ${ms(r.analyseP50)} |`,
    ),
  ].join('\n');
  const five = rows.filter((r) => r.target === 5_000);
  const verdict = five.map((r) => `${r.language} ${ms(r.p95)} (${r.p95 < 50 ? 'met' : 'missed'})`).join(', ');
  return [
    table,
    '',
    `${machine}. The real server (dist/server.js over stdio), no workspace folder; ${edits} edits per file after ${WARM_UP} not counted: a character typed at the end of the first identifier in the body of the function nearest the middle of the file, then deleted, each timed from sending \`didChange\` to the \`publishDiagnostics\` of that version. \`initializationOptions.debounceMs: 0\`: the server's quiet time after a keystroke (${DEFAULT_DEBOUNCE_MS} ms by default) is excluded; in the editor it comes on top of these figures. Documents of ${OFF_THREAD_CHARS.toLocaleString('en')} characters or more are analysed in the server's worker thread, as in the editor. Last column: the same two texts analysed with \`Engine.analyse\` in the benchmark's own process (no protocol, no worker thread, no project model), ${Math.min(edits, 20)} times after ${WARM_UP}: the analysis' share of the round trip.`,
    `Target: p95 < 50 ms at 5k lines — ${verdict || 'not measured'}.`,
  ].join('\n');
}
