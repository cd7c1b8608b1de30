// The UI check: what a Marketplace user gets. Installs the VSIX into code-server with --install-extension,
// serves a copy of the workspace template, and drives the real workbench in headless Chromium: squiggles and
// Problems-panel rows read from the page, a hover on the squiggle, the preferred quick fix picked from the
// Ctrl+. menu and saved, and the file on disk compared with the exact expected text — for a Python and a
// TypeScript file. Screenshots go to $LOOPGUARD_E2E_OUT/ui/.
// Usage: node ui.mjs <vsix> <workspace-dir>   (LOOPGUARD_E2E_NEGATIVE=1: the extension is not installed)
import fs from 'node:fs';
import path from 'node:path';
import { checkTools, installExtension, isolatedEnv, launchBrowser, startCodeServer, writeUserSettings } from './lib/code-server.mjs';

const RULE = 'blocking-call-in-async';
const OUT = path.join(process.env.LOOPGUARD_E2E_OUT || '/tmp/loopguard-e2e', 'ui');
const NEGATIVE = process.env.LOOPGUARD_E2E_NEGATIVE === '1';
const T = Number(process.env.LOOPGUARD_E2E_UI_TIMEOUT_MS || 60_000);
const [vsix, workspace] = process.argv.slice(2).map((p) => path.resolve(p));
if (!vsix || !workspace || !fs.existsSync(vsix) || !fs.existsSync(workspace)) {
  console.error('usage: node ui.mjs <vsix> <workspace-dir> (both must exist)');
  process.exit(2);
}

/**
 * The files driven through the UI, with the text the preferred quick fix must leave on disk. The second session
 * keeps workspace trust on, so the folder opens in Restricted Mode: the extension declares
 * `untrustedWorkspaces: { supported: true }` and must work there just the same.
 */
const SESSIONS = [
  {
    name: 'trusted workspace',
    workspaceTrust: false,
    cases: [
      {
        file: 'py/poller.py',
        squiggledText: 'time.sleep',
        fixTitle: 'Replace with `await asyncio.sleep(…)`',
        expected: 'import time\nimport asyncio\n\n\nasync def poll(client):\n    while not await client.ready():\n        await asyncio.sleep(0.5)\n    return await client.result()\n',
        fixedLine: 'await asyncio.sleep(0.5)',
        screenshots: true,
      },
    ],
  },
  {
    name: 'Restricted Mode',
    workspaceTrust: true,
    cases: [
      {
        file: 'ts/load.ts',
        squiggledText: 'fs.readFileSync',
        fixTitle: 'Replace with `await fs.promises.readFile(…)`',
        expected: "import fs from 'fs';\nexport async function load(p: string) {\n  return await fs.promises.readFile(p, 'utf8');\n}\n",
        fixedLine: 'return await fs.promises.readFile(',
        screenshots: false,
      },
    ],
  },
];

const t0 = Date.now();
const log = (...a) => console.log(`[ui ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
fs.mkdirSync(OUT, { recursive: true });
const runDir = fs.mkdtempSync(path.join(OUT, 'run-'));
const userDataDir = path.join(runDir, 'user-data');
const extensionsDir = path.join(runDir, 'extensions');
fs.mkdirSync(extensionsDir, { recursive: true });
// hovers below the line keep the code above a squiggle visible in the screenshots
writeUserSettings(userDataDir, { 'editor.hover.above': false });
const env = isolatedEnv(path.join(runDir, 'home'));
const logFile = path.join(OUT, 'code-server.log');
fs.rmSync(logFile, { force: true });

let server;
let browser;
let page;
let passed = 0;
let failed = 0;
// code-server runs in its own process group, which Ctrl+C does not reach: stop it before leaving
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    void Promise.resolve(browser?.close()).catch(() => {}).then(() => server?.stop()).then(() => process.exit(130));
  });
}

async function openFile(rel) {
  // Quick Open is what a user does; the editor is ready when its text is rendered
  // give the workbench keyboard focus by clicking the editor area (the title bar and banner hold links)
  const editorPart = page.locator('.part.editor');
  const part = await editorPart.boundingBox();
  await page.mouse.click(part.x + part.width / 2, part.y + part.height - 40);
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: T });
  await input.fill(rel);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(rel) }).first().waitFor({ timeout: T });
  await page.keyboard.press('Enter');
  await page.locator('.tab.active', { hasText: path.basename(rel) }).waitFor({ timeout: T });
  const editor = page.locator('.editor-group-container.active .monaco-editor').first();
  await editor.locator('.view-lines').waitFor({ timeout: T });
  return editor;
}

async function checkFile(c) {
  const label = c.file;
  const onDisk = path.join(workspace, c.file);
  const editor = await openFile(c.file);
  log(`${label}: open`);

  // (1) the squiggle, under the callee the rule reports
  const squiggles = editor.locator('.squiggly-warning');
  await squiggles.first().waitFor({ timeout: T });
  log(`${label}: ${await squiggles.count()} warning squiggle(s)`);

  // (2) the Problems panel lists the finding with its source and rule id
  await page.keyboard.press('Control+Shift+M');
  const rows = page.locator('.markers-panel .monaco-list-row', { hasText: RULE });
  await rows.first().waitFor({ timeout: T });
  const texts = (await rows.allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim());
  log(`${label}: Problems rows: ${JSON.stringify(texts)}`);
  if (texts.length !== 1) throw new Error(`${label}: expected one ${RULE} row in the Problems panel, got ${texts.length}`);
  // the row ends with the source and the code (a link to the rule docs), then the position
  if (!/\bloopguard\b.*\bblocking-call-in-async\b/.test(texts[0])) throw new Error(`${label}: the Problems row does not show the source and rule id: ${texts[0]}`);

  // (3) hover: the squiggle sits under .view-lines, which takes the pointer events, so hover by coordinates
  await editor.locator('.view-lines').click();
  const box = await squiggles.first().boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const hover = page.locator('.monaco-hover', { hasText: RULE });
  await hover.first().waitFor({ timeout: T });
  const hoverText = (await hover.first().innerText()).replace(/\s+/g, ' ');
  log(`${label}: hover: ${hoverText}`);
  if (!hoverText.includes(c.squiggledText)) throw new Error(`${label}: the hover does not name ${c.squiggledText}`);
  if (c.screenshots) await page.screenshot({ path: path.join(OUT, 'squiggle-hover.png') });

  // (4) the quick fix through the lightbulb menu: caret onto the finding (F8), Ctrl+., pick the fix, save
  await page.keyboard.press('Escape');
  await page.mouse.move(5, 5);
  await editor.locator('.view-lines').click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('F8');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+.');
  const menu = page.locator('.action-widget');
  await menu.locator('.monaco-list-row').first().waitFor({ timeout: T });
  const entries = (await menu.locator('.monaco-list-row').allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim());
  log(`${label}: quick-fix menu: ${JSON.stringify(entries)}`);
  for (const want of [c.fixTitle, `Disable ${RULE} for this line`]) {
    if (!entries.some((e) => e.includes(want))) throw new Error(`${label}: the quick-fix menu lacks "${want}"`);
  }
  if (c.screenshots) await page.screenshot({ path: path.join(OUT, 'quick-fix-menu.png') });
  await menu.locator('.monaco-list-row', { hasText: c.fixTitle }).first().click();
  await editor.locator('.view-lines', { hasText: c.fixedLine }).waitFor({ timeout: T });
  await page.locator('.tab.active.dirty').waitFor({ timeout: T });
  await page.keyboard.press('Control+S');
  await page.locator('.tab.active:not(.dirty)', { hasText: path.basename(c.file) }).waitFor({ timeout: T });
  const text = fs.readFileSync(onDisk, 'utf8');
  if (text !== c.expected) throw new Error(`${label}: file on disk after the quick fix:\n${text}\n--- expected:\n${c.expected}`);
  log(`${label}: quick fix applied and saved; file on disk is exactly as expected`);
  await page.waitForFunction(() => document.querySelectorAll('.editor-group-container.active .squiggly-warning').length === 0, null, { timeout: T });
  // the Problems panel updates after the editor: its row must go too
  await page.locator('.markers-panel .monaco-list-row', { hasText: RULE }).first().waitFor({ state: 'detached', timeout: T });
  if (c.screenshots) await page.screenshot({ path: path.join(OUT, 'after-fix.png') });
  log(`${label}: squiggle and Problems row gone`);
}

try {
  checkTools();
  if (NEGATIVE) log('NEGATIVE CONTROL: the extension is not installed; this check must fail');
  else {
    await installExtension({ vsix, userDataDir, extensionsDir, runDir, env, logFile: path.join(OUT, 'install-extension.log') });
    const installed = fs.readdirSync(extensionsDir).filter((d) => d.startsWith('loopguard.loopguard-'));
    if (installed.length !== 1) throw new Error(`--install-extension left ${JSON.stringify(fs.readdirSync(extensionsDir))} in the extensions folder`);
    log(`installed ${path.basename(vsix)} -> ${installed[0]}`);
  }
  for (const session of SESSIONS) {
    server = await startCodeServer({ userDataDir, extensionsDir, runDir, env, logFile, workspaceTrust: session.workspaceTrust });
    log(`${session.name}: code-server on ${server.url}`);
    browser = await launchBrowser(env);
    page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench .explorer-folders-view').waitFor({ timeout: T });
    if (session.workspaceTrust) {
      // the status bar says so when the folder is not trusted
      await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: T });
    }
    log(`${session.name}: workbench loaded`);
    for (const c of session.cases) {
      try {
        await checkFile(c);
        passed++;
      } catch (e) {
        failed++;
        log(`FAIL ${c.file} (${session.name}): ${e instanceof Error ? e.message : e}`);
        await page.screenshot({ path: path.join(OUT, `fail-${path.basename(c.file)}.png`) }).catch(() => {});
        await page.keyboard.press('Escape').catch(() => {});
      }
    }
    await browser.close();
    browser = undefined;
    await server.stop();
    server = undefined;
  }
} catch (e) {
  failed++;
  log(`FAIL: ${e instanceof Error ? e.message : e}`);
  await page?.screenshot({ path: path.join(OUT, 'fail.png') }).catch(() => {});
} finally {
  await browser?.close().catch(() => {});
  await server?.stop();
}
console.log(`[e2e] ui: ${passed} passed, ${failed} failed`);
fs.writeFileSync(path.join(OUT, 'ui-result.json'), JSON.stringify({ passes: passed, failures: failed }));
process.exit(failed > 0 || passed === 0 ? 1 : 0);
