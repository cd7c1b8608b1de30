// Large documents (OFF_THREAD_CHARS or more, analysed in the worker thread) follow calls into other
// files: the server sends a CalleeTable built from its Workspace and the worker's engine answers from
// it (lsp/off-thread.ts). In-process: the table answers the engine as the Workspace does (same findings,
// the multi-file "make the chain async" fix dropped), an import missing from it is no finding, and
// tableAnswersHold notices facts that change an answer. Over the protocol (the built server, so the
// worker is real): a large document gets the finding at its call of a helper in another file with the
// chain as relatedInformation, an edit of the helper clears it and brings it back, a large buffer whose
// calls differ from the disk's copy gets the finding in its first publication (analysed once more with a
// fresh table), and hovers at generator calls say when the body runs.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  DidChangeWorkspaceFoldersNotification,
  HoverRequest,
  WorkDoneProgressCreateRequest,
  type Diagnostic,
  type Hover,
  type MarkupContent,
  type ProgressToken,
  type WorkDoneProgressBegin,
  type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
} from 'vscode-languageserver-protocol/node';
import { defaultAnalysisConfig } from '../../server/src/engine/config';
import { Engine, type AnalysisResult } from '../../server/src/engine/engine';
import { diskHost, Workspace } from '../../server/src/engine/workspace/workspace';
import { calleeTableOf, OFF_THREAD_CHARS, TableWorkspace, tableAnswersHold } from '../../server/src/lsp/off-thread';
import { rangeOf, writeTree } from '../harness/files';
import { EventLog, ensureBuilt, FULL_CAPABILITIES, LspTestClient } from '../harness/lsp-client';

const CONFIG_TS = `import fs from 'node:fs';

function readJson(p: string): unknown {
  return JSON.parse(fs.readFileSync(p, 'utf8'));
}

export function loadConfig(name: string): unknown {
  return readJson(name);
}
`;

const MATH_TS = `export function crunch(n: number): number {
  let t = 0;
  for (let i = 0; i < 1_000_000_000; i++) t += i * n;
  return t;
}
`;

const GEN_TS = `import fs from 'node:fs';

export function* rows(p: string): Generator<string> {
  yield fs.readFileSync(p, 'utf8');
}
`;

const USE_TS = `import { rows } from './gen';

export async function handle(): Promise<number> {
  const it = rows('a');
  let n = 0;
  for (const r of rows('b')) n += r.length;
  return n + (it ? 1 : 0);
}

export const made = rows('c');
`;

const GEN_PY = `import time


def rows(n):
    time.sleep(n)
    yield n
`;

const USE_PY = `from .gen import rows


async def handle():
    it = rows(1)
    return [r for r in rows(2)], it
`;

/** ≥ OFF_THREAD_CHARS of plain synchronous functions (no findings) after `head`. */
function large(head: string): string {
  const out = [head];
  for (let i = 0; out.join('\n').length < OFF_THREAD_CHARS + 1_000; i++) {
    out.push(`export function pad${i}(n: number): number {`, `  return n * 2 + ${i};`, '}', '');
  }
  return out.join('\n');
}

const BIG_HEAD = `import { loadConfig } from './config';
import { crunch } from './math';
import { gone } from './missing';

export async function handler(): Promise<unknown> {
  const cfg = loadConfig('app.json');
  gone();
  return [cfg, crunch(2)];
}
`;
const BIG_TS = large(BIG_HEAD);
/** the same document before the user added the helper calls: what the disk has for edited.ts */
const EDITED_DISK = large(`export async function handler(): Promise<unknown> {
  return 1;
}
`);
/** a small document that calls a function of the large one */
const CALLER_TS = `import { pad1 } from './big';

export async function use(): Promise<number> {
  return pad1(2);
}
`;
const EDITED_TS = large(BIG_HEAD.replace("import { crunch } from './math';\n", '').replace(', crunch(2)', ''));

const tree = (files: Record<string, string>): string => writeTree('loopguard-lsp-large-', files);

const uriOf = (p: string): string => pathToFileURL(p).href;


const ours = (ds: readonly Diagnostic[]) => ds.filter((d) => d.source === 'loopguard');

/** A finding as compared between two analyses: rule, message, place, chain and fix titles. */
function shape(r: AnalysisResult) {
  return r.findings.map((f) => ({
    id: `${f.rule}/${f.messageId}`,
    message: f.message,
    line: r.lines.position(f.span.start).line,
    related: (f.related ?? []).map((x) => `${path.basename(x.location.fileName)}:${x.location.start.line}`),
    fixes: f.fixes.map((x) => x.title),
  }));
}

describe('the callee table of a large document (in process)', () => {
  const config = defaultAnalysisConfig();
  let engine: Engine;
  let root: string;
  let ws: Workspace;

  before(async () => {
    engine = await Engine.create();
    root = tree({ 'src/config.ts': CONFIG_TS, 'src/math.ts': MATH_TS, 'src/big.ts': BIG_TS, 'src/edited.ts': EDITED_DISK });
    ws = new Workspace({ host: diskHost(), roots: [root], engine, configFor: () => config });
    await ws.scan();
  });

  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('answers the engine as the Workspace does, without the multi-file chain fix', () => {
    const file = path.join(root, 'src', 'big.ts');
    const input = { fileName: file, text: BIG_TS };
    const direct = shape(engine.analyse(input, config, undefined, ws));
    const table = new TableWorkspace(calleeTableOf(ws, file));
    const fromTable = shape(engine.analyse(input, config, undefined, table.asWorkspace()));
    assert.deepEqual(
      direct.map((f) => [f.id, f.line, f.related]),
      [
        ['blocking-call-in-async/viaHelper', 5, ['config.ts:6', 'config.ts:7', 'config.ts:3']],
        ['cpu-loop-on-event-loop/viaHelper', 7, ['math.ts:0', 'math.ts:2']],
      ],
    );
    const chainFix = /^Make `.*` async \(\d+ files?\)$/;
    assert.ok(direct[0].fixes.some((t) => chainFix.test(t)), 'the Workspace offers the chain fix');
    assert.deepEqual(
      fromTable,
      direct.map((f) => ({ ...f, fixes: f.fixes.filter((t) => !chainFix.test(t)) })),
    );
    // every import the rules and the summaries asked about, the unresolvable one included
    assert.deepEqual(table.asked.map((i) => i.specifier).sort(), ['./config', './math', './missing']);
  });

  it('gives no summary for an import the table lacks (never a guess)', () => {
    const file = path.join(root, 'src', 'edited.ts');
    // the Workspace has the disk's copy, which imports nothing: the table is empty
    const sent = calleeTableOf(ws, file);
    assert.deepEqual(sent.imports, []);
    const table = new TableWorkspace(sent);
    const r = engine.analyse({ fileName: file, text: EDITED_TS }, config, undefined, table.asWorkspace());
    assert.deepEqual(shape(r), []);
    assert.deepEqual(table.asked.map((i) => i.specifier).sort(), ['./config', './missing']);
    // what the Workspace says with those imports: loadConfig now resolves, so the table's answer changed
    const fresh = calleeTableOf(ws, file, table.asked);
    assert.equal(tableAnswersHold(sent, fresh, table.asked), false);
    assert.equal(tableAnswersHold(fresh, calleeTableOf(ws, file, table.asked), table.asked), true);
    const again = engine.analyse({ fileName: file, text: EDITED_TS }, config, undefined, new TableWorkspace(fresh).asWorkspace());
    assert.deepEqual(shape(again).map((f) => [f.id, f.line]), [['blocking-call-in-async/viaHelper', 4]]);
  });

  it('notices a changed summary behind an unchanged import', () => {
    const file = path.join(root, 'src', 'big.ts');
    const sent = calleeTableOf(ws, file);
    const asked = new TableWorkspace(sent);
    engine.analyse({ fileName: file, text: BIG_TS }, config, undefined, asked.asWorkspace());
    const helper = path.join(root, 'src', 'config.ts');
    ws.update(helper, CONFIG_TS.replace("fs.readFileSync(p, 'utf8')", "'{}'"));
    try {
      assert.equal(tableAnswersHold(sent, calleeTableOf(ws, file, asked.asked), asked.asked), false);
    } finally {
      ws.update(helper, CONFIG_TS);
    }
    assert.equal(tableAnswersHold(sent, calleeTableOf(ws, file, asked.asked), asked.asked), true);
  });
});

type Progress = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

describe('large documents in a workspace over the language server protocol', () => {
  let client: LspTestClient;
  const root = tree({
    'src/config.ts': CONFIG_TS,
    'src/math.ts': MATH_TS,
    'src/big.ts': BIG_TS,
    'src/edited.ts': EDITED_DISK,
    'src/gen.ts': GEN_TS,
    'src/use.ts': USE_TS,
    'src/caller.ts': CALLER_TS,
    'src/pkg/__init__.py': '',
    'src/pkg/gen.py': GEN_PY,
    'src/pkg/use.py': USE_PY,
  });
  const src = (name: string) => path.join(root, 'src', name);
  const progress = new EventLog<{ token: ProgressToken; value: Progress }>();

  before(async () => {
    ensureBuilt();
    client = await LspTestClient.start({
      settings: {},
      capabilities: { ...FULL_CAPABILITIES, workspace: { ...FULL_CAPABILITIES.workspace, workspaceFolders: true }, window: { ...FULL_CAPABILITIES.window, workDoneProgress: true } },
    });
    client.connection.onRequest(WorkDoneProgressCreateRequest.type, () => undefined);
    client.connection.onNotification('$/progress', (p: { token: ProgressToken; value: Progress }) => progress.push(p));
    await client.connection.sendNotification(DidChangeWorkspaceFoldersNotification.type, { event: { added: [{ uri: uriOf(root), name: 'large' }], removed: [] } });
    // documents opened before the scan ends get no cross-file chains: wait for it
    await progress.next('end of the scan', (p) => p.value.kind === 'end');
  });

  after(async () => {
    await client?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('reports a large document\'s calls of helpers in other files with their chains, and follows edits of the helper', async () => {
    const big = uriOf(src('big.ts'));
    let mark = client.diagnostics.mark();
    await client.open(big, 'typescript', BIG_TS);
    const first = ours((await client.diagnosticsFor(big, 1, mark)).diagnostics);
    const config = uriOf(src('config.ts'));
    const math = uriOf(src('math.ts'));
    assert.deepEqual(
      first.map((d) => [d.code, d.range.start, d.relatedInformation?.map((r) => [r.location.uri, r.location.range.start.line])]),
      [
        ['blocking-call-in-async', rangeOf(BIG_TS, "loadConfig('app.json')").start, [[config, 6], [config, 7], [config, 3]]],
        ['cpu-loop-on-event-loop', rangeOf(BIG_TS, 'crunch(2)').start, [[math, 0], [math, 2]]],
      ],
    );
    // the helper stops blocking: the large document, not edited, loses the finding
    mark = client.diagnostics.mark();
    await client.open(config, 'typescript', CONFIG_TS);
    await client.change(config, [{ range: rangeOf(CONFIG_TS, "fs.readFileSync(p, 'utf8')"), text: "'{}'" }]);
    const cleared = await client.diagnostics.next('big.ts without the blocking chain', (p) => p.uri === big && !ours(p.diagnostics).some((d) => d.code === 'blocking-call-in-async'), mark);
    assert.equal(cleared.version, 1);
    assert.deepEqual(ours(cleared.diagnostics).map((d) => d.code), ['cpu-loop-on-event-loop']);
    // and back
    mark = client.diagnostics.mark();
    await client.change(config, [{ range: rangeOf(client.text(config), "'{}'"), text: "fs.readFileSync(p, 'utf8')" }]);
    const again = await client.diagnostics.next('big.ts with the blocking chain again', (p) => p.uri === big && ours(p.diagnostics).length === 2, mark);
    assert.deepEqual(ours(again.diagnostics).map((d) => d.code), ['blocking-call-in-async', 'cpu-loop-on-event-loop']);
    await client.close(config);
    await client.close(big);
  });

  it('analyses a large buffer once more when its calls differ from the Workspace\'s copy, and publishes only that', async () => {
    const edited = uriOf(src('edited.ts'));
    const mark = client.diagnostics.mark();
    const logs = client.logs.mark();
    await client.open(edited, 'typescript', EDITED_TS);
    const published = await client.diagnosticsFor(edited, 1, mark);
    assert.deepEqual(
      ours(published.diagnostics).map((d) => [d.code, d.range.start]),
      [['blocking-call-in-async', rangeOf(EDITED_TS, "loadConfig('app.json')").start]],
    );
    assert.equal(client.diagnostics.items.slice(mark).filter((p) => p.uri === edited).length, 1, 'one publication');
    assert.ok(client.logs.items.slice(logs).some((l) => l.message.startsWith(`Analysing ${edited} (version 1) again`)), 'the second analysis is logged');
    await client.close(edited);
  });

  it('an edit of a large document reaches the open documents that call into it', async () => {
    const big = uriOf(src('big.ts'));
    const caller = uriOf(src('caller.ts'));
    let mark = client.diagnostics.mark();
    await client.open(big, 'typescript', BIG_TS);
    await client.open(caller, 'typescript', CALLER_TS);
    await client.diagnosticsFor(big, 1, mark);
    assert.deepEqual(ours((await client.diagnosticsFor(caller, 1, mark)).diagnostics), []);
    // pad1 now loads the configuration: the worker's facts of the new text reach the Workspace
    mark = client.diagnostics.mark();
    await client.change(big, [{ range: rangeOf(BIG_TS, 'return n * 2 + 1;'), text: "return n * 2 + Number(loadConfig('x'));" }]);
    const after = await client.diagnosticsFor(caller, 1, mark);
    assert.deepEqual(
      ours(after.diagnostics).map((d) => [d.code, d.range.start, d.relatedInformation?.map((r) => [path.basename(r.location.uri), r.location.range.start.line])]),
      [['blocking-call-in-async', rangeOf(CALLER_TS, 'pad1(').start, [['big.ts', rangeOf(BIG_TS, 'pad1(').start.line], ['big.ts', rangeOf(BIG_TS, 'return n * 2 + 1;').start.line], ['config.ts', 7], ['config.ts', 3]]]],
    );
    // hover in the large document: from the facts the worker's analysis of this version synced
    await client.diagnosticsFor(big, 2, mark);
    const h: Hover | null = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri: big }, position: rangeOf(client.text(big), 'pad1(').start });
    assert.match((h?.contents as MarkupContent | undefined)?.value ?? '', /^`pad1` — Loopguard\n\n- \*\*may block the event loop\*\*: via `loadConfig` → `readJson` → `fs\.readFileSync` \(\[config\.ts:4\]/);
    await client.close(caller);
    await client.close(big);
  });

  it('hover at a generator: when iterated, and that a call which only creates it runs none of its body', async () => {
    const use = uriOf(src('use.ts'));
    const hover = async (uri: string, text: string, needle: string): Promise<string> => {
      const h: Hover | null = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: rangeOf(text, needle).start });
      return (h?.contents as MarkupContent | undefined)?.value ?? '';
    };
    const whenIterated = /\*\*may block the event loop when iterated\*\*: via `fs\.readFileSync` \(\[gen\.ts:4\]/;
    const onlyCreates = /This call only creates the generator: none of its body runs until the result is iterated\./;
    const iterates = /This call iterates the generator: its body runs here\./;
    const created = await hover(use, USE_TS, "rows('a')");
    assert.match(created, whenIterated);
    assert.match(created, onlyCreates);
    const iterated = await hover(use, USE_TS, "rows('b')");
    assert.match(iterated, whenIterated);
    assert.match(iterated, iterates);
    assert.doesNotMatch(iterated, onlyCreates);
    // module level: no edge in the facts, the document is parsed for the call
    assert.match(await hover(use, USE_TS, "rows('c')"), onlyCreates);
    const definition = await hover(uriOf(src('gen.ts')), GEN_TS, 'rows(p');
    assert.match(definition, /^`rows` — Loopguard/);
    assert.match(definition, whenIterated);
    assert.doesNotMatch(definition, /This call/);
    // Python: the same, from the Python front end's Call.iterated (a comprehension iterates)
    const usePy = uriOf(src('pkg/use.py'));
    const whenIteratedPy = /\*\*may block the event loop when iterated\*\*: via `time\.sleep` \(\[gen\.py:5\]/;
    const createdPy = await hover(usePy, USE_PY, 'rows(1)');
    assert.match(createdPy, whenIteratedPy);
    assert.match(createdPy, onlyCreates);
    const iteratedPy = await hover(usePy, USE_PY, 'rows(2)');
    assert.match(iteratedPy, whenIteratedPy);
    assert.match(iteratedPy, iterates);
  });
});
