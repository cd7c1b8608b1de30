// The scopes of one Python file and "which scope is this offset in?".
//
// Python scopes are the module, each def, lambda and class body; comprehensions are not scopes here
// (their code runs in the enclosing function). Scopes nest properly, so the innermost scope at an
// offset is the last scope to start before it, or the nearest of its ancestors that is still open.

import type { OffloadSite } from '../../engine/model';
import type { Binding } from './resolve';
import type { Item } from './scan';

export type PyScopeKind = 'module' | 'def' | 'lambda' | 'class';

export interface PyScope {
  id: number;
  kind: PyScopeKind;
  isAsync: boolean;
  start: number;
  end: number;
  /** where the body starts (after the header's `:`): code before it — defaults, annotations, bases — runs in the parent */
  bodyStart: number;
  parent: number | undefined;
  /** def/class name and its span; the `lambda` keyword for lambdas */
  name: string | undefined;
  headStart: number;
  headEnd: number;
  /** local bindings by name */
  names: Map<string, Binding[]>;
  /** `global x` */
  globals: Set<string> | undefined;
  /** first parameter of a method (self/cls), when the def sits directly in a class and is not a staticmethod */
  selfName: string | undefined;
  /** class only: `self.x = …` in its methods */
  attrs: Map<string, Binding[]> | undefined;
  /** def and lambda: the parameters */
  params: Item[] | undefined;
  /** class only: the base-class expressions */
  bases: Item[] | undefined;
  /** set when the function is handed to a thread, pool or process */
  offloadReason: string | undefined;
  /** where it is handed over, when the kind of worker (thread or process) is known */
  offload: OffloadSite | undefined;
  /** `from m import *` (module scope) */
  starImports: string[] | undefined;
  /** calls directly in the body that call this def itself (FunctionScope.selfCalls) */
  selfCalls: number | undefined;
}

export function newScope(kind: PyScopeKind, isAsync: boolean, start: number, end: number, bodyStart: number): PyScope {
  // spelled out: an object spread here makes V8 build slow dictionary-mode objects
  return {
    id: -1,
    kind,
    isAsync,
    start,
    end,
    bodyStart,
    parent: undefined,
    name: undefined,
    headStart: start,
    headEnd: start,
    names: new Map(),
    globals: undefined,
    selfName: undefined,
    attrs: undefined,
    params: undefined,
    bases: undefined,
    offloadReason: undefined,
    offload: undefined,
    starImports: undefined,
    selfCalls: undefined,
  };
}

export class ScopeTable {
  /** scope starts, ascending (the module's first) */
  private readonly starts: number[];

  /** `scopes` must be ordered by start, the module first; ids and parents are assigned here. */
  constructor(readonly scopes: PyScope[]) {
    const stack: PyScope[] = [];
    this.starts = scopes.map((s, i) => {
      s.id = i;
      while (stack.length > 0 && stack[stack.length - 1].end <= s.start) stack.pop();
      s.parent = stack.length > 0 ? stack[stack.length - 1].id : undefined;
      stack.push(s);
      return s.start;
    });
  }

  get(id: number): PyScope {
    return this.scopes[id];
  }

  /** The innermost scope whose span contains `offset`. */
  at(offset: number): PyScope {
    const pts = this.starts;
    let lo = 0;
    let hi = pts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (pts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    // the last scope to start before `offset` is the innermost one containing it, or nested in it
    let s = this.scopes[lo];
    while (s.parent !== undefined && offset >= s.end) s = this.scopes[s.parent];
    return s;
  }

  /** The scope whose code evaluates an expression at `offset` (defaults, annotations and bases belong to the parent). */
  evaluatingAt(offset: number): PyScope {
    let s = this.at(offset);
    while (s.parent !== undefined && offset < s.bodyStart) s = this.scopes[s.parent];
    return s;
  }
}
