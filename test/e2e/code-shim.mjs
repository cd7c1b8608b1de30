#!/usr/bin/env node
// A stand-in for the desktop `code` executable, handed to @vscode/test-electron's
// runTests({ vscodeExecutablePath }) when desktop VS Code cannot be downloaded. It takes the arguments runTests
// passes (--extensionDevelopmentPath=, --extensionTestsPath=, --user-data-dir=, --extensions-dir=, the workspace
// folder; the Electron-only flags are ignored), serves the real VS Code workbench and node extension host with
// code-server, opens it in headless Chromium with the development/test paths in the URL payload (the only route
// code-server honours, and only with the smoke-test driver enabled), prints the extension host's console (the
// mocha reporter) and exits with the code the extension host reports when the test run ends.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import { checkTools, isolatedEnv, launchBrowser, startCodeServer, writeUserSettings } from './lib/code-server.mjs';

const TIMEOUT_MS = Number(process.env.LOOPGUARD_E2E_SHIM_TIMEOUT_MS || 15 * 60_000);
// workbench chatter and offline-gallery errors that are not extension-host or test output
const NOISE = /^(Resolving connection token|Resolved connection token|Creating a socket|Updating additional builtin|\[(Service Worker|AgentHost|AccountPolicyGate|reconnection-grace-time)|Failed: getaddrinfo|Error: Timed out waiting for authentication provider|.*open-vsx\.org)/;

const devPaths = [];
const positional = [];
let testsPath;
let userDataDir;
let extensionsDir;
for (const arg of process.argv.slice(2)) {
  const eq = arg.indexOf('=');
  const [key, value] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
  if (key === '--extensionDevelopmentPath') devPaths.push(path.resolve(value));
  else if (key === '--extensionTestsPath') testsPath = path.resolve(value);
  else if (key === '--user-data-dir') userDataDir = path.resolve(value);
  else if (key === '--extensions-dir') extensionsDir = path.resolve(value);
  else if (!arg.startsWith('-')) positional.push(path.resolve(arg));
}
if (!testsPath) {
  console.error('code-shim: --extensionTestsPath is required (this shim only runs extension tests)');
  process.exit(2);
}

// under the artifacts folder when there is one (run.sh clears it per run); else a temp folder removed at exit
const OUT = process.env.LOOPGUARD_E2E_OUT;
if (OUT) fs.mkdirSync(OUT, { recursive: true });
const runDir = fs.mkdtempSync(path.join(OUT || os.tmpdir(), 'code-shim-'));
userDataDir ??= path.join(runDir, 'user-data');
extensionsDir ??= path.join(runDir, 'extensions');
fs.mkdirSync(extensionsDir, { recursive: true });
writeUserSettings(userDataDir);
const env = isolatedEnv(path.join(runDir, 'home'));
const logFile = OUT ? path.join(OUT, 'code-server-mocha.log') : path.join(runDir, 'code-server.log');

let server;
let browser;
const cleanUp = async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
};
// runTests forwards Ctrl+C as SIGINT: stop code-server's process group before leaving
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { void cleanUp().then(() => process.exit(130)); });

let code = 1;
try {
  checkTools();
  server = await startCodeServer({ userDataDir, extensionsDir, runDir, env, logFile,
    extraArgs: ['--vscode-option', 'enable-smoke-test-driver'] });
  browser = await launchBrowser(env);
  const page = await browser.newPage();
  let reportExit;
  const exited = new Promise((resolve) => { reportExit = resolve; });
  // the workbench calls window.codeAutomationExit(code) when the extension tests finish
  await page.exposeFunction('codeAutomationExit', (c) => reportExit(c));
  page.on('console', async (msg) => {
    // the extension host's console reaches the page as ('%c INFO', 'color: …', format, ...args)
    const args = await Promise.all(msg.args().map((a) => a.jsonValue().catch(() => '?')));
    if (typeof args[0] === 'string' && args[0].startsWith('%c') && args.length > 2) {
      const text = util.format(...args.slice(2));
      if (!NOISE.test(text)) console.log(text);
    }
  });
  page.on('pageerror', (e) => console.error('code-shim: page error:', e.message));
  const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const payload = [...devPaths.map((d) => ['extensionDevelopmentPath', remote(d)]), ['extensionTestsPath', remote(testsPath)]];
  // a .code-workspace file opens a (multi-root) workspace, anything else a folder
  const param = positional[0]?.endsWith('.code-workspace') ? 'workspace' : 'folder';
  const folder = positional[0] ? `${param}=${encodeURIComponent(positional[0])}&` : '';
  await page.goto(`${server.url}/?${folder}payload=${encodeURIComponent(JSON.stringify(payload))}`);
  let timer;
  code = await Promise.race([
    exited,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`the extension host reported no test result within ${TIMEOUT_MS} ms; see ${logFile}`)), TIMEOUT_MS); }),
  ]).finally(() => clearTimeout(timer));
} catch (e) {
  console.error('code-shim:', e instanceof Error ? e.message : e);
  code = 1;
} finally {
  await cleanUp();
  if (!OUT) fs.rmSync(runDir, { recursive: true, force: true });
}
process.exit(code);
