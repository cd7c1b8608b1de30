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
// A generator function's body runs only when its result is iterated: an edge into a generator counts only
// when its call iterates the result where it is made (SummaryEdge.iterates: `for x in g()`, `[...g()]`);
// `it = g()` runs nothing of g. Whether a function is a generator is part of its summary
// (SolvedSummary.generator), so an edit that adds or removes its last `yield` reaches its callers.
//
// Chains are capped at MAX_CHAIN hops: a longer one is not reported at all (a finding whose proof
// takes nine files to follow helps nobody, and the cap bounds the work per function).
//
// SummaryGraph keeps a solved graph and updates it incrementally (an edit changes one file's nodes):
// see its doc comment. Its results always equal solveSummaries over the same nodes.

import type { ScopeKind } from '../model';
import type { Evidence, FunctionSummary, Hop } from './types';

export const MAX_CHAIN = 8;

export interface SummaryEdge {
  /** the callee's node key, or undefined when the call could not be resolved */
  callee: string | undefined;
  hop: Hop;
  /** the call iterates the callee's result where it is made (Edge.iterates) */
  iterates?: boolean;
}

export interface SummaryNode {
  key: string;
  kind: ScopeKind;
  /** a generator function (FunctionFacts.generator) */
  generator?: boolean;
  blocks?: Hop;
  heavy?: Hop;
  edges: readonly SummaryEdge[];
}

/** A summary as solved: with whether the function is a generator, which callers need to follow an edge to it. */
export interface SolvedSummary extends FunctionSummary {
  generator?: true;
}

/** Whether the call `e` runs the body of a callee whose summary is `callee`: not when it only creates a generator. */
export function runsCallee(e: Pick<SummaryEdge, 'iterates'>, callee: SolvedSummary | undefined): boolean {
  return callee?.generator !== true || e.iterates === true;
}

/** What a call reaches, as a rule sees it (RuleContext.callee): a generator's evidence only where the call iterates it. */
export function asCalled<T extends SolvedSummary>(summary: T, iterated: boolean | undefined): T {
  if (summary.generator !== true || iterated === true || (!summary.blocks && !summary.heavy)) return summary;
  const { blocks: _blocks, heavy: _heavy, ...rest } = summary;
  return rest as T;
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
  external: (key: string) => SolvedSummary | undefined = () => undefined,
): Map<string, SolvedSummary> {
  return solve(nodes, external).summaries;
}

/** The callee a chain goes through first (`null`: the function's own evidence), per property. */
type Via = Record<Property, Map<string, string | null>>;

/** A node's evidence for one property and the callee it goes through first. */
interface Chain {
  evidence: Evidence;
  via: string | null;
}

function solve(
  nodes: Iterable<SummaryNode>,
  external: (key: string) => SolvedSummary | undefined,
): { summaries: Map<string, SolvedSummary>; via: Via } {
  const byKey = new Map<string, SummaryNode>();
  for (const n of nodes) byKey.set(n.key, n);
  const callers = new Map<string, SummaryNode[]>();
  for (const n of byKey.values()) {
    if (!propagates(n.kind)) continue;
    for (const e of n.edges) {
      if (e.callee === undefined) continue;
      const callee = byKey.get(e.callee);
      if (!callee || (callee.generator && !e.iterates)) continue;
      const list = callers.get(e.callee);
      if (!list) callers.set(e.callee, [n]);
      else if (list[list.length - 1] !== n) list.push(n);
    }
  }
  const out = new Map<string, SolvedSummary>();
  const via: Via = { blocks: new Map(), heavy: new Map() };
  for (const n of byKey.values()) out.set(n.key, n.generator ? { generator: true } : {});
  for (const prop of ['blocks', 'heavy'] as const) {
    const dist = distances(byKey, callers, external, prop);
    const chains = new Map<string, Hop[]>();
    const chainOf = (n: SummaryNode): Hop[] => {
      const known = chains.get(n.key);
      if (known) return known;
      const d = dist.get(n.key) as number;
      let chain: Hop[] | undefined;
      const direct = n[prop];
      if (direct) {
        chain = [direct];
        via[prop].set(n.key, null);
      } else {
        // the first call in source order that starts a shortest chain: stable across runs
        for (const e of n.edges) {
          if (e.callee === undefined) continue;
          const inner = byKey.get(e.callee);
          if (inner) {
            if ((!inner.generator || e.iterates) && dist.get(inner.key) === d - 1) {
              chain = [e.hop, ...chainOf(inner)];
              via[prop].set(n.key, inner.key);
              break;
            }
          } else {
            const summary = external(e.callee);
            const ext = runsCallee(e, summary) ? summary?.[prop] : undefined;
            if (ext && ext.hops.length === d - 1) {
              chain = [e.hop, ...ext.hops];
              via[prop].set(n.key, e.callee);
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
      (out.get(key) as SolvedSummary)[prop] = evidence;
    }
  }
  return { summaries: out, via };
}

/** Shortest chain length (in hops) from each propagating node to evidence of `prop`, up to MAX_CHAIN. */
function distances(
  byKey: ReadonlyMap<string, SummaryNode>,
  callers: ReadonlyMap<string, SummaryNode[]>,
  external: (key: string) => SolvedSummary | undefined,
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
      const summary = external(e.callee);
      const ext = runsCallee(e, summary) ? summary?.[prop] : undefined;
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

const PROPERTIES = ['blocks', 'heavy'] as const;

/**
 * A solved call graph that follows edits: `update(removed, upserted)` replaces some nodes and
 * recomputes only what the change can reach, per property:
 *  1. what may get worse: the changed nodes and, through the reverse edges, every function whose chain
 *     goes through one of them first (transitively — for a blocking call removed inside a cycle that is
 *     the whole cycle, every chain of which leads to it). Their summaries are cleared, then solved again
 *     shortest chain first (Dijkstra with unit weights) against the other functions' summaries;
 *  2. what may get better or pick another chain: the callers of every function whose summary came out
 *     different are evaluated again, and theirs in turn, until summaries come out equal. Every value
 *     here is the length of a chain that exists, and an evaluation can only shorten it (or pick an
 *     earlier call among equally short ones), so this ends — within MAX_CHAIN rounds per function.
 * The result is always what solveSummaries computes from scratch over the same nodes (the unit tests
 * check it on random edit sequences, cycles included).
 */
export class SummaryGraph {
  private readonly nodes = new Map<string, SummaryNode>();
  /** callee key → the nodes with an edge to it (of any kind; the callee need not exist) */
  private readonly callers = new Map<string, Set<string>>();
  /** never mutated in place: update() compares a summary with the one it replaced */
  private readonly values = new Map<string, SolvedSummary>();
  private readonly via: Via;

  constructor(nodes: Iterable<SummaryNode> = []) {
    const list = [...nodes];
    const { summaries, via } = solve(list, () => undefined);
    for (const n of list) {
      this.nodes.set(n.key, n);
      this.link(n);
    }
    for (const [key, s] of summaries) this.values.set(key, s);
    this.via = via;
  }

  /** The summary of a node (empty for a function that does not propagate), undefined for an unknown key. */
  get(key: string): SolvedSummary | undefined {
    return this.values.get(key);
  }

  node(key: string): SummaryNode | undefined {
    return this.nodes.get(key);
  }

  /** The nodes with an edge to `key`. */
  callersOf(key: string): ReadonlySet<string> {
    return this.callers.get(key) ?? EMPTY;
  }

  /**
   * Removes the nodes `removed` (keys) and adds or replaces `upserted`; returns the keys whose summary
   * changed (as summaryKey tells them apart), removed nodes that had one included.
   */
  update(removed: Iterable<string>, upserted: Iterable<SummaryNode>): Set<string> {
    const before = new Map<string, SolvedSummary | undefined>();
    const touch = (key: string) => {
      if (!before.has(key)) before.set(key, this.values.get(key));
    };
    const seeds: string[] = [];
    /** nodes that became or stopped being generators: their callers look again whatever their evidence does */
    const flipped = new Set<string>();
    for (const key of removed) {
      const old = this.nodes.get(key);
      if (!old) continue;
      touch(key);
      this.unlink(old);
      this.nodes.delete(key);
      this.values.delete(key);
      for (const prop of PROPERTIES) this.via[prop].delete(key);
      seeds.push(key);
    }
    for (const n of upserted) {
      const old = this.nodes.get(n.key);
      if (old) this.unlink(old);
      touch(n.key);
      this.nodes.set(n.key, n);
      this.link(n);
      const value = this.values.get(n.key) ?? {};
      if ((value.generator === true) !== (n.generator === true)) {
        const { generator: _generator, ...rest } = value;
        this.values.set(n.key, n.generator ? { ...rest, generator: true } : rest);
        flipped.add(n.key);
      } else if (!this.values.has(n.key)) this.values.set(n.key, value);
      seeds.push(n.key);
    }
    for (const prop of PROPERTIES) this.propagate(prop, seeds, touch, flipped);
    const changed = new Set<string>();
    for (const [key, old] of before) {
      const now = this.values.get(key);
      if (!sameEvidence(old?.blocks, now?.blocks) || !sameEvidence(old?.heavy, now?.heavy)) changed.add(key);
      // a generator flag matters to callers only with evidence behind it (as summaryKey tells them apart)
      else if (old?.generator !== now?.generator && (now?.blocks || now?.heavy)) changed.add(key);
    }
    return changed;
  }

  private propagate(prop: Property, seeds: readonly string[], touch: (key: string) => void, flipped: ReadonlySet<string>): void {
    const via = this.via[prop];
    // 1. the seeds and every function whose chain goes through one of them first, transitively
    const affected = new Set<string>(seeds);
    const queue = [...affected];
    for (let i = 0; i < queue.length; i++) {
      for (const caller of this.callersOf(queue[i])) {
        if (!affected.has(caller) && via.get(caller) === queue[i]) {
          affected.add(caller);
          queue.push(caller);
        }
      }
    }
    // what the cleared nodes had: their callers look again where it comes out different
    const old = new Map<string, Evidence | undefined>();
    for (const key of affected) {
      if (!this.nodes.has(key)) continue;
      old.set(key, this.values.get(key)?.[prop]);
      touch(key);
      this.assign(key, prop, undefined);
    }
    // solved shortest first; the cleared ones' callers are offered as they are settled
    const buckets: string[][] = Array.from({ length: MAX_CHAIN + 1 }, () => []);
    const tentative = new Map<string, number>();
    const offer = (key: string, d: number) => {
      if (d > MAX_CHAIN) return;
      const t = tentative.get(key);
      if (t !== undefined && t <= d) return;
      tentative.set(key, d);
      buckets[d].push(key);
    };
    for (const key of affected) {
      const n = this.nodes.get(key);
      const d = n && this.bestLength(n, prop);
      if (d !== undefined) offer(key, d);
    }
    const settled = new Set<string>();
    for (let d = 1; d <= MAX_CHAIN; d++) {
      for (const key of buckets[d]) {
        if (settled.has(key) || tentative.get(key) !== d) continue;
        settled.add(key);
        this.assign(key, prop, this.evaluate(this.nodes.get(key) as SummaryNode, prop));
        const value = this.values.get(key);
        for (const caller of this.callersOf(key)) {
          if (!affected.has(caller) || settled.has(caller)) continue;
          const n = this.nodes.get(caller);
          // a caller that only creates the generator `key` gets no chain through it
          if (n && propagates(n.kind) && n.edges.some((e) => e.callee === key && runsCallee(e, value))) offer(caller, d + 1);
        }
      }
    }
    // 2. the callers of what came out different, until summaries come out equal
    const work: string[] = [];
    const queued = new Set<string>();
    const enqueueCallers = (key: string) => {
      for (const caller of this.callersOf(key)) {
        if (queued.has(caller)) continue;
        const n = this.nodes.get(caller);
        if (!n || !propagates(n.kind)) continue;
        queued.add(caller);
        work.push(caller);
      }
    };
    for (const key of affected) {
      // a removed node's callers look again whatever it had: their chains may have gone through it
      if (!this.nodes.has(key) || flipped.has(key) || !sameEvidence(old.get(key), this.values.get(key)?.[prop])) enqueueCallers(key);
    }
    for (let i = 0; i < work.length; i++) {
      const key = work[i];
      queued.delete(key);
      const n = this.nodes.get(key);
      if (!n) continue;
      const chain = this.evaluate(n, prop);
      if (sameEvidence(chain?.evidence, this.values.get(key)?.[prop])) {
        // the same hops through another call at the same place cannot happen; keep `via` exact anyway
        if (chain) via.set(key, chain.via);
        continue;
      }
      touch(key);
      this.assign(key, prop, chain);
      enqueueCallers(key);
    }
  }

  /** The length of the node's shortest chain from the summaries as they are now. */
  private bestLength(n: SummaryNode, prop: Property): number | undefined {
    if (!propagates(n.kind)) return undefined;
    if (n[prop]) return 1;
    let best: number | undefined;
    for (const e of n.edges) {
      const callee = e.callee === undefined ? undefined : this.values.get(e.callee);
      const inner = runsCallee(e, callee) ? callee?.[prop] : undefined;
      if (inner && (best === undefined || inner.hops.length + 1 < best)) best = inner.hops.length + 1;
    }
    return best !== undefined && best <= MAX_CHAIN ? best : undefined;
  }

  /** The node's summary for `prop` from its callees' as they are now: solve()'s choice of chain. */
  private evaluate(n: SummaryNode, prop: Property): Chain | undefined {
    if (!propagates(n.kind)) return undefined;
    const direct = n[prop];
    if (direct) return { evidence: { hops: [direct] }, via: null };
    let best: { edge: SummaryEdge; inner: Evidence } | undefined;
    for (const e of n.edges) {
      const callee = e.callee === undefined ? undefined : this.values.get(e.callee);
      const inner = runsCallee(e, callee) ? callee?.[prop] : undefined;
      if (inner && (!best || inner.hops.length < best.inner.hops.length)) best = { edge: e, inner };
    }
    if (!best || best.inner.hops.length + 1 > MAX_CHAIN) return undefined;
    return { evidence: { hops: [best.edge.hop, ...best.inner.hops] }, via: best.edge.callee as string };
  }

  private assign(key: string, prop: Property, chain: Chain | undefined): void {
    const current = this.values.get(key);
    const blocks = prop === 'blocks' ? chain?.evidence : current?.blocks;
    const heavy = prop === 'heavy' ? chain?.evidence : current?.heavy;
    // solve()'s property order, so summaryKey texts compare
    this.values.set(key, { ...(current?.generator ? { generator: true } : {}), ...(blocks ? { blocks } : {}), ...(heavy ? { heavy } : {}) });
    if (chain) this.via[prop].set(key, chain.via);
    else this.via[prop].delete(key);
  }

  private link(n: SummaryNode): void {
    for (const e of n.edges) {
      if (e.callee === undefined) continue;
      let set = this.callers.get(e.callee);
      if (!set) this.callers.set(e.callee, (set = new Set()));
      set.add(n.key);
    }
  }

  private unlink(n: SummaryNode): void {
    for (const e of n.edges) {
      if (e.callee === undefined) continue;
      const set = this.callers.get(e.callee);
      if (!set) continue;
      set.delete(n.key);
      if (set.size === 0) this.callers.delete(e.callee);
    }
  }
}

const EMPTY: ReadonlySet<string> = new Set();

/** Whether two nodes say the same (kind, evidence, edges and their hops): an update need not touch it. */
export function sameNode(a: SummaryNode, b: SummaryNode): boolean {
  if (a.kind !== b.kind || a.generator !== b.generator || a.edges.length !== b.edges.length) return false;
  if (!sameOptionalHop(a.blocks, b.blocks) || !sameOptionalHop(a.heavy, b.heavy)) return false;
  return a.edges.every((e, i) => e.callee === b.edges[i].callee && e.iterates === b.edges[i].iterates && sameHop(e.hop, b.edges[i].hop));
}

function sameOptionalHop(a: Hop | undefined, b: Hop | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && sameHop(a, b));
}

function sameHop(a: Hop, b: Hop): boolean {
  if (a === b) return true;
  const x = a.location;
  const y = b.location;
  return (
    a.label === b.label &&
    x.fileName === y.fileName &&
    x.start.line === y.start.line &&
    x.start.character === y.start.character &&
    x.end.line === y.end.line &&
    x.end.character === y.end.character
  );
}

function sameEvidence(a: Evidence | undefined, b: Evidence | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.hops.length !== b.hops.length) return false;
  return a.hops.every((h, i) => sameHop(h, b.hops[i]));
}

/** A stable text of a summary, for telling which summaries an edit changed. */
export function summaryKey(s: FunctionSummary | undefined): string {
  return s && (s.blocks || s.heavy) ? JSON.stringify(s) : '';
}
