// Shared pieces of the fuzz suites (test/unit/fuzz*.test.ts): the run count and replay parameters
// from the environment, a check that turns a fast-check failure into a message with the command that
// replays it, the seed corpus (the fixture files) and the arbitraries that mutate it into broken code.
//
// FUZZ_RUNS=<n> raises the number of runs of every property (a long local run); FUZZ_SEED and
// FUZZ_PATH replay one failure, as printed by the failing test.

import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { ROOT } from './lsp-client';

export interface FuzzSource {
  /** the name the text is analysed as; its extension picks the front end */
  fileName: string;
  text: string;
  /** how the text was made, for the failure message */
  recipe: string[];
}

const envRuns = Number(process.env.FUZZ_RUNS);
/** `FUZZ_RUNS` when set; `base` otherwise (keeps `npm test` within its time). */
export function runs(base: number): number {
  return Number.isInteger(envRuns) && envRuns > 0 ? envRuns : base;
}

function replayParams(): Partial<fc.Parameters<unknown>> {
  const seed = process.env.FUZZ_SEED;
  const p: Partial<fc.Parameters<unknown>> = {};
  if (seed !== undefined && seed !== '') p.seed = Number(seed);
  if (process.env.FUZZ_PATH) p.path = process.env.FUZZ_PATH;
  return p;
}

/**
 * Runs a property; on failure throws fast-check's report (shrunk counterexample, error) preceded by
 * the command that replays exactly that case.
 */
export async function check<T>(
  testFile: string,
  testName: string,
  property: fc.IProperty<T> | fc.IAsyncProperty<T>,
  numRuns: number,
): Promise<void> {
  const params = { numRuns: runs(numRuns), ...replayParams() } as fc.Parameters<T>;
  const details = await fc.check(property as fc.IAsyncProperty<T>, params);
  if (!details.failed) return;
  const replay =
    `replay: FUZZ_SEED=${details.seed} FUZZ_PATH=${JSON.stringify(details.counterexamplePath ?? '')} ` +
    `node --import tsx --test --test-name-pattern=${JSON.stringify(escapeRegExp(testName))} ${path.relative(ROOT, testFile)}`;
  const error = details.errorInstance;
  const counterexample = JSON.stringify(details.counterexample);
  throw new Error(
    [
      replay,
      `failed after ${details.numRuns} run(s), shrunk ${details.numShrinks} time(s); error:`,
      error instanceof Error ? (error.stack ?? error.message) : String(error),
      // the inputs can be hundreds of kB: the error's recipe says how the text was made
      `counterexample: ${counterexample.length > 2000 ? `${counterexample.slice(0, 2000)}… (${counterexample.length} characters)` : counterexample}`,
    ].join('\n'),
  );
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// Seed corpus

const SOURCE_EXT = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|py|pyi)$/;

/** Every fixture source under test/fixtures, or under `root` (the `.fixed.` outputs too: they are valid code). */
export function fixtureSources(root: string = path.join(ROOT, 'test', 'fixtures')): FuzzSource[] {
  const out: FuzzSource[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (SOURCE_EXT.test(e.name)) out.push({ fileName: p, text: fs.readFileSync(p, 'utf8'), recipe: [path.relative(ROOT, p)] });
    }
  };
  walk(root);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Mutations

/** Characters editors and files really contain and parsers trip on. */
export const ODD_UNITS = [
  '\uD800', // lone high surrogate
  '\uDC00', // lone low surrogate
  '\uD83D\uDE00', // a pair (😀): an offset between its halves is wrong
  '\0',
  '\uFEFF', // BOM, mid-file or at the start
  '\r',
  '\r\n',
  '\n',
  '\u2028',
  '\u2029',
  '\u0085',
  '\t',
  '\u00A0',
  '\u200B',
  '\\',
  '"',
  "'",
  '`',
  '${',
  '#',
  '//',
  '/*',
  '"""',
  ':',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  'async ',
  'await ',
  'def ',
  'function ',
  '=>',
  'é',
  '中',
];

const TOKEN = /[\p{L}\p{N}_$]+|\s+|[^\p{L}\p{N}_$\s]/gu;

function tokens(text: string): Array<{ start: number; end: number }> {
  return [...text.matchAll(TOKEN)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
}

function lineSpans(text: string): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      if (start < text.length) out.push({ start, end: text.length });
      return out;
    }
    out.push({ start, end: nl + 1 });
    start = nl + 1;
  }
}

/** Deeply nested or very long constructs, spelled for the language of `fileName`. */
function hostile(kind: number, n: number, python: boolean): string {
  switch (kind) {
    case 0:
      return `${'('.repeat(n)}x${')'.repeat(n)}`;
    case 1:
      return `${'['.repeat(n)}1${']'.repeat(n)}`;
    case 2:
      return python ? `x${'.a'.repeat(n)}()` : `fs${'.a'.repeat(n)}()`;
    case 3:
      return python
        ? Array.from({ length: Math.min(n, 400) }, (_, i) => `${' '.repeat(i)}if x:\n`).join('') + `${' '.repeat(Math.min(n, 400))}time.sleep(1)\n`
        : `${'{'.repeat(n)}fs.readFileSync(p)${'}'.repeat(n)}`;
    case 4:
      return python ? `x = ${'f('.repeat(n)}1${')'.repeat(n)}\n` : `x = ${'f('.repeat(n)}1${')'.repeat(n)};\n`;
    case 5:
      return python ? `y = ${'lambda: '.repeat(n)}1\n` : `y = ${'() => '.repeat(n)}1;\n`;
    case 6:
      return `s = "${'x'.repeat(n * 50)}"\n`; // a very long line
    case 7:
      return python ? `x = 1${' + 1'.repeat(n)}\n` : `x = 1${' + 1'.repeat(n)};\n`;
    default:
      return python
        ? Array.from({ length: Math.min(n, 300) }, (_, i) => `${'    '.repeat(i)}async def f${i}():\n`).join('') + `${'    '.repeat(Math.min(n, 300))}time.sleep(1)\n`
        : `${'async function f() {'.repeat(n)}fs.readFileSync(p);${'}'.repeat(n)}`;
  }
}

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'deleteToken' | 'duplicateToken' | 'deleteLine' | 'duplicateLine' | 'swapLines'; at: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'hostile'; at: number; which: number; n: number }
  | { kind: 'lineEndings'; style: number }
  | { kind: 'splice'; donor: number; from: number; lines: number; at: number };

// a fraction of the text's length, uniform (fc.double favours tiny values: every edit would land at 0)
const position = fc.integer({ min: 0, max: 999_999 }).map((n) => n / 1_000_000);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constantFrom('deleteToken' as const, 'duplicateToken' as const, 'deleteLine' as const, 'duplicateLine' as const, 'swapLines' as const), at: position }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    text: fc.oneof(
      fc.array(fc.constantFrom(...ODD_UNITS), { minLength: 1, maxLength: 4 }).map((a) => a.join('')),
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 8 }),
    ),
  }),
  fc.record({ kind: fc.constant('hostile' as const), at: position, which: fc.nat(8), n: fc.integer({ min: 1, max: 3000 }) }),
  fc.record({ kind: fc.constant('lineEndings' as const), style: fc.nat(2) }),
  // lines of another fixture pasted in: constructs of one rule's fixtures meet another's
  fc.record({ kind: fc.constant('splice' as const), donor: fc.nat(), from: position, lines: fc.integer({ min: 1, max: 30 }), at: position }),
);

function pick<T>(list: readonly T[], at: number): T | undefined {
  return list.length ? list[Math.floor(at * list.length)] : undefined;
}

export function mutate(text: string, m: Mutation, python: boolean, donors: readonly FuzzSource[] = []): string {
  const offset = (at: number) => Math.floor(at * (text.length + 1));
  switch (m.kind) {
    case 'truncate':
      return text.slice(0, offset(m.at));
    case 'deleteToken':
    case 'duplicateToken': {
      const t = pick(tokens(text), m.at);
      if (!t) return text;
      return text.slice(0, t.start) + (m.kind === 'duplicateToken' ? text.slice(t.start, t.end).repeat(2) : '') + text.slice(t.end);
    }
    case 'deleteLine':
    case 'duplicateLine':
    case 'swapLines': {
      const lines = lineSpans(text);
      const i = Math.floor(m.at * lines.length);
      const l = lines[i];
      if (!l) return text;
      const body = text.slice(l.start, l.end);
      if (m.kind === 'deleteLine') return text.slice(0, l.start) + text.slice(l.end);
      if (m.kind === 'duplicateLine') return text.slice(0, l.end) + body + text.slice(l.end);
      const next = lines[i + 1];
      if (!next) return text;
      return text.slice(0, l.start) + text.slice(next.start, next.end) + body + text.slice(next.end);
    }
    case 'insert': {
      const at = offset(m.at);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'hostile': {
      // at a line start, so Python's indentation-based constructs keep their shape
      const lines = lineSpans(text);
      const at = pick(lines, m.at)?.start ?? 0;
      return text.slice(0, at) + hostile(m.which, m.n, python) + '\n' + text.slice(at);
    }
    case 'splice': {
      const donor = donors.length ? donors[m.donor % donors.length].text : text;
      const lines = lineSpans(donor);
      const first = Math.floor(m.from * lines.length);
      const piece = lines.slice(first, first + m.lines);
      if (!piece.length) return text;
      const at = pick(lineSpans(text), m.at)?.start ?? 0;
      return text.slice(0, at) + donor.slice(piece[0].start, piece[piece.length - 1].end) + text.slice(at);
    }
    case 'lineEndings':
      return m.style === 0 ? text.replace(/\r?\n/g, '\r\n') : m.style === 1 ? text.replace(/\r?\n/g, '\r') : '\uFEFF' + text;
  }
}

function describeMutation(m: Mutation): string {
  switch (m.kind) {
    case 'insert':
      return `insert ${JSON.stringify(m.text)} at ${m.at.toFixed(3)}`;
    case 'hostile':
      return `hostile #${m.which} ×${m.n} at ${m.at.toFixed(3)}`;
    case 'lineEndings':
      return `line endings style ${m.style}`;
    case 'splice':
      return `splice ${m.lines} line(s) of donor #${m.donor} from ${m.from.toFixed(3)} at ${m.at.toFixed(3)}`;
    default:
      return `${m.kind} at ${m.at.toFixed(3)}`;
  }
}

/** A fixture source with 1–6 mutations applied, analysed under its own name or (sometimes) another language's. */
export function mutatedSource(corpus: readonly FuzzSource[]): fc.Arbitrary<FuzzSource> {
  return fc
    .record({
      seed: fc.nat(corpus.length - 1),
      mutations: fc.array(mutation, { minLength: 1, maxLength: 6 }),
      crossLanguage: fc.nat(9),
    })
    .map(({ seed, mutations, crossLanguage }) => {
      const base = corpus[seed];
      let fileName = base.fileName;
      // one in ten: the text analysed by the other front end (a .py file opened as TypeScript)
      if (crossLanguage === 0) fileName = fileName.replace(/\.[^.]+$/, fileName.endsWith('.py') ? '.ts' : '.py');
      const python = fileName.endsWith('.py');
      let text = base.text;
      for (const m of mutations) text = mutate(text, m, python, corpus);
      return { fileName, text, recipe: [...base.recipe, ...mutations.map(describeMutation), `as ${path.basename(fileName)}`] };
    });
}

/** Random text with a bias towards code-like characters, as any supported language. */
export function randomSource(): fc.Arbitrary<FuzzSource> {
  const unit = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ODD_UNITS) },
    { weight: 4, arbitrary: fc.constantFrom('fs.readFileSync(p)', 'time.sleep(1)', 'import fs from "fs";', 'import time\n', 'x', ' ', '\n', '    ', '.', ',', '=', ';', 'yield ', 'with ', 'for ', 'while True:', 'class A:', 'return ') },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 3 }) },
  );
  return fc
    .record({ parts: fc.array(unit, { maxLength: 120 }), ext: fc.constantFrom('.ts', '.tsx', '.js', '.mjs', '.cjs', '.py', '.pyi') })
    .map(({ parts, ext }) => ({ fileName: path.join(ROOT, 'test', 'fixtures', `random${ext}`), text: parts.join(''), recipe: ['random', JSON.stringify(parts.join('')).slice(0, 200)] }));
}

/** True when `offset` falls between the two halves of a surrogate pair. */
export function splitsSurrogatePair(text: string, offset: number): boolean {
  if (offset <= 0 || offset >= text.length) return false;
  const before = text.charCodeAt(offset - 1);
  const after = text.charCodeAt(offset);
  return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
}
