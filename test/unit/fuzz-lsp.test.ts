// Property tests of the built language server on broken and hostile documents: mutated fixture files
// (test/harness/fuzz.ts) opened, then edited with random incremental changes (ranges anywhere, lone
// surrogates, \r, BOMs, deep nesting inserted), as an editor would send them. For every document:
// the server publishes diagnostics for the last version, every diagnostic range lies inside that
// text, code actions (quick fixes of its diagnostics and fix-all) and hovers are answered, every
// edit they carry lies inside the document and applies, and nothing is logged as failed. At the end
// the server is still alive and still analyses a plain document.
//
// Runs are bounded for `npm test`; FUZZ_RUNS=<n> raises them, FUZZ_SEED/FUZZ_PATH replay a failure.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { DidChangeWorkspaceFoldersNotification, HoverRequest, MessageType, type CodeAction, type Diagnostic, type Hover, type Range } from 'vscode-languageserver-protocol/node';
import { OFF_THREAD_CHARS } from '../../server/src/lsp/off-thread';
import { FIX_ALL_KIND } from '../../server/src/lsp/protocol';
import { check, fixtureSources, mutatedSource, ODD_UNITS, type FuzzSource } from '../harness/fuzz';
import { FULL_CAPABILITIES, LspTestClient, ROOT, applyTextEdits, editsFor, ensureBuilt, isCodeAction } from '../harness/lsp-client';

const LANGUAGE_IDS: Record<string, string> = {
  '.ts': 'typescript',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.tsx': 'typescriptreact',
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.jsx': 'javascriptreact',
  '.py': 'python',
  '.pyi': 'python',
};

/** Lines as LSP counts them (\n, \r\n, \r), without their breaks. */
function lspLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

function assertRangeInside(text: string, range: Range, what: string): void {
  const lines = lspLines(text);
  for (const p of [range.start, range.end]) {
    assert.ok(p.line >= 0 && p.line < lines.length, `${what}: line ${p.line} of ${lines.length}`);
    assert.ok(p.character >= 0 && p.character <= lines[p.line].length, `${what}: character ${p.character} of line ${p.line} (${lines[p.line].length} long)`);
  }
  assert.ok(range.start.line < range.end.line || (range.start.line === range.end.line && range.start.character <= range.end.character), `${what}: start before end`);
}

/** An editor change: a range as fractions of the text, replaced by odd or hostile text. */
interface FuzzEdit {
  from: number;
  length: number;
  text: string;
}

const fuzzEdit: fc.Arbitrary<FuzzEdit> = fc.record({
  from: fc.integer({ min: 0, max: 999 }).map((n) => n / 1000),
  length: fc.oneof(fc.constant(0), fc.nat(40), fc.nat(2000)),
  text: fc.oneof(
    fc.array(fc.constantFrom(...ODD_UNITS), { maxLength: 5 }).map((a) => a.join('')),
    fc.string({ unit: 'binary', maxLength: 10 }),
    fc.integer({ min: 1, max: 2000 }).map((n) => `${'('.repeat(n)}x${')'.repeat(n)}`),
  ),
});

let counter = 0;

/**
 * One run: the document opened, edited, its last version's diagnostics checked, code actions and a
 * hover requested and checked, nothing logged as failed; closed at the end.
 */
function documentProperty(
  clientOf: () => LspTestClient,
  sources: fc.Arbitrary<FuzzSource>,
  fileOf: (source: FuzzSource) => string,
): fc.IAsyncProperty<[FuzzSource, FuzzEdit[], number]> {
  return fc.asyncProperty(sources, fc.array(fuzzEdit, { maxLength: 4 }), fc.nat(999), async (source: FuzzSource, edits, hoverAt) => {
      const client = clientOf();
      const ext = path.extname(source.fileName);
      const uri = pathToFileURL(fileOf(source)).href;
      const recipe = [...source.recipe, ...edits.map((e) => `edit ${JSON.stringify(e).slice(0, 80)}`)].join(' → ');
      const logMark = client.logs.mark();
      try {
        let mark = client.diagnostics.mark();
        await client.open(uri, LANGUAGE_IDS[ext] ?? 'plaintext', source.text);
        let version = 1;
        for (const e of edits) {
          const text = client.text(uri);
          // never between \r and \n: no editor position is there
          const clamp = (o: number) => (text[o - 1] === '\r' && text[o] === '\n' ? o - 1 : o);
          const start = clamp(Math.floor(e.from * (text.length + 1)));
          const end = clamp(Math.min(text.length, start + e.length));
          const doc = positions(text);
          mark = client.diagnostics.mark();
          version = await client.change(uri, [{ range: { start: doc(start), end: doc(end) }, text: e.text }]);
        }
        const text = client.text(uri);
        const published = await client.diagnosticsFor(uri, version, mark);
        for (const d of published.diagnostics) assertRangeInside(text, d.range, `diagnostic ${String(d.code)}`);
        const ours = published.diagnostics.filter((d: Diagnostic) => d.source === 'loopguard');
        const whole: Range = { start: { line: 0, character: 0 }, end: positions(text)(text.length) };
        const actions = await client.codeActions(uri, whole, { diagnostics: ours });
        const fixAll = await client.codeActions(uri, whole, { diagnostics: [], only: [FIX_ALL_KIND] });
        for (const a of [...actions, ...fixAll]) {
          assert.ok(isCodeAction(a), 'code actions are literals');
          const edits = editsFor((a as CodeAction).edit, uri);
          for (const e of edits) assertRangeInside(text, e.range, `code action "${(a as CodeAction).title}"`);
          applyTextEdits(text, edits);
        }
        const lines = text.split(/\r\n|\r|\n/);
        const line = Math.floor((hoverAt / 1000) * lines.length);
        const hover: Hover | null = await client.connection.sendRequest(HoverRequest.type, {
          textDocument: { uri },
          position: { line, character: Math.floor((hoverAt / 1000) * (lines[line].length + 1)) },
        });
        if (hover?.range) assertRangeInside(text, hover.range, 'hover');
        const failures = client.logs.items.slice(logMark).filter((l) => l.type === MessageType.Error);
        assert.deepEqual(failures.map((l) => l.message.slice(0, 1500)), [], 'nothing logged as failed');
      } catch (e) {
        throw new Error(`${e instanceof Error ? e.message : String(e)}\ninput: ${recipe}`, { cause: e });
      } finally {
        await client.close(uri);
      }
    });
}


describe('fuzz: the language server on mutated documents and edits', () => {
  let client: LspTestClient;
  const corpus = fixtureSources();

  before(async () => {
    ensureBuilt();
    client = await LspTestClient.start({ settings: {} });
  });

  after(async () => {
    await client.shutdown();
  });

  it('open, edit, code actions and hover: every request answered, every range inside the document', async (t) => {
    const property = documentProperty(() => client, mutatedSource(corpus), (source) => path.join(path.dirname(source.fileName), `fuzz-${++counter}${path.extname(source.fileName)}`));
    await check(__filename, t.name, property, 15);
    assert.equal(client.child.exitCode, null, 'the server is alive');
    // and still analyses: a plain document gets its finding
    const uri = pathToFileURL(path.join(path.dirname(corpus[0].fileName), 'fuzz-after.py')).href;
    const mark = client.diagnostics.mark();
    await client.open(uri, 'python', 'import time\n\nasync def main():\n    time.sleep(1)\n');
    const last = await client.diagnosticsFor(uri, 1, mark);
    assert.deepEqual(
      last.diagnostics.map((d) => [d.code, d.range.start.line]),
      [['blocking-call-in-async', 3]],
    );
    await client.close(uri);
  });

  // Found by the fuzz test: a document of OFF_THREAD_CHARS or more in a folder with a package.json
  // (catalogue-coverage.fixed.mjs behind 736 parentheses) was posted to the analysis worker with its
  // project facts, whose fileExists function cannot be cloned: DataCloneError, no diagnostics, the
  // job left running forever (every later large document queued behind it), and on close an
  // unhandled rejection.
  it('a large document in a package is analysed in the worker, twice in a row, and closed cleanly', async () => {
    const body = Array.from({ length: 3000 }, (_, i) => `def helper_${i}(x):\n    return x + ${i}\n\n`).join('');
    const text = `import time\n\nasync def main():\n    time.sleep(1)\n\n${body}`;
    assert.ok(text.length >= OFF_THREAD_CHARS, 'large enough for the worker');
    const logMark = client.logs.mark();
    for (const name of ['large-a.py', 'large-b.py']) {
      const uri = pathToFileURL(path.join(ROOT, 'test', 'fixtures', name)).href;
      const mark = client.diagnostics.mark();
      await client.open(uri, 'python', text);
      const published = await client.diagnosticsFor(uri, 1, mark);
      assert.deepEqual(
        published.diagnostics.map((d) => [d.code, d.range.start.line]),
        [['blocking-call-in-async', 3]],
      );
      await client.close(uri);
    }
    // a plain document after the closes: anything they left unhandled has been logged by then
    const small = pathToFileURL(path.join(ROOT, 'test', 'fixtures', 'small.py')).href;
    const mark = client.diagnostics.mark();
    await client.open(small, 'python', 'x = 1\n');
    await client.diagnosticsFor(small, 1, mark);
    await client.close(small);
    const failures = client.logs.items.slice(logMark).filter((l) => l.type === MessageType.Error);
    assert.deepEqual(failures.map((l) => l.message.slice(0, 500)), []);
  });
});

describe('fuzz: the language server with a workspace folder', () => {
  let client: LspTestClient;
  let dir: string;
  let corpus: FuzzSource[];

  before(async () => {
    ensureBuilt();
    // the cross-file fixture workspaces as one folder: an edited file syncs into the project model,
    // its dependents are analysed again, a hover shows summaries
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-fuzz-lsp-'));
    const fixtures = path.join(ROOT, 'test', 'fixtures');
    for (const rule of fs.readdirSync(fixtures)) {
      for (const e of fs.readdirSync(path.join(fixtures, rule))) {
        if (e.endsWith('.workspace')) fs.cpSync(path.join(fixtures, rule, e), path.join(dir, rule, e), { recursive: true });
      }
    }
    corpus = fixtureSources(dir);
    client = await LspTestClient.start({
      settings: { workspaceDiagnostics: true },
      capabilities: { ...FULL_CAPABILITIES, workspace: { ...FULL_CAPABILITIES.workspace, workspaceFolders: true } },
    });
    await client.connection.sendNotification(DidChangeWorkspaceFoldersNotification.type, {
      event: { added: [{ uri: pathToFileURL(dir).href, name: 'fuzz' }], removed: [] },
    });
  });

  after(async () => {
    await client.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('workspace files opened with mutated text and edited: every request answered, every range inside the document', async (t) => {
    // the file's own path: the server overlays the buffer on the workspace's copy of it
    await check(__filename, t.name, documentProperty(() => client, mutatedSource(corpus), (source) => source.fileName), 10);
    assert.equal(client.child.exitCode, null, 'the server is alive');
  });
});

/** offset → LSP position in `text` (UTF-16, lines as LSP counts them). */
function positions(text: string): (offset: number) => { line: number; character: number } {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return (offset) => {
    let line = 0;
    while (line + 1 < starts.length && starts[line + 1] <= offset) line++;
    return { line, character: offset - starts[line] };
  };
}
