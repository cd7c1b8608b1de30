// Per-file facts of the project model: what one file contributes to the workspace's call graph, small
// and language-neutral, computed from a SourceModel and then kept for every file of the workspace
// (the model, the tree and the text are not kept). For each function: its kind, where it is defined,
// its direct evidence (the first call that blocks and the first CPU-heavy loop that run synchronously
// in it) and its outgoing edges (the calls it makes synchronously to functions of this file or of
// imported modules). Plus the file's exports, which the workspace follows to resolve imports.
//
// "Runs synchronously in f" is the front ends' scope model: code in an inline scope (an array
// callback, an IIFE) belongs to its parent; code in any other nested function (a callback handed to
// the event loop, to a thread, an async arrow) runs at another time and belongs to that function.
// A generator function's body runs where its result is iterated, not where it is called: the function
// is marked `generator`, and an edge whose call iterates the result there is marked `iterates`
// (summaries.ts follows an edge into a generator only then).

import type { EcosystemCatalogue } from '../catalogue';
import type { RuleOptions } from '../config';
import { effectiveScope, type Call, type ImportedName, type Loop, type ModuleExport, type ScopeKind, type SourceModel, type Span } from '../model';
import type { LineIndex } from '../text';
import { blockingApiOf } from '../../rules/blocking-apis';
import { outermostHeavyLoops, type HeavyReason } from '../../rules/heavy-loops';
import type { Hop, Location } from './types';

/** A call a function makes synchronously to a function we may know. */
export interface Edge {
  /** the callee is this file's function scope (Call.target) */
  target?: number;
  /** the callee is reached through an import (Call.imported) */
  imported?: ImportedName;
  /** the call as written (`readJson`, `util.readAll`): the hop's label */
  label: string;
  /** the callee expression of the call */
  location: Location;
  /** the call's result is iterated where it is made (Call.iterated): a generator callee runs here */
  iterates?: true;
}

export interface FunctionFacts {
  /** the scope id in the file's model */
  scope: number;
  name: string | undefined;
  kind: ScopeKind;
  /** a generator function (FunctionScope.generator): a call runs its body only where it is iterated (Edge.iterates) */
  generator?: true;
  /** the function's name (or keyword): where a summary points at the function */
  definition: Location;
  /** the first blocking API call that runs synchronously in the function */
  blocks?: Hop;
  /** the first CPU-heavy loop (outermost of its nest) that runs synchronously in the function */
  heavy?: Hop;
  /** calls made synchronously to functions of this file or imported ones, in source order */
  edges: Edge[];
}

export interface FileFacts {
  fileName: string;
  family: SourceModel['family'];
  /** by scope id; only function scopes (not the module, not classes, not inline scopes) */
  functions: FunctionFacts[];
  exports: ModuleExport[];
}

const LOOP_WORDS: Record<Loop['kind'], string> = {
  for: '`for` loop',
  'for-of': '`for…of` loop',
  'for-in': '`for…in` loop',
  while: '`while` loop',
  'do-while': '`do…while` loop',
  comprehension: 'comprehension',
};

const REASON_WORDS: Record<HeavyReason, string> = {
  busyWait: 'busy-wait',
  literalCount: 'large count',
  numericKernel: 'numeric kernel',
  quadratic: 'quadratic',
  heavyCall: 'CPU-heavy call per element',
};

function loopLabel(model: SourceModel, loop: Loop, reason: HeavyReason): string {
  const word = loop.bodyScope !== undefined && model.family === 'javascript' ? '`.' + model.text.slice(loop.headSpan.start, loop.headSpan.end) + '` loop' : LOOP_WORDS[loop.kind];
  return `${word} (${REASON_WORDS[reason]})`;
}

function isFunction(kind: ScopeKind): boolean {
  return kind !== 'module' && kind !== 'class' && kind !== 'inline';
}

/**
 * The facts of one parsed file. `lines` must index `model.text`. Files with syntax errors still get
 * facts: the front ends' models of the parts that parse are as good as ever.
 */
export function computeFacts(model: SourceModel, lines: LineIndex, catalogue: EcosystemCatalogue, options: RuleOptions): FileFacts {
  const loc = (span: Span): Location => ({ fileName: model.fileName, start: lines.position(span.start), end: lines.position(span.end) });
  const functions: FunctionFacts[] = [];
  const byScope = new Map<number, FunctionFacts>();
  for (const scope of model.scopes) {
    if (!isFunction(scope.kind)) continue;
    const f: FunctionFacts = { scope: scope.id, name: scope.name, kind: scope.kind, ...(scope.generator ? { generator: true } : {}), definition: loc(scope.headSpan), edges: [] };
    functions.push(f);
    byScope.set(scope.id, f);
  }
  const owner = (scopeId: number): FunctionFacts | undefined => byScope.get(effectiveScope(model, scopeId).id);
  for (const call of model.calls) {
    const f = owner(call.scope);
    if (!f) continue;
    if (!f.blocks) {
      const api = blockingApiOf(model, catalogue, call);
      if (api && call.name !== undefined) f.blocks = { label: call.name.replace(/^builtins\./, ''), location: loc(call.calleeSpan) };
    }
    const edge = edgeOf(call);
    if (edge) f.edges.push({ ...edge, location: loc(call.calleeSpan) });
  }
  for (const heavy of outermostHeavyLoops(model, catalogue, options, (loop) => byScope.has(effectiveScope(model, loop.scope).id))) {
    // A CPU-heavy API per element of a collection of unknown size is weak evidence: reported where it is
    // written (in async code), but a helper with such a loop is usually small work (pino's loop over its
    // few log levels with JSON.stringify) and would make every call of it in every async function a
    // finding. Only counts, kernels, quadratic nests and busy-waits travel up the call graph.
    if (heavy.reason === 'heavyCall') continue;
    const f = owner(heavy.loop.scope);
    if (f && !f.heavy) f.heavy = { label: loopLabel(model, heavy.loop, heavy.reason), location: loc(heavy.loop.headSpan) };
  }
  return { fileName: model.fileName, family: model.family, functions, exports: model.exports ?? [] };
}

/** An awaited call hands control back: whatever the callee does before its first await is its own finding. */
function edgeOf(call: Call): Omit<Edge, 'location'> | undefined {
  if (call.awaited) return undefined;
  const iterates = call.iterated ? { iterates: true as const } : {};
  if (call.target !== undefined) return { target: call.target, label: call.written, ...iterates };
  if (call.imported) return { imported: call.imported, label: call.written, ...iterates };
  return undefined;
}

/** The facts of `scope` in `facts`, by binary search (functions are in scope-id order). */
export function functionFacts(facts: FileFacts, scope: number): FunctionFacts | undefined {
  let lo = 0;
  let hi = facts.functions.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = facts.functions[mid].scope;
    if (s === scope) return facts.functions[mid];
    if (s < scope) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** A stable text of the facts, for "did this edit change anything other files can see". */
export function factsKey(facts: FileFacts): string {
  return JSON.stringify(facts);
}
