/**
 * ## What it does
 * Reports a call that blocks the thread — synchronous file, process, network, database, sleep,
 * crypto or compression APIs, and blocking thread primitives — made directly in code that runs on
 * the event loop: the body of an `async` function, arrow or method (`async def` in Python), and in
 * JavaScript also the callbacks the event loop runs (route handlers, `http.createServer` callbacks,
 * `.on()` listeners, timers, `.then()` callbacks, `new Promise` executors).
 *
 * Which calls block is data: the catalogue in `rules/catalogue/` lists each API, what replaces it and
 * whether the replacement is a safe automatic fix. Names are resolved through imports, aliases and
 * `require`, so `import { readFileSync as rf } from 'node:fs'` and `from time import sleep as nap` are
 * found, and a local function or variable that merely shares the name is not.
 *
 * It also follows calls: a call, on the event loop, to a plain function that blocks — because it calls
 * a blocking API, or another function that does, up to 8 calls deep, in the same file or (with the
 * project model: the CLI on a folder, the language server on a workspace) in another file of the
 * workspace — is reported at the call, with the chain in the message
 * (`loadConfig → readJson → fs.readFileSync (config.ts:12)`) and, in the editor, each hop as related
 * information. Calls whose callee cannot be resolved (a package in `node_modules`, a third-party module,
 * a parameter) are not guessed at; awaited calls and calls to `async` functions are not followed. A
 * generator function (`function*`, a `def` with `yield`) runs only when its result is iterated: a call
 * is followed where it iterates the generator itself (`for (const x of gen())`, `[...gen()]`,
 * `Array.from(gen())`, `yield*`; `for x in gen()`, `list(gen())`, a list comprehension, `yield from`),
 * not where it only creates it (`it = gen()`) — those calls get no offloading fix either.
 *
 * Not reported: start-up code (module top level and plain functions), code handed to a thread,
 * process or worker (`asyncio.to_thread`, `run_in_executor`, `threading.Thread(target=…)`,
 * `worker_threads` worker files), calls that already pass a callback where the API then runs
 * asynchronously (`crypto.randomBytes(n, cb)`), and calls whose arguments make them return at once
 * (`lock.acquire(blocking=False)`, `q.get(block=False)`, `event.wait(0)`, `Atomics.wait(a, i, v, 0)`).
 *
 * ## Why is this bad?
 * An event loop runs one thing at a time and switches tasks only at `await`. A blocking call holds the
 * thread until it returns, so while one request reads a file or sleeps, every other request, timer and
 * socket on that process waits. It passes every test with one user and stalls under load.
 *
 * ## Example
 * ```ts
 * import fs from 'node:fs';
 *
 * app.get('/user/:id', async (req, res) => {
 *   const raw = fs.readFileSync(`users/${req.params.id}.json`, 'utf8');
 *   res.json(JSON.parse(raw));
 * });
 * ```
 *
 * ```python
 * import time
 *
 * async def poll(client):
 *     while not await client.ready():
 *         time.sleep(0.5)
 * ```
 *
 * ```ts
 * import fs from 'node:fs';
 *
 * function readJson(p: string) {
 *   return JSON.parse(fs.readFileSync(p, 'utf8'));
 * }
 *
 * export async function handler() {
 *   const cfg = readJson('config.json'); // reported here: readJson → fs.readFileSync
 *   return cfg;
 * }
 * ```
 *
 * ## Use instead
 * ```ts
 * import fs from 'node:fs';
 *
 * app.get('/user/:id', async (req, res) => {
 *   const raw = await fs.promises.readFile(`users/${req.params.id}.json`, 'utf8');
 *   res.json(JSON.parse(raw));
 * });
 * ```
 *
 * ```python
 * import asyncio
 *
 * async def poll(client):
 *     while not await client.ready():
 *         await asyncio.sleep(0.5)
 * ```
 *
 * ## Fix safety
 * Replacing a call by its awaited async twin (`fs.promises.readFile`, `asyncio.sleep`, a promisified
 * `zlib`/`crypto` function) is **safe**: it returns the same value and throws the same errors.
 * Offloading a call to a thread with `await asyncio.to_thread(fn, *args, **kwargs)` is safe when the call
 * returns a finished value, and **unsafe** when it returns an object that keeps blocking (`open()`,
 * `subprocess.Popen`, a database connection). `execSync` becomes an awaited promisified `exec` only when
 * the result is unused or decoded text (safe); otherwise the fix is marked unsafe. A call to a helper that
 * blocks is offloaded in Python with `await asyncio.to_thread(helper, *args)` — **unsafe**: the helper was
 * not written to run on another thread. With the project model, Python also gets "make the chain async"
 * when the chain is at most 3 plain functions of the workspace ending in an API with an awaited twin:
 * each helper becomes `async def`, the blocking call its awaited twin, and every call of a converted
 * helper in the workspace is awaited, in one edit over several files — **unsafe**: callers now get a
 * coroutine, and when the work runs and where its exceptions surface moves with the `await`s. It is not
 * offered when some use of a helper cannot be seen or cannot await (passed as a value, named in a string,
 * called from a plain function, module-level code, a lambda, a default argument or a generator
 * expression; decorated, a generator, a dunder; defined or imported in a package's `__init__.py`).
 * TypeScript/JavaScript helper calls get the same fix (**unsafe**): `async function`,
 * `async (…) =>`, `async m()`, an annotated return type `T` becomes `Promise<T>`, calls become
 * `await f()` / `(await f()).x`. Not offered for a generator, constructor, accessor, overloaded or
 * decorated helper, a `let`, a default export, a renamed import or export, a return type that is
 * already a promise, a value chained with `.then`, a call where `await` is illegal (parameter default,
 * class field, sync callback), or an entry point of a package.json that is not private. After it (or alone,
 * when it is refused), "Run `helper()` in a worker thread" runs the whole call in a worker — the fix
 * cpu-loop-on-event-loop offers for CPU-heavy helpers, with the same conditions (see its docs); **unsafe**:
 * the helper runs in a fresh instance of its module in another thread, with copied arguments. Fixes that
 * need `await` are offered only where `await` is legal; in a sync callback only the suppression is offered.
 */

import { effectiveScope, runsOnEventLoop, type Call } from '../engine/model';
import type { BlockingApi } from '../engine/catalogue';
import type { Fix } from '../engine/finding';
import { helperSource } from '../fixes/fixer';
import { blockingApiOf } from './blocking-apis';
import { chainData, chainRelated } from './call-chains';
import { describeContext } from './context';
import type { Rule, RuleContext } from './rule';

function buildFixes(ctx: RuleContext, call: Call, api: BlockingApi): Fix[] {
  const fixes: Fix[] = [];
  for (const spec of api.fixes ?? []) {
    const built = ctx.model.fixer.build(call, spec);
    if (built) fixes.push({ title: built.title, safe: spec.safe, edits: built.edits });
  }
  return fixes;
}

export const blockingCallInAsync: Rule = {
  meta: {
    id: 'blocking-call-in-async',
    languages: ['javascript', 'python'],
    defaultSeverity: 'warning',
    summary: 'A blocking call (file, process, network, sleep, …) made directly in code that runs on the event loop.',
    catalogue: 'blocking',
    messages: {
      blockingCall: '`{{name}}` blocks the event loop inside {{context}}; {{advice}}',
      viaHelper: '`{{name}}()` blocks the event loop inside {{context}}: {{chain}} ({{where}}); {{advice}}',
    },
  },
  check(ctx) {
    const { model, catalogue } = ctx;
    for (const call of model.calls) {
      const api = blockingApiOf(model, catalogue, call);
      if (!api || call.name === undefined) {
        reportHelper(ctx, call);
        continue;
      }
      const scope = effectiveScope(model, call.scope);
      if (!runsOnEventLoop(scope)) continue;
      ctx.report({
        messageId: 'blockingCall',
        data: { name: call.name, written: call.written, context: describeContext(model, scope), advice: api.advice },
        span: call.calleeSpan,
        fixes: buildFixes(ctx, call, api),
      });
    }
  },
};

const HELPER_ADVICE = {
  python: 'make the chain async, or run the call in a thread (`await asyncio.to_thread(…)`)',
  javascript: 'make the chain async (use the async twin of the blocking call and await each helper), or move the work to a worker thread',
} as const;

/**
 * A call, made synchronously on the event loop, to a function (of this file or, with a workspace, of
 * another) whose summary says it blocks: reported at the call, with the chain down to the blocking call.
 */
function reportHelper(ctx: RuleContext, call: Call): void {
  const { model } = ctx;
  if (call.awaited || (call.target === undefined && !call.imported)) return;
  const scope = effectiveScope(model, call.scope);
  if (!runsOnEventLoop(scope)) return;
  const callee = ctx.callee?.(call);
  if (!callee?.blocks) return;
  const fixes: Fix[] = [];
  // A generator iterated at the call (`for x in gen()`) would only be created in the thread or worker
  // and still run here: no offloading fix for such a call.
  // The helper is not known to be thread-safe (it may touch state the event loop also uses): unsafe.
  if (model.family === 'python' && !call.iterated) {
    const built = model.fixer.build(call, { kind: 'to-thread', safe: false });
    if (built) fixes.push({ title: built.title, safe: false, edits: built.edits });
  }
  const chain = ctx.chainFix?.(call, callee.blocks);
  if (chain) fixes.push(chain);
  // JS/TS: after making the chain async, the whole call in a worker thread (it may touch module state)
  const source = model.family === 'javascript' && !call.iterated ? helperSource(model, call) : undefined;
  const worker = source && model.fixer.runHelperInWorker?.(call, source);
  if (worker) fixes.push({ title: worker.title, safe: false, edits: worker.edits, ...(worker.otherFiles ? { otherFiles: worker.otherFiles } : {}) });
  ctx.report({
    messageId: 'viaHelper',
    data: { name: call.written, ...chainData(call.written, callee.blocks), context: describeContext(model, scope), advice: HELPER_ADVICE[model.family] },
    span: call.calleeSpan,
    fixes,
    related: chainRelated(callee, callee.blocks, 'blocks'),
  });
}
