// cpu-bound-work-in-thread-pool's Python fix: hand the function to the module's process pool instead
// of a thread.
//
//     await asyncio.to_thread(fn, x, k=1)     → await asyncio.get_running_loop().run_in_executor(_process_pool, functools.partial(fn, x, k=1))
//     await loop.run_in_executor(None, fn, x) → await loop.run_in_executor(_process_pool, fn, x)
//     executor.submit(fn, x) / .map(fn, xs)   → _process_pool.submit(fn, x) / _process_pool.map(fn, xs)
//
// `submit`/`map` keep their Future/iterator contract by going to the pool's own method. Only a
// module-level def can be sent to another process (it pickles by name): a lambda, a nested function
// or closure, or a bound method cannot, and a Thread target has no drop-in process equivalent here;
// those get a `problem` instead of a fix. Unsafe: arguments and results must pickle, and the work no
// longer shares the parent's memory.

import type { FunctionScope } from '../../engine/model';
import type { LineIndex } from '../../engine/text';
import type { PythonFileFacts } from '../../frontends/python/facts';
import type { SafetyRatedFix } from '../fixer';
import { ImportPlanner } from './imports';
import { mergeInserts, moduleInsertionPoint, planPool } from './process-pool';

type Result = { fixes: SafetyRatedFix[]; problem: string | undefined };

const THREADS = new Set(['threading.Thread', 'threading.Timer', '_thread.start_new_thread']);

export function switchToProcessPool(facts: PythonFileFacts, lines: LineIndex, scope: FunctionScope): Result {
  const none = (problem: string): Result => ({ fixes: [], problem });
  const site = scope.offload;
  if (!site) return none('the hand-over is not known');
  if (scope.name === undefined) return none('a lambda cannot be sent to another process; make it a module-level def');
  const parent = scope.parent === undefined ? undefined : facts.scopes[scope.parent];
  if (parent?.kind === 'class') return none(`\`${scope.name}\` is a method: a bound method sends its whole object to the other process; make it a module-level def`);
  if (parent?.kind !== 'module') return none(`\`${scope.name}\` is a nested function (a closure), which cannot be sent to another process; move it to module level`);
  const call = facts.calls.find((c) => c.span.start === site.call.start && c.span.end === site.call.end);
  if (!call) return none('the hand-over call is not known');
  const name = call.name ?? '';
  if (THREADS.has(name)) return none('a thread target has no drop-in process equivalent; use `multiprocessing.Process` or a `ProcessPoolExecutor` by hand');
  if (name.startsWith('trio.') || name.startsWith('anyio.')) return none('trio and anyio hand-overs are not rewritten automatically (anyio has `anyio.to_process.run_sync`)');

  const planner = new ImportPlanner(facts, lines, call.scope);
  const pool = planPool(facts, planner, call.scope);
  const at = moduleInsertionPoint(facts, lines, call.span.start);
  if (!pool || at === undefined) return none('the process pool cannot be named here');
  const { text } = facts;
  const verbatim = (from: number) => text.slice(call.args[from].span.start, call.args[call.args.length - 1].span.end);

  let title: string;
  let start: number;
  let end: number;
  let newText: string;
  if (name === 'asyncio.to_thread') {
    if (!call.awaited) return none('the `asyncio.to_thread(…)` call is not awaited directly');
    const getLoop = planner.reference('asyncio.get_running_loop');
    if (getLoop === undefined || call.args.length === 0) return none('`asyncio.get_running_loop` cannot be named here');
    let args = verbatim(0);
    if (call.args.some((a) => a.keyword !== undefined || a.spread === 'keyword')) {
      const partial = planner.reference('functools.partial');
      if (partial === undefined) return none('`functools.partial` cannot be named here');
      args = `${partial}(${args})`;
    }
    ({ start, end } = call.span);
    newText = `${getLoop}().run_in_executor(${pool.name}, ${args})`;
    title = `Run in a process pool with \`await loop.run_in_executor(${pool.name}, …)\``;
  } else if (name.endsWith('.run_in_executor') || (call.name === undefined && call.written.endsWith('.run_in_executor'))) {
    const first = call.args[0];
    if (!first || first.keyword !== undefined) return none('the executor argument is not known');
    ({ start, end } = first.span);
    newText = pool.name;
    title = `Run in a process pool with \`loop.run_in_executor(${pool.name}, …)\``;
  } else if (/\.(submit|map)$/.test(call.written)) {
    const callee = text.slice(call.calleeSpan.start, call.calleeSpan.end);
    const dot = callee.lastIndexOf('.');
    start = call.calleeSpan.start;
    end = start + dot;
    newText = pool.name;
    title = `Submit to a process pool with \`${pool.name}${callee.slice(dot)}(…)\``;
  } else return none(`no automatic fix for \`${call.written}\``);

  const imports = planner.edit();
  if (imports === null) return none('the imports cannot be placed');
  const eol = lines.eol;
  const edits = mergeInserts([
    ...(imports ? [imports] : []),
    ...(pool.definition ? [{ start: at, end: at, newText: `${pool.definition}${eol}${eol}${eol}` }] : []),
    { start, end, newText },
  ]);
  return { fixes: [{ title, safe: false, edits: sortEdits(edits) }], problem: undefined };
}

function sortEdits<T extends { start: number }>(edits: T[]): T[] {
  return edits.sort((a, b) => a.start - b.start);
}

