// The fixes that run a helper call elsewhere, beyond what the fixtures show: the order of the fixes a
// blocking helper call gets in JS (make the chain async first, then the worker), and how the worker fix
// treats a worker module that exists already (the same wrapper is reused, another one of the same name
// makes it pick a new name).

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { defaultAnalysisConfig } from '../../server/src/engine/config';
import type { Finding } from '../../server/src/engine/finding';
import { FIXTURES_DIR, fixtureProject, fixtureWorkspace, sharedEngine } from '../harness/fixtures';

async function findings(file: string): Promise<Finding[]> {
  const engine = await sharedEngine();
  const text = fs.readFileSync(file, 'utf8');
  const project = fixtureProject(file, text);
  const ws = await fixtureWorkspace(path.dirname(file));
  return engine.analyse({ fileName: file, text, ...(project ? { project } : {}) }, defaultAnalysisConfig(), undefined, ws).findings;
}

describe('helper call offload fixes', () => {
  it('a blocking helper call in JS: "make the chain async" first, then the worker', async () => {
    const [f] = await findings(path.join(FIXTURES_DIR, 'blocking-call-in-async', 'helper-worker-js.workspace', 'both.mjs'));
    assert.equal(f.messageId, 'viaHelper');
    assert.deepEqual(
      f.fixes.map((x) => [x.title, x.safe]),
      [
        ['Make `readSettings` async (2 files)', false],
        ['Run `readSettings()` in a worker thread (`readSettingsInWorker` in both.worker.mjs)', false],
      ],
    );
  });

  it('a worker module that has the same wrapper already is reused; one with another function of that name gets a new name', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-helper-unit-'));
    try {
      fs.writeFileSync(path.join(dir, 'kernel.mjs'), 'export function score(n) {\n  let t = 0;\n  for (let i = 0; i < n; i++) t += i * i;\n  return t;\n}\n');
      const server = path.join(dir, 'server.mjs');
      fs.writeFileSync(
        server,
        "// fixture-project: {\"moduleType\": \"module\"}\nimport { score } from './kernel.mjs';\n\nexport async function handler(n) {\n  return score(n);\n}\n",
      );
      const wrapper = "export async function scoreInWorker(args) {\n  const { score } = await import('./kernel.mjs');\n  return score(...args);\n}\n";
      const worker = path.join(dir, 'server.worker.mjs');

      fs.writeFileSync(worker, `// an earlier fix\n\n${wrapper}`);
      let [f] = await findings(server);
      assert.equal(f.fixes[0].title, 'Run `score()` in a worker thread (`scoreInWorker` in server.worker.mjs)');
      assert.deepEqual(f.fixes[0].otherFiles?.map((c) => path.basename(c.fileName)), ['loopguard-worker-pool.mjs']);

      fs.writeFileSync(worker, 'export function scoreInWorker() {\n  return 0;\n}\n');
      [f] = await findings(server);
      assert.equal(f.fixes[0].title, 'Run `score()` in a worker thread (`scoreInWorker2` in server.worker.mjs)');
      const edit = f.fixes[0].otherFiles?.find((c) => c.fileName === worker);
      assert.equal(edit?.create, undefined);
      assert.match(edit?.edits[0].newText ?? '', /^export async function scoreInWorker2\(args\) \{/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
