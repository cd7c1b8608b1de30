/**
 * ## What it does
 * Reports a CPU-heavy loop or comprehension in code that runs on the event loop — an `async`
 * function or `async def`, and in JavaScript the callbacks the event loop runs (route handlers,
 * listeners, timers) — when nothing in it gives control back (`await`, `yield`, `async for`).
 *
 * A loop is heavy when:
 * - it busy-waits on the clock (`while (Date.now() < end) {}`, `while time.time() < deadline: pass`);
 * - its constant trip count reaches `loopguard.cpuLoopThreshold` (default 100,000: `range(10**7)`);
 * - it is a numeric kernel over a count known only at run time (`for (let i = 0; i < n; i++) sum += i * i`,
 *   `sum(i * i for i in range(n))`);
 * - it nests a loop over another, independent collection (quadratic work: `for a in xs: for b in ys`, but
 *   not `for user in users: for role in user.roles`, which walks one structure once);
 * - it calls a CPU-heavy API for each element (`JSON.parse`, `crypto.createHash`, `json.loads`, `re.sub`,
 *   `hashlib.sha256`; listed in the catalogue's `cpuHeavy` section).
 *
 * It also reports recursion over input size: a call, in the same contexts, to a plain (not async)
 * function of the same file that calls itself two or more times per call — branching recursion such as
 * `fib(n - 1) + fib(n - 2)` or an include/exclude search, whose work grows exponentially with its input,
 * or a walk of a whole tree per call.
 * The call is reported where it is made on the event loop, not inside the recursive function.
 *
 * And it follows calls: a call, in the same contexts, to a plain function whose body runs such a loop —
 * directly or through other functions, up to 8 calls deep, in the same file or (with the project model:
 * the CLI on a folder, the language server on a workspace) in another file — is reported at the call,
 * with the chain (`score → normalise → for loop (quadratic) (rank.ts:12)`) in the message and as related
 * information. Calls whose callee cannot be resolved are not guessed at. A call to a generator function
 * counts only where it iterates the generator itself (as blocking-call-in-async describes), and then gets
 * no offloading fix.
 *
 * The message says which of these made the loop heavy. Only the outermost heavy loop of a nest is reported.
 * Not reported: a single loop over a collection doing ordinary work, loops over a few literal items,
 * small constant loops, loops that `await`, start-up code, plain functions, code already handed to a
 * thread, process or worker, and worker files — `worker_threads` workers and worker task modules (files
 * named `*.worker.js`, `*-worker.ts`, …, modules importing piscina's `move`/`isWorkerRunning`, and modules
 * named after a worker or task that only declare things and export a default function). Nor are linear
 * recursion (one self-call per call, such as a list walk), memoized functions (`@functools.cache`),
 * async recursive functions, or calls to functions we cannot tell apart (shadowed or reassigned names).
 *
 * ## Why is this bad?
 * The event loop runs one piece of code at a time. A loop that computes for a second freezes every other
 * request, timer and socket for that second, just like a blocking call — and no amount of `async` around it
 * helps, because it never reaches an `await`.
 *
 * ## Example
 * ```ts
 * export async function score(n: number): Promise<number> {
 *   let total = 0;
 *   for (let i = 0; i < n; i++) {
 *     total += i * i;
 *   }
 *   return total;
 * }
 * ```
 *
 * ```python
 * async def checksum(n: int) -> int:
 *     return sum(i * i for i in range(n))
 * ```
 *
 * ```python
 * def _squares(n: int) -> int:
 *     return sum(i * i for i in range(n))
 *
 *
 * async def report(n: int) -> dict:
 *     return {"total": _squares(n)}  # reported here: _squares → comprehension (numeric kernel)
 * ```
 *
 * ## Use instead
 * ```ts
 * import { Worker } from 'node:worker_threads';
 *
 * export function score(n: number): Promise<number> {
 *   return new Promise((resolve, reject) => {
 *     const worker = new Worker(new URL('./score-worker.js', import.meta.url), { workerData: n });
 *     worker.once('message', resolve);
 *     worker.once('error', reject);
 *   });
 * }
 * ```
 *
 * ```python
 * import asyncio
 * import concurrent.futures
 *
 * _process_pool = concurrent.futures.ProcessPoolExecutor()
 *
 *
 * def _checksum(n: int) -> int:
 *     return sum(i * i for i in range(n))
 *
 *
 * async def checksum(n: int) -> int:
 *     return await asyncio.get_running_loop().run_in_executor(_process_pool, _checksum, n)
 * ```
 *
 * ## Fix safety
 * Python: the loop is extracted into a module-level function (its parameters are the variables it reads,
 * its return value what it assigns and is used afterwards) run in a module-level `ProcessPoolExecutor`
 * with `await loop.run_in_executor(...)`. This is **unsafe**: arguments and results must pickle, and the
 * work runs in another process. No fix is offered when extraction would change behaviour (the loop mutates
 * objects used afterwards, uses `self`, `nonlocal`, returns, yields or awaits).
 * TypeScript/JavaScript, best first: in a file of a package (a `package.json` above it), the loop moves
 * into an exported function of a worker module next to the file and becomes
 * `({ total } = await runInWorker(…, { n, total }))` — through a module-level `Piscina` pool when the
 * package depends on `piscina`, otherwise through a small `node:worker_threads` pool module that the fix
 * creates once. In JavaScript the worker module is `<name>.worker.mjs` or `.cjs` (the file's module style)
 * and the pool `loopguard-worker-pool.mjs`/`.cjs` at the package root. In TypeScript (`.ts`, `.mts`,
 * `.cts`; not `.tsx`) they are `<name>.worker.ts` and `loopguard-worker-pool.ts` (`.mts`/`.cts` to match),
 * the pool inside the compilation (tsconfig's `rootDir`, else its first `include` directory); the module
 * format follows the extension, tsconfig's `module`, then the package's `type`. The file refers to the
 * worker module by its compiled name (`<name>.worker.js`, right after `tsc`, which mirrors the source tree
 * into `outDir`) and types the call with `typeof import('./<name>.worker.js')`; the pool loads the `.ts`
 * when the `.js` does not exist, so the program also runs from source (tsx). Each input needs a type
 * written in the code — its annotation, or an obvious initialiser (`0`, `''`, `[1, 2]`) — and the types it
 * names must be built-in, imported, or exported by the file (the worker module imports them with
 * `import type`); otherwise, or when the code before the loop narrows an input
 * (`if (x === undefined) return`), only the yielding fix is offered. The fix writes several files, so editors offer it only when
 * they can create files. It is **unsafe**: inputs and results are copied by structured clone (an object the
 * loop picks from an input comes back as a copy), and the loop runs in another thread. It is only offered
 * when the loop reads and assigns plain variables and mutates only what it creates: not for loops that use
 * `this`, `arguments`, `var`, `await`/`return`, call functions of the file or imported ones, mutate outer
 * objects, or read functions or class instances. A package that bundles its code into one file (esbuild,
 * webpack, vite, rollup) has no worker module next to the bundle: the fix does not detect this — add the
 * worker module as an entry point of the bundle, or use the yielding fix. When the extraction is not
 * offered, and in `.tsx` files, the loop yields to the event loop every 1,000 iterations
 * (`await new Promise((resolve) => setImmediate(resolve))`) inside an async function.
 * This is **unsafe** too: other tasks now run between iterations and may change state the loop reads.
 * Busy-waits get no fix. Recursion gets no fix either: whether to memoize it, bound it, or move the
 * whole call into a worker or process depends on what the function does.
 *
 * A call to a CPU-heavy helper runs whole somewhere else, **unsafe** both ways. Python: "Run `helper()` in a
 * process pool" — `await asyncio.get_running_loop().run_in_executor(_process_pool, helper, *args)`
 * (`functools.partial` for keyword arguments) with the module's pool as above; only for a module-level
 * `def` of the file or one imported from a module (a function travels to the other process by its module
 * and name), not for methods, nested or decorated functions, a lambda or generator argument, or trio/anyio
 * code. Arguments and results must pickle, and the helper sees the other process's module state.
 * TypeScript/JavaScript: "Run `helper()` in a worker thread" — the worker module next to the file (as
 * above) gets `helperInWorker(args)`, which loads the helper with the file's own import specifier and calls
 * it, and the call becomes `await runInWorker(url, 'helperInWorker', [args…])` (piscina: `await pool.run(…)`;
 * TypeScript: typed through `typeof import(…)`, and an import only that call used is removed). Only for a
 * plain call (`helper(…)`, `ns.helper(…)`) of an imported function or of one the file exports — when the
 * file's top level only declares things, since the worker loads the file — directly in an async function;
 * not for methods, spread arguments, arguments that cannot be cloned (functions, classes, `this`, class
 * instances), sync callbacks, `.tsx` files or helpers the file does not export. The helper runs in a fresh
 * instance of its module (module-level state is that instance's, and its top-level code runs again in the
 * worker), in another thread; its arguments and result are copied.
 */

import { effectiveScope, runsOnEventLoop, type Call, type SourceModel } from '../engine/model';
import { helperSource, type SafetyRatedFix } from '../fixes/fixer';
import { chainData, chainRelated } from './call-chains';
import { describeContext } from './context';
import { outermostHeavyLoops } from './heavy-loops';
import type { Rule } from './rule';

const ADVICE = {
  python: 'run it in a process pool (`await loop.run_in_executor(process_pool, fn, …)`)',
  javascript: 'run it in a worker thread (`worker_threads`, piscina) or yield to the event loop periodically',
} as const;

const RECURSION_ADVICE = {
  python: 'memoize it (`functools.cache`) or run it in a process pool (`await loop.run_in_executor(process_pool, fn, …)`)',
  javascript: 'memoize it or run it in a worker thread (`worker_threads`, piscina)',
} as const;

const BUSY_WAIT_ADVICE = {
  python: 'await the deadline instead (`await asyncio.sleep(…)`)',
  javascript: "await a timer instead (`await setTimeout(ms)` from 'node:timers/promises')",
} as const;

export const cpuLoopOnEventLoop: Rule = {
  meta: {
    id: 'cpu-loop-on-event-loop',
    languages: ['javascript', 'python'],
    defaultSeverity: 'warning',
    summary: 'A CPU-heavy loop (large or run-time count, quadratic, busy-wait, heavy API per element) running on the event loop.',
    catalogue: 'cpuHeavy',
    messages: {
      busyWait: 'Busy-wait loop spins on the clock inside {{context}}, blocking the event loop; {{advice}}',
      literalCount: 'Loop runs {{count}} iterations on the event loop inside {{context}}; {{advice}}',
      numericKernel: 'Loop computes `{{bound}}` iterations, a count known only at run time, on the event loop inside {{context}}; {{advice}}',
      quadratic: 'Nested loops over `{{outer}}` and `{{inner}}` (quadratic work) run on the event loop inside {{context}}; {{advice}}',
      heavyCall: 'Loop calls `{{api}}` for each of `{{bound}}` on the event loop inside {{context}}; {{advice}}',
      viaHelper: '`{{name}}()` runs CPU-heavy work on the event loop inside {{context}}: {{chain}} ({{where}}); {{advice}}',
      recursion: '`{{name}}` calls itself {{count}} times per call (branching recursion: work that grows exponentially with its input, or a walk of a whole tree) on the event loop inside {{context}}; {{advice}}',
    },
  },
  check(ctx) {
    const { model } = ctx;
    const onLoop = (scopeId: number) => runsOnEventLoop(effectiveScope(model, scopeId));
    for (const heavy of outermostHeavyLoops(model, ctx.catalogue, ctx.options, (loop) => onLoop(loop.scope))) {
      const scope = effectiveScope(model, heavy.loop.scope);
      const advice = heavy.reason === 'busyWait' ? BUSY_WAIT_ADVICE[model.family] : ADVICE[model.family];
      const fixes = heavy.reason === 'busyWait' ? [] : (model.fixer.moveLoopOffEventLoop?.(heavy.loop) ?? []);
      ctx.report({
        messageId: heavy.reason,
        data: { ...heavy.data, name: heavy.data.bound ?? '', context: describeContext(model, scope), advice },
        span: heavy.loop.headSpan,
        fixes: fixes.map((f) => ({ title: f.title, safe: f.safe && !f.otherFiles, edits: f.edits, ...(f.otherFiles ? { otherFiles: f.otherFiles } : {}) })),
      });
    }
    for (const call of model.calls) {
      if ((call.target === undefined && !call.imported) || call.awaited || !onLoop(call.scope)) continue;
      const target = call.target === undefined ? undefined : model.scopes[call.target];
      if (!target || (target.selfCalls ?? 0) < 2 || (target.kind !== 'sync' && target.kind !== 'inline')) {
        // not branching recursion: a helper (of this file or, with a workspace, another) with a heavy loop
        const callee = ctx.callee?.(call);
        if (!callee?.heavy) continue;
        // a generator iterated at the call would only be created elsewhere and still run here
        const offload = call.iterated ? undefined : offloadHelper(model, call);
        ctx.report({
          messageId: 'viaHelper',
          data: { name: call.written, ...chainData(call.written, callee.heavy), context: describeContext(model, effectiveScope(model, call.scope)), advice: ADVICE[model.family] },
          span: call.calleeSpan,
          fixes: offload ? [{ title: offload.title, safe: false, edits: offload.edits, ...(offload.otherFiles ? { otherFiles: offload.otherFiles } : {}) }] : [],
          related: chainRelated(callee, callee.heavy, 'heavy'),
        });
        continue;
      }
      // a call inside the function itself (through an inline callback) is its own recursion, not the entry
      if (target.span.start <= call.span.start && call.span.end <= target.span.end) continue;
      // calling a generator runs none of its body; iterating it does
      if (target.generator && !call.iterated) continue;
      ctx.report({
        messageId: 'recursion',
        data: {
          name: call.written,
          count: String(target.selfCalls),
          context: describeContext(model, effectiveScope(model, call.scope)),
          advice: RECURSION_ADVICE[model.family],
        },
        span: call.calleeSpan,
        fixes: [],
      });
    }
  },
};

/** The whole helper call moved off the event loop: a process pool (Python), a worker thread (JS/TS). */
function offloadHelper(model: SourceModel, call: Call): SafetyRatedFix | undefined {
  if (model.family === 'python') return model.fixer.runHelperInProcessPool?.(call);
  const source = helperSource(model, call);
  return source && model.fixer.runHelperInWorker?.(call, source);
}
