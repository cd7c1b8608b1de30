// The module-level process pool that CPU-bound fixes hand work to, and where new module-level code
// goes.
//
// One pool per module, created once at import time: `_process_pool = concurrent.futures.ProcessPoolExecutor()`.
// A module-level variable the file already binds to a ProcessPoolExecutor is reused instead. New
// module-level code (the pool, extracted functions) goes right above the top-level statement that
// uses it, above the comments attached to it, so it is defined before anything can call it.

import type { TextEdit } from '../../engine/finding';
import type { LineIndex } from '../../engine/text';
import type { PythonFileFacts } from '../../frontends/python/facts';
import type { ImportPlanner } from './imports';

const PROCESS_POOL = 'concurrent.futures.ProcessPoolExecutor';

export interface PoolPlan {
  /** the name to use at the hand-over */
  name: string;
  /** the statement that creates it, when the file has none */
  definition: string | undefined;
}

/** The pool visible in `scope`, or a new one; undefined when its class cannot be named there. */
export function planPool(facts: PythonFileFacts, planner: ImportPlanner, scope: number): PoolPlan | undefined {
  for (const name of facts.moduleNames()) {
    if (facts.instanceType(name, 0) === PROCESS_POOL && facts.instanceType(name, scope) === PROCESS_POOL) return { name, definition: undefined };
  }
  const ctor = planner.reference(PROCESS_POOL, 'concurrent.futures');
  if (ctor === undefined) return undefined;
  // the spelling was chosen in `scope`; the pool is created at module level, where it must mean the same
  const root = ctor.split('.')[0];
  const inScope = facts.meaning(root, scope);
  const atModule = facts.meaning(root, 0);
  if (inScope.kind !== atModule.kind || (inScope.kind === 'qualified' && atModule.kind === 'qualified' && inScope.name !== atModule.name)) return undefined;
  const name = freeName(facts, '_process_pool', scope);
  return { name, definition: `${name} = ${ctor}()` };
}

/** `base`, or `base_2`, `base_3`… : the first that nothing binds at module level or in `scope`. */
export function freeName(facts: PythonFileFacts, base: string, scope: number): string {
  let name = base;
  for (let k = 2; facts.meaning(name, scope).kind !== 'unbound' || facts.meaning(name, 0).kind !== 'unbound' || reservedByText(facts.text, name); k++) name = `${base}_${k}`;
  return name;
}

/** a name the text already uses in a way our bindings do not see (an attribute, a string in `__all__`) */
function reservedByText(text: string, name: string): boolean {
  return new RegExp(`\\b${name}\\b`).test(text);
}

/**
 * Where module-level code for the statement containing `at` goes: the start of the line of that
 * top-level statement, above the comment lines directly over it. Undefined when the tree is gone.
 */
export function moduleInsertionPoint(facts: PythonFileFacts, lines: LineIndex, at: number): number | undefined {
  const stmt = facts.moduleStatements().find((s) => s.start <= at && at < s.end);
  if (!stmt) return undefined;
  let line = lines.position(stmt.start).line;
  while (line > 0) {
    const prev = facts.text.slice(lines.lineStart(line - 1), lines.lineEnd(line - 1));
    if (!/^#/.test(prev)) break;
    line--;
  }
  return lines.lineStart(line);
}

/** Inserts at the same offset become one edit (in the order given): edits must not overlap. */
export function mergeInserts(edits: TextEdit[]): TextEdit[] {
  const out: TextEdit[] = [];
  for (const e of edits) {
    const same = e.start === e.end ? out.find((o) => o.start === e.start && o.end === e.start) : undefined;
    if (same) same.newText += e.newText;
    else out.push({ ...e });
  }
  return out;
}
