// Runs the mocha suite (test/e2e/suite, bundled to test/e2e/out/suite.js) inside a real VS Code extension host
// through @vscode/test-electron's unchanged runTests().
//   LOOPGUARD_VSCODE=desktop      download desktop VS Code (LOOPGUARD_VSCODE_VERSION, default stable) and run it;
//                                 without $DISPLAY it starts Xvfb
//   LOOPGUARD_VSCODE=code-server  use code-shim.mjs (code-server + headless Chromium) as the `code` executable
//   LOOPGUARD_VSCODE=auto         (default) desktop when the download works and a display can be had, else code-server
// Usage: node run-mocha.mjs <workspace-dir> ; exits non-zero when a test fails. Artifacts in $LOOPGUARD_E2E_OUT.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';
import { TOOLS, writeUserSettings } from './lib/code-server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const OUT = process.env.LOOPGUARD_E2E_OUT || '/tmp/loopguard-e2e';
const MODE = process.env.LOOPGUARD_VSCODE || 'auto';
const workspace = path.resolve(process.argv[2] ?? '');
if (!process.argv[2] || !fs.existsSync(workspace)) {
  console.error('usage: node run-mocha.mjs <workspace-dir>');
  process.exit(2);
}
if (!['auto', 'desktop', 'code-server'].includes(MODE)) {
  console.error(`LOOPGUARD_VSCODE must be auto, desktop or code-server; got ${MODE}`);
  process.exit(2);
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** Desktop VS Code's executable, or the reason it cannot be had (offline: the download fails fast or idles out). */
async function desktopVSCode() {
  if (!process.env.DISPLAY && !has('Xvfb')) return { reason: 'no $DISPLAY and no Xvfb (apt-get install xvfb)' };
  try {
    const exe = await downloadAndUnzipVSCode({
      version: process.env.LOOPGUARD_VSCODE_VERSION || 'stable',
      cachePath: path.join(TOOLS, 'vscode-desktop'),
      timeout: 15_000,
    });
    return { exe };
  } catch (e) {
    return { reason: `download failed: ${e instanceof Error ? e.message : e}` };
  }
}

/** Starts Xvfb on a free display; -displayfd makes it tell us the display once it accepts connections. */
function startXvfb() {
  return new Promise((resolve, reject) => {
    const x = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1600x1000x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
    let buf = '';
    const timer = setTimeout(() => { x.kill(); reject(new Error('Xvfb did not report a display within 20 s')); }, 20_000);
    x.stdio[3].on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) { clearTimeout(timer); resolve({ display: `:${buf.trim()}`, stop: () => x.kill() }); }
    });
    x.on('error', (e) => { clearTimeout(timer); reject(e); });
    x.on('exit', (c) => { clearTimeout(timer); reject(new Error(`Xvfb exited ${c}`)); });
  });
}

let executable;
let xvfb;
let route;
if (MODE !== 'code-server') {
  const desktop = await desktopVSCode();
  if (desktop.exe) {
    executable = desktop.exe;
    route = 'desktop VS Code';
    if (!process.env.DISPLAY) {
      xvfb = await startXvfb();
      process.env.DISPLAY = xvfb.display;
    }
  } else if (MODE === 'desktop') {
    console.error(`LOOPGUARD_VSCODE=desktop, but desktop VS Code cannot be used: ${desktop.reason}`);
    process.exit(1);
  } else {
    console.log(`[e2e] desktop VS Code not available (${desktop.reason}); using code-server`);
  }
}
if (!executable) {
  executable = path.join(HERE, 'code-shim.mjs');
  route = 'code-server';
}

const runDir = fs.mkdtempSync(path.join(OUT, 'mocha-'));
const userDataDir = path.join(runDir, 'user-data');
writeUserSettings(userDataDir);
const resultFile = path.join(OUT, 'mocha-result.json');
fs.rmSync(resultFile, { force: true });
console.log(`[e2e] mocha suite in the real extension host via ${route}; workspace ${workspace}`);
let failed = false;
try {
  await runTests({
    vscodeExecutablePath: executable,
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: path.join(HERE, 'out', 'suite.js'),
    launchArgs: [workspace, `--user-data-dir=${userDataDir}`, `--extensions-dir=${path.join(runDir, 'extensions')}`],
    extensionTestsEnv: {
      LOOPGUARD_E2E_RESULT: resultFile,
      LOOPGUARD_E2E_NEGATIVE: process.env.LOOPGUARD_E2E_NEGATIVE ?? '',
      LOOPGUARD_E2E_ROUTE: route,
    },
  });
} catch (e) {
  failed = true;
  console.error(`[e2e] mocha suite FAILED (${e instanceof Error ? e.message : e})`);
} finally {
  xvfb?.stop();
}
// the suite writes its counts; a run that never got that far (crash, timeout) has no file and fails
let result;
try {
  result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
} catch {
  failed = true;
  console.error(`[e2e] the suite wrote no result to ${resultFile}`);
}
if (result) console.log(`[e2e] mocha: ${result.passes} passed, ${result.failures} failed (${route})`);
if (result && (result.failures > 0 || result.passes === 0)) failed = true;
process.exit(failed ? 1 : 0);
