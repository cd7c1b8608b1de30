// race-across-await, JS/TS side of the model: read → await → write of the same shared state in async
// functions (AwaitRace), and the code that holds an async lock (LockRegion).
//
// What is state: await-races-state.ts. How one function is read: await-races-flow.ts. This module
// picks the functions worth reading and finds their nodes without walking the whole file again:
// - text prefilters: no `await`/`yield` in the file → nothing; an async scope whose text has neither
//   → skipped; a function whose text writes nothing rooted at `this` or a module variable (a regular
//   expression) → skipped; then one cheap walk of the function (nested functions skipped) that needs both an await
//   and a write rooted at `this` (an instance) or at a module variable before the flow analysis runs;
// - the function nodes are found by descending from the root only into the children that contain one
//   (the walker keeps no nodes per scope, and parent pointers are not set).
// Races are recorded whether or not a lock covers them: the rule decides with `lockRegions`, and a
// race under a lock tells which lock guards that state (a fix elsewhere reuses it).
// Async locks: the callback of `<m>.runExclusive(…)` (async-mutex), `<lock>.acquire(key, …)`
// (async-lock), `navigator.locks.request(name, …)`; the statements after `const release = await
// <m>.acquire()` (or `const [, release] = await sem.acquire()`, or `await m.acquire()` with
// `m.release()`) up to the statement that releases. `acquire()` counts when the receiver's name says
// lock/mutex/semaphore, the result is named like a release function, or the receiver is a module-level
// `new Mutex()`-like object: `const conn = await pool.acquire()` is not a lock. Regions are found in the
// functions read for races (a region without state in it guards nothing a race could need).
// A flag guard is a lock too: after `if (this.reading) return; this.reading = true;` every other caller
// returns at the test, so the statements up to the one that sets the flag back to false run alone.
// `using`/`await using` of a lock is not recognised.

import ts from 'typescript';
import type { AwaitRace, LockRegion } from '../../engine/model';
import { FunctionRaces, type LockStyle, type RaceSite } from './await-races-flow';
import { isFunctionLike, moduleVariables, thisOwnerOf, type ModuleVar } from './await-races-state';
import type { WalkResult } from './walker';

/** What the fixer needs about a file's races, kept with its syntax tree (the model owns both). */
export interface AwaitRaceFacts {
  sites: Map<AwaitRace, RaceSite>;
  /** each lock seen in a region, as written, and how it is taken */
  locks: Map<string, LockStyle>;
  moduleVars: ReadonlyMap<string, ModuleVar>;
}

const factsBySource = new WeakMap<ts.SourceFile, AwaitRaceFacts>();

export function awaitRaceFacts(sf: ts.SourceFile): AwaitRaceFacts | undefined {
  return factsBySource.get(sf);
}

const NONE = { awaitRaces: [] as AwaitRace[], lockRegions: [] as LockRegion[] };

interface Target {
  scopeId: number;
  start: number;
  end: number;
}

/** Finds the function node of every target (sorted by start) with its ancestors; one partial descent. */
function locate(sf: ts.SourceFile, targets: readonly Target[]): Map<number, { fn: ts.FunctionLikeDeclaration; chain: ts.Node[] }> {
  const found = new Map<number, { fn: ts.FunctionLikeDeclaration; chain: ts.Node[] }>();
  let ti = 0;
  const chain: ts.Node[] = [];
  const visit = (node: ts.Node): void => {
    ts.forEachChild(node, (child) => {
      if (ti >= targets.length) return true;
      if (child.end <= targets[ti].start) return undefined;
      if (child.pos > targets[ti].start) {
        // a target inside no child of this node (should not happen): skip it
        while (ti < targets.length && targets[ti].start < child.pos) ti++;
        if (ti >= targets.length) return true;
        if (child.end <= targets[ti].start) return undefined;
      }
      chain.push(child);
      while (ti < targets.length && child.end === targets[ti].end && isFunctionLike(child) && child.getStart(sf) === targets[ti].start) {
        found.set(targets[ti].scopeId, { fn: child, chain: [...chain] });
        ti++;
      }
      if (ti < targets.length && targets[ti].start < child.end) visit(child);
      chain.pop();
      return undefined;
    });
  };
  visit(sf);
  return found;
}

/** Offsets of every `await` and `yield` in the text, ascending (comments and strings included: a prefilter). */
function keywordOffsets(text: string): number[] {
  const out: number[] = [];
  for (let i = text.indexOf('await'); i >= 0; i = text.indexOf('await', i + 5)) out.push(i);
  const yields: number[] = [];
  for (let i = text.indexOf('yield'); i >= 0; i = text.indexOf('yield', i + 5)) yields.push(i);
  if (yields.length === 0) return out;
  return [...out, ...yields].sort((a, b) => a - b);
}

function firstAtOrAfter(sorted: readonly number[], offset: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Text that may write state: an assignment, `++`/`--`, `delete` or `.set/.add/.delete(` on a chain
 * rooted at `this` or at a module variable. A gate in front of the AST prefilter, so it may say yes
 * too often but should not say no to a real write (a target whose index holds brackets or spans lines,
 * `this.a[b[i]] = …`, is missed: such a function is not read).
 */
let thisOnly: RegExp | undefined;

function writePattern(moduleVars: ReadonlyMap<string, ModuleVar>): RegExp {
  if (moduleVars.size === 0 && thisOnly) return thisOnly;
  const names = ['this', ...[...moduleVars.keys()].map((n) => n.replace(/\$/g, '\\$'))];
  const root = `(?<![\\w$.#])(?:${names.join('|')})(?![\\w$])`;
  const chain = `(?:\\s*\\??\\.\\s*[\\w$#]+|\\s*\\[[^\\]\\n]*\\])*`;
  const op = `(?:[-+*/%&|^]|\\*\\*|<<|>>>?|\\?\\?|&&|\\|\\|)?=(?![=>])`;
  const re = new RegExp(`${root}${chain}\\s*(?:${op}|\\+\\+|--|\\.\\s*(?:set|add|delete)\\s*\\()|(?:\\+\\+|--|\\bdelete\\s)\\s*${root}`);
  if (moduleVars.size === 0) thisOnly = re;
  return re;
}

export function collectAwaitRaces(sf: ts.SourceFile, text: string, walk: WalkResult): { awaitRaces: AwaitRace[]; lockRegions: LockRegion[] } {
  // where `await`/`yield` occur, once: each async scope then asks with a binary search
  const marks = keywordOffsets(text);
  if (marks.length === 0) return NONE;
  const targets: Target[] = [];
  for (const s of walk.scopes) {
    if (s.kind !== 'async') continue;
    const { start, end } = s.span;
    const at = firstAtOrAfter(marks, start);
    if (at < marks.length && marks[at] < end) targets.push({ scopeId: s.id, start, end });
  }
  if (targets.length === 0) return NONE;
  targets.sort((a, b) => a.start - b.start || b.end - a.end);
  const moduleVars = moduleVariables(sf);
  const writes = writePattern(moduleVars);
  const worth = targets.filter((t) => writes.test(text.slice(t.start, t.end)));
  if (worth.length === 0) return NONE;
  const nodes = locate(sf, worth);
  const facts: AwaitRaceFacts = { sites: new Map(), locks: new Map(), moduleVars };
  const awaitRaces: AwaitRace[] = [];
  const lockRegions: LockRegion[] = [];
  for (const t of worth) {
    const n = nodes.get(t.scopeId);
    if (!n) continue;
    const thisOwner = thisOwnerOf(n.chain, sf, moduleVars);
    if (moduleVars.size === 0 && !thisOwner) continue;
    const input = {
      sf, text, fn: n.fn, chain: n.chain, scopeId: t.scopeId, moduleVars, thisOwner,
      isGenerator: n.fn.asteriskToken !== undefined,
    };
    const closureAssigned = new Set<string>();
    if (!FunctionRaces.worthReading(input, closureAssigned)) continue;
    const out = new FunctionRaces(input).run(closureAssigned);
    for (const { race, site } of out.races) {
      awaitRaces.push(race);
      facts.sites.set(race, site);
    }
    for (const { region, style } of out.regions) {
      lockRegions.push(region);
      if (!facts.locks.has(region.lock)) facts.locks.set(region.lock, style);
    }
  }
  awaitRaces.sort((a, b) => a.write.start - b.write.start);
  lockRegions.sort((a, b) => a.span.start - b.span.start);
  factsBySource.set(sf, facts);
  return { awaitRaces, lockRegions };
}
