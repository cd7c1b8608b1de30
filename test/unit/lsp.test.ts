// Protocol tests of the built language server (dist/server.js over --stdio), driven by a scripted
// client (test/harness/lsp-client.ts) that answers workspace/configuration from settings the test
// controls. Every wait is on a notification the server sends, with a timeout naming what was awaited.
// At the end, in-process tests of the lsp/ pieces a client cannot provoke (a failing rule, a
// throwing front end) and of the small helpers.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  CodeActionKind,
  DiagnosticSeverity,
  MessageType,
  ResourceOperationKind,
  TextDocumentSyncKind,
  type CodeAction,
  type Command,
  type Diagnostic,
  type PublishDiagnosticsParams,
  type TextDocumentEdit,
  type TextEdit,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { AnalysisResult, Engine } from '../../server/src/engine/engine';
import { applyEdits } from '../../server/src/engine/finding';
import { parseSuppressions } from '../../server/src/engine/suppression';
import { LineIndex } from '../../server/src/engine/text';
import { replaceChangedRange, wants } from '../../server/src/lsp/code-actions';
import { fileSuppressionEdit } from '../../server/src/lsp/file-suppression';
import { COMMANDS, FIX_ALL_KIND, type StatusParams } from '../../server/src/lsp/protocol';
import { SettingsStore } from '../../server/src/lsp/settings';
import { sourceFileName, Validator } from '../../server/src/lsp/validator';
import { ruleDocsUrl } from '../../server/src/rules/registry';
import {
  EventLog,
  FULL_CAPABILITIES,
  LspTestClient,
  applyTextEdits,
  editsFor,
  ensureBuilt,
  isCodeAction,
} from '../harness/lsp-client';
import { rangeOf } from '../harness/files';

const RULE = 'blocking-call-in-async';

const TS_LOAD = "import fs from 'fs';\nexport async function load(p: string) {\n  return fs.readFileSync(p, 'utf8');\n}\n";
const TS_LOAD_FIXED = "import fs from 'fs';\nexport async function load(p: string) {\n  return await fs.promises.readFile(p, 'utf8');\n}\n";
const PY_MAIN = 'import time\n\nasync def main():\n    time.sleep(1)\n';
// the Python fixer adds the import after the file's last top-level import
const PY_MAIN_FIXED = 'import time\nimport asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n';

let uriCounter = 0;
function uri(ext: string): string {
  return `file:///workspace/lsp-test-${++uriCounter}${ext}`;
}


function codeActions(list: Array<CodeAction | Command>): CodeAction[] {
  assert.ok(list.every(isCodeAction), 'the server answers with CodeAction literals');
  return list as CodeAction[];
}

function onlyOurs(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.source === 'loopguard');
}

describe('language server over stdio', () => {
  let client: LspTestClient;

  before(async () => {
    ensureBuilt();
    client = await LspTestClient.start({ settings: {} });
  });

  after(async () => {
    await client?.stop();
  });

  /** Opens a document and returns its first published diagnostics. */
  async function open(u: string, languageId: string, text: string): Promise<Diagnostic[]> {
    const mark = client.diagnostics.mark();
    await client.open(u, languageId, text);
    return (await client.diagnosticsFor(u, 1, mark)).diagnostics;
  }

  /** Applies the edits of a code action like an editor would and returns the next diagnostics. */
  async function apply(u: string, action: CodeAction): Promise<Diagnostic[]> {
    const edits = editsFor(action.edit, u);
    assert.ok(edits.length > 0, `"${action.title}" has edits for ${u}`);
    const mark = client.diagnostics.mark();
    const version = await client.applyEdits(u, edits);
    return (await client.diagnosticsFor(u, version, mark)).diagnostics;
  }

  it('initializes with incremental sync, quick fixes and fix-all, and registers for configuration changes', async () => {
    const caps = client.initializeResult?.capabilities;
    assert.deepEqual(caps?.textDocumentSync, { openClose: true, change: TextDocumentSyncKind.Incremental });
    const kinds = typeof caps?.codeActionProvider === 'object' ? caps.codeActionProvider.codeActionKinds : undefined;
    assert.deepEqual(kinds, [CodeActionKind.QuickFix, FIX_ALL_KIND]);
    const reg = await client.registrations.next('didChangeConfiguration registration', (r) => r.method === 'workspace/didChangeConfiguration');
    assert.deepEqual(reg.registerOptions, { section: 'loopguard' });
  });

  it('publishes a TypeScript finding with rule id, range, severity, source and docs link', async () => {
    const u = uri('.ts');
    const diagnostics = await open(u, 'typescript', TS_LOAD);
    assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
    const [d] = diagnostics;
    assert.equal(d.code, RULE);
    assert.equal(d.source, 'loopguard');
    assert.equal(d.severity, DiagnosticSeverity.Warning);
    assert.deepEqual(d.range, rangeOf(TS_LOAD, 'fs.readFileSync'));
    assert.deepEqual(d.codeDescription, { href: ruleDocsUrl(RULE) });
    const status = await client.statuses.next(`status for ${u}`, (s) => s.uri === u);
    assert.equal(status.state, 'ok');
    assert.equal(typeof status.lastAnalysisMs, 'number');
  });

  it('publishes a Python finding', async () => {
    const u = uri('.py');
    const diagnostics = await open(u, 'python', PY_MAIN);
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.source, d.severity, d.range]),
      [[RULE, 'loopguard', DiagnosticSeverity.Warning, rangeOf(PY_MAIN, 'time.sleep')]],
    );
  });

  it('reports ranges in UTF-16 code units', async () => {
    const u = uri('.ts');
    const text = "import fs from 'fs';\nexport async function f(p: string) {\n  const mark = '😀𝄞'; return fs.readFileSync(p);\n}\n";
    const diagnostics = await open(u, 'typescript', text);
    assert.deepEqual(diagnostics.map((d) => d.range), [rangeOf(text, 'fs.readFileSync')]);
  });

  it('follows incremental changes', async () => {
    const u = uri('.ts');
    await open(u, 'typescript', TS_LOAD);
    // a line inserted above moves the finding down
    let mark = client.diagnostics.mark();
    let version = await client.change(u, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: '// a comment\n' }]);
    let published = await client.diagnosticsFor(u, version, mark);
    assert.deepEqual(published.diagnostics.map((d) => d.range), [rangeOf(client.text(u), 'fs.readFileSync')]);
    assert.equal(published.diagnostics[0].range.start.line, 3);
    // replacing the call removes the finding
    mark = client.diagnostics.mark();
    version = await client.change(u, [{ range: rangeOf(client.text(u), "fs.readFileSync(p, 'utf8')"), text: 'p' }]);
    published = await client.diagnosticsFor(u, version, mark);
    assert.deepEqual(published.diagnostics, []);
    assert.equal(client.text(u), "import fs from 'fs';\n// a comment\nexport async function load(p: string) {\n  return p;\n}\n");
  });

  it('debounces a burst of changes and publishes only the latest version', async () => {
    const u = uri('.ts');
    await open(u, 'typescript', TS_LOAD);
    const mark = client.diagnostics.mark();
    const at = { start: { line: 3, character: 1 }, end: { line: 3, character: 1 } };
    await client.change(u, [{ range: at, text: '\n' }]);
    await client.change(u, [{ range: { start: { line: 4, character: 0 }, end: { line: 4, character: 0 } }, text: '\n' }]);
    const sent = Date.now();
    const last = await client.change(u, [{ range: { start: { line: 5, character: 0 }, end: { line: 5, character: 0 } }, text: '\n' }]);
    const published = await client.diagnosticsFor(u, last, mark);
    // a lower bound only, so a slow machine cannot make it fail: the server waited for a pause
    assert.ok(Date.now() - sent >= 100, `published ${Date.now() - sent} ms after the last change`);
    assert.equal(published.diagnostics.length, 1);
    const versions = client.diagnostics.items.slice(mark).filter((p) => p.uri === u).map((p) => p.version);
    assert.deepEqual(versions, [last], 'nothing is published for the versions the burst went through');
  });

  it('never publishes a result for a version the document has left', async () => {
    const u = uri('.ts');
    let release!: () => void;
    client.configurationGate = new Promise<void>((r) => (release = r));
    try {
      const mark = client.diagnostics.mark();
      const asked = client.configurationRequests.mark();
      await client.open(u, 'typescript', TS_LOAD);
      // the validation of version 1 is waiting for its settings; the text changes under it
      await client.configurationRequests.next(`configuration request for ${u}`, (s) => s === u, asked);
      const v2 = await client.change(u, [{ range: rangeOf(TS_LOAD, "fs.readFileSync(p, 'utf8')"), text: 'p' }]);
      release();
      const first = await client.diagnostics.next(`first diagnostics for ${u}`, (p) => p.uri === u, mark);
      assert.equal(first.version, v2);
      assert.deepEqual(first.diagnostics, []);
      await client.diagnosticsFor(u, v2, mark);
      assert.ok(
        client.diagnostics.items.slice(mark).every((p) => p.uri !== u || p.version === v2),
        'no diagnostics for version 1 were published',
      );
    } finally {
      client.configurationGate = undefined;
      release();
    }
  });

  it('offers the preferred safe fix, then disable-line, disable-file and show-docs, and the fix applies exactly', async () => {
    const u = uri('.ts');
    const [d] = await open(u, 'typescript', TS_LOAD);
    const actions = codeActions(await client.codeActions(u, d.range, { diagnostics: [d] }));
    assert.deepEqual(
      actions.map((a) => [a.title, a.kind, a.isPreferred ?? false]),
      [
        ['Replace with `await fs.promises.readFile(…)`', CodeActionKind.QuickFix, true],
        [`Disable ${RULE} for this line`, CodeActionKind.QuickFix, false],
        [`Disable ${RULE} for this file`, CodeActionKind.QuickFix, false],
        [`Show documentation for ${RULE}`, CodeActionKind.QuickFix, false],
      ],
    );
    for (const a of actions) assert.deepEqual(a.diagnostics, [d]);
    const docs = actions[3];
    assert.deepEqual(docs.command, { title: `Show documentation for ${RULE}`, command: COMMANDS.showRuleDocumentation, arguments: [RULE] });
    assert.equal(docs.edit, undefined);
    // edits are versioned, so an editor can refuse them once the text moved on
    assert.deepEqual(
      actions[0].edit?.documentChanges?.map((c) => ('textDocument' in c ? c.textDocument : undefined)),
      [{ uri: u, version: 1 }],
    );
    assert.equal(applyTextEdits(TS_LOAD, editsFor(actions[0].edit, u)), TS_LOAD_FIXED);
    assert.deepEqual(await apply(u, actions[0]), []);
    assert.equal(client.text(u), TS_LOAD_FIXED);
  });

  it('fixes Python: await asyncio.sleep, with import asyncio added', async () => {
    const u = uri('.py');
    const [d] = await open(u, 'python', PY_MAIN);
    const actions = codeActions(await client.codeActions(u, d.range, { diagnostics: [d] }));
    const preferred = actions.filter((a) => a.isPreferred);
    assert.deepEqual(preferred.map((a) => a.title), ['Replace with `await asyncio.sleep(…)`']);
    assert.deepEqual(await apply(u, preferred[0]), []);
    assert.equal(client.text(u), PY_MAIN_FIXED);
  });

  it('finds the fixes of a diagnostic whose data the client dropped', async () => {
    const u = uri('.ts');
    const [d] = await open(u, 'typescript', TS_LOAD);
    const bare: Diagnostic = { ...d, data: undefined };
    const actions = codeActions(await client.codeActions(u, d.range, { diagnostics: [bare] }));
    assert.equal(actions[0]?.title, 'Replace with `await fs.promises.readFile(…)`');
  });

  it('answers a code action asked before the debounced analysis ran, for the current version', async () => {
    const u = uri('.ts');
    await open(u, 'typescript', TS_LOAD);
    const version = await client.change(u, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: '\n' }]);
    // the editor shifted the old diagnostic one line down; no new diagnostics have been published yet
    const range = rangeOf(client.text(u), 'fs.readFileSync');
    const shifted: Diagnostic = { range, source: 'loopguard', code: RULE, message: '', severity: DiagnosticSeverity.Warning };
    const actions = codeActions(await client.codeActions(u, range, { diagnostics: [shifted] }));
    assert.ok(actions.length > 0, 'fixes for the current version');
    assert.deepEqual(
      actions[0].edit?.documentChanges?.map((c) => ('textDocument' in c ? c.textDocument.version : undefined)),
      [version],
    );
    assert.equal(
      applyTextEdits(client.text(u), editsFor(actions[0].edit, u)),
      "import fs from 'fs';\n\nexport async function load(p: string) {\n  return await fs.promises.readFile(p, 'utf8');\n}\n",
    );
  });

  for (const [languageId, ext, text, needle] of [
    ['typescript', '.ts', TS_LOAD, 'fs.readFileSync'],
    ['python', '.py', PY_MAIN, 'time.sleep'],
  ] as const) {
    it(`"Disable … for this line" silences the ${languageId} finding on re-analysis`, async () => {
      const u = uri(ext);
      const [d] = await open(u, languageId, text);
      const actions = codeActions(await client.codeActions(u, d.range, { diagnostics: [d] }));
      const disable = actions.find((a) => a.title === `Disable ${RULE} for this line`);
      assert.ok(disable, actions.map((a) => a.title).join(', '));
      assert.deepEqual(await apply(u, disable), []);
      assert.match(client.text(u), /loopguard/);
      assert.ok(client.text(u).includes(needle), 'the call itself is untouched');
    });

    it(`"Disable … for this file" silences the ${languageId} finding on re-analysis`, async () => {
      const u = uri(ext);
      const shebang = languageId === 'python' ? '#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n' : '#!/usr/bin/env node\n';
      const [d] = await open(u, languageId, shebang + text);
      const actions = codeActions(await client.codeActions(u, d.range, { diagnostics: [d] }));
      const disable = actions.find((a) => a.title === `Disable ${RULE} for this file`);
      assert.ok(disable, actions.map((a) => a.title).join(', '));
      assert.deepEqual(await apply(u, disable), []);
      const directive = languageId === 'python' ? `# loopguard: ignore-file[${RULE}]\n` : `// loopguard-ignore-file ${RULE}\n`;
      // after the shebang and the encoding line, which must stay first
      assert.equal(client.text(u), shebang + directive + text);
    });
  }

  it('source.fixAll.loopguard applies every safe fix in one edit, and no unsafe one', async () => {
    const u = uri('.py');
    const text = 'import time\n\nasync def main(path):\n    time.sleep(1)\n    time.sleep(2)\n    f = open(path)\n    return f\n';
    const diagnostics = await open(u, 'python', text);
    assert.equal(diagnostics.length, 3, JSON.stringify(diagnostics));
    const actions = codeActions(
      await client.codeActions(u, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, { diagnostics: [], only: [FIX_ALL_KIND] }),
    );
    assert.deepEqual(actions.map((a) => a.kind), [FIX_ALL_KIND]);
    const edits = editsFor(actions[0].edit, u);
    assert.equal(edits.length, 1, 'one edit over the changed range');
    const fixed = 'import time\nimport asyncio\n\nasync def main(path):\n    await asyncio.sleep(1)\n    await asyncio.sleep(2)\n    f = open(path)\n    return f\n';
    assert.equal(applyTextEdits(text, edits), fixed);
    const after = await apply(u, actions[0]);
    assert.deepEqual(after.map((d) => d.range), [rangeOf(fixed, 'open')], 'the unsafe fix was left for review');
    // `source` (the Source Action menu) includes source.fixAll.loopguard; a quickfix-only request does not
    const v = uri('.ts');
    await open(v, 'typescript', TS_LOAD);
    const origin = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    assert.deepEqual(codeActions(await client.codeActions(v, origin, { diagnostics: [], only: ['source'] })).map((a) => a.kind), [FIX_ALL_KIND]);
    assert.deepEqual(await client.codeActions(v, origin, { diagnostics: [], only: [CodeActionKind.QuickFix] }), []);
  });

  it('follows rule severities from didChangeConfiguration, off removing the diagnostics', async () => {
    const u = uri('.ts');
    await open(u, 'typescript', TS_LOAD);
    try {
      let mark = client.diagnostics.mark();
      await client.changeConfiguration({ rules: { [RULE]: 'error' } });
      let published = await client.diagnostics.next(`revalidated ${u}`, (p) => p.uri === u, mark);
      assert.deepEqual(published.diagnostics.map((d) => d.severity), [DiagnosticSeverity.Error]);

      mark = client.diagnostics.mark();
      await client.changeConfiguration({ rules: { [RULE]: 'off' } });
      published = await client.diagnostics.next(`revalidated ${u}`, (p) => p.uri === u, mark);
      assert.deepEqual(published.diagnostics, []);
      assert.equal(published.version, 1);
    } finally {
      const mark = client.diagnostics.mark();
      await client.changeConfiguration({});
      await client.diagnostics.next(`revalidated ${u}`, (p) => p.uri === u, mark);
    }
  });

  it('publishes nothing while loopguard.enable is false, and clears what it had published', async () => {
    const u = uri('.py');
    assert.equal((await open(u, 'python', PY_MAIN)).length, 1);
    try {
      let mark = client.diagnostics.mark();
      await client.changeConfiguration({ enable: false });
      assert.deepEqual((await client.diagnostics.next(`cleared ${u}`, (p) => p.uri === u, mark)).diagnostics, []);
      const w = uri('.py');
      assert.deepEqual(await open(w, 'python', PY_MAIN), []);
      const none = codeActions(await client.codeActions(w, rangeOf(PY_MAIN, 'time.sleep'), { diagnostics: [], only: [FIX_ALL_KIND] }));
      assert.deepEqual(none, [], 'no fix-all while disabled');
      mark = client.diagnostics.mark();
      await client.changeConfiguration({});
      assert.equal((await client.diagnostics.next(`re-enabled ${u}`, (p) => p.uri === u, mark)).diagnostics.length, 1);
    } finally {
      await client.changeConfiguration({});
    }
  });

  it('warns once about malformed settings and keeps analysing with the defaults', async () => {
    const bad = { maxFileSize: 'big', rules: { 'no-such-rule': 'error' }, blockingApis: [{ name: 'not a name' }] };
    const messages = client.messages.mark();
    const mark = client.diagnostics.mark();
    await client.changeConfiguration(bad);
    try {
      const u = uri('.ts');
      const diagnostics = await open(u, 'typescript', TS_LOAD);
      assert.deepEqual(diagnostics.map((d) => [d.code, d.severity]), [[RULE, DiagnosticSeverity.Warning]]);
      for (const setting of ['loopguard.maxFileSize', 'loopguard.rules', 'loopguard.blockingApis[0]']) {
        const m = await client.messages.next(`a warning naming ${setting}`, (p) => p.message.includes(setting), messages);
        assert.equal(m.type, MessageType.Warning);
      }
      // a second document with the same settings does not repeat the warnings
      const v = uri('.ts');
      await open(v, 'typescript', TS_LOAD);
      await client.diagnostics.next('any revalidation', (p) => p.uri === v, mark);
      const shown = client.messages.items.slice(messages).map((p) => p.message);
      assert.equal(new Set(shown).size, shown.length, `shown once each:\n${shown.join('\n')}`);
      assert.equal(shown.length, 3, shown.join('\n'));
      const status = await client.statuses.next(`warning status for ${v}`, (s) => s.uri === v);
      assert.equal(status.state, 'warning');
    } finally {
      await client.changeConfiguration({});
    }
  });

  it('warns in the log and the status when analysis exceeds loopguard.timeBudgetMs', async () => {
    await client.changeConfiguration({ timeBudgetMs: 0.000001 });
    try {
      const u = uri('.ts');
      const logs = client.logs.mark();
      assert.equal((await open(u, 'typescript', TS_LOAD)).length, 1, 'a slow analysis is still published');
      const status = await client.statuses.next(`status for ${u}`, (s) => s.uri === u);
      assert.equal(status.state, 'warning');
      assert.equal(typeof status.lastAnalysisMs, 'number');
      const warning = await client.logs.next('a budget warning', (l) => l.message.includes(u) && l.message.includes('timeBudgetMs'), logs);
      assert.equal(warning.type, MessageType.Warning);
    } finally {
      await client.changeConfiguration({});
    }
  });

  it('still analyses what it can in a file with syntax errors', async () => {
    const u = uri('.ts');
    const text = "import fs from 'fs';\nexport async function load(p: string) {\n  const x = fs.readFileSync(p);\n  if (x ===\n}\nfunction (\n";
    const diagnostics = await open(u, 'typescript', text);
    assert.deepEqual(onlyOurs(diagnostics).map((d) => d.range), [rangeOf(text, 'fs.readFileSync')]);
    const p = uri('.py');
    const py = 'import time\n\nasync def main():\n    time.sleep(1)\n\ndef broken(:\n    pass\n';
    assert.deepEqual((await open(p, 'python', py)).map((d) => d.range), [rangeOf(py, 'time.sleep')]);
  });

  it('skips a 10 MB file quickly, says so, and keeps serving', async () => {
    const u = uri('.ts');
    const filler = '// filler line to make the file big ....................................\n';
    const text = TS_LOAD + filler.repeat(Math.ceil(10_000_000 / filler.length));
    const started = Date.now();
    const logs = client.logs.mark();
    const diagnostics = await open(u, 'typescript', text);
    assert.deepEqual(diagnostics, []);
    const status = await client.statuses.next(`status for ${u}`, (s) => s.uri === u);
    assert.equal(status.state, 'warning');
    assert.equal(status.lastAnalysisMs, undefined);
    await client.logs.next('a log line about the skipped file', (l) => l.message.includes(u) && l.message.includes('maxFileSize'), logs);
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
    // the next request is answered
    const v = uri('.py');
    assert.equal((await open(v, 'python', PY_MAIN)).length, 1);
    await client.close(u);
  });

  it('clears diagnostics when a document closes', async () => {
    const u = uri('.py');
    assert.equal((await open(u, 'python', PY_MAIN)).length, 1);
    const mark = client.diagnostics.mark();
    await client.close(u);
    const cleared = await client.diagnostics.next(`cleared ${u}`, (p) => p.uri === u, mark);
    assert.deepEqual(cleared.diagnostics, []);
    // and forgot its fixes
    assert.deepEqual(await client.codeActions(u, rangeOf(PY_MAIN, 'time.sleep'), { diagnostics: [] }), []);
  });

  it('shuts down and exits cleanly', async () => {
    const code = await client.shutdown();
    assert.equal(code, 0);
  });
});

describe('language server with a client that has no workspace/configuration', () => {
  let client: LspTestClient;

  before(async () => {
    ensureBuilt();
    const { workspace: _ignored, ...rest } = FULL_CAPABILITIES;
    void _ignored;
    client = await LspTestClient.start({ capabilities: { ...rest } });
  });

  after(async () => {
    if (client) client.kill();
  });

  it('analyses with the defaults, then with settings pushed by didChangeConfiguration', async () => {
    const u = uri('.py');
    const mark = client.diagnostics.mark();
    await client.open(u, 'python', PY_MAIN);
    const first = await client.diagnosticsFor(u, 1, mark);
    assert.deepEqual(first.diagnostics.map((d) => d.severity), [DiagnosticSeverity.Warning]);
    assert.equal(client.configurationRequests.items.length, 0, 'the server never asked');
    assert.equal(client.registrations.items.length, 0, 'nor registered for configuration changes');
    const again = client.diagnostics.mark();
    await client.changeConfiguration({ rules: { [RULE]: 'hint' } });
    const second = await client.diagnostics.next(`revalidated ${u}`, (p) => p.uri === u, again);
    assert.deepEqual(second.diagnostics.map((d) => d.severity), [DiagnosticSeverity.Hint]);
    assert.equal(await client.shutdown(), 0);
  });
});

describe('lsp helpers', () => {
  it('fix-all replaces only the changed middle, never splitting a surrogate pair or a CRLF', () => {
    const cases: Array<[string, string]> = [
      ['a = 1\nb = 2\n', 'a = 1\nb = 3\n'],
      ['x 😀 y', 'x 😃 y'],
      ['a\r\nb', 'a\r\r\nb'],
      ['same', 'same'],
      ['', 'new'],
      ['abcabc', 'abc'],
    ];
    for (const [before, after] of cases) {
      const change = replaceChangedRange(before, after);
      if (before === after) {
        assert.equal(change, undefined);
        continue;
      }
      assert.ok(change);
      assert.equal(applyEdits(before, [change]), after, JSON.stringify([before, after]));
      for (const at of [change.start, change.end]) {
        const c = before.charCodeAt(at);
        assert.ok(!(c >= 0xdc00 && c <= 0xdfff), `edit boundary ${at} splits a surrogate pair in ${JSON.stringify(before)}`);
        assert.ok(!(c === 10 && before.charCodeAt(at - 1) === 13), `edit boundary ${at} splits a CRLF in ${JSON.stringify(before)}`);
      }
    }
    assert.deepEqual(replaceChangedRange('a = 1\nb = 2\n', 'a = 1\nb = 3\n'), { start: 10, end: 11, newText: '3' });
    assert.deepEqual(replaceChangedRange('x 😀 y', 'x 😃 y'), { start: 2, end: 4, newText: '😃' });
  });

  it('a file suppression goes after a shebang and a Python encoding line, or joins an existing one', () => {
    const add = (family: 'javascript' | 'python', text: string, comments: Array<{ start: number; end: number }> = []): string => {
      const lines = new LineIndex(text);
      const suppressions = parseSuppressions(
        family,
        comments.map((span) => ({ span, text: text.slice(span.start, span.end) })),
        lines,
      );
      return applyEdits(text, [fileSuppressionEdit(family, lines, suppressions, RULE)]);
    };
    assert.equal(add('javascript', 'run();\n'), `// loopguard-ignore-file ${RULE}\nrun();\n`);
    assert.equal(add('javascript', '#!/usr/bin/env node\r\nrun();\r\n'), `#!/usr/bin/env node\r\n// loopguard-ignore-file ${RULE}\r\nrun();\r\n`);
    assert.equal(add('javascript', '#!/usr/bin/env node'), `#!/usr/bin/env node\n// loopguard-ignore-file ${RULE}`);
    assert.equal(add('python', '# coding: latin-1\nimport time\n'), `# coding: latin-1\n# loopguard: ignore-file[${RULE}]\nimport time\n`);
    assert.equal(add('python', '"""doc"""\n'), `# loopguard: ignore-file[${RULE}]\n"""doc"""\n`);
    const js = '// loopguard-ignore-file other-rule\nrun();\n';
    assert.equal(add('javascript', js, [{ start: 0, end: js.indexOf('\n') }]), `// loopguard-ignore-file other-rule ${RULE}\nrun();\n`);
    const py = '# loopguard: ignore-file[other-rule]\nimport time\n';
    assert.equal(add('python', py, [{ start: 0, end: py.indexOf('\n') }]), `# loopguard: ignore-file[other-rule, ${RULE}]\nimport time\n`);
  });

  it('code-action kinds: `only` selects by prefix', () => {
    assert.ok(wants(undefined, CodeActionKind.QuickFix));
    assert.ok(wants(['source'], FIX_ALL_KIND));
    assert.ok(wants(['source.fixAll'], FIX_ALL_KIND));
    assert.ok(wants([FIX_ALL_KIND], FIX_ALL_KIND));
    assert.ok(!wants(['source.fixAll.eslint'], FIX_ALL_KIND));
    assert.ok(!wants(['quickfix'], FIX_ALL_KIND));
    assert.ok(!wants(['source.organizeImports'], FIX_ALL_KIND));
  });

  it('front ends see a file name whose extension matches the language id', () => {
    assert.equal(sourceFileName('file:///w/a%20b/x.ts', 'typescript'), '/w/a b/x.ts');
    assert.equal(sourceFileName('file:///w/x.mjs', 'javascript'), '/w/x.mjs');
    assert.equal(sourceFileName('file:///w/x.pyi', 'python'), '/w/x.pyi');
    assert.equal(sourceFileName('file:///w/Jakefile', 'javascript'), '/w/Jakefile.js');
    assert.equal(sourceFileName('untitled:Untitled-1', 'typescriptreact'), 'Untitled-1.tsx');
    assert.equal(sourceFileName('file:///w/view.js', 'javascriptreact'), '/w/view.js.jsx');
  });
});

describe('validator and settings store (in process)', () => {
  const TEXT = 'import time\n\nasync def main():\n    time.sleep(1)\n';

  function result(over: Partial<AnalysisResult>): AnalysisResult {
    return {
      family: 'python',
      findings: [],
      suppressions: [],
      syntaxProblems: [],
      skipped: undefined,
      ruleErrors: [],
      timings: { parseMs: 0, rulesMs: 0 },
      lines: new LineIndex(TEXT),
      ...over,
    };
  }

  function harness(analyse: Pick<Engine, 'analyse'>['analyse']) {
    const doc = TextDocument.create('file:///w/x.py', 'python', 1, TEXT);
    const published = new EventLog<PublishDiagnosticsParams>();
    const statuses = new EventLog<StatusParams>();
    const errors: string[] = [];
    const settings = new SettingsStore({ fetch: async () => ({}), reportProblem: () => undefined, logError: (m) => errors.push(m) });
    const validator = new Validator({
      engine: { analyse },
      settings,
      document: (u) => (u === doc.uri ? doc : undefined),
      publish: (p) => published.push(p),
      status: (p) => statuses.push(p),
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m) => errors.push(m) },
      debounceMs: 1,
    });
    return { doc, published, statuses, errors, validator };
  }

  it('logs a failing rule and reports an error status, still publishing the other findings', async () => {
    const h = harness(() => result({ ruleErrors: [{ rule: 'some-rule', error: 'TypeError: boom\n    at check' }] }));
    h.validator.opened(h.doc);
    assert.deepEqual((await h.published.next('diagnostics', () => true)).diagnostics, []);
    const status = await h.statuses.next('status', () => true);
    assert.equal(status.state, 'error');
    assert.ok(h.errors.some((e) => e.includes('some-rule') && e.includes('TypeError: boom')), h.errors.join('\n'));
  });

  it('clears a document whose analysis throws, and reports it', async () => {
    let calls = 0;
    const h = harness(() => {
      calls++;
      throw new Error('front end bug');
    });
    h.validator.opened(h.doc);
    const p = await h.published.next('diagnostics', () => true);
    assert.deepEqual([p.version, p.diagnostics], [1, []]);
    assert.equal((await h.statuses.next('status', () => true)).state, 'error');
    assert.ok(h.errors.some((e) => e.includes('front end bug')));
    // a code action does not re-run an analysis that already ran for this version
    assert.equal(await h.validator.current(h.doc.uri), undefined);
    assert.equal(calls, 1);
  });

  it('shows each settings problem once; again only after it went away and came back', async () => {
    const shown: string[] = [];
    let raw: unknown = { maxFileSize: -1 };
    const store = new SettingsStore({ fetch: async () => raw, reportProblem: (p) => shown.push(p), logError: () => undefined });
    await store.get('file:///a.ts');
    await store.get('file:///b.ts');
    assert.equal(shown.length, 1, shown.join('\n'));
    assert.match(shown[0], /loopguard\.maxFileSize/);
    // another setting changed; the problem persists: not shown again
    store.invalidate();
    assert.equal((await store.get('file:///a.ts')).settings.maxFileSize, 4_000_000, 'the default replaces the bad value');
    assert.equal(shown.length, 1);
    // fixed, then broken again: shown again
    raw = {};
    store.invalidate();
    assert.deepEqual((await store.get('file:///a.ts')).problems, []);
    raw = { maxFileSize: -1 };
    store.invalidate();
    await store.get('file:///a.ts');
    assert.equal(shown.length, 2);
  });

  it('falls back to the defaults when the client fails to answer workspace/configuration', async () => {
    const errors: string[] = [];
    const store = new SettingsStore({
      fetch: () => Promise.reject(new Error('no handler')),
      reportProblem: () => undefined,
      logError: (m) => errors.push(m),
    });
    const s = await store.get('file:///a.ts');
    assert.equal(s.settings.enable, true);
    assert.equal(errors.length, 1);
  });
});

describe('language server: a fix that writes other files', () => {
  const JOB = 'export async function total(n) {\n  let sum = 0;\n  for (let i = 0; i < n; i++) sum += i * i;\n  return sum;\n}\n';
  const MOVE = 'Move the loop into a worker thread (`totalLoop` in job.worker.mjs)';
  let dir = '';
  let creating: LspTestClient | undefined;
  let plain: LspTestClient | undefined;

  before(async () => {
    ensureBuilt();
    // a real package on disk: the server reads its package.json ("type": "module" → .mjs modules)
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-lsp-worker-'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'job', type: 'module' }));
    fs.writeFileSync(path.join(dir, 'job.js'), JOB);
    const workspace = { ...FULL_CAPABILITIES.workspace, workspaceEdit: { documentChanges: true, resourceOperations: [ResourceOperationKind.Create] } };
    [creating, plain] = await Promise.all([
      LspTestClient.start({ settings: {}, capabilities: { ...FULL_CAPABILITIES, workspace } }),
      LspTestClient.start({ settings: {} }),
    ]);
  });

  after(() => {
    creating?.kill();
    plain?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function actionsFor(client: LspTestClient): Promise<CodeAction[]> {
    const u = pathToFileURL(path.join(dir, 'job.js')).href;
    const mark = client.diagnostics.mark();
    await client.open(u, 'javascript', JOB);
    const [d] = onlyOurs((await client.diagnosticsFor(u, 1, mark)).diagnostics);
    assert.equal(d?.code, 'cpu-loop-on-event-loop');
    return codeActions(await client.codeActions(u, d.range, { diagnostics: [d] }));
  }

  it('creates the worker module and the pool helper, edits them unversioned and the document at its version', async () => {
    const actions = await actionsFor(creating!);
    assert.equal(actions[0].title, MOVE);
    assert.equal(actions[0].isPreferred, undefined);
    const changes = actions[0].edit?.documentChanges ?? [];
    const worker = pathToFileURL(path.join(dir, 'job.worker.mjs')).href;
    const helper = pathToFileURL(path.join(dir, 'loopguard-worker-pool.mjs')).href;
    const job = pathToFileURL(path.join(dir, 'job.js')).href;
    assert.deepEqual(
      changes.map((c) => ('kind' in c ? `${c.kind} ${c.kind === 'rename' ? c.oldUri : c.uri}` : `edit ${c.textDocument.uri} ${c.textDocument.version}`)),
      [`create ${worker}`, `create ${helper}`, `edit ${worker} null`, `edit ${helper} null`, `edit ${job} 1`],
    );
    const created = changes.find((c): c is TextDocumentEdit => !('kind' in c) && c.textDocument.uri === worker);
    assert.match(applyTextEdits('', created!.edits as TextEdit[]), /export function totalLoop\(\{ n, sum \}\) \{\n  for \(let i = 0; i < n; i\+\+\) sum \+= i \* i;\n  return \{ sum \};\n\}\n$/);
    assert.equal(
      applyTextEdits(JOB, editsFor(actions[0].edit, job)),
      "import { runInWorker } from './loopguard-worker-pool.mjs';\n\nexport async function total(n) {\n  let sum = 0;\n" +
        "  ({ sum } = await runInWorker(new URL('./job.worker.mjs', import.meta.url).href, 'totalLoop', { n, sum }));\n  return sum;\n}\n",
    );
    assert.equal(actions[1].title, 'Yield to the event loop every 1000 iterations');
  });

  it('edits another file that is open at its version: the buffer, not the disk', async () => {
    const job = pathToFileURL(path.join(dir, 'job2.js')).href;
    const workerFile = path.join(dir, 'job2.worker.mjs');
    const worker = pathToFileURL(workerFile).href;
    fs.writeFileSync(path.join(dir, 'job2.js'), JOB);
    fs.writeFileSync(workerFile, 'export function other() {}\n');
    await creating!.open(worker, 'javascript', '// not saved yet\nexport function other() {}\n', 7);
    const mark = creating!.diagnostics.mark();
    await creating!.open(job, 'javascript', JOB);
    const [d] = onlyOurs((await creating!.diagnosticsFor(job, 1, mark)).diagnostics);
    const actions = codeActions(await creating!.codeActions(job, d.range, { diagnostics: [d] }));
    const move = actions.find((a) => a.title === 'Move the loop into a worker thread (`totalLoop` in job2.worker.mjs)');
    assert.ok(move, actions.map((a) => a.title).join(' | '));
    const changes = move.edit?.documentChanges ?? [];
    assert.ok(
      changes.some((c) => !('kind' in c) && c.textDocument.uri === worker && c.textDocument.version === 7),
      `the open worker module is edited at version 7: ${JSON.stringify(changes.map((c) => ('kind' in c ? c.kind : c.textDocument)))}`,
    );
  });

  it('leaves the action out for a client that cannot create files', async () => {
    const actions = await actionsFor(plain!);
    assert.ok(!actions.some((a) => a.title === MOVE));
    assert.equal(actions[0].title, 'Yield to the event loop every 1000 iterations');
  });
});
