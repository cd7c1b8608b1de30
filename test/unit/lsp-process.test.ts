// The server process over the real protocol (dist/server.js over --stdio, test/harness/lsp-client.ts):
// stale requests answered RequestCancelled / ContentModified instead of computed on text the client
// left, bursts of edits published only for the last version, a crashing rule isolated and reported
// (LOOPGUARD_FAULT_INJECT_RULE), and loopguard/serverInfo; and the client's policy for restarting a server
// that crashed (its behaviour in VS Code is test/e2e/suite/crash.test.ts). Requests are held mid-flight by gating the
// server's workspace/configuration request (LspTestClient.configurationGate), never by sleeping.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CancellationTokenSource,
  CodeActionKind,
  CodeActionRequest,
  HoverRequest,
  LSPErrorCodes,
  ResponseError,
  type CodeActionParams,
  type Diagnostic,
  type Range,
} from 'vscode-languageserver-protocol/node';
import { MAX_RESTARTS, RESTART_WINDOW_MS, RestartPolicy, stoppedMessage } from '../../client/src/restart-policy';
import { FIX_ALL_KIND, ServerInfoRequest } from '../../server/src/lsp/protocol';
import { LspTestClient, ensureBuilt } from '../harness/lsp-client';

const BLOCKING = 'blocking-call-in-async';
const RACE = 'race-across-await';

const TS_LOAD = "import fs from 'fs';\nexport async function load(p: string) {\n  return fs.readFileSync(p, 'utf8');\n}\n";
// one finding of each of two rules: race-across-await on line 5, blocking-call-in-async on line 10
const TS_TWO_RULES = [
  "import fs from 'fs';",
  'let connection: { close(): void } | undefined;',
  'declare function connect(): Promise<{ close(): void }>;',
  'export async function getConnection() {',
  '  if (!connection) {',
  '    connection = await connect();',
  '  }',
  '  return connection;',
  '}',
  'export async function load(p: string) {',
  "  return fs.readFileSync(p, 'utf8');",
  '}',
  '',
].join('\n');

let uriCounter = 0;
function uri(ext: string): string {
  return `file:///workspace/lsp-process-${++uriCounter}${ext}`;
}

const WHOLE: Range = { start: { line: 0, character: 0 }, end: { line: 100, character: 0 } };
/** A diagnostic as the client would send it back: enough for the server to look for quick fixes. */
const OUR_DIAGNOSTIC: Diagnostic = { range: { start: { line: 2, character: 9 }, end: { line: 2, character: 35 } }, message: 'x', source: 'loopguard', code: BLOCKING };

function quickFixParams(u: string): CodeActionParams {
  return { textDocument: { uri: u }, range: OUR_DIAGNOSTIC.range, context: { diagnostics: [OUR_DIAGNOSTIC], only: [CodeActionKind.QuickFix] } };
}
function fixAllParams(u: string): CodeActionParams {
  return { textDocument: { uri: u }, range: WHOLE, context: { diagnostics: [], only: [FIX_ALL_KIND] } };
}

/** The error code a request was rejected with (fails the test when it was answered). */
async function rejectedWith(p: Promise<unknown>): Promise<number> {
  try {
    const answer = await p;
    assert.fail(`expected an error response, got ${JSON.stringify(answer)}`);
  } catch (e) {
    if (!(e instanceof ResponseError)) throw e;
    return e.code;
  }
}

/** Frames JSON-RPC messages the way a StreamMessageWriter does. */
function frame(message: object): string {
  const body = JSON.stringify(message);
  return `Content-Length: ${Buffer.byteLength(body, 'utf8')}\r\n\r\n${body}`;
}

/** The response with this id, read from the server's stdout (alongside the connection's own reader). */
function rawResponse(client: LspTestClient, id: string): Promise<{ id: string; result?: unknown; error?: { code: number } }> {
  return new Promise((resolve) => {
    let buffered = '';
    const onData = (d: Buffer): void => {
      buffered += d.toString('utf8');
      for (;;) {
        const header = /Content-Length: (\d+)\r\n\r\n/.exec(buffered);
        if (!header) return;
        const start = header.index + header[0].length;
        const length = Number(header[1]);
        const bytes = Buffer.from(buffered.slice(start), 'utf8');
        if (bytes.length < length) return;
        const body = bytes.subarray(0, length).toString('utf8');
        buffered = bytes.subarray(length).toString('utf8');
        const message = JSON.parse(body) as { id?: unknown; result?: unknown; error?: { code: number } };
        if (message.id === id) {
          client.child.stdout!.off('data', onData);
          resolve(message as { id: string; result?: unknown; error?: { code: number } });
          return;
        }
      }
    };
    client.child.stdout!.on('data', onData);
  });
}

describe('server process: stale requests', () => {
  let client: LspTestClient;

  before(async () => {
    ensureBuilt();
    client = await LspTestClient.start({ settings: {} });
  });

  after(async () => {
    await client?.stop();
  });

  /**
   * Opens a document whose first validation waits for its settings (the gate held), and resolves once
   * the server asked for them; `release` lets every gated configuration answer go.
   */
  async function openGated(u: string, text: string): Promise<{ release: () => void }> {
    let release!: () => void;
    client.configurationGate = new Promise<void>((r) => (release = r));
    const asked = client.configurationRequests.mark();
    await client.open(u, 'typescript', text);
    await client.configurationRequests.next(`configuration request for ${u}`, (s) => s === u, asked);
    return {
      release: () => {
        client.configurationGate = undefined;
        release();
      },
    };
  }

  it('a quick-fix request followed by $/cancelRequest answers RequestCancelled', async () => {
    const u = uri('.ts');
    const { release } = await openGated(u, TS_LOAD);
    try {
      const cancel = new CancellationTokenSource();
      // waits in the server for the analysis of version 1, which waits for its settings
      const answer = client.connection.sendRequest(CodeActionRequest.type, quickFixParams(u), cancel.token);
      cancel.cancel();
      release();
      assert.equal(await rejectedWith(answer), LSPErrorCodes.RequestCancelled);
    } finally {
      release();
    }
    // only the request was cancelled: the analysis publishes, and the same request now gets its fix
    const published = await client.diagnosticsFor(u, 1);
    assert.deepEqual(published.diagnostics.map((d) => d.code), [BLOCKING]);
    const [d] = published.diagnostics;
    const actions = (await client.connection.sendRequest(CodeActionRequest.type, { ...quickFixParams(u), range: d.range, context: { diagnostics: [d] } })) ?? [];
    assert.equal(actions[0]?.title, 'Replace with `await fs.promises.readFile(…)`');
  });

  it('a fix-all request cancelled while it waits answers RequestCancelled', async () => {
    const u = uri('.ts');
    const { release } = await openGated(u, TS_LOAD);
    try {
      const cancel = new CancellationTokenSource();
      const answer = client.connection.sendRequest(CodeActionRequest.type, fixAllParams(u), cancel.token);
      cancel.cancel();
      release();
      assert.equal(await rejectedWith(answer), LSPErrorCodes.RequestCancelled);
    } finally {
      release();
    }
  });

  it('a quick-fix request whose document changes before it is answered gets ContentModified', async () => {
    const u = uri('.ts');
    const { release } = await openGated(u, TS_LOAD);
    let v2: number;
    try {
      const answer = client.connection.sendRequest(CodeActionRequest.type, quickFixParams(u));
      // an edit above the call: the fixes of version 1 would land one line off in version 2
      v2 = await client.change(u, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '// x\n' }]);
      release();
      assert.equal(await rejectedWith(answer), LSPErrorCodes.ContentModified);
    } finally {
      release();
    }
    // asked again for the new version, the request is answered, with edits versioned for it
    const d = (await client.diagnosticsFor(u, v2)).diagnostics[0];
    assert.equal(d?.range.start.line, 3);
    const actions = (await client.connection.sendRequest(CodeActionRequest.type, { ...quickFixParams(u), range: d.range, context: { diagnostics: [d] } })) ?? [];
    const first = actions[0];
    assert.ok(first && 'edit' in first && first.edit?.documentChanges, 'a versioned edit');
    const change = first.edit.documentChanges[0];
    assert.ok('textDocument' in change);
    assert.equal(change.textDocument.version, v2);
  });

  it('a fix-all request whose document changes before it is answered gets ContentModified', async () => {
    const u = uri('.ts');
    const { release } = await openGated(u, TS_LOAD);
    try {
      const answer = client.connection.sendRequest(CodeActionRequest.type, fixAllParams(u));
      await client.change(u, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '// x\n' }]);
      release();
      assert.equal(await rejectedWith(answer), LSPErrorCodes.ContentModified);
    } finally {
      release();
    }
    const actions = (await client.connection.sendRequest(CodeActionRequest.type, fixAllParams(u))) ?? [];
    assert.deepEqual(actions.map((a) => a.title), ['Fix the safely fixable loopguard problem']);
  });

  it('a hover request cancelled before it was dispatched answers RequestCancelled', async () => {
    const u = uri('.ts');
    await client.open(u, 'typescript', TS_LOAD);
    await client.diagnosticsFor(u, 1);
    const id = `hover-${uriCounter}`;
    const hover = { jsonrpc: '2.0', id, method: HoverRequest.method, params: { textDocument: { uri: u }, position: { line: 1, character: 25 } } };
    const response = rawResponse(client, id);
    // one write of a few hundred bytes: the server reads both messages at once, so the cancellation is
    // known before the request is dispatched (vscode-jsonrpc then hands the handler a cancelled token)
    client.child.stdin!.write(frame(hover) + frame({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id } }));
    assert.equal((await response).error?.code, LSPErrorCodes.RequestCancelled);
    // the control: the same hover, not cancelled, is answered (null: no workspace folder, no summaries)
    const control = `hover-control-${uriCounter}`;
    const answered = rawResponse(client, control);
    client.child.stdin!.write(frame({ ...hover, id: control }));
    const r = await answered;
    assert.deepEqual([r.error, 'result' in r], [undefined, true]);
  });

  it('50 rapid edits, with the analyses held, publish diagnostics only for the last version', async () => {
    const u = uri('.ts');
    await client.open(u, 'typescript', TS_LOAD);
    await client.diagnosticsFor(u, 1);
    let release!: () => void;
    client.configurationGate = new Promise<void>((r) => (release = r));
    const mark = client.diagnostics.mark();
    const asked = client.configurationRequests.mark();
    let last = 1;
    try {
      // settings re-read: this validation, and every debounced one the burst starts, waits for them
      await client.changeConfiguration({});
      await client.configurationRequests.next(`configuration request for ${u}`, (s) => s === u, asked);
      for (let i = 0; i < 50; i++) {
        // typed at the end of line 0, one character at a time; every third edit deletes what was typed
        const line0 = client.text(u).split('\n')[0];
        const edit =
          i % 3 === 2
            ? { range: { start: { line: 0, character: line0.length - 1 }, end: { line: 0, character: line0.length } }, text: '' }
            : { range: { start: { line: 0, character: line0.length }, end: { line: 0, character: line0.length } }, text: i % 2 === 0 ? ' ' : ';' };
        last = await client.change(u, [edit]);
      }
    } finally {
      client.configurationGate = undefined;
      release();
    }
    assert.equal(last, 51);
    const published = await client.diagnosticsFor(u, last, mark);
    assert.deepEqual(published.diagnostics.map((d) => [d.code, d.range.start.line]), [[BLOCKING, 2]]);
    // whatever was pending when the last edit arrived (the one debounce timer) has run by now: a
    // quick-fix request waits for the analysis of the current version
    await client.connection.sendRequest(CodeActionRequest.type, quickFixParams(u));
    const versions = client.diagnostics.items.slice(mark).filter((p) => p.uri === u).map((p) => p.version);
    assert.ok(versions.length >= 1 && versions.every((v) => v === last), `published versions: ${versions.join(', ')}`);
  });

  it('loopguard/serverInfo names the server process and its memory', async () => {
    const info = await client.connection.sendRequest(ServerInfoRequest.type, {});
    assert.equal(info?.pid, client.child.pid);
    assert.ok((info?.rssBytes ?? 0) > 1_000_000 && (info?.heapUsedBytes ?? 0) > 0);
    // started without --expose-gc: no collection can be forced
    assert.equal(info?.collectedGarbage, false);
  });
});

describe('server process: a rule that throws (LOOPGUARD_FAULT_INJECT_RULE)', () => {
  it('without the hook, the document has a finding of each rule (the control)', async () => {
    ensureBuilt();
    const client = await LspTestClient.start({ settings: {} });
    try {
      const u = uri('.ts');
      await client.open(u, 'typescript', TS_TWO_RULES);
      const { diagnostics } = await client.diagnosticsFor(u, 1);
      assert.deepEqual(diagnostics.map((d) => [d.code, d.range.start.line]).sort(), [[BLOCKING, 10], [RACE, 5]]);
      const status = await client.statuses.next(`status of ${u}`, (s) => s.uri === u);
      assert.equal(status.state, 'ok');
    } finally {
      await client.stop();
    }
  });

  it('the other rules still report; the log and the status name the rule that failed', async () => {
    ensureBuilt();
    const client = await LspTestClient.start({ settings: {}, env: { LOOPGUARD_FAULT_INJECT_RULE: RACE } });
    try {
      const u = uri('.ts');
      await client.open(u, 'typescript', TS_TWO_RULES);
      const { diagnostics } = await client.diagnosticsFor(u, 1);
      assert.deepEqual(diagnostics.map((d) => [d.code, d.range.start.line]), [[BLOCKING, 10]]);
      const status = await client.statuses.next(`status of ${u}`, (s) => s.uri === u);
      assert.equal(status.state, 'error');
      assert.match(status.message, new RegExp(`^Rule ${RACE} failed`));
      const logged = await client.logs.next(`the error log of ${RACE}`, (l) => l.message.startsWith(`Rule ${RACE} failed on ${u}`));
      assert.match(logged.message, /fault injected into race-across-await/);
      // the server keeps serving: an edit is analysed again, with the same isolation
      const v2 = await client.change(u, [{ range: { start: { line: 10, character: 0 }, end: { line: 11, character: 0 } }, text: '' }]);
      assert.deepEqual((await client.diagnosticsFor(u, v2)).diagnostics, []);
      assert.equal(client.child.exitCode, null);
    } finally {
      await client.stop();
    }
  });
});

describe('client: when a crashed server is restarted (RestartPolicy)', () => {
  it(`restarts ${MAX_RESTARTS} times within the window, stops at the next crash, and counts again after a reset`, () => {
    let now = 0;
    const policy = new RestartPolicy(MAX_RESTARTS, RESTART_WINDOW_MS, () => now);
    const decisions: string[] = [];
    for (let i = 0; i <= MAX_RESTARTS; i++) {
      decisions.push(policy.crashed());
      now += 1000;
    }
    assert.deepEqual(decisions, [...Array<string>(MAX_RESTARTS).fill('restart'), 'stop']);
    policy.reset();
    assert.equal(policy.crashed(), 'restart');
  });

  it('forgets crashes older than the window', () => {
    let now = 0;
    const policy = new RestartPolicy(2, 60_000, () => now);
    assert.deepEqual([policy.crashed(), policy.crashed()], ['restart', 'restart']);
    now = 60_000; // both are a full window old now
    assert.deepEqual([policy.crashed(), policy.crashed(), policy.crashed()], ['restart', 'restart', 'stop']);
  });

  it('says how often and in how long in the message of the last crash', () => {
    assert.equal(stoppedMessage(new RestartPolicy()), "Loopguard's language server stopped unexpectedly 6 times in 3 minutes and was not restarted.");
  });
});
