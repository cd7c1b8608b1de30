// "Make the chain async" (fixes/chain-async.ts) on temporary Python workspaces: the fix over three
// files with exact texts, each refusal as a one-change variant of a workspace where the fix is offered
// (so no refusal test can pass because the fix is never built), and the fixed program run with python3
// printing what the original prints.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultAnalysisConfig } from '../../server/src/engine/config';
import { applyEdits, type Fix } from '../../server/src/engine/finding';
import { diskHost, Workspace } from '../../server/src/engine/workspace/workspace';
import { sharedEngine } from '../harness/fixtures';
import { runPython, skipWithoutPython } from '../harness/python';

const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

const BASE: Record<string, string> = {
  'app/__init__.py': '',
  'app/pause.py': 'import time\n\n\ndef settle(seconds):\n    time.sleep(seconds)\n    return seconds\n',
  'app/warmup.py': 'from app.pause import settle\n\n\ndef warm_cache(n):\n    return settle(n * 0.001) + 1\n',
  'app/handlers.py': 'from app.warmup import warm_cache\n\n\nasync def handle(n):\n    total = warm_cache(n)\n    return total\n',
};

function write(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-chain-'));
  made.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

/** The chain fix of the viaHelper finding on `line` (1-based) of app/handlers.py, if any. */
async function chainFix(files: Record<string, string>, line = 5, text?: string): Promise<{ root: string; fix: Fix | undefined }> {
  const root = write(files);
  const engine = await sharedEngine();
  const config = defaultAnalysisConfig();
  const ws = new Workspace({ host: diskHost(), roots: [root], engine, configFor: () => config });
  await ws.scan();
  const fileName = path.join(root, 'app/handlers.py');
  const result = engine.analyse({ fileName, text: text ?? fs.readFileSync(fileName, 'utf8') }, config, undefined, ws);
  const finding = result.findings.find((f) => f.messageId === 'viaHelper' && result.lines.position(f.span.start).line === line - 1);
  assert.ok(finding, `no viaHelper finding on line ${line}: ${result.findings.map((f) => f.message).join('; ')}`);
  return { root, fix: finding.fixes.find((f) => f.title.startsWith('Make ')) };
}

/** Every file's text after the fix, by path relative to the root. */
function applied(root: string, fix: Fix): Record<string, string> {
  const out: Record<string, string> = {};
  const handlers = path.join(root, 'app/handlers.py');
  for (const c of [{ fileName: handlers, edits: fix.edits }, ...(fix.otherFiles ?? [])]) {
    out[path.relative(root, c.fileName)] = applyEdits(fs.readFileSync(c.fileName, 'utf8'), c.edits);
  }
  return out;
}

describe('make the chain async (Python)', () => {
  it('converts a chain of two over two files and awaits every call, in a third file too', async () => {
    const { root, fix } = await chainFix({
      ...BASE,
      'app/jobs.py': 'from app import warmup\n\n\nasync def nightly():\n    return warmup.warm_cache(3).real\n',
    });
    assert.ok(fix);
    assert.equal(fix.title, 'Make `warm_cache` → `settle` async (4 files)');
    assert.equal(fix.safe, false);
    assert.deepEqual(applied(root, fix), {
      'app/handlers.py': 'from app.warmup import warm_cache\n\n\nasync def handle(n):\n    total = await warm_cache(n)\n    return total\n',
      'app/warmup.py': 'from app.pause import settle\n\n\nasync def warm_cache(n):\n    return await settle(n * 0.001) + 1\n',
      'app/pause.py': 'import time\nimport asyncio\n\n\nasync def settle(seconds):\n    await asyncio.sleep(seconds)\n    return seconds\n',
      'app/jobs.py': 'from app import warmup\n\n\nasync def nightly():\n    return (await warmup.warm_cache(3)).real\n',
    });
  });

  it('converts methods called through self, in one file', async () => {
    const { root, fix } = await chainFix({
      'app/__init__.py': '',
      'app/handlers.py':
        'import time\n\n\nclass Svc:\n    async def handle(self):\n        return self.load()\n\n    def load(self):\n        return self.wait()[0]\n\n    def wait(self):\n        time.sleep(0.01)\n        return [1]\n',
    }, 6);
    assert.ok(fix);
    assert.equal(fix.title, 'Make `load` → `wait` async (1 file)');
    assert.deepEqual(applied(root, fix), {
      'app/handlers.py':
        'import time\nimport asyncio\n\n\nclass Svc:\n    async def handle(self):\n        return await self.load()\n\n    async def load(self):\n        return (await self.wait())[0]\n\n    async def wait(self):\n        await asyncio.sleep(0.01)\n        return [1]\n',
    });
  });

  const refusals: Array<[string, Record<string, string>]> = [
    ['a plain function calls it (it cannot await)', { 'app/startup.py': 'from app.warmup import warm_cache\n\n\ndef boot():\n    warm_cache(1)\n' }],
    ['module-level code calls it', { 'app/startup.py': 'from app.warmup import warm_cache\n\nSETTINGS = warm_cache(1)\n' }],
    ['it is passed as a callback', { 'app/hooks.py': 'from app.warmup import warm_cache\n\nHOOKS = [warm_cache]\n' }],
    ['it is offloaded elsewhere (a value again)', { 'app/jobs.py': 'import asyncio\nfrom app.pause import settle\n\n\nasync def job():\n    await asyncio.to_thread(settle, 1)\n' }],
    ['a lambda calls it', { 'app/jobs.py': 'from app.warmup import warm_cache\n\n\nasync def job():\n    return lambda: warm_cache(1)\n' }],
    ['a default argument calls it', { 'app/jobs.py': 'from app.warmup import warm_cache\n\n\nasync def job(x=warm_cache(1)):\n    return x\n' }],
    ['a generator expression calls it', { 'app/jobs.py': 'from app.warmup import warm_cache\n\n\nasync def job():\n    return sum(warm_cache(i) for i in range(3))\n' }],
    ['a package __init__ re-exports it (public)', { 'app/__init__.py': 'from app.warmup import warm_cache\n' }],
    ['a string names it (getattr, __all__)', { 'app/warmup.py': BASE['app/warmup.py'] + '\n__all__ = ["warm_cache"]\n' }],
    ['it is decorated', { 'app/warmup.py': 'from app.pause import settle\n\n\ndef traced(f):\n    return f\n\n\n@traced\ndef warm_cache(n):\n    return settle(n * 0.001) + 1\n' }],
    // (iterated where it is called: a call that only creates a generator runs none of it and is no finding)
    ['it is a generator', {
      'app/pause.py': 'import time\n\n\ndef settle(seconds):\n    time.sleep(seconds)\n    yield seconds\n    return seconds\n',
      'app/warmup.py': 'from app.pause import settle\n\n\ndef warm_cache(n):\n    return sum(settle(n * 0.001)) + 1\n',
    }],
    ['the chain is four functions long', {
      'app/pause.py': 'import time\n\n\ndef settle(seconds):\n    return nap(seconds)\n\n\ndef nap(seconds):\n    return doze(seconds)\n\n\ndef doze(seconds):\n    time.sleep(seconds)\n    return seconds\n',
    }],
    ['the blocking call has no awaited twin', { 'app/pause.py': 'def settle(seconds):\n    with open("x") as f:\n        return f.read()\n' }],
  ];
  it('is offered for the base workspace the refusals vary', async () => {
    assert.ok((await chainFix(BASE)).fix);
  });
  for (const [why, change] of refusals) {
    it(`is refused when ${why}`, async () => {
      assert.equal((await chainFix({ ...BASE, ...change })).fix, undefined);
    });
  }
  it('is refused when the analysed text is newer than the workspace copy', async () => {
    const text = BASE['app/handlers.py'].replace('return total', 'return total + 1');
    assert.equal((await chainFix(BASE, 5, text)).fix, undefined);
  });

  it('the fixed program prints what the original prints', { skip: skipWithoutPython, timeout: 20_000 }, async () => {
    const main = 'import asyncio\nfrom app.handlers import handle\n\nprint(asyncio.run(handle(2)))\n';
    const { root, fix } = await chainFix({ ...BASE, 'main.py': main });
    assert.ok(fix);
    const fixedRoot = write({ ...BASE, 'main.py': main, ...applied(root, fix) });
    const [before, afterFix] = await Promise.all([runPython(path.join(root, 'main.py')), runPython(path.join(fixedRoot, 'main.py'))]);
    assert.equal(before.code, 0, before.stderr);
    assert.equal(afterFix.code, 0, afterFix.stderr);
    assert.equal(afterFix.stdout, before.stdout);
    assert.equal(before.stdout, '1.002\n');
  });
});
