// Entry point for --extensionTestsPath: VS Code's extension host calls run(), which runs the mocha suite inside
// it and rejects when a test fails. Bundled with mocha itself (test/e2e/build-suite.mjs), so the bundle does not
// depend on how the host's Node loads mocha's ES modules. Writes {passes, failures} to $LOOPGUARD_E2E_RESULT.
import * as fs from 'node:fs';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'tdd',
    color: false,
    timeout: 120_000, // each wait inside a test has its own, shorter deadline with a clear message
    // the negative control expects the first wait to fail; stopping there keeps it short
    bail: process.env.LOOPGUARD_E2E_NEGATIVE === '1',
  });
  // what `mocha.addFile` + `loadFiles` would do, for a test module bundled into this file
  for (const [file, load] of [
    ['loopguard.test.ts', () => require('./loopguard.test')],
    ['concurrency.test.ts', () => require('./concurrency.test')],
    ['config.test.ts', () => require('./config.test')],
    ['editor.test.ts', () => require('./editor.test')],
    ['workspace.test.ts', () => require('./workspace.test')],
    ['multiroot.test.ts', () => require('./multiroot.test')],
    ['crash.test.ts', () => require('./crash.test')],
  ] as const) {
    mocha.suite.emit('pre-require', globalThis, file, mocha);
    load();
  }
  const resultFile = process.env.LOOPGUARD_E2E_RESULT;
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const passes = runner.stats?.passes ?? 0;
      if (resultFile) fs.writeFileSync(resultFile, JSON.stringify({ passes, failures }));
      if (failures > 0) reject(new Error(`${failures} test(s) failed`));
      else if (passes === 0) reject(new Error('no test ran'));
      else resolve();
    });
  });
}
