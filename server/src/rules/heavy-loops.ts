// Which loops are CPU-heavy, shared by cpu-loop-on-event-loop (where the loop runs on the event loop)
// and cpu-bound-work-in-thread-pool (where it runs in a thread). Language-neutral: it reads the loop
// facts the front ends put in the model and the catalogue's cpuHeavy APIs.
//
// Precision first: a single loop over a collection doing ordinary work is linear in data already in
// memory and is not heavy; it becomes heavy when it nests another independent loop (quadratic), calls a
// CPU-heavy API per element, or is a numeric kernel over a run-time count. Constant counts are heavy from
// a threshold on; busy-waits always.

import type { CpuHeavyApi, EcosystemCatalogue } from '../engine/catalogue';
import type { RuleOptions } from '../engine/config';
import type { Call, Loop, LoopBound, SourceModel } from '../engine/model';

export type HeavyReason = 'busyWait' | 'literalCount' | 'numericKernel' | 'quadratic' | 'heavyCall';

export interface HeavyLoop {
  loop: Loop;
  reason: HeavyReason;
  /** placeholders for the message: count, bound, outer, inner, api */
  data: Record<string, string>;
  /** every cpuHeavy API called anywhere in the loop nest */
  heavyApis: CpuHeavyApi[];
  /** the loop nest calls a blocking (I/O) API: such work waits outside the GIL */
  doesIo: boolean;
  /** for `quadratic`: the inner loop over the second collection */
  inner?: Loop;
}

/** A loop with a constant count nested in another counts as sized from this many iterations on. */
const SIZED_LITERAL = 1000;

function isSized(bound: LoopBound): boolean {
  return (
    bound.kind === 'numeric' ||
    bound.kind === 'collection' ||
    bound.kind === 'unknown' ||
    (bound.kind === 'literal' && bound.count >= SIZED_LITERAL)
  );
}

function boundText(bound: LoopBound): string {
  switch (bound.kind) {
    case 'literal':
      return String(bound.count);
    case 'numeric':
    case 'collection':
      return bound.expression;
    default:
      return '';
  }
}

function mentions(expression: string, names: readonly string[]): boolean {
  return names.some((n) => new RegExp(`(^|[^\\w$])${n.replace(/\$/g, '\\$')}($|[^\\w$])`).test(expression));
}

/** Loop nests of one file: children and the calls each loop executes per iteration. */
export class LoopNest {
  private readonly children = new Map<number, Loop[]>();
  /** the model's calls by start offset, for range lookups */
  private sortedCalls: Call[] | undefined;

  constructor(private readonly model: SourceModel) {
    for (const loop of model.loops) {
      if (loop.parent === undefined) continue;
      const list = this.children.get(loop.parent);
      if (list) list.push(loop);
      else this.children.set(loop.parent, [loop]);
    }
  }

  descendants(loop: Loop): Loop[] {
    const out: Loop[] = [];
    const stack = [...(this.children.get(loop.id) ?? [])];
    while (stack.length) {
      const l = stack.pop() as Loop;
      out.push(l);
      stack.push(...(this.children.get(l.id) ?? []));
    }
    return out;
  }

  /** Is `scopeId` the loop's scope, or an inline callback scope (`.map(x => …)`) inside it? */
  private runsInline(scopeId: number, target: number): boolean {
    let scope = this.model.scopes[scopeId];
    while (scope.id !== target) {
      if (scope.kind !== 'inline' || scope.parent === undefined) return false;
      scope = this.model.scopes[scope.parent];
    }
    return true;
  }

  /** Calls executed on each pass: inside the loop's span, in its scope or inline callbacks of it. */
  callsIn(loop: Loop): Call[] {
    const calls = (this.sortedCalls ??= [...this.model.calls].sort((a, b) => a.span.start - b.span.start));
    let lo = 0;
    let hi = calls.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (calls[mid].span.start < loop.span.start) lo = mid + 1;
      else hi = mid;
    }
    const out: Call[] = [];
    for (let i = lo; i < calls.length && calls[i].span.start < loop.span.end; i++) {
      const c = calls[i];
      if (c.span.end <= loop.span.end && this.runsInline(c.scope, loop.scope)) out.push(c);
    }
    return out;
  }

  ancestors(loop: Loop): Loop[] {
    const out: Loop[] = [];
    for (let p = loop.parent; p !== undefined; p = this.model.loops[p].parent) out.push(this.model.loops[p]);
    return out;
  }
}

/** Why `loop` (with everything nested in it) is CPU-heavy, or undefined. Ignores where it runs. */
export function heavyReason(
  nest: LoopNest,
  loop: Loop,
  catalogue: EcosystemCatalogue,
  options: RuleOptions,
): HeavyLoop | undefined {
  if (loop.yields) return undefined;
  const calls = nest.callsIn(loop);
  const heavyApis: CpuHeavyApi[] = [];
  let firstHeavy: { api: CpuHeavyApi; call: Call } | undefined;
  let doesIo = false;
  for (const call of calls) {
    if (call.name === undefined) continue;
    const api = catalogue.cpuHeavy(call.name);
    if (api) {
      heavyApis.push(api);
      firstHeavy ??= { api, call };
    }
    if (catalogue.lookup(call.name)) doesIo = true;
  }
  const base = { loop, heavyApis, doesIo };
  const { bound } = loop;
  if (loop.busyWait) return { ...base, reason: 'busyWait', data: { bound: '' } };
  if (bound.kind === 'literal' && bound.count >= options.cpuLoopThreshold) {
    return { ...base, reason: 'literalCount', data: { count: bound.count.toLocaleString('en-US'), bound: String(bound.count) } };
  }
  if (bound.kind === 'numeric' && loop.computeOnly) return { ...base, reason: 'numericKernel', data: { bound: bound.expression } };
  if (!isSized(bound)) return undefined;
  for (const inner of nest.descendants(loop)) {
    if (inner.yields || (inner.bound.kind !== 'numeric' && inner.bound.kind !== 'collection')) continue;
    // `for u of users) for (r of u.roles)` walks one structure once: linear, not quadratic
    const between: Loop[] = [];
    for (const a of nest.ancestors(inner)) {
      between.push(a);
      if (a.id === loop.id) break;
    }
    if (mentions(inner.bound.expression, between.flatMap((l) => l.variables))) continue;
    return { ...base, inner, reason: 'quadratic', data: { bound: boundText(bound), outer: boundText(bound) || 'a collection', inner: inner.bound.expression } };
  }
  if (firstHeavy) {
    return { ...base, reason: 'heavyCall', data: { bound: boundText(bound) || 'each pass', api: firstHeavy.call.name ?? firstHeavy.api.name } };
  }
  return undefined;
}

/** The outermost heavy loops among those `wanted` accepts. */
export function outermostHeavyLoops(
  model: SourceModel,
  catalogue: EcosystemCatalogue,
  options: RuleOptions,
  wanted: (loop: Loop) => boolean,
): HeavyLoop[] {
  const nest = new LoopNest(model);
  const reported = new Set<number>();
  const out: HeavyLoop[] = [];
  for (const loop of model.loops) {
    if (!wanted(loop)) continue;
    if (nest.ancestors(loop).some((a) => reported.has(a.id))) continue;
    const heavy = heavyReason(nest, loop, catalogue, options);
    if (!heavy) continue;
    reported.add(loop.id);
    out.push(heavy);
  }
  return out;
}
