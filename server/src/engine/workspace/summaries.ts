// Function summaries: "may block" and "CPU-heavy", each with the shortest chain of calls that proves
// it, computed bottom-up over the call graph.
//
// Cycles (recursion, mutual recursion across files) need no special case: the chains are shortest
// paths from each function to the nearest evidence, found with a breadth-first search from the
// evidence backwards along the call edges, so a cycle is walked at most once and the search ends.
//
// What propagates: plain `sync` functions, and named functions that are also handed to a thread
// somewhere (`offloaded`: `asyncio.to_thread(load)` elsewhere does not make a direct `load()` run on a
// thread — the hand-over itself is no call of the function, so it never is an edge). Calling an
// `async` function does not run its blocking call in the caller's turn (and it is reported inside the
// async function already); an event-loop callback's blocking calls are reported inside it too. The
// summary of those is empty: a summary says what calling the function synchronously does to the caller.
//
// Chains are capped at MAX_CHAIN hops: a longer one is not reported at all (a finding whose proof
// takes nine files to follow helps nobody, and the cap bounds the work per function).

import type { ScopeKind } from '../model';
import type { Evidence, FunctionSummary, Hop } from './types';

export const MAX_CHAIN = 8;

export interface SummaryEdge {
  /** the callee's node key, or undefined when the call could not be resolved */
  callee: string | undefined;
  hop: Hop;
}

export interface SummaryNode {
  key: string;
  kind: ScopeKind;
  blocks?: Hop;
  heavy?: Hop;
  edges: readonly SummaryEdge[];
}

/** Whether calling a function of this kind synchronously runs its body in the caller's turn. */
export function propagates(kind: ScopeKind): boolean {
  return kind === 'sync' || kind === 'inline' || kind === 'offloaded';
}

type Property = 'blocks' | 'heavy';

/**
 * Summaries of `nodes` (by key). Edges to keys that are not among the nodes take the summary
 * `external` gives for them (another file's, already solved); their kind is already accounted for.
 */
export function solveSummaries(
  nodes: Iterable<SummaryNode>,
  external: (key: string) => FunctionSummary | undefined = () => undefined,
): Map<string, FunctionSummary> {
  const byKey = new Map<string, SummaryNode>();
  for (const n of nodes) byKey.set(n.key, n);
  const callers = new Map<string, SummaryNode[]>();
  for (const n of byKey.values()) {
    if (!propagates(n.kind)) continue;
    for (const e of n.edges) {
      if (e.callee === undefined || !byKey.has(e.callee)) continue;
      const list = callers.get(e.callee);
      if (!list) callers.set(e.callee, [n]);
      else if (list[list.length - 1] !== n) list.push(n);
    }
  }
  const out = new Map<string, FunctionSummary>();
  for (const n of byKey.values()) out.set(n.key, {});
  for (const prop of ['blocks', 'heavy'] as const) {
    const dist = distances(byKey, callers, external, prop);
    const chains = new Map<string, Hop[]>();
    const chainOf = (n: SummaryNode): Hop[] => {
      const known = chains.get(n.key);
      if (known) return known;
      const d = dist.get(n.key) as number;
      let chain: Hop[] | undefined;
      const direct = n[prop];
      if (direct) chain = [direct];
      else {
        // the first call in source order that starts a shortest chain: stable across runs
        for (const e of n.edges) {
          if (e.callee === undefined) continue;
          const inner = byKey.get(e.callee);
          if (inner) {
            if (dist.get(inner.key) === d - 1) {
              chain = [e.hop, ...chainOf(inner)];
              break;
            }
          } else {
            const ext = external(e.callee)?.[prop];
            if (ext && ext.hops.length === d - 1) {
              chain = [e.hop, ...ext.hops];
              break;
            }
          }
        }
      }
      if (!chain) throw new Error(`summaries: no chain for ${n.key} at distance ${d}`);
      chains.set(n.key, chain);
      return chain;
    };
    for (const key of dist.keys()) {
      const n = byKey.get(key) as SummaryNode;
      const evidence: Evidence = { hops: chainOf(n) };
      (out.get(key) as FunctionSummary)[prop] = evidence;
    }
  }
  return out;
}

/** Shortest chain length (in hops) from each propagating node to evidence of `prop`, up to MAX_CHAIN. */
function distances(
  byKey: ReadonlyMap<string, SummaryNode>,
  callers: ReadonlyMap<string, SummaryNode[]>,
  external: (key: string) => FunctionSummary | undefined,
  prop: Property,
): Map<string, number> {
  const dist = new Map<string, number>();
  const buckets: SummaryNode[][] = Array.from({ length: MAX_CHAIN + 1 }, () => []);
  const offer = (n: SummaryNode, d: number): void => {
    if (d > MAX_CHAIN) return;
    const old = dist.get(n.key);
    if (old !== undefined && old <= d) return;
    dist.set(n.key, d);
    buckets[d].push(n);
  };
  for (const n of byKey.values()) {
    if (!propagates(n.kind)) continue;
    if (n[prop]) {
      offer(n, 1);
      continue;
    }
    for (const e of n.edges) {
      if (e.callee === undefined || byKey.has(e.callee)) continue;
      const ext = external(e.callee)?.[prop];
      if (ext) offer(n, ext.hops.length + 1);
    }
  }
  for (let d = 1; d <= MAX_CHAIN; d++) {
    for (const n of buckets[d]) {
      if (dist.get(n.key) !== d) continue;
      for (const caller of callers.get(n.key) ?? []) if (!caller[prop]) offer(caller, d + 1);
    }
  }
  return dist;
}

/** A stable text of a summary, for telling which summaries an edit changed. */
export function summaryKey(s: FunctionSummary | undefined): string {
  return s && (s.blocks || s.heavy) ? JSON.stringify(s) : '';
}
