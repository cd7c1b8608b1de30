// The fixes that run a whole helper call elsewhere, executed. For each workspace fixture below, the
// original program and the fixed one (the fixed file, the files its fix created, the other files of the
// workspace) run from temp directories through a small driver that calls the async entry point and prints
// its result; both must print the same thing. A probe added to the helper's module proves where the helper
// ran: JS/TS — the module is loaded in a worker thread (threadId ≠ 0), which nothing but the fix's wrapper
// does; Python — the helper (wrapped by the probe, still a module-level function) runs in a process other
// than the driver's. The TypeScript fixes also compile under strict options (noUnusedLocals included).
// (fixtures.test.ts already proves that the fixed texts parse and that the findings are gone.)

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import ts from 'typescript';
import { FIXTURES_DIR, fixedPathFor, isFixedFile, otherFileSnapshot } from '../harness/fixtures';
import { runPython, skipWithoutPython } from '../harness/python';

const run = promisify(execFile);
const REPO = path.join(__dirname, '..', '..');
const CPU = path.join(FIXTURES_DIR, 'cpu-loop-on-event-loop');
const PROBE = 'loopguard-probe:';

/** The workspace in a temp dir: its own files, with `fixture` replaced by its fixed text and the fix's created files added. */
function copyWorkspace(workspace: string, fixture: string | undefined, probe: { file: string; text: string }, packageType?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-helper-'));
  for (const rel of fs.readdirSync(workspace, { recursive: true }) as string[]) {
    const from = path.join(workspace, rel);
    if (isFixedFile(rel) || !fs.statSync(from).isFile()) continue;
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, rel));
  }
  if (fixture !== undefined) {
    const original = path.join(workspace, fixture);
    fs.copyFileSync(fixedPathFor(original), path.join(dir, fixture));
    const created = otherFileSnapshot(original, path.dirname(original));
    const createdFiles = fs.existsSync(created) ? (fs.readdirSync(created, { recursive: true }) as string[]) : [];
    for (const rel of createdFiles) {
      const from = path.join(created, rel);
      if (fs.statSync(from).isFile()) fs.copyFileSync(from, path.join(dir, path.dirname(fixture), rel));
    }
  }
  fs.appendFileSync(path.join(dir, probe.file), probe.text);
  if (packageType) fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: packageType }));
  return dir;
}

const ESM_PROBE = `\nimport { threadId as loopguardProbeThread } from 'node:worker_threads';\nconsole.error(\`${PROBE} \${loopguardProbeThread}\`);\n`;
const CJS_PROBE = `\nconsole.error(\`${PROBE} \${require('node:worker_threads').threadId}\`);\n`;

const DRIVER = [
  'const [file, name, arg] = process.argv.slice(2);',
  "const m = await import(new URL(`file://${file}`).href);",
  'const fn = m[name] ?? m.default?.[name];',
  'console.log(JSON.stringify((await fn(JSON.parse(arg))) ?? null));',
].join('\n');

/** The thread ids the probe printed: where the helper's module was loaded. */
function probed(stderr: string): number[] {
  return [...stderr.matchAll(/loopguard-probe: (\d+)/g)].map((m) => Number(m[1]));
}

async function runDriver(dir: string, file: string, fn: string, arg: unknown, tsx: boolean): Promise<{ stdout: string; threads: number[] }> {
  const driver = path.join(dir, 'loopguard-driver.mjs');
  fs.writeFileSync(driver, DRIVER);
  // from the repository, so that `--import tsx` (and the pool's workers, which load it again) resolve tsx
  const { stdout, stderr } = await run(process.execPath, [...(tsx ? ['--import', 'tsx'] : []), driver, path.join(dir, file), fn, JSON.stringify(arg)], {
    cwd: REPO,
    timeout: 60_000,
  });
  return { stdout, threads: probed(stderr) };
}

interface JsCase {
  workspace: string;
  fixture: string;
  /** the helper's module, which gets the probe */
  helper: string;
  fn: string;
  /** the entry point's argument, or a function of the temp dir that writes what the program reads and returns it */
  arg: unknown;
  rule?: string;
  tsx?: boolean;
  packageType?: string;
}

const JS_CASES: JsCase[] = [
  { workspace: 'helper-worker-js.workspace', fixture: 'server.mjs', helper: 'kernel.mjs', fn: 'handler', arg: { n: 5000 } },
  { workspace: 'helper-worker-js.workspace', fixture: 'default-import.mjs', helper: 'kernel.mjs', fn: 'handler', arg: { n: 5000 } },
  { workspace: 'helper-worker-js.workspace', fixture: 'namespace.mjs', helper: 'kernel.mjs', fn: 'handler', arg: { n: 5000 } },
  { workspace: 'helper-worker-js.workspace', fixture: 'app.cjs', helper: 'lib.cjs', fn: 'run', arg: 5000 },
  { workspace: 'helper-worker-js.workspace', fixture: 'self.mjs', helper: 'self.mjs', fn: 'handler', arg: { n: 5000 } },
  { workspace: 'helper-worker-ts.workspace', fixture: 'server.ts', helper: 'kernel.ts', fn: 'handler', arg: { n: 5000 }, tsx: true, packageType: 'module' },
  {
    rule: 'blocking-call-in-async',
    workspace: 'helper-worker-js.workspace',
    fixture: 'server.mjs',
    helper: 'config.mjs',
    fn: 'handler',
    arg: (dir: string) => {
      fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ port: 8080, name: 'x' }));
      return { path: path.join(dir, 'settings.json') };
    },
  },
];

describe('Run `helper()` in a worker thread, executed', { concurrency: true }, () => {
  for (const c of JS_CASES) {
    it(`${c.rule ?? 'cpu-loop-on-event-loop'}/${c.workspace}/${c.fixture}: the fixed program prints what the original prints, and the helper's module is loaded in a worker`, async () => {
      const ws = path.join(FIXTURES_DIR, c.rule ?? 'cpu-loop-on-event-loop', c.workspace);
      const probe = { file: c.helper, text: c.helper.endsWith('.cjs') ? CJS_PROBE : ESM_PROBE };
      const before = copyWorkspace(ws, undefined, probe, c.packageType);
      const after = copyWorkspace(ws, c.fixture, probe, c.packageType);
      const arg = (dir: string): unknown => (typeof c.arg === 'function' ? (c.arg as (d: string) => unknown)(dir) : c.arg);
      try {
        assert.match(fs.readFileSync(path.join(after, c.fixture), 'utf8'), /await runInWorker\b/);
        const [original, fixed] = await Promise.all([
          runDriver(before, c.fixture, c.fn, arg(before), c.tsx === true),
          runDriver(after, c.fixture, c.fn, arg(after), c.tsx === true),
        ]);
        assert.notEqual(original.stdout.trim(), '');
        assert.equal(fixed.stdout, original.stdout);
        assert.ok(original.threads.every((t) => t === 0), 'the original loads the helper on the main thread only');
        assert.ok(fixed.threads.some((t) => t !== 0), `the helper's module was never loaded in a worker: ${fixed.threads.join(', ')}`);
      } finally {
        fs.rmSync(before, { recursive: true, force: true });
        fs.rmSync(after, { recursive: true, force: true });
      }
    });
  }

  const TYPE_ROOTS = [path.join(REPO, 'node_modules', '@types')];
  const STRICT: ts.CompilerOptions = {
    strict: true,
    noImplicitAny: true,
    noImplicitReturns: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    exactOptionalPropertyTypes: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    types: ['node'],
    typeRoots: TYPE_ROOTS,
    skipLibCheck: true,
    noEmit: true,
  };
  const TS_CASES: Array<{ fixture: string; options: ts.CompilerOptions; packageType: string }> = [
    { fixture: 'server.ts', options: { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext }, packageType: 'module' },
    {
      fixture: 'commonjs.ts',
      options: { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Bundler, esModuleInterop: true, ignoreDeprecations: '6.0' },
      packageType: 'commonjs',
    },
  ];
  for (const c of TS_CASES) {
    it(`helper-worker-ts.workspace/${c.fixture}: the fixed file, the worker module and the pool compile under strict options`, () => {
      const ws = path.join(CPU, 'helper-worker-ts.workspace');
      const dir = copyWorkspace(ws, c.fixture, { file: 'kernel.ts', text: '' }, c.packageType);
      try {
        const program = ts.createProgram([path.join(dir, c.fixture)], { ...STRICT, ...c.options });
        const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? path.basename(d.file.fileName) : ''} TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
        assert.deepEqual(diagnostics, []);
        const names = program.getSourceFiles().map((f) => path.basename(f.fileName));
        const base = path.basename(c.fixture, '.ts');
        for (const expected of [`${base}.worker.ts`, 'loopguard-worker-pool.ts', 'kernel.ts']) assert.ok(names.includes(expected), `${expected} is not in the program`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

const PY_PROBE = [
  '',
  '',
  'import os as _probe_os',
  'import sys as _probe_sys',
  '',
  '_probe_checksum = checksum',
  '',
  '',
  'def checksum(n):',
  '    print(f"loopguard-probe: {_probe_os.getpid()}", file=_probe_sys.stderr, flush=True)',
  '    return _probe_checksum(n)',
  '',
].join('\n');

const PY_DRIVER = [
  'import asyncio',
  'import os',
  'import sys',
  '',
  'import service',
  '',
  '',
  'async def main():',
  '    print(repr(await service.handler(3000, [300, 2])))',
  '',
  '',
  'if __name__ == "__main__":',
  '    print(f"loopguard-main: {os.getpid()}", file=sys.stderr, flush=True)',
  '    asyncio.run(main())',
  '',
].join('\n');

describe('Run `helper()` in a process pool (Python), executed', { skip: skipWithoutPython }, () => {
  it('helper-process-pool-py.workspace/service.py: the fixed program prints what the original prints; checksum runs in another process', async () => {
    const ws = path.join(CPU, 'helper-process-pool-py.workspace');
    const probe = { file: path.join('calc', 'kernels.py'), text: PY_PROBE };
    const before = copyWorkspace(ws, undefined, probe);
    const after = copyWorkspace(ws, 'service.py', probe);
    try {
      assert.match(fs.readFileSync(path.join(after, 'service.py'), 'utf8'), /run_in_executor\(_process_pool, checksum, n\)/);
      const results = await Promise.all(
        [before, after].map(async (dir) => {
          fs.writeFileSync(path.join(dir, 'loopguard_driver.py'), PY_DRIVER);
          const r = await runPython(path.join(dir, 'loopguard_driver.py'));
          assert.equal(r.code, 0, r.stderr);
          const main = Number(/loopguard-main: (\d+)/.exec(r.stderr)?.[1]);
          const ran = [...r.stderr.matchAll(/loopguard-probe: (\d+)/g)].map((m) => Number(m[1]));
          return { stdout: r.stdout, main, ran };
        }),
      );
      const [original, fixed] = results;
      assert.notEqual(original.stdout.trim(), '');
      assert.equal(fixed.stdout, original.stdout);
      // checksum is called directly and through kernels.checksum: twice, each time in this process before the fix
      assert.equal(original.ran.length, 2);
      assert.ok(original.ran.every((pid) => pid === original.main));
      assert.equal(fixed.ran.length, 2);
      assert.ok(fixed.ran.every((pid) => pid !== fixed.main), `checksum ran in the event loop's process: ${fixed.ran.join(', ')} (main ${fixed.main})`);
    } finally {
      fs.rmSync(before, { recursive: true, force: true });
      fs.rmSync(after, { recursive: true, force: true });
    }
  });
});
