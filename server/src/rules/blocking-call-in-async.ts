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
 * the result is unused or decoded text (safe); otherwise the fix is marked unsafe. Fixes that need
 * `await` are offered only where `await` is legal; in a sync callback only the suppression is offered.
 */

import { effectiveScope, runsOnEventLoop, type Call, type SourceModel } from '../engine/model';
import type { BlockingApi } from '../engine/catalogue';
import type { Fix } from '../engine/finding';
import { describeContext } from './context';
import type { Rule, RuleContext } from './rule';

/** The argument a nonBlockingWhen condition names: by keyword, or by position before any spread. */
function argumentText(model: SourceModel, call: Call, keyword: string | undefined, position: number | undefined): string | undefined {
  if (keyword !== undefined) {
    const kw = call.args.find((a) => a.keyword === keyword);
    if (kw) return model.text.slice(kw.span.start, kw.span.end).replace(/^\s*[\w$]+\s*=/, '').trim();
  }
  if (position === undefined) return undefined;
  let index = 0;
  for (const a of call.args) {
    if (a.spread) return undefined; // positions after *args are unknown
    if (a.keyword !== undefined) continue;
    if (index === position) return model.text.slice(a.span.start, a.span.end).trim();
    index++;
  }
  return undefined;
}

function blocksHere(model: SourceModel, api: BlockingApi, call: Call): boolean {
  if (api.when === 'no-callback-argument' && call.args.some((a) => a.isFunction)) return false;
  for (const cond of api.nonBlockingWhen ?? []) {
    const text = argumentText(model, call, cond.keyword, cond.position);
    if (text !== undefined && cond.literals.includes(text)) return false;
  }
  return true;
}

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
    },
  },
  check(ctx) {
    const { model, catalogue } = ctx;
    for (const call of model.calls) {
      // An awaited call returns an awaitable, so it is not the blocking API the name suggests (an
      // async client mistaken for its sync twin); awaiting a truly blocking call would not unblock it,
      // but that code is already broken in a way every type checker reports.
      if (call.name === undefined || call.awaited) continue;
      const api = catalogue.lookup(call.name);
      if (!api || !blocksHere(model, api, call)) continue;
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
