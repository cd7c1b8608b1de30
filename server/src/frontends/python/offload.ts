// The APIs that run a function somewhere other than the event loop: a worker thread, a thread pool,
// another process. A sync def or lambda handed to one of these gets the scope kind `offloaded`.
//
// This is front-end knowledge, not catalogue data: it describes how Python code is scheduled, and
// the same table serves every rule that asks "does this function run on the loop?".

export interface Offloader {
  /** index of the positional argument that is the function */
  arg: number;
  /** the keyword that may pass it instead (`target=`) */
  keyword?: string;
  /** how the function runs, for messages: FunctionScope.reason */
  reason: string;
  /**
   * Where: a thread (shares the GIL with the event loop) or a process. `executor` when the first
   * argument names the executor (`run_in_executor(executor, fn)`); undefined when we cannot tell.
   */
  via?: 'thread' | 'process' | 'executor';
}

const executorJob: Offloader = { arg: 0, reason: 'executor job' };
const threadJob: Offloader = { arg: 0, reason: 'executor job', via: 'thread' };
const processJob: Offloader = { arg: 0, reason: 'executor job', via: 'process' };
// multiprocessing.pool.ThreadPool shares the Pool type (catalogue `types`): the kind stays unknown
const poolJob: Offloader = { arg: 0, keyword: 'func', reason: 'process pool job' };

/** By the resolved qualified name of the call. */
export const OFFLOADERS: ReadonlyMap<string, Offloader> = new Map<string, Offloader>([
  ['asyncio.to_thread', { arg: 0, reason: 'asyncio.to_thread target', via: 'thread' }],
  ['asyncio.AbstractEventLoop.run_in_executor', { arg: 1, reason: 'run_in_executor target', via: 'executor' }],
  ['trio.to_thread.run_sync', { arg: 0, reason: 'trio.to_thread.run_sync target', via: 'thread' }],
  ['anyio.to_thread.run_sync', { arg: 0, reason: 'anyio.to_thread.run_sync target', via: 'thread' }],
  ['threading.Thread', { arg: 1, keyword: 'target', reason: 'thread target', via: 'thread' }],
  ['threading.Timer', { arg: 1, keyword: 'function', reason: 'threading.Timer callback', via: 'thread' }],
  ['_thread.start_new_thread', { arg: 0, reason: 'thread target', via: 'thread' }],
  ['multiprocessing.Process', { arg: 1, keyword: 'target', reason: 'process target', via: 'process' }],
  ['concurrent.futures.ThreadPoolExecutor.submit', threadJob],
  ['concurrent.futures.ThreadPoolExecutor.map', threadJob],
  ['concurrent.futures.ProcessPoolExecutor.submit', processJob],
  ['concurrent.futures.ProcessPoolExecutor.map', processJob],
  ['concurrent.futures.Executor.submit', executorJob],
  ['concurrent.futures.Executor.map', executorJob],
  ['multiprocessing.Pool.apply', poolJob],
  ['multiprocessing.Pool.apply_async', poolJob],
  ['multiprocessing.Pool.map', poolJob],
  ['multiprocessing.Pool.map_async', poolJob],
  ['multiprocessing.Pool.imap', poolJob],
  ['multiprocessing.Pool.imap_unordered', poolJob],
  ['multiprocessing.Pool.starmap', poolJob],
  ['multiprocessing.Pool.starmap_async', poolJob],
]);

/**
 * For receivers whose type we cannot name (a parameter called `loop` or `executor`): the method
 * name alone is specific enough for `run_in_executor`; `submit`/`map` only on a receiver that is
 * called like an executor or pool, since both names are common elsewhere.
 */
export function offloaderByMethod(method: string, receiver: string): Offloader | undefined {
  if (method === 'run_in_executor') return OFFLOADERS.get('asyncio.AbstractEventLoop.run_in_executor');
  if ((method === 'submit' || method === 'map') && /(executor|pool)$/i.test(receiver)) return executorJob;
  return undefined;
}

/** Wrappers that carry a function through: `functools.partial(fn, …)`. */
export const FUNCTION_WRAPPERS: ReadonlySet<string> = new Set(['functools.partial']);

/** Base classes whose `run` method runs in a thread or process. */
export const RUN_METHOD_BASES: ReadonlyMap<string, string> = new Map([
  ['threading.Thread', 'threading.Thread.run'],
  ['multiprocessing.Process', 'multiprocessing.Process.run'],
]);
