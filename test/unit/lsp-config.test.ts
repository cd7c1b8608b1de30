// Configuration over the real protocol (the built dist/server.js, driven by test/harness/lsp-client):
// two workspace folders with different settings answered per scopeUri, `loopguard.overrides` globs
// relative to each document's own folder, a project file picked up and re-read when the client
// reports it changed (workspace/didChangeWatchedFiles), exclude, and a malformed project file: one
// warning naming the file and pointer, a status item saying so, and every document still analysed.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  ConfigurationRequest,
  DiagnosticSeverity,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  DidChangeWorkspaceFoldersNotification,
  FileChangeType,
  MessageType,
  type Diagnostic,
} from 'vscode-languageserver-protocol/node';
import { ensureBuilt, FULL_CAPABILITIES, LspTestClient } from '../harness/lsp-client';
import { writeTree } from '../harness/files';

const RULE = 'blocking-call-in-async';
const PY = 'import time\n\nasync def main():\n    time.sleep(1)\n';

const tree = (files: Record<string, string>): string => writeTree('loopguard-lsp-config-', files);

const uriOf = (p: string): string => pathToFileURL(p).href;

describe('configuration over the language server protocol', () => {
  let client: LspTestClient;
  const root = tree({
    // folder A: settings only (no project file anywhere above its files in this tree)
    'a/src/app.py': PY,
    'a/tests/test_app.py': PY,
    // folder B: a project file
    'b/loopguard.json': JSON.stringify({ rules: { [RULE]: 'error' }, exclude: ['generated/**'] }),
    'b/src/app.py': PY,
    'b/generated/gen.py': PY,
    // folder C: a malformed project file
    'c/loopguard.json': JSON.stringify({ rules: { [RULE]: 'loud' } }),
    'c/one.py': PY,
    'c/two.py': PY,
    // folder D: neither settings nor a project file: the default test file globs
    'd/test/app.py': PY,
    'd/src/app.py': PY,
  });
  const folder = (name: string) => path.join(root, name);
  /** settings per workspace folder, answered by scopeUri like VS Code does */
  const settingsByFolder: Record<string, Record<string, unknown>> = {
    a: { rules: { [RULE]: 'info' }, overrides: [{ files: ['tests/**'], rules: { [RULE]: 'off' } }] },
    b: {},
    c: {},
    d: {},
  };

  before(async () => {
    ensureBuilt();
    client = await LspTestClient.start({
      capabilities: { ...FULL_CAPABILITIES, workspace: { ...FULL_CAPABILITIES.workspace, workspaceFolders: true } },
    });
    client.connection.onRequest(ConfigurationRequest.type, (params) =>
      params.items.map((item) => {
        const scope = item.scopeUri ?? '';
        const name = Object.keys(settingsByFolder).find((f) => scope.startsWith(uriOf(folder(f)) + '/'));
        return item.section === 'loopguard' ? structuredClone(name ? settingsByFolder[name] : {}) : null;
      }),
    );
    await client.connection.sendNotification(DidChangeWorkspaceFoldersNotification.type, {
      event: { added: ['a', 'b', 'c', 'd'].map((f) => ({ uri: uriOf(folder(f)), name: f })), removed: [] },
    });
  });

  after(async () => {
    await client?.stop();
  });

  async function open(file: string): Promise<Diagnostic[]> {
    const mark = client.diagnostics.mark();
    const u = uriOf(file);
    await client.open(u, 'python', fs.readFileSync(file, 'utf8'));
    return (await client.diagnosticsFor(u, 1, mark)).diagnostics;
  }

  const severities = (ds: readonly Diagnostic[]) => ds.filter((d) => d.source === 'loopguard').map((d) => [d.code, d.severity]);

  it('announces workspace folder support', () => {
    assert.deepEqual(client.initializeResult?.capabilities.workspace?.workspaceFolders, { supported: true, changeNotifications: true });
  });

  // before the other folders' documents are opened: the configuration change re-analyses only folder D's
  it('a document under test/ gets no blocking finding by default; with loopguard.testFiles [] it does', async () => {
    const testFile = path.join(folder('d'), 'test', 'app.py');
    assert.deepEqual(severities(await open(testFile)), []);
    assert.deepEqual(severities(await open(path.join(folder('d'), 'src', 'app.py'))), [[RULE, DiagnosticSeverity.Warning]]);
    const u = uriOf(testFile);
    const mark = client.diagnostics.mark();
    settingsByFolder.d = { testFiles: [] };
    try {
      await client.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
      const again = await client.diagnostics.next(`diagnostics for ${u} with testFiles []`, (p) => p.uri === u && p.diagnostics.length > 0, mark);
      assert.deepEqual(severities(again.diagnostics), [[RULE, DiagnosticSeverity.Warning]]);
      // the other open document of the change is published too before the next test marks its start
      const src = uriOf(path.join(folder('d'), 'src', 'app.py'));
      await client.diagnostics.next(`diagnostics for ${src} after the change`, (p) => p.uri === src, mark);
    } finally {
      settingsByFolder.d = {};
    }
  });

  it('settings per folder: folder A\'s rules and its overrides glob, relative to folder A', async () => {
    assert.deepEqual(severities(await open(path.join(folder('a'), 'src', 'app.py'))), [[RULE, DiagnosticSeverity.Information]]);
    assert.deepEqual(severities(await open(path.join(folder('a'), 'tests', 'test_app.py'))), []);
  });

  it('folder B gets its project file, not folder A\'s settings', async () => {
    assert.deepEqual(severities(await open(path.join(folder('b'), 'src', 'app.py'))), [[RULE, DiagnosticSeverity.Error]]);
  });

  it('a file excluded by the project file gets no diagnostics and says why in the status', async () => {
    const file = path.join(folder('b'), 'generated', 'gen.py');
    const mark = client.statuses.mark();
    assert.deepEqual(severities(await open(file)), []);
    const status = await client.statuses.next('status of the excluded file', (s) => s.uri === uriOf(file), mark);
    assert.equal(status.state, 'ok');
    assert.ok(status.message.startsWith('Excluded by loopguard.json'), status.message);
  });

  it('a changed project file is re-read when the client reports it, and open documents are analysed again', async () => {
    const file = path.join(folder('b'), 'src', 'app.py');
    const u = uriOf(file);
    const mark = client.diagnostics.mark();
    fs.writeFileSync(path.join(folder('b'), 'loopguard.json'), JSON.stringify({ rules: { [RULE]: 'hint' } }));
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, {
      changes: [{ uri: uriOf(path.join(folder('b'), 'loopguard.json')), type: FileChangeType.Changed }],
    });
    const again = await client.diagnostics.next(`hint diagnostics for ${u}`, (p) => p.uri === u && p.diagnostics.some((d) => d.severity === DiagnosticSeverity.Hint), mark);
    assert.deepEqual(severities(again.diagnostics), [[RULE, DiagnosticSeverity.Hint]]);
    // folder A's documents were analysed again too, and kept their own settings
    const a = uriOf(path.join(folder('a'), 'src', 'app.py'));
    const aAgain = await client.diagnostics.next(`diagnostics for ${a} after the change`, (p) => p.uri === a, mark);
    assert.deepEqual(severities(aAgain.diagnostics), [[RULE, DiagnosticSeverity.Information]]);
  });

  it('a malformed project file: one warning naming file and pointer, a warning status, and the document analysed with defaults', async () => {
    const cfg = path.join(folder('c'), 'loopguard.json');
    const msgMark = client.messages.mark();
    const statusMark = client.statuses.mark();
    const one = path.join(folder('c'), 'one.py');
    assert.deepEqual(severities(await open(one)), [[RULE, DiagnosticSeverity.Warning]]);
    const message = await client.messages.next('a message about the invalid project file', (m) => m.message.includes(cfg), msgMark);
    assert.equal(message.type, MessageType.Warning);
    assert.ok(message.message.includes(`${cfg}: /rules/${RULE}: `), message.message);
    const status = await client.statuses.next('status of a document under the invalid file', (s) => s.uri === uriOf(one), statusMark);
    assert.equal(status.state, 'warning');
    assert.ok(status.message.startsWith('loopguard.json is invalid'), status.message);
    // a second document under the same file version: analysed, and no second message
    assert.deepEqual(severities(await open(path.join(folder('c'), 'two.py'))), [[RULE, DiagnosticSeverity.Warning]]);
    assert.equal(client.messages.items.slice(msgMark).filter((m) => m.message.includes(cfg)).length, 1);
    // and other folders are unaffected
    const bMark = client.diagnostics.mark();
    const other = uriOf(path.join(folder('a'), 'src', 'app.py'));
    await client.close(other);
    assert.deepEqual(severities(await open(path.join(folder('a'), 'src', 'app.py'))), [[RULE, DiagnosticSeverity.Information]]);
    assert.ok(client.diagnostics.items.slice(bMark).length > 0);
  });

  it('a removed workspace folder no longer anchors its settings globs', async () => {
    const file = path.join(folder('a'), 'tests', 'test_app.py');
    const u = uriOf(file);
    const mark = client.diagnostics.mark();
    await client.connection.sendNotification(DidChangeWorkspaceFoldersNotification.type, {
      event: { added: [], removed: [{ uri: uriOf(folder('a')), name: 'a' }] },
    });
    // folder A's settings still come from the client, but its overrides have no folder to be relative to
    const again = await client.diagnostics.next(`diagnostics for ${u} after the folder went`, (p) => p.uri === u, mark);
    assert.deepEqual(severities(again.diagnostics), [[RULE, DiagnosticSeverity.Information]]);
  });
});
