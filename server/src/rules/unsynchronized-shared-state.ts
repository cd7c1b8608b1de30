/**
 * ## What it does
 * Reports writes to shared state that other threads can make at the same time, with nothing that
 * synchronises them.
 *
 * - **Python threads.** In functions that run on other threads — targets of `threading.Thread`,
 *   `threading.Timer`, `Thread` subclasses' `run`, `ThreadPoolExecutor.submit`/`.map`,
 *   `asyncio.to_thread`, `loop.run_in_executor(None, …)` — and in the same file's plain functions they
 *   call: a read-modify-write of a module global (`global n; n += 1`), of an attribute of an instance
 *   that several threads use (`self.count += 1` in a method handed to several threads), of a module-level
 *   object's attribute, or of an entry of a shared container (`d[k] = d.get(k, 0) + 1`, `lst[i] += 1`),
 *   made outside `with lock:` / `lock.acquire()`…`lock.release()`. The state must really be shared: the
 *   function runs on several threads at once (handed over in a loop, through `map`, at several sites, or
 *   from code that runs many times), or another thread or the main program also writes the same state.
 * - **Node workers.** Plain element writes (`a[i] = v`, `a[i]++`, `a[i] += v`) to a typed array over a
 *   `SharedArrayBuffer` that another thread can touch: in a worker file, arrays over `workerData` or a
 *   message's buffer; in the file that creates the buffer, writes after it was handed to a worker.
 *
 * Not reported: writes under a lock, writes in `__init__` and start-up code, a single atomic operation
 * on a built-in (`lst.append(x)`, `q.put(x)`, `d[k] = v` of a fresh value), locals and parameters,
 * process pools (separate memory), `Atomics` calls, and per-worker index ranges that are provably
 * disjoint.
 *
 * ## Why is this bad?
 * `n += 1` is a read, an addition and a write. Two threads can both read the same old value and both
 * write the same new one: one increment is lost. Under the GIL this happens whenever the interpreter
 * switches threads between the read and the write, which load makes likely and tests make rare — the
 * count comes out wrong in production only. Typed arrays over a `SharedArrayBuffer` are plain memory
 * shared by worker threads with no GIL at all: `a[i]++` from two workers loses updates constantly,
 * and even plain stores are data races unless they go through `Atomics`.
 *
 * ## Example
 * ```python
 * import threading
 *
 * counter = 0
 *
 *
 * def work() -> None:
 *     global counter
 *     for _ in range(100_000):
 *         counter += 1
 *
 *
 * threads = [threading.Thread(target=work) for _ in range(4)]
 * ```
 *
 * ```js
 * import { Worker } from 'node:worker_threads';
 *
 * const buffer = new SharedArrayBuffer(4);
 * const shared = new Int32Array(buffer);
 * const worker = new Worker(new URL('./count.mjs', import.meta.url), { workerData: buffer });
 * worker.on('message', () => {
 *   shared[0]++;
 * });
 * ```
 *
 * ## Use instead
 * ```python
 * import threading
 *
 * counter = 0
 * _counter_lock = threading.Lock()
 *
 *
 * def work() -> None:
 *     global counter
 *     for _ in range(100_000):
 *         with _counter_lock:
 *             counter += 1
 *
 *
 * threads = [threading.Thread(target=work) for _ in range(4)]
 * ```
 *
 * ```js
 * import { Worker } from 'node:worker_threads';
 *
 * const buffer = new SharedArrayBuffer(4);
 * const shared = new Int32Array(buffer);
 * const worker = new Worker(new URL('./count.mjs', import.meta.url), { workerData: buffer });
 * worker.on('message', () => {
 *   Atomics.add(shared, 0, 1);
 * });
 * ```
 *
 * ## Fix safety
 * Python: the statement is wrapped in `with <lock>:`. When another place in the file already guards the
 * same state with a lock, that lock is reused. That is **safe** for a module-level lock that no call
 * leading to the statement holds, and **unsafe** otherwise (an instance's lock, or a caller that holds it:
 * taking a non-reentrant `Lock` twice deadlocks). Otherwise the fix declares a new module-level
 * `threading.Lock()` named after the state (`_counter_lock`) and is **safe**: nothing else takes that lock. A module-level lock serialises the update across all instances of a class, which is
 * correct but coarser than a per-instance lock.
 * Node: the write becomes the matching `Atomics` call (`Atomics.store`, `Atomics.add`, `Atomics.sub`,
 * `Atomics.or`, `Atomics.and`, `Atomics.xor`) when its value is not used; the fix is **safe** for every
 * index the array has (an out-of-range or fractional index, which a plain write silently ignores, makes
 * `Atomics` throw a `RangeError` or truncate it — a bug either way). Other
 * updates (`a[i] *= 2`, `a[i] = f(a[i])`) need a compare-and-swap loop and get no automatic fix, and
 * float arrays cannot use `Atomics` at all.
 */

import { effectiveScope, lockAround, type FunctionScope, type LockRegion, type SourceModel, type StateWrite } from '../engine/model';
import type { LockChoice } from '../fixes/fixer';
import type { Rule, RuleContext } from './rule';

interface Reach {
  /** ids of the thread roots (offloaded scopes) that run this function */
  roots: Set<number>;
  /** every path from a root to this function holds a thread lock */
  locked: boolean;
}

/** The scope itself or its nearest enclosing function: inline scopes (comprehensions, lambdas run in place) belong to it. */
function functionOf(model: SourceModel, scopeId: number): FunctionScope {
  return effectiveScope(model, scopeId);
}

function lockedAt(model: SourceModel, span: StateWrite['span'], scopeId: number): LockRegion | undefined {
  for (let s: number | undefined = scopeId; s !== undefined; s = model.scopes[s].parent) {
    const region = lockAround(model, span, s, 'thread');
    if (region) return region;
    if (model.scopes[s].kind !== 'inline') break;
  }
  return undefined;
}

/**
 * Thread roots and the same-file sync functions they call, transitively. A function reached only
 * through calls made with a lock held runs under that lock.
 */
function threadReach(model: SourceModel): Map<number, Reach> {
  const reach = new Map<number, Reach>();
  const queue: number[] = [];
  for (const s of model.scopes) {
    if (s.kind !== 'offloaded' || s.offload?.via !== 'thread') continue;
    reach.set(s.id, { roots: new Set([s.id]), locked: false });
    queue.push(s.id);
  }
  if (queue.length === 0) return reach;
  const callsBy = new Map<number, typeof model.calls>();
  for (const c of model.calls) {
    if (c.target === undefined) continue;
    const fn = functionOf(model, c.scope).id;
    const list = callsBy.get(fn);
    if (list) list.push(c);
    else callsBy.set(fn, [c]);
  }
  while (queue.length > 0) {
    const id = queue.shift()!;
    const from = reach.get(id)!;
    for (const c of callsBy.get(id) ?? []) {
      const target = model.scopes[c.target!];
      if (target.kind !== 'sync') continue;
      const locked = from.locked || lockedAt(model, c.span, c.scope) !== undefined;
      const seen = reach.get(target.id);
      if (!seen) {
        reach.set(target.id, { roots: new Set(from.roots), locked });
        queue.push(target.id);
        continue;
      }
      let grew = false;
      for (const r of from.roots) if (!seen.roots.has(r)) { seen.roots.add(r); grew = true; }
      if (seen.locked && !locked) { seen.locked = false; grew = true; }
      if (grew) queue.push(target.id);
    }
  }
  return reach;
}

/** The class a method belongs to (its parent scope), for matching `self._lock` across methods. */
function classOf(model: SourceModel, scopeId: number): number | undefined {
  const parent = model.scopes[functionOf(model, scopeId).id].parent;
  return parent !== undefined && model.scopes[parent].kind === 'class' ? parent : undefined;
}

/** A thread lock that already guards the same state elsewhere in the file and can be named here. */
function existingLock(model: SourceModel, write: StateWrite): string | undefined {
  for (const other of model.stateWrites) {
    if (other === write || other.state.key !== write.state.key) continue;
    const region = lockedAt(model, other.span, other.scope);
    if (!region) continue;
    if (/^self\b/.test(region.lock) && classOf(model, region.scope) !== classOf(model, write.scope)) continue;
    return region.lock;
  }
  return undefined;
}

/**
 * Whether some call that (transitively) leads to `fnId` is made with `lock` held: wrapping the write in
 * the same non-reentrant lock would then deadlock.
 */
function reachedUnder(model: SourceModel, fnId: number, lock: string): boolean {
  const seen = new Set<number>([fnId]);
  const queue = [fnId];
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const c of model.calls) {
      if (c.target !== id) continue;
      if (lockedAt(model, c.span, c.scope)?.lock === lock) return true;
      const caller = functionOf(model, c.scope).id;
      if (!seen.has(caller)) {
        seen.add(caller);
        queue.push(caller);
      }
    }
  }
  return false;
}

function checkThreads(ctx: RuleContext): void {
  const { model } = ctx;
  const reach = threadReach(model);
  if (reach.size === 0) return;
  // who else writes each state: thread roots, or `main` for code that is not on a thread
  const writers = new Map<string, Set<number | 'main'>>();
  for (const w of model.stateWrites) {
    const fn = functionOf(model, w.scope);
    if (fn.kind === 'module' || fn.kind === 'class') continue;
    const r = reach.get(fn.id);
    let set = writers.get(w.state.key);
    if (!set) writers.set(w.state.key, (set = new Set()));
    if (r) for (const root of r.roots) set.add(root);
    else set.add('main');
  }
  for (const w of model.stateWrites) {
    if (w.op !== 'update' || w.state.owner === 'shared-memory') continue;
    const fn = functionOf(model, w.scope);
    const r = reach.get(fn.id);
    if (!r || r.locked || lockedAt(model, w.span, w.scope)) continue;
    const roots = [...r.roots].map((id) => model.scopes[id]);
    const concurrentRoot = roots.find((s) => s.offload?.concurrent);
    const others = writers.get(w.state.key) ?? new Set();
    let how: string;
    if (concurrentRoot) {
      how = concurrentRoot.id === fn.id
        ? `\`${fn.name ?? 'this function'}\` runs on several threads at once (\`${concurrentRoot.offload!.api}\`)`
        : `\`${fn.name ?? 'this function'}\` runs on several threads at once, called from \`${concurrentRoot.name ?? 'a thread target'}\` (\`${concurrentRoot.offload!.api}\`)`;
    } else if (w.state.owner !== 'instance' && others.size >= 2) {
      const root = roots[0];
      how = `\`${fn.name ?? 'this function'}\` runs on a thread (\`${root.offload?.api ?? 'Thread'}\`) while other code writes it too`;
    } else continue;
    const existing = existingLock(model, w);
    const choice: LockChoice = existing ? { existing } : 'new';
    const fix = model.fixer.guardWithLock?.(w, choice);
    // an existing module-level lock is safe to take here unless a caller may already hold it
    const safe = existing === undefined || (!/^(self|cls)\b/.test(existing) && !reachedUnder(model, fn.id, existing));
    ctx.report({
      messageId: 'threads',
      data: { state: w.state.written, how },
      span: w.span,
      fixes: fix ? [{ title: fix.title, safe: fix.safe && safe, edits: fix.edits }] : [],
    });
  }
}

function checkSharedMemory(ctx: RuleContext): void {
  const { model } = ctx;
  for (const w of model.stateWrites) {
    if (w.state.owner !== 'shared-memory') continue;
    const fix = w.atomics === false ? undefined : model.fixer.useAtomics?.(w);
    ctx.report({
      messageId: w.atomics === false ? 'floatArray' : fix ? 'sharedMemory' : 'sharedMemoryNoFix',
      data: { state: w.state.written, operator: w.operator },
      span: w.span,
      fixes: fix ? [{ title: fix.title, safe: fix.safe, edits: fix.edits }] : [],
    });
  }
}

export const unsynchronizedSharedState: Rule = {
  meta: {
    id: 'unsynchronized-shared-state',
    languages: ['javascript', 'python'],
    defaultSeverity: 'warning',
    summary: 'Shared state updated by several threads or workers without a lock or Atomics.',
    messages: {
      threads: '`{{state}}` is updated without a lock, and {{how}}: two threads can read the same old value and one update is lost; hold a `threading.Lock` around it',
      sharedMemory: '`{{state}}` is written with a plain `{{operator}}` to a SharedArrayBuffer another thread also uses: the update can be lost or torn; use `Atomics`',
      sharedMemoryNoFix: '`{{state}}` is written with a plain `{{operator}}` to a SharedArrayBuffer another thread also uses: the update can be lost; no single `Atomics` call does this update — use an `Atomics.compareExchange` loop or a lock built on `Atomics.wait`/`Atomics.notify`',
      floatArray: '`{{state}}` is written with a plain `{{operator}}` to a SharedArrayBuffer another thread also uses, and `Atomics` does not work on float arrays: guard it with a lock built on `Atomics.wait`/`Atomics.notify` over an `Int32Array`, or store integers',
    },
  },
  check(ctx) {
    if (ctx.model.stateWrites.length === 0) return;
    if (ctx.model.family === 'python') checkThreads(ctx);
    else checkSharedMemory(ctx);
  },
};
