// The project model over the real protocol (the built dist/server.js, driven by test/harness/lsp-client):
// a workspace folder is scanned in the background with window/workDoneProgress, after which an open
// file's call to a helper in another file is reported with the chain as relatedInformation; an edit of
// the helper (open, or changed on disk) updates the diagnostics of the dependent file without touching
// it; loopguard.workspaceDiagnostics publishes closed files; a hover shows a function's summary.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  DidChangeWatchedFilesNotification,
  DidChangeWorkspaceFoldersNotification,
  FileChangeType,
  HoverRequest,
  MarkupKind,
  WorkDoneProgressCreateRequest,
  type Diagnostic,
  type Hover,
  type MarkupContent,
  type ProgressToken,
  type Range,
  type WorkDoneProgressBegin,
  type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
} from 'vscode-languageserver-protocol/node';
import { EventLog, ensureBuilt, FULL_CAPABILITIES, LspTestClient } from '../harness/lsp-client';
import { rangeOf, writeTree } from '../harness/files';

const RULE = 'blocking-call-in-async';

const HANDLER_TS = `import { loadConfig } from './config';

export async function handler(): Promise<unknown> {
  const cfg = loadConfig('app.json');
  return cfg;
}
`;
const CONFIG_TS = `import fs from 'node:fs';

function readJson(p: string): unknown {
  return JSON.parse(fs.readFileSync(p, 'utf8'));
}

export function loadConfig(name: string): unknown {
  return readJson(name);
}
`;

/** An async helper whose body blocks, awaited; and a helper called by module-level code. */
const REFRESH_TS = `import { loadConfig } from './config';

export async function refresh(): Promise<unknown> {
  return loadConfig('x.json');
}

export async function main(): Promise<unknown> {
  return await refresh();
}

export const boot = loadConfig('boot.json');
`;

const APP_PY = `from .util import fetch_all


async def main():
    return fetch_all()
`;
const UTIL_PY = `import time


def fetch_all():
    time.sleep(1)
    return []
`;

const tree = (files: Record<string, string>): string => writeTree('loopguard-lsp-ws-', files);

const uriOf = (p: string): string => pathToFileURL(p).href;


/** The range of `name` where it is called as `call` (the import of the same name comes first). */
function calleeRange(text: string, call: string, name: string): Range {
  const { start } = rangeOf(text, call);
  return { start, end: { line: start.line, character: start.character + name.length } };
}

type Progress = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

const ours = (ds: readonly Diagnostic[]) => ds.filter((d) => d.source === 'loopguard');

describe('the project model over the language server protocol', () => {
  let client: LspTestClient;
  const root = tree({
    'js/src/handler.ts': HANDLER_TS,
    'js/src/config.ts': CONFIG_TS,
    'js/src/other.ts': HANDLER_TS.replace('handler', 'other'),
    'js/src/refresh.ts': REFRESH_TS,
    'js/node_modules/dep/index.js': "const fs = require('fs');\nmodule.exports = async () => fs.readFileSync('x');\n",
    'py/pkg/__init__.py': '',
    'py/pkg/app.py': APP_PY,
    'py/pkg/util.py': UTIL_PY,
  });
  const js = path.join(root, 'js');
  const py = path.join(root, 'py');
  const settings: Record<string, unknown> = { workspaceDiagnostics: false };
  const created = new EventLog<ProgressToken>();
  const progress = new EventLog<{ token: ProgressToken; value: Progress }>();

  before(async () => {
    ensureBuilt();
    client = await LspTestClient.start({
      settings,
      capabilities: { ...FULL_CAPABILITIES, workspace: { ...FULL_CAPABILITIES.workspace, workspaceFolders: true }, window: { ...FULL_CAPABILITIES.window, workDoneProgress: true } },
    });
    client.connection.onRequest(WorkDoneProgressCreateRequest.type, (p) => {
      created.push(p.token);
    });
    client.connection.onNotification('$/progress', (p: { token: ProgressToken; value: Progress }) => progress.push(p));
    await client.connection.sendNotification(DidChangeWorkspaceFoldersNotification.type, {
      event: { added: [js, py].map((f) => ({ uri: uriOf(f), name: path.basename(f) })), removed: [] },
    });
  });

  after(async () => {
    await client?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** Waits for the end of the scan of `folder` (its progress names it) and returns what was reported. */
  async function scanOf(folder: string, from = 0): Promise<Progress[]> {
    const begin = await progress.next(`progress begin for ${folder}`, (p) => p.value.kind === 'begin' && p.value.title.endsWith(path.basename(folder)), from);
    await progress.next(`progress end for ${folder}`, (p) => p.token === begin.token && p.value.kind === 'end', from);
    return progress.items.filter((p) => p.token === begin.token).map((p) => p.value);
  }

  it('announces hovers', () => {
    assert.equal(client.initializeResult?.capabilities.hoverProvider, true);
  });

  it('scans each folder with window/workDoneProgress: a created token, begin, n/total reports, end', async () => {
    const reported = await scanOf(js);
    assert.ok(created.items.length >= 1, 'the server asked for a progress token');
    assert.equal(reported[0].kind, 'begin');
    assert.equal(reported[reported.length - 1].kind, 'end');
    const messages = reported.flatMap((p) => (p.kind === 'report' && p.message !== undefined ? [p.message] : []));
    // node_modules is not part of the workspace: four files
    assert.equal(messages[messages.length - 1], '4/4 files');
    await scanOf(py);
  });

  it('reports the call of a helper in another file, with the chain as relatedInformation', async () => {
    const file = path.join(js, 'src', 'handler.ts');
    const u = uriOf(file);
    const mark = client.diagnostics.mark();
    await client.open(u, 'typescript', HANDLER_TS);
    const [d] = ours((await client.diagnosticsFor(u, 1, mark)).diagnostics);
    assert.ok(d, 'a finding at the call');
    assert.equal(d.code, RULE);
    assert.deepEqual(d.range, calleeRange(HANDLER_TS, "loadConfig('app.json')", 'loadConfig'));
    const config = uriOf(path.join(js, 'src', 'config.ts'));
    assert.deepEqual(
      d.relatedInformation?.map((r) => [r.location.uri, r.location.range.start.line]),
      [
        [config, 6], // loadConfig is defined here
        [config, 7], // calls readJson
        [config, 3], // fs.readFileSync
      ],
    );
  });

  it('an edit in the open helper file updates the dependent open file, which was not edited', async () => {
    const handler = uriOf(path.join(js, 'src', 'handler.ts'));
    const config = uriOf(path.join(js, 'src', 'config.ts'));
    let mark = client.diagnostics.mark();
    await client.open(config, 'typescript', CONFIG_TS);
    await client.diagnosticsFor(config, 1, mark);
    mark = client.diagnostics.mark();
    const v = await client.change(config, [{ range: rangeOf(CONFIG_TS, "fs.readFileSync(p, 'utf8')"), text: "'{}'" }]);
    await client.diagnosticsFor(config, v, mark);
    const after = await client.diagnosticsFor(handler, 1, mark);
    assert.deepEqual(ours(after.diagnostics), []);
    // and back: the blocking call returns, so does the finding in the dependent file
    mark = client.diagnostics.mark();
    await client.change(config, [{ range: rangeOf(client.text(config), "'{}'"), text: "fs.readFileSync(p, 'utf8')" }]);
    const again = await client.diagnosticsFor(handler, 1, mark);
    assert.deepEqual(ours(again.diagnostics).map((d) => d.code), [RULE]);
    await client.close(config);
  });

  it('a helper changed on disk (didChangeWatchedFiles) updates the dependent open file', async () => {
    const file = path.join(py, 'pkg', 'app.py');
    const u = uriOf(file);
    let mark = client.diagnostics.mark();
    await client.open(u, 'python', APP_PY);
    const first = ours((await client.diagnosticsFor(u, 1, mark)).diagnostics);
    assert.deepEqual(first.map((d) => [d.code, d.range]), [[RULE, calleeRange(APP_PY, 'fetch_all()', 'fetch_all')]]);
    const util = path.join(py, 'pkg', 'util.py');
    fs.writeFileSync(util, UTIL_PY.replace('    time.sleep(1)\n', ''));
    mark = client.diagnostics.mark();
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: uriOf(util), type: FileChangeType.Changed }] });
    assert.deepEqual(ours((await client.diagnosticsFor(u, 1, mark)).diagnostics), []);
    fs.writeFileSync(util, UTIL_PY);
    mark = client.diagnostics.mark();
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: uriOf(util), type: FileChangeType.Changed }] });
    assert.deepEqual(ours((await client.diagnosticsFor(u, 1, mark)).diagnostics).map((d) => d.code), [RULE]);
  });

  it('hover on a helper\'s definition and on a call of it shows its summary', async () => {
    const handler = uriOf(path.join(js, 'src', 'handler.ts'));
    const atCall: Hover | null = await client.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri: handler },
      position: rangeOf(HANDLER_TS, 'loadConfig(').start,
    });
    const callText = (atCall?.contents as MarkupContent | undefined)?.value ?? '';
    assert.equal((atCall?.contents as MarkupContent | undefined)?.kind, MarkupKind.Markdown);
    assert.match(callText, /may block the event loop\*\*: via `readJson` → `fs\.readFileSync` \(\[config\.ts:4\]/);
    const config = path.join(js, 'src', 'config.ts');
    const mark = client.diagnostics.mark();
    await client.open(uriOf(config), 'typescript', CONFIG_TS);
    await client.diagnosticsFor(uriOf(config), 1, mark);
    const atDefinition: Hover | null = await client.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri: uriOf(config) },
      position: rangeOf(CONFIG_TS, 'readJson(p').start,
    });
    assert.match((atDefinition?.contents as MarkupContent | undefined)?.value ?? '', /via `fs\.readFileSync` \(\[config\.ts:4\]/);
    const nothing: Hover | null = await client.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri: handler },
      position: rangeOf(HANDLER_TS, 'return cfg').start,
    });
    assert.equal(nothing, null);
    await client.close(uriOf(config));
  });

  it('hover on an awaited call of an async function whose body blocks, on its definition, and on a module-level call', async () => {
    const refresh = uriOf(path.join(js, 'src', 'refresh.ts'));
    const hover = async (needle: string): Promise<string> => {
      const h: Hover | null = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri: refresh }, position: rangeOf(REFRESH_TS, needle).start });
      return (h?.contents as MarkupContent | undefined)?.value ?? '';
    };
    const chain = /via `loadConfig` → `readJson` → `fs\.readFileSync` \(\[config\.ts:4\]/;
    const awaited = await hover('refresh();');
    assert.match(awaited, /^`refresh` \(defined at \[refresh\.ts:3\]/);
    assert.match(awaited, /\*\*may block the event loop while it runs\*\*: /);
    assert.match(awaited, chain);
    const definition = await hover('refresh(): Promise');
    assert.match(definition, /^`refresh` — Loopguard/);
    assert.match(definition, chain);
    // `main` only awaits: its body does not block
    assert.equal(await hover('main('), '');
    const atStartUp = await hover("loadConfig('boot.json')");
    assert.match(atStartUp, /^`loadConfig` \(defined at \[config\.ts:7\]/);
    assert.match(atStartUp, /\*\*may block the event loop\*\*: via `readJson` → `fs\.readFileSync`/);
  });

  it('loopguard.workspaceDiagnostics: closed files get diagnostics after the scan, and lose them when deleted', async () => {
    const other = path.join(js, 'src', 'other.ts');
    const from = progress.mark();
    const mark = client.diagnostics.mark();
    settings.workspaceDiagnostics = true;
    await client.changeConfiguration({ ...settings });
    await scanOf(js, from);
    const published = await client.diagnostics.next('workspace diagnostics of other.ts', (p) => p.uri === uriOf(other) && p.diagnostics.length > 0, mark);
    assert.equal(published.version, undefined, 'a closed file has no version');
    assert.deepEqual(ours(published.diagnostics).map((d) => [d.code, d.range.start.line]), [[RULE, 3]]);
    // the closed helper has nothing to report itself
    const config = await client.diagnostics.next('workspace diagnostics of config.ts', (p) => p.uri === uriOf(path.join(js, 'src', 'config.ts')), mark);
    assert.deepEqual(ours(config.diagnostics), []);
    const gone = client.diagnostics.mark();
    fs.rmSync(other);
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: uriOf(other), type: FileChangeType.Deleted }] });
    const cleared = await client.diagnostics.next('cleared diagnostics of the deleted file', (p) => p.uri === uriOf(other), gone);
    assert.deepEqual(cleared.diagnostics, []);
  });
});
