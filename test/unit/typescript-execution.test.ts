// The JS/TS fixes of cpu-loop-on-event-loop, executed: each listed fixture (.mjs, printing a
// deterministic result when run as main) and its .fixed.mjs are run with node and must print the same
// thing; and the fixed loops must really give the event loop a turn while they run.
// The worker-pool extractions (node:worker_threads helper variant, ESM and CommonJS) run from a temp
// directory holding the fixed file and the files the fix created (<name>.fixed.files/); the piscina
// variant is checked by fixture only (piscina is not installed here).
// The TypeScript extractions run from source with `node --import tsx` (a probe appended to the copied
// worker module reports the thread that loads it), compile with the TypeScript API under strict options —
// nodenext, and commonjs for the CommonJS ones, with only the fixed file as a root, so the worker module and
// the helper must come in through its references — and the compiled output runs with plain node.
// A TypeScript project with a tsconfig is fixed end to end: facts from disk, the helper inside `include`,
// compiled with its own tsconfig into outDir, run from the output and from source.
// (fixtures.test.ts already proves that the fixed text parses and that the findings are gone.)

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import ts from 'typescript';
import { defaultAnalysisConfig } from '../../server/src/engine/config';
import { applyEdits } from '../../server/src/engine/finding';
import { projectFactsFor } from '../../server/src/engine/project';
import { FIXTURES_DIR, fixedPathFor, fixtureProject, otherFileSnapshot, sharedEngine } from '../harness/fixtures';

const run = promisify(execFile);
const DIR = path.join(FIXTURES_DIR, 'cpu-loop-on-event-loop');
const EXECUTED = ['yield-run.mjs'];

const EXTRACTED = ['worker-run.mjs', 'worker-commonjs.cjs'];

/** A temp package with the fixed file under the fixture's name and every file its fix created. */
function fixedPackage(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-worker-'));
  const original = path.join(DIR, name);
  fs.copyFileSync(fixedPathFor(original), path.join(dir, name));
  const created = otherFileSnapshot(original, DIR);
  const files = fs.readdirSync(created, { recursive: true }) as string[];
  assert.ok(files.length >= 2, `${name}: the fix should create a worker module and the pool helper`);
  for (const rel of files) {
    const from = path.join(created, rel);
    if (!fs.statSync(from).isFile()) continue;
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, rel));
  }
  return dir;
}

async function output(file: string): Promise<string> {
  const { stdout } = await run(process.execPath, [file], { timeout: 30_000 });
  return stdout;
}

describe('cpu-loop-on-event-loop fixes, executed', () => {
  for (const name of EXECUTED) {
    it(`${name} prints the same result before and after the fixes`, async () => {
      const original = path.join(DIR, name);
      const fixed = fixedPathFor(original);
      assert.notEqual(fs.readFileSync(fixed, 'utf8'), fs.readFileSync(original, 'utf8'), 'the fixed file changes nothing');
      const [before, after] = await Promise.all([output(original), output(fixed)]);
      assert.notEqual(before.trim(), '', 'the fixture printed nothing when run as main');
      assert.equal(after, before);
    });
  }

  for (const name of EXTRACTED) {
    it(`${name}: the loop moved into a worker prints the same result as the original`, async () => {
      const dir = fixedPackage(name);
      try {
        const fixed = fs.readFileSync(path.join(dir, name), 'utf8');
        assert.match(fixed, /await runInWorker\(/);
        const [before, after] = await Promise.all([output(path.join(DIR, name)), output(path.join(dir, name))]);
        assert.notEqual(before.trim(), '', 'the fixture printed nothing when run as main');
        assert.equal(after, before);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('a loop moved into a worker leaves the event loop free while it runs', async () => {
    const dir = fixedPackage('worker-run.mjs');
    try {
      type Module = { pairStats(xs: number[], ys: number[]): Promise<{ hits: number }> };
      const fixed = (await import(pathToFileURL(path.join(dir, 'worker-run.mjs')).href)) as Module;
      const original = (await import(pathToFileURL(path.join(DIR, 'worker-run.mjs')).href)) as Module;
      const xs = Array.from({ length: 3000 }, (_, i) => i);
      const interleaves = async (m: Module) => {
        let ran = false;
        setImmediate(() => (ran = true));
        const result = await m.pairStats(xs, xs);
        return { ran, hits: result.hits };
      };
      const before = await interleaves(original);
      const after = await interleaves(fixed);
      assert.equal(before.ran, false);
      assert.equal(after.ran, true);
      assert.equal(after.hits, before.hits);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a fixed loop lets an immediate callback run before it finishes; the original does not', async () => {
    type Module = { sumSquares(n: number): Promise<number> };
    const load = async (file: string) => (await import(pathToFileURL(file).href)) as Module;
    const original = await load(path.join(DIR, 'yield-run.mjs'));
    const fixed = await load(fixedPathFor(path.join(DIR, 'yield-run.mjs')));
    const interleaves = async (m: Module) => {
      let ran = false;
      setImmediate(() => (ran = true));
      const done = m.sumSquares(50_000).then(() => ran);
      return done;
    };
    assert.equal(await interleaves(original), false);
    assert.equal(await interleaves(fixed), true);
  });
});

const REPO = path.join(__dirname, '..', '..');
const TYPE_ROOTS = [path.join(REPO, 'node_modules', '@types')];

interface TsFixture {
  name: string;
  /** other fixture files the program imports */
  companions: string[];
  /** also compiled with `module: commonjs` */
  commonjs: boolean;
}

const TS_EXTRACTED: TsFixture[] = [
  { name: 'worker-ts-esm.ts', companions: [], commonjs: false },
  { name: 'worker-ts-commonjs.cts', companions: [], commonjs: true },
  { name: 'worker-ts-types.ts', companions: ['worker-ts-shapes.ts'], commonjs: true },
];

const PROBE = 'loopguard-probe: worker module loaded in thread';

/**
 * A temp package (package.json with the fixture's module type) holding the fixture — its fixed version
 * with the created files, or the original — and its companions. The copied worker module gets a probe
 * that prints the id of the thread loading it.
 */
function tsPackage(fx: TsFixture, fixed: boolean): string {
  const original = path.join(DIR, fx.name);
  const dir = fixed ? fixedPackage(fx.name) : fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-worker-'));
  if (!fixed) fs.copyFileSync(original, path.join(dir, fx.name));
  for (const c of fx.companions) fs.copyFileSync(path.join(DIR, c), path.join(dir, c));
  const project = fixtureProject(original, fs.readFileSync(original, 'utf8'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: project?.moduleType ?? 'commonjs' }));
  if (fixed) {
    const worker = fs.readdirSync(dir).find((f) => /\.worker\.[cm]?ts$/.test(f));
    assert.ok(worker, `${fx.name}: the fix created no worker module`);
    fs.appendFileSync(
      path.join(dir, worker),
      `import { threadId as probeThreadId } from 'node:worker_threads';\nconsole.error(\`${PROBE} \${probeThreadId}\`);\n`,
    );
  }
  return dir;
}

async function runNode(args: string[]): Promise<{ stdout: string; stderr: string }> {
  // from the repository, so that `--import tsx` (and the pool's workers, which load it again) resolve tsx
  const { stdout, stderr } = await run(process.execPath, args, { timeout: 60_000, cwd: REPO });
  return { stdout, stderr };
}

/** The threads the probe saw the worker module loaded in. */
function probedThreads(stderr: string): number[] {
  return [...stderr.matchAll(new RegExp(`${PROBE} (\\d+)`, 'g'))].map((m) => Number(m[1]));
}

/** `runNode(['--import', 'tsx', original])` once per fixture: several tests compare with it. */
const originalOutputs = new Map<string, Promise<string>>();
function originalOutput(fx: TsFixture): Promise<string> {
  let out = originalOutputs.get(fx.name);
  if (!out) {
    out = (async () => {
      const dir = tsPackage(fx, false);
      try {
        const { stdout, stderr } = await runNode(['--import', 'tsx', path.join(dir, fx.name)]);
        assert.notEqual(stdout.trim(), '', `${fx.name} printed nothing when run as main`);
        assert.deepEqual(probedThreads(stderr), [], 'the original has no worker module');
        return stdout;
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    })();
    originalOutputs.set(fx.name, out);
  }
  return out;
}

const STRICT: ts.CompilerOptions = {
  strict: true,
  noImplicitAny: true,
  noImplicitReturns: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  exactOptionalPropertyTypes: true,
  noFallthroughCasesInSwitch: true,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts'],
  types: ['node'],
  typeRoots: TYPE_ROOTS,
  skipLibCheck: true,
};

const MODULE_OPTIONS: Record<'nodenext' | 'commonjs', ts.CompilerOptions> = {
  nodenext: { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext },
  commonjs: { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Bundler, ignoreDeprecations: '6.0' },
};

/** Parsed declaration files of TypeScript's lib and @types/node, shared by every program of this file (parsing them is most of a compile). */
const libFiles = new Map<string, ts.SourceFile>();

function cachingHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, fresh) => {
    if (!fileName.includes('node_modules')) return read(fileName, languageVersion, onError, fresh);
    const key = `${fileName}\0${JSON.stringify(languageVersion)}`;
    let sf = libFiles.get(key);
    if (!sf) {
      sf = read(fileName, languageVersion, onError, fresh);
      if (sf) libFiles.set(key, sf);
    }
    return sf;
  };
  return host;
}

/** Compiles `root` (and what it references) into `outDir`: the diagnostics, and the program's source files. */
function compile(root: string, options: ts.CompilerOptions, outDir?: string): { diagnostics: string[]; files: string[] } {
  const all = { ...STRICT, ...options, ...(outDir ? { outDir, rootDir: path.dirname(root) } : { noEmit: true }) };
  const program = ts.createProgram([root], all, cachingHost(all));
  const emitted = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) => {
    const where = d.file ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1} ` : '';
    return `${where}TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  const files = program.getSourceFiles().map((f) => f.fileName).filter((f) => !f.includes('node_modules'));
  return { diagnostics, files };
}

const COMPILED_EXT: Record<string, string> = { '.ts': '.js', '.mts': '.mjs', '.cts': '.cjs' };

describe('cpu-loop-on-event-loop: TypeScript worker extraction, executed and type-checked', { concurrency: true }, () => {
  for (const fx of TS_EXTRACTED) {
    it(`${fx.name}: from source (tsx), the task runs in a worker thread and prints what the original prints`, async () => {
      const after = tsPackage(fx, true);
      try {
        const fixedText = fs.readFileSync(path.join(after, fx.name), 'utf8');
        assert.match(fixedText, /await runInWorker<typeof import\(/);
        const [original, fixed] = await Promise.all([originalOutput(fx), runNode(['--import', 'tsx', path.join(after, fx.name)])]);
        assert.equal(fixed.stdout, original);
        const threads = probedThreads(fixed.stderr);
        assert.ok(threads.length > 0, `the worker module was never loaded:\n${fixed.stderr}`);
        assert.ok(threads.every((t) => t !== 0), `the worker module was loaded on the main thread: ${threads.join(', ')}`);
      } finally {
        fs.rmSync(after, { recursive: true, force: true });
      }
    });

    it(`${fx.name}: the fixed file and the files it created compile under strict options; the output runs with node`, async () => {
      const before = tsPackage(fx, false);
      const after = tsPackage(fx, true);
      try {
        const modes: Array<'nodenext' | 'commonjs'> = fx.commonjs ? ['nodenext', 'commonjs'] : ['nodenext'];
        for (const mode of modes) {
          const original = compile(path.join(before, fx.name), MODULE_OPTIONS[mode]);
          assert.deepEqual(original.diagnostics, [], `${mode}: the original does not compile cleanly`);
          const fixed = compile(path.join(after, fx.name), MODULE_OPTIONS[mode]);
          assert.deepEqual(fixed.diagnostics, [], `${mode}: the fixed program`);
          const names = fixed.files.map((f) => path.basename(f));
          const ext = path.extname(fx.name);
          assert.ok(names.includes(`${path.basename(fx.name, ext)}.worker${ext}`), `${mode}: the worker module is not in the program: ${names.join(', ')}`);
          assert.ok(names.includes(`loopguard-worker-pool${ext}`), `${mode}: the pool helper is not in the program: ${names.join(', ')}`);
        }
        // after tsc: the compiled names the fixed file refers to exist, and the program runs without a loader
        const out = path.join(after, 'out');
        assert.deepEqual(compile(path.join(after, fx.name), MODULE_OPTIONS.nodenext, out).diagnostics, []);
        const compiledName = path.basename(fx.name, path.extname(fx.name)) + COMPILED_EXT[path.extname(fx.name)];
        const [original, compiled] = await Promise.all([originalOutput(fx), runNode([path.join(out, compiledName)])]);
        assert.equal(compiled.stdout, original);
        const threads = probedThreads(compiled.stderr);
        assert.ok(threads.length > 0 && threads.every((t) => t !== 0), `compiled: the task did not run in a worker:\n${compiled.stderr}`);
      } finally {
        fs.rmSync(before, { recursive: true, force: true });
        fs.rmSync(after, { recursive: true, force: true });
      }
    });
  }

  /** A package with a tsconfig, and one TypeScript file with a CPU-heavy loop, fixed through facts read from disk. */
  async function fixProject(tsconfig: string, runOriginal: boolean): Promise<{ dir: string; file: string; fixedText: string; created: string[]; originalOut: string }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-tsproject-'));
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    };
    write('package.json', JSON.stringify({ type: 'module', scripts: { build: 'tsc' } }));
    write('tsconfig.json', tsconfig);
    const file = path.join(dir, 'src', 'jobs', 'stats.ts');
    write('src/jobs/stats.ts', `import { fileURLToPath } from 'node:url';
import { sum } from '../lib/math.js';

export async function stats(n: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < n; i++) {
    total = (total + i * i) % 1_000_003;
  }
  return total;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(sum([await stats(300_000), 1]));
`);
    write('src/lib/math.ts', 'export function sum(xs: number[]): number {\n  return xs.reduce((a, b) => a + b, 0);\n}\n');

    const text = fs.readFileSync(file, 'utf8');
    const project = projectFactsFor(file);
    assert.equal(project?.tsconfig?.module, 'node');
    const engine = await sharedEngine();
    const result = engine.analyse({ fileName: file, text, ...(project ? { project } : {}) }, defaultAnalysisConfig());
    const fix = result.findings.find((f) => f.rule === 'cpu-loop-on-event-loop')?.fixes[0];
    assert.ok(fix?.otherFiles, `no worker extraction: ${result.findings.map((f) => f.fixes.map((x) => x.title).join(' | ')).join('; ')}`);
    const originalOut = runOriginal ? (await runNode(['--import', 'tsx', file])).stdout : '';
    if (runOriginal) assert.notEqual(originalOut.trim(), '');
    const fixedText = applyEdits(text, fix.edits);
    fs.writeFileSync(file, fixedText);
    for (const change of fix.otherFiles) fs.writeFileSync(change.fileName, applyEdits('', change.edits));
    const created = fix.otherFiles.map((c) => path.relative(dir, c.fileName).split(path.sep).join('/')).sort();
    return { dir, file, fixedText, created, originalOut };
  }

  function compileProject(dir: string): string[] {
    const config = ts.getParsedCommandLineOfConfigFile(path.join(dir, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
    assert.ok(config);
    const program = ts.createProgram(config.fileNames, config.options, cachingHost(config.options));
    const emitted = program.emit();
    return [...config.errors, ...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  }

  const compilerOptions = `"module": "nodenext", "target": "es2022", "lib": ["es2022"], "strict": true,
    "types": ["node"], "typeRoots": ${JSON.stringify(TYPE_ROOTS)}, "skipLibCheck": true`;

  it('a project on disk with rootDir/outDir: the helper goes to rootDir; the fix runs after tsc and from source', async () => {
    const { dir, file, fixedText, created, originalOut } = await fixProject(`{
  // tsc keeps the layout: src/jobs/stats.ts → dist/jobs/stats.js
  "compilerOptions": { ${compilerOptions}, "rootDir": "src", "outDir": "dist", },
  "include": ["src/**/*", "test"],
}`, true);
    try {
      assert.deepEqual(created, ['src/jobs/stats.worker.ts', 'src/loopguard-worker-pool.ts']);
      assert.match(fixedText, /^import \{ runInWorker \} from '\.\.\/loopguard-worker-pool\.js';$/m);
      assert.match(fixedText, /runInWorker<typeof import\('\.\/stats\.worker\.js'\), 'statsLoop'>\(new URL\('\.\/stats\.worker\.js', import\.meta\.url\)\.href/);
      assert.deepEqual(compileProject(dir), []);
      assert.ok(fs.existsSync(path.join(dir, 'dist', 'jobs', 'stats.worker.js')), 'the worker module was not compiled into dist/jobs/');
      const [fromSource, fromOutput] = await Promise.all([
        runNode(['--import', 'tsx', file]),
        runNode([path.join(dir, 'dist', 'jobs', 'stats.js')]),
      ]);
      assert.equal(fromSource.stdout, originalOut);
      assert.equal(fromOutput.stdout, originalOut);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a project on disk without rootDir: the helper goes to the static part of the first include pattern', async () => {
    // (TypeScript 6 wants rootDir whenever it emits into an outDir: this layout is for noEmit and older projects)
    const { dir, created } = await fixProject(`{
  "compilerOptions": { ${compilerOptions}, "noEmit": true },
  "include": ["./src/**/*.ts", "scripts"],
}`, false);
    try {
      assert.deepEqual(created, ['src/jobs/stats.worker.ts', 'src/loopguard-worker-pool.ts']);
      assert.deepEqual(compileProject(dir), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
