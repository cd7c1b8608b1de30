/**
 * ## What it does
 * Reports a Python function with CPU-heavy pure-Python work (the loops `cpu-loop-on-event-loop` calls
 * heavy: numeric kernels, quadratic nests, large constant counts, busy-waits, CPU-heavy APIs per element)
 * that is handed to a *thread*: `asyncio.to_thread(fn, …)`, `loop.run_in_executor(None, fn, …)`,
 * `ThreadPoolExecutor.submit(fn, …)` / `.map(fn, …)`, `threading.Thread(target=fn)`. The finding points at
 * the function where it is handed over.
 *
 * Only evidence of pure-Python computation counts: numeric kernels, busy-waits, CPU-heavy APIs that hold
 * the GIL, and large or quadratic loops whose innermost body only computes — a thread target that loops
 * over items calling methods is usually I/O work. Not reported when the work releases the GIL — it calls
 * I/O (the blocking APIs of the catalogue) or APIs that compute outside the interpreter (`hashlib`, `zlib`,
 * NumPy: `releasesGil` in the catalogue's `cpuHeavy` section) — when the function goes to a process pool
 * already, or when `loopguard.pythonFreeThreaded` says the interpreter has no GIL.
 *
 * ## Why is this bad?
 * CPython's global interpreter lock lets one thread run Python bytecode at a time. A thread pool keeps the
 * event loop responsive for I/O-bound work, but CPU-bound Python code in it still runs one thread at a time,
 * competes with the event loop's own thread for the GIL, and gains no parallelism: ten threads of it take as
 * long as one. Processes each have their own interpreter and do run in parallel.
 *
 * ## Example
 * ```python
 * import asyncio
 *
 *
 * def checksum(n: int) -> int:
 *     total = 0
 *     for i in range(n):
 *         total += i * i
 *     return total
 *
 *
 * async def handler(n: int) -> int:
 *     return await asyncio.to_thread(checksum, n)
 * ```
 *
 * ## Use instead
 * ```python
 * import asyncio
 * import concurrent.futures
 *
 * _process_pool = concurrent.futures.ProcessPoolExecutor()
 *
 *
 * def checksum(n: int) -> int:
 *     total = 0
 *     for i in range(n):
 *         total += i * i
 *     return total
 *
 *
 * async def handler(n: int) -> int:
 *     return await asyncio.get_running_loop().run_in_executor(_process_pool, checksum, n)
 * ```
 *
 * ## Fix safety
 * The fix hands the function to a module-level `ProcessPoolExecutor` (created once) instead of a thread. It
 * is **unsafe**: the function and its arguments must pickle, it no longer shares memory with the caller, and
 * it must be importable by the worker processes. It is offered only for module-level functions; for nested
 * functions, lambdas, closures and bound methods the message explains why no automatic fix is possible.
 */

import type { FunctionScope, SourceModel } from '../engine/model';
import { outermostHeavyLoops, type HeavyLoop } from './heavy-loops';
import type { Rule } from './rule';

const WHY: Record<string, string> = {
  busyWait: 'a busy-wait',
  literalCount: 'a {{count}}-iteration loop',
  numericKernel: 'a numeric loop over `{{bound}}`',
  quadratic: 'nested loops over `{{outer}}` and `{{inner}}`',
  heavyCall: '`{{api}}` in a loop',
};

function fill(template: string, data: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => data[k] ?? '');
}

/**
 * A thread target is often I/O work in a loop (reading, signalling events, calling into libraries we
 * cannot see). Only evidence of pure-Python computation counts here: numeric kernels, busy-waits,
 * CPU-heavy APIs that hold the GIL, and large or quadratic loops whose innermost body only computes.
 */
function computesInPython(h: HeavyLoop): boolean {
  if (h.doesIo || h.heavyApis.some((api) => api.releasesGil)) return false;
  switch (h.reason) {
    case 'numericKernel':
    case 'busyWait':
    case 'heavyCall':
      return true;
    case 'literalCount':
      return h.loop.computeOnly;
    case 'quadratic':
      return h.inner?.computeOnly === true;
  }
}

/** The scope itself or any scope nested in it (closures and comprehensions run when it runs). */
function within(model: SourceModel, scopeId: number, root: number): boolean {
  for (let s: number | undefined = scopeId; s !== undefined; s = model.scopes[s].parent) if (s === root) return true;
  return false;
}

export const cpuBoundWorkInThreadPool: Rule = {
  meta: {
    id: 'cpu-bound-work-in-thread-pool',
    languages: ['python'],
    defaultSeverity: 'warning',
    summary: 'CPU-bound pure-Python work handed to a thread, where the GIL leaves the pool no parallelism.',
    messages: {
      threadPool:
        '`{{name}}` runs CPU-bound Python ({{why}}) in a thread via `{{api}}`; the GIL lets one thread run Python at a time, so this gains no parallelism; {{advice}}',
    },
  },
  check(ctx) {
    const { model } = ctx;
    if (ctx.options.pythonFreeThreaded) return;
    const targets = model.scopes.filter((s): s is FunctionScope & { offload: NonNullable<FunctionScope['offload']> } => s.kind === 'offloaded' && s.offload?.via === 'thread');
    if (targets.length === 0) return;
    for (const scope of targets) {
      // work that waits on I/O or computes in C outside the GIL does run in parallel in threads
      const heavy = outermostHeavyLoops(model, ctx.catalogue, ctx.options, (loop) => within(model, loop.scope, scope.id)).find(computesInPython);
      if (!heavy) continue;
      const switched = model.fixer.switchToProcessPool?.(scope) ?? { fixes: [], problem: 'no automatic fix for this hand-over' };
      const advice =
        switched.fixes.length > 0
          ? 'run it in a `concurrent.futures.ProcessPoolExecutor` instead'
          : `run it in a \`concurrent.futures.ProcessPoolExecutor\` instead (no automatic fix: ${switched.problem ?? 'the function cannot be handed to a process'})`;
      ctx.report({
        messageId: 'threadPool',
        data: { name: scope.name ?? 'the function', why: fill(WHY[heavy.reason], heavy.data), api: scope.offload.api, advice },
        span: scope.offload.span,
        fixes: switched.fixes.map((f) => ({ title: f.title, safe: f.safe, edits: f.edits })),
      });
    }
  },
};
