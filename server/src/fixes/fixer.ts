// The contract between rules and the per-language fix builders.
//
// A rule knows *what* to do (from catalogue data: "replace with the awaited twin fs/promises.readFile",
// "offload to a thread"); the language's FileFixer knows *how* to write it in this file (import
// style, parentheses around `await`, which async library the file uses, indentation).

import type { FileChange, TextEdit } from '../engine/finding';
import type { AwaitRace, Call, FunctionScope, ImportedName, Loop, SourceModel, Span, StateWrite } from '../engine/model';
import type { FixSpec } from '../engine/catalogue';

export interface BuiltFix {
  title: string;
  edits: TextEdit[];
}

export interface SafetyRatedFix extends BuiltFix {
  safe: boolean;
  /** changes to other files; such a fix is never safe */
  otherFiles?: FileChange[];
}

/**
 * Which lock a lock fix takes: one the file already uses for the same state (as written in its
 * LockRegion: `lock`, `self._lock`), or a new module-level one that the fixer declares and names after
 * the state (`_counter_lock = threading.Lock()`, `const balanceLock = …`).
 */
export type LockChoice = { existing: string } | 'new';

/**
 * Where code in another module finds a helper that a call reaches: the import the calling file makes
 * (`imported`, as Call.imported: its specifier and path), or an export of the calling file itself.
 */
export type HelperSource = { kind: 'import'; imported: ImportedName } | { kind: 'self'; exportName: string };

export interface FileFixer {
  /**
   * Builds the edits for a catalogue fix of a call, or undefined when this fix cannot be written
   * correctly here (e.g. `await` is not legal at the call site, or the arguments cannot be carried over).
   */
  build(call: Call, spec: FixSpec): BuiltFix | undefined;
  /** A comment that suppresses `rule` for the line(s) of `span`, reusing an existing suppression comment. */
  suppress(span: Span, rule: string): BuiltFix;
  /**
   * cpu-loop-on-event-loop: fixes that move a CPU-heavy loop off the event loop (Python: extract it
   * into a module-level function run in a ProcessPoolExecutor; Node: a worker pool, or yielding to
   * the event loop every N iterations), best first. Empty when no fix can be written correctly here
   * (the loop mutates objects used afterwards, uses `self`/`this`, `nonlocal`, yields, …).
   */
  moveLoopOffEventLoop?(loop: Loop): SafetyRatedFix[];
  /**
   * cpu-bound-work-in-thread-pool (Python): hand the offloaded function to a module-level
   * ProcessPoolExecutor instead of a thread. `problem` is set (and no fix returned) when that cannot
   * work: a nested function, a lambda or closure, a bound method — things that do not pickle.
   */
  switchToProcessPool?(scope: FunctionScope): { fixes: SafetyRatedFix[]; problem: string | undefined };
  /**
   * unsynchronized-shared-state (threads): the write's statement run with the lock held (`with lock:`
   * around it, correctly indented; a new lock declared at module level with its import). Undefined when
   * the write is not a whole statement of a block.
   */
  guardWithLock?(write: StateWrite, lock: LockChoice): SafetyRatedFix | undefined;
  /**
   * unsynchronized-shared-state (shared memory): the element write through `Atomics`
   * (`Atomics.store`, `Atomics.add`, `Atomics.sub`, …), or undefined when no single Atomics call does it.
   */
  useAtomics?(write: StateWrite): SafetyRatedFix | undefined;
  /**
   * race-across-await, `update` races: the awaited value first, into a fresh local, then the update
   * from the state as it is then (`x += await f()` → `const d = await f(); x += d`). Undefined when the
   * awaited expression itself reads the state, or the statement is not a whole statement of a block.
   */
  rereadAfterAwait?(race: AwaitRace): SafetyRatedFix | undefined;
  /**
   * race-across-await: the statements from the read to the write (whole statements of one block) run
   * under an async lock (`async with lock:`; a mutex in JS), or undefined when they cannot be wrapped
   * without changing what the code means (a declaration used after them, a jump out of them).
   */
  guardWithAsyncLock?(race: AwaitRace, lock: LockChoice): SafetyRatedFix | undefined;
  /**
   * A call, in an async function, to a helper that is CPU-heavy (or blocks): the whole call run in a worker
   * thread (JS/TS: a wrapper in the worker module next to the file that imports the helper from `source`,
   * run by the worker pool; always unsafe, writes other files). Undefined when it cannot be written here
   * (`this`-bound or spread calls, arguments that do not clone, a sync callback, a `.tsx` file, …).
   */
  runHelperInWorker?(call: Call, source: HelperSource): SafetyRatedFix | undefined;
  /**
   * Python: a call, in an `async def`, to a CPU-heavy module-level function run in the module's
   * ProcessPoolExecutor (`await loop.run_in_executor(pool, f, *args)`), or undefined (a method, a nested
   * function, a decorated def, arguments that never pickle, a trio/anyio file).
   */
  runHelperInProcessPool?(call: Call): SafetyRatedFix | undefined;
}

/**
 * Where another module of the same directory finds the helper `call` reaches: the calling file's own import
 * of it (a worker module next to the file resolves the specifier the same way), or, for a function of the
 * file itself, the name the file exports it under (a plain name before `default`); undefined when the
 * file does not export it.
 */
export function helperSource(model: Pick<SourceModel, 'exports'>, call: Call): HelperSource | undefined {
  if (call.imported) return { kind: 'import', imported: call.imported };
  if (call.target === undefined) return undefined;
  const names = (model.exports ?? []).filter((e) => e.scope === call.target && !e.from).map((e) => e.name);
  const name = names.find((n) => n !== 'default') ?? names[0];
  return name === undefined ? undefined : { kind: 'self', exportName: name };
}
