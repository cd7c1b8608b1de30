/// <reference types="mocha" />
// The language server process killed under the extension: the client restarts it with a warning and
// the diagnostics come back; after 5 restarts in 3 minutes the next crash stops it with an error, the
// status item says so, and "Loopguard: Restart Server" brings it back. The pid comes from the server
// (loopguard/serverInfo) and the messages from the extension's test API (client/src/extension.ts):
// a notification's text cannot be read through the `vscode` API.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { LoopguardApi, LoopguardTestApi } from '../../../client/src/extension';
import { MAX_RESTARTS, RESTARTED_MESSAGE, stoppedMessage, RESTART_WINDOW_MS } from '../../../client/src/restart-policy';
import { DiagnosticsRecorder, EXTENSION_ID, loopguardDiagnostics, open, waitForDiagnostics, waitForEvent, WAIT_MS } from './helpers';

/** Resolves at the next change of the server's state to `state` (not at the current one). */
function nextState(api: LoopguardTestApi, state: 'running' | 'stopped', what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sub = api.onDidChangeServerState((s) => {
      if (s !== state) return;
      clearTimeout(timer);
      sub.dispose();
      resolve();
    });
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}; the server is ${api.serverState()}`));
    }, WAIT_MS);
  });
}

suite('the language server process crashes', () => {
  let api: LoopguardTestApi;
  let uri: vscode.Uri;

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension<LoopguardApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    api = (await ext.activate()).testing;
    uri = (await open('ts/settings.ts')).document.uri;
    await waitForDiagnostics(uri, (d) => d.length === 1, 'one diagnostic');
  });

  suiteTeardown(async () => {
    // leave a running server to whatever runs next, whatever happened here
    if (api?.serverState() !== 'running') await vscode.commands.executeCommand('loopguard.restartServer');
  });

  async function pid(): Promise<number> {
    const info = await api.serverInfo();
    assert.ok(info, 'the server answers loopguard/serverInfo');
    return info.pid;
  }

  /** Kills the server and waits until a new one runs and has published the file's diagnostic again. */
  async function killAndSeeItRestarted(): Promise<void> {
    const before = await pid();
    const shown = api.crashMessages.length;
    const recorder = new DiagnosticsRecorder(uri);
    try {
      const running = nextState(api, 'running', 'the restarted server');
      process.kill(before, 'SIGKILL');
      await running;
      await waitForEvent(api.onDidShowCrashMessage, () => api.crashMessages.length > shown, 'the crash message');
      assert.deepEqual(api.crashMessages.slice(shown), [RESTARTED_MESSAGE]);
      assert.notEqual(await pid(), before, 'a new server process');
      await recorder.until((c) => {
        const cleared = c.indexOf(0);
        return cleared >= 0 && c.slice(cleared + 1).includes(1);
      }, 'the diagnostics cleared, then published by the new server');
    } finally {
      recorder.dispose();
    }
    assert.deepEqual(loopguardDiagnostics(uri).map((d) => d.range.start.line), [3]);
  }

  test('a killed server is restarted with a warning, and the diagnostics come back', async () => {
    await killAndSeeItRestarted();
  });

  test(`after ${MAX_RESTARTS} restarts in ${RESTART_WINDOW_MS / 60_000} minutes the next crash stops it with an error; Restart brings it back`, async () => {
    // a restart by the user forgets the crashes before: the count starts here
    await vscode.commands.executeCommand('loopguard.restartServer');
    await waitForDiagnostics(uri, (d) => d.length === 1, 'the diagnostic after the restart');
    for (let i = 0; i < MAX_RESTARTS; i++) await killAndSeeItRestarted();

    const shown = api.crashMessages.length;
    const stopped = nextState(api, 'stopped', 'the server stopped for good');
    process.kill(await pid(), 'SIGKILL');
    await stopped;
    await waitForEvent(api.onDidShowCrashMessage, () => api.crashMessages.length > shown, 'the crash message');
    assert.deepEqual(api.crashMessages.slice(shown), [stoppedMessage({ maxRestarts: MAX_RESTARTS, windowMs: RESTART_WINDOW_MS })]);
    assert.equal(api.serverState(), 'stopped');
    const item = api.statusItem();
    assert.equal(item.text, 'Loopguard: stopped');
    assert.equal(item.severity, vscode.LanguageStatusSeverity.Error);
    assert.match(item.detail ?? '', /^Stopped after crashing 6 times in 3 minutes/);
    await waitForDiagnostics(uri, (d) => d.length === 0, 'no diagnostics from a stopped server');

    await vscode.commands.executeCommand('loopguard.restartServer');
    assert.equal(api.serverState(), 'running');
    await waitForDiagnostics(uri, (d) => d.length === 1, 'the diagnostic from the restarted server');
    assert.notEqual(api.statusItem().text, 'Loopguard: stopped');
  });
});
