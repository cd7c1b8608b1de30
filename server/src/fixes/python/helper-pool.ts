// cpu-loop-on-event-loop's Python fix for a call to a CPU-heavy helper (`viaHelper`): run the whole call
// in the module's process pool.
//
//     total = checksum(n, k=2)  →  total = await asyncio.get_running_loop().run_in_executor(_process_pool, functools.partial(checksum, n, k=2))
//
// The pool is the module-level ProcessPoolExecutor the loop extraction creates or reuses (process-pool.ts).
// The function travels to the other process by reference (pickled by its module and name), so only a
// module-level `def` can go: one of this file (not decorated: a decorator's wrapper may not pickle), or
// one imported from a module of the workspace (the project model resolved the call to a module-level
// def there). Methods, nested functions, lambdas, bound methods and calls through anything other than a
// plain or dotted name are refused, and so are arguments that never pickle (a lambda, a generator).
// Always unsafe: arguments and results must pickle, and the helper runs in another process, where the
// module's state is its own.

import type { Call } from '../../engine/model';
import type { LineIndex } from '../../engine/text';
import type { PythonFileFacts } from '../../frontends/python/facts';
import type { SafetyRatedFix } from '../fixer';
import { ImportPlanner } from './imports';
import { mergeInserts, moduleInsertionPoint, planPool } from './process-pool';

const DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

export function helperToProcessPool(facts: PythonFileFacts, lines: LineIndex, call: Call): SafetyRatedFix | undefined {
  const { text } = facts;
  if (call.awaited || facts.scopes[call.scope]?.kind !== 'async' || facts.inGeneratorExpression(call.span)) return undefined;
  const callee = text.slice(call.calleeSpan.start, call.calleeSpan.end);
  if (!DOTTED.test(callee)) return undefined;
  if (call.target !== undefined) {
    // a def of this file: at module level, by its own name, undecorated
    const target = facts.scopes[call.target];
    if (!target || target.name !== callee || (target.kind !== 'sync' && target.kind !== 'offloaded')) return undefined;
    if (target.parent === undefined || facts.scopes[target.parent]?.kind !== 'module') return undefined;
    const def = facts.node(target.span, ['function_definition']);
    if (!def || def.parent?.type === 'decorated_definition') return undefined;
  } else if (!call.imported) return undefined;
  // a name the call reads through `self`/`cls` or a local is no module-level function
  const root = callee.split('.')[0];
  if (call.target === undefined && facts.meaning(root, call.scope).kind !== 'qualified') return undefined;
  for (const a of call.args) {
    if (a.isFunction) return undefined;
    const value = text.slice(a.span.start, a.span.end).replace(/^\*{1,2}|^[A-Za-z_][A-Za-z0-9_]*\s*=(?!=)/, '').trimStart();
    if (/^lambda\b/.test(value) || facts.node(a.span, ['generator_expression'])) return undefined;
  }
  const open = call.calleeSpan.end + text.slice(call.calleeSpan.end, call.span.end).indexOf('(');
  if (open < call.calleeSpan.end || text.charCodeAt(call.span.end - 1) !== 41 /* ) */) return undefined;
  // `f(x for x in xs)`: a bare generator argument
  if (call.args.length === 1 && call.args[0].span.start === open) return undefined;

  const planner = new ImportPlanner(facts, lines, call.scope);
  const getLoop = planner.reference('asyncio.get_running_loop');
  const pool = planPool(facts, planner, call.scope);
  const at = moduleInsertionPoint(facts, lines, call.span.start);
  if (getLoop === undefined || !pool || at === undefined) return undefined;
  const inner = text.slice(open + 1, call.span.end - 1);
  let args = inner.trim() === '' ? callee : /^[ \t]*(?:#[^\n]*)?\r?\n/.test(inner) ? `${callee},${inner}` : `${callee}, ${inner.replace(/^[ \t]+/, '')}`;
  if (call.args.some((a) => a.keyword !== undefined || a.spread === 'keyword')) {
    const partial = planner.reference('functools.partial');
    if (partial === undefined) return undefined;
    args = `${partial}(${args})`;
  }
  const hand = `await ${getLoop}().run_in_executor(${pool.name}, ${args})`;
  const imports = planner.edit();
  if (imports === null) return undefined;
  const eol = lines.eol;
  const edits = mergeInserts([
    ...(imports ? [imports] : []),
    ...(pool.definition ? [{ start: at, end: at, newText: `${pool.definition}${eol}${eol}${eol}` }] : []),
    { start: call.span.start, end: call.span.end, newText: facts.needsParentheses(call.span) ? `(${hand})` : hand },
  ]).sort((a, b) => a.start - b.start);
  return { title: `Run \`${callee}()\` in a process pool`, safe: false, edits };
}
