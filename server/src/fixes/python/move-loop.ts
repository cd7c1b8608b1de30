// cpu-loop-on-event-loop's Python fix: move a CPU-heavy loop out of an `async def` into a new
// module-level function and run it in the module's process pool:
//
//     total = await asyncio.get_running_loop().run_in_executor(_process_pool, _score_loop, n, total)
//
// A comprehension moves as an expression (`return [f(x) for x in xs]`); a generator expression moves
// together with the call that consumes it (`sum(i * i for i in range(n))`), since a generator cannot
// be sent back from another process. extract.ts decides what goes in and out, or that nothing can.
// Always unsafe: arguments and results must pickle, and the work no longer sees the parent's state.

import type { Node } from 'web-tree-sitter';
import type { TextEdit } from '../../engine/finding';
import type { Loop } from '../../engine/model';
import type { LineIndex } from '../../engine/text';
import type { PythonFileFacts } from '../../frontends/python/facts';
import type { SafetyRatedFix } from '../fixer';
import { analyseExtraction } from './extract';
import { ImportPlanner } from './imports';
import { freeName, mergeInserts, moduleInsertionPoint, planPool } from './process-pool';

const COMPREHENSIONS = ['list_comprehension', 'set_comprehension', 'dictionary_comprehension', 'generator_expression'];
const LOOPS = new Set(['for_statement', 'while_statement', ...COMPREHENSIONS]);
/** Builtins that consume a generator into a value that can travel back from a process. */
const CONSUMERS = new Set([
  'builtins.sum', 'builtins.min', 'builtins.max', 'builtins.any', 'builtins.all', 'builtins.sorted', 'builtins.list',
  'builtins.set', 'builtins.frozenset', 'builtins.tuple', 'builtins.dict',
]);

export function moveLoop(facts: PythonFileFacts, lines: LineIndex, loop: Loop): SafetyRatedFix | undefined {
  const { text } = facts;
  const scope = facts.scopes[loop.scope];
  if (scope?.kind !== 'async') return undefined;
  const fn = facts.node(scope.span, ['function_definition']);
  if (!fn) return undefined;

  let node: Node | undefined;
  if (loop.kind === 'comprehension') {
    // only a whole comprehension (its first clause): later clauses are no expression of their own
    const comp = facts.node(loop.span, COMPREHENSIONS);
    if (!comp) return undefined;
    node = comp.type === 'generator_expression' ? consumer(facts, comp) : comp;
    if (!node) return undefined;
    // `await` in a nested comprehension or lambda would change what it is
    for (let p = node.parent; p && p.id !== fn.id; p = p.parent) if (COMPREHENSIONS.includes(p.type) || p.type === 'lambda') return undefined;
  } else {
    node = facts.node(loop.span, ['for_statement', 'while_statement']);
    if (!node || node.parent?.type !== 'block') return undefined;
  }

  let enclosing: Node | undefined;
  for (let p = node.parent; p && p.id !== fn.id; p = p.parent) if (LOOPS.has(p.type)) enclosing = p;
  const found = analyseExtraction({ facts, node, fn, scope: loop.scope, enclosingLoop: enclosing });
  if (!found) return undefined;
  const { params, results } = found;

  const planner = new ImportPlanner(facts, lines, loop.scope);
  const getLoop = planner.reference('asyncio.get_running_loop');
  const pool = planPool(facts, planner, loop.scope);
  const at = moduleInsertionPoint(facts, lines, scope.span.start);
  if (getLoop === undefined || !pool || at === undefined) return undefined;
  const base = (scope.name ?? 'work').split('.').pop() ?? 'work';
  const name = freeName(facts, `_${base.replace(/^_+/, '')}_loop`, loop.scope);
  const eol = lines.eol;
  const hand = `await ${getLoop}().run_in_executor(${[pool.name, name, ...params].join(', ')})`;

  let def: string;
  let edit: TextEdit;
  if (loop.kind === 'comprehension') {
    def = `def ${name}(${params.join(', ')}):${eol}    return ${text.slice(node.startIndex, node.endIndex)}`;
    edit = { start: node.startIndex, end: node.endIndex, newText: needsParentheses(node) ? `(${hand})` : hand };
  } else {
    const lineStart = lines.lineStart(lines.position(node.startIndex).line);
    const indent = text.slice(lineStart, node.startIndex);
    if (!/^[ \t]*$/.test(indent)) return undefined;
    const unit = indent.includes('\t') ? '\t' : '    ';
    const body: string[] = [];
    for (const line of text.slice(lineStart, node.endIndex).split(/\r?\n|\r/)) {
      if (line.trim() === '') body.push('');
      else if (line.startsWith(indent)) body.push(unit + line.slice(indent.length));
      else return undefined; // a continuation line left of the loop: we would have to re-flow it
    }
    if (results.length > 0) body.push(`${unit}return ${results.join(', ')}`);
    def = `def ${name}(${params.join(', ')}):${eol}${body.join(eol)}`;
    const lhs = results.length > 0 ? `${results.join(', ')} = ` : '';
    edit = { start: lineStart, end: node.endIndex, newText: `${indent}${lhs}${hand}` };
  }

  const imports = planner.edit();
  if (imports === null) return undefined;
  const block = `${pool.definition ? `${pool.definition}${eol}${eol}${eol}` : ''}${def}${eol}${eol}${eol}`;
  const edits = mergeInserts([...(imports ? [imports] : []), { start: at, end: at, newText: block }, edit]);
  return { title: `Run the loop in a process pool with \`await loop.run_in_executor(${pool.name}, ${name}, …)\``, safe: false, edits };
}

/** `sum(x for x in xs)`: the call that consumes a generator expression, when it builds a plain value. */
function consumer(facts: PythonFileFacts, genexp: Node): Node | undefined {
  const call = genexp.parent;
  if (call?.type !== 'call' || call.childForFieldName('arguments')?.id !== genexp.id) return undefined;
  const callee = call.childForFieldName('function');
  // `", ".join(s for s in parts)`
  if (callee?.type === 'attribute' && callee.childForFieldName('object')?.type === 'string' && callee.childForFieldName('attribute')?.text === 'join') return call;
  const model = facts.calls.find((c) => c.span.start === call.startIndex && c.span.end === call.endIndex);
  return model?.name !== undefined && CONSUMERS.has(model.name) ? call : undefined;
}

/** `await x` binds looser than `.attr`, `[i]` and `(…)`: there it needs parentheses. */
function needsParentheses(node: Node): boolean {
  const parent = node.parent;
  if (!parent) return false;
  const field = parent.type === 'attribute' ? 'object' : parent.type === 'subscript' ? 'value' : parent.type === 'call' ? 'function' : undefined;
  return field !== undefined && parent.childForFieldName(field)?.id === node.id;
}
