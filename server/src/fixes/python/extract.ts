// Def-use analysis for moving a loop (or a comprehension) out of an `async def` into a module-level
// function run in another process.
//
// The extracted code may only talk to the rest of the function through its parameters (the
// function's variables it reads, bound before it runs) and its return value (the variables it assigns
// that are used afterwards). Anything else it could do to its surroundings is lost in another process,
// so such code is refused: mutating objects that outlive it (`out.append(x)`, `d[k] = v`, `obj.x = 1`
// on a name from outside), `self`, `global`/`nonlocal`, `return`, `yield`, `await`, nested functions
// and classes, `match`, and multi-line strings (whose text we would have to re-indent).

import type { Node } from 'web-tree-sitter';
import type { PythonFileFacts } from '../../frontends/python/facts';

/** Methods that change the object they are called on. */
const MUTATORS = new Set([
  'append', 'extend', 'insert', 'pop', 'remove', 'clear', 'update', 'add', 'discard', 'setdefault', 'sort',
  'reverse', 'popitem', 'write', 'writelines', 'put', 'put_nowait', 'appendleft', 'extendleft', 'popleft',
  'rotate', 'send', 'close', '__setitem__', '__delitem__',
]);

const COMPREHENSIONS = new Set(['list_comprehension', 'set_comprehension', 'dictionary_comprehension', 'generator_expression']);
const REFUSED = new Set([
  'function_definition', 'class_definition', 'lambda', 'decorated_definition', 'return_statement', 'yield', 'await',
  'global_statement', 'nonlocal_statement', 'match_statement', 'import_statement', 'import_from_statement', 'future_import_statement',
]);

/** How a name got its value inside the extracted code. */
const enum Origin {
  /** `x = …`, `x += …`, `with … as x`: a value the code made (or rebound) itself */
  Assigned,
  /** a `for` target: an element of something, possibly from outside */
  Element,
}

export interface Extraction {
  /** names the code reads or carries over that the function has bound before it runs, in first-use order */
  params: string[];
  /** names the code assigns that the function reads afterwards, in first-assignment order */
  results: string[];
}

export interface ExtractionInput {
  facts: PythonFileFacts;
  /** the loop statement or the expression to move */
  node: Node;
  /** the async def it is in */
  fn: Node;
  /** the scope id of that def */
  scope: number;
  /** the outermost loop around `node` in the same function, whose other iterations see its variables */
  enclosingLoop: Node | undefined;
}

class Refused extends Error {}

/** Parameters and results of the code at `node`, or undefined when it cannot be moved as it is. */
export function analyseExtraction(inp: ExtractionInput): Extraction | undefined {
  const { facts, node, fn, scope } = inp;
  const text = facts.text;
  const loopText = text.slice(node.startIndex, node.endIndex);
  if (/"""|'''/.test(loopText)) return undefined;
  const selfName = methodSelf(fn);

  /** names read before the code assigns them (on its first pass): their value comes from outside */
  const reads: string[] = [];
  const written = new Map<string, Origin>();
  const writeOrder: string[] = [];
  const isLocal = (name: string) => facts.functionLocal(name, scope) !== undefined;
  const readName = (name: string, shadow: ReadonlySet<string>) => {
    if (shadow.has(name)) return;
    if (name === selfName) throw new Refused();
    if (!written.has(name) && !reads.includes(name) && isLocal(name)) reads.push(name);
  };
  const write = (name: string, origin: Origin) => {
    if (name === selfName) throw new Refused();
    if (!written.has(name)) writeOrder.push(name);
    if (written.get(name) !== Origin.Assigned) written.set(name, origin);
  };
  /** the object behind `x.attr`, `x[i]`, `x.a.b[c]`: refuse when it is not something the code made */
  const mutated = (target: Node, shadow: ReadonlySet<string>) => {
    let base: Node | null = target;
    while (base && (base.type === 'attribute' || base.type === 'subscript')) base = base.childForFieldName(base.type === 'attribute' ? 'object' : 'value');
    if (!base || base.type !== 'identifier' || shadow.has(base.text)) throw new Refused();
    if (written.get(base.text) !== Origin.Assigned) throw new Refused();
  };

  const targets = (t: Node, origin: Origin, shadow: ReadonlySet<string>): void => {
    switch (t.type) {
      case 'identifier':
        write(t.text, origin);
        return;
      case 'attribute':
      case 'subscript':
        visit(t.type === 'attribute' ? (t.childForFieldName('object') ?? t) : t, shadow, true);
        mutated(t, shadow);
        return;
      default:
        for (const c of t.namedChildren) if (c) targets(c, origin, shadow);
    }
  };

  const visit = (n: Node, shadow: ReadonlySet<string>, inTarget = false): void => {
    const type = n.type;
    if (REFUSED.has(type)) throw new Refused();
    if ((type === 'for_statement' || type === 'with_statement') && n.text.startsWith('async')) throw new Refused();
    switch (type) {
      case 'identifier':
        readName(n.text, shadow);
        return;
      case 'comment':
      case 'string_content':
        return;
      case 'attribute': {
        const obj = n.childForFieldName('object');
        if (obj) visit(obj, shadow);
        return;
      }
      case 'keyword_argument': {
        const value = n.childForFieldName('value');
        if (value) visit(value, shadow);
        return;
      }
      case 'call': {
        const callee = n.childForFieldName('function');
        if (callee?.type === 'attribute') {
          const obj = callee.childForFieldName('object');
          const method = callee.childForFieldName('attribute')?.text ?? '';
          if (obj?.type === 'identifier' && !shadow.has(obj.text)) {
            const name = obj.text;
            const origin = written.get(name);
            const outer = origin === undefined && facts.meaning(name, scope).kind !== 'qualified';
            // a method of a value from outside may change it; of an element, when it is a mutator
            if (outer || (origin === Origin.Element && MUTATORS.has(method))) throw new Refused();
          } else if (obj && MUTATORS.has(method) && obj.type !== 'call' && obj.type !== 'string') {
            throw new Refused();
          }
        }
        for (const c of n.namedChildren) if (c) visit(c, shadow);
        return;
      }
      case 'assignment': {
        const right = n.childForFieldName('right');
        if (right) visit(right, shadow);
        const left = n.childForFieldName('left');
        if (left) targets(left, Origin.Assigned, shadow);
        return;
      }
      case 'augmented_assignment': {
        const left = n.childForFieldName('left');
        const right = n.childForFieldName('right');
        if (left?.type === 'identifier') readName(left.text, shadow);
        if (right) visit(right, shadow);
        if (left) targets(left, Origin.Assigned, shadow);
        return;
      }
      case 'named_expression': {
        const value = n.childForFieldName('value');
        if (value) visit(value, shadow);
        const name = n.childForFieldName('name');
        if (name) write(name.text, Origin.Assigned);
        return;
      }
      case 'for_statement': {
        const right = n.childForFieldName('right');
        if (right) visit(right, shadow);
        const left = n.childForFieldName('left');
        if (left) targets(left, Origin.Element, shadow);
        for (const field of ['body', 'alternative']) {
          const part = n.childForFieldName(field);
          if (part) visit(part, shadow);
        }
        return;
      }
      case 'as_pattern': {
        // `with f() as x`, `except E as e`
        const value = n.namedChildren[0];
        if (value) visit(value, shadow);
        const alias = n.childForFieldName('alias');
        if (alias) targets(alias, Origin.Assigned, shadow);
        return;
      }
      case 'delete_statement':
        for (const c of n.namedChildren) if (c) del(c, shadow);
        return;
      default:
        if (COMPREHENSIONS.has(type)) {
          comprehension(n, shadow);
          return;
        }
        void inTarget;
        for (const c of n.namedChildren) if (c) visit(c, shadow);
    }
  };

  const del = (t: Node, shadow: ReadonlySet<string>): void => {
    if (t.type === 'identifier') throw new Refused(); // the name must stay unbound afterwards: we cannot say so
    if (t.type === 'attribute' || t.type === 'subscript') {
      mutated(t, shadow);
      return;
    }
    for (const c of t.namedChildren) if (c) del(c, shadow);
  };

  const comprehension = (n: Node, outer: ReadonlySet<string>): void => {
    const inner = new Set(outer);
    const clauses = n.namedChildren.filter((c): c is Node => c !== null && c.type === 'for_in_clause');
    clauses.forEach((clause, k) => {
      const right = clause.childForFieldName('right');
      // the first iterable is evaluated outside the comprehension
      if (right) visit(right, k === 0 ? outer : inner);
      const left = clause.childForFieldName('left');
      if (left) for (const id of identifiers(left)) inner.add(id);
    });
    for (const c of n.namedChildren) {
      if (!c || c.type === 'for_in_clause') continue;
      visit(c, inner);
    }
  };

  try {
    visit(node, new Set());
  } catch (e) {
    if (e instanceof Refused) return undefined;
    throw e;
  }

  // what the rest of the function does with the names: bound before the code runs, read after it
  const before = new Set<string>(parameterNames(fn));
  const after = new Set<string>();
  const start = node.startIndex;
  const end = node.endIndex;
  const around = inp.enclosingLoop;
  const body = fn.childForFieldName('body');
  if (body) survey(body, start, end, around, before, after);
  for (const name of reads) if (facts.functionLocal(name, scope) !== scope) before.add(name); // closures

  const results = writeOrder.filter((n) => after.has(n) && isLocal(n));
  const params: string[] = [];
  for (const n of [...reads, ...results]) if (before.has(n) && !params.includes(n)) params.push(n);
  return { params, results };
}

/**
 * Names bound in the function before `start` (or anywhere in `around`, the enclosing loop, outside
 * [start, end)), and names read after `end` (or in `around` before `start`).
 */
function survey(n: Node, start: number, end: number, around: Node | undefined, before: Set<string>, after: Set<string>): void {
  if (n.startIndex >= start && n.endIndex <= end) return;
  const inAround = around !== undefined && n.startIndex >= around.startIndex && n.endIndex <= around.endIndex;
  if (n.type === 'identifier') {
    // a binding occurrence? the tree says so through the field it sits in
    const binding = isBinding(n);
    const alsoRead = !binding || n.parent?.type === 'augmented_assignment';
    if (alsoRead && (n.startIndex >= end || (inAround && n.startIndex < start))) after.add(n.text);
    if (binding && (n.endIndex <= start || inAround)) before.add(n.text);
    return;
  }
  for (const c of n.children) if (c) survey(c, start, end, around, before, after);
}

function isBinding(id: Node): boolean {
  let child: Node = id;
  for (let p = id.parent; p; child = p, p = p.parent) {
    switch (p.type) {
      case 'pattern_list':
      case 'tuple_pattern':
      case 'list_pattern':
      case 'list_splat_pattern':
      case 'parenthesized_expression':
      case 'expression_list':
        continue;
      case 'assignment':
      case 'augmented_assignment':
      case 'for_statement':
        return p.childForFieldName('left')?.id === child.id;
      case 'named_expression':
        return p.childForFieldName('name')?.id === child.id;
      case 'as_pattern':
        return p.childForFieldName('alias')?.id === child.id || child.type === 'as_pattern_target';
      case 'as_pattern_target':
        return true;
      case 'function_definition':
      case 'class_definition':
        return p.childForFieldName('name')?.id === child.id;
      case 'aliased_import':
        return p.childForFieldName('alias')?.id === child.id;
      case 'dotted_name':
        return p.parent?.type === 'import_statement' && p.namedChildren[0]?.id === child.id;
      default:
        return false;
    }
  }
  return false;
}

function identifiers(n: Node): string[] {
  if (n.type === 'identifier') return [n.text];
  const out: string[] = [];
  for (const c of n.namedChildren) if (c) out.push(...identifiers(c));
  return out;
}

/** The parameter names of a def. */
export function parameterNames(fn: Node): string[] {
  const params = fn.childForFieldName('parameters');
  const out: string[] = [];
  for (const p of params?.namedChildren ?? []) {
    if (!p) continue;
    if (p.type === 'identifier') out.push(p.text);
    else {
      const name = p.childForFieldName('name') ?? p.namedChildren.find((c) => c?.type === 'identifier') ?? null;
      if (name?.type === 'identifier') out.push(name.text);
    }
  }
  return out;
}

/** A method's first parameter (`self`, `cls`), unless it is a staticmethod. */
function methodSelf(fn: Node): string | undefined {
  let holder: Node | null = fn.parent;
  let decorated = '';
  if (holder?.type === 'decorated_definition') {
    decorated = holder.text.slice(0, holder.text.indexOf('def') >= 0 ? holder.text.indexOf('def') : 0);
    holder = holder.parent;
  }
  if (holder?.type !== 'block' || holder.parent?.type !== 'class_definition') return undefined;
  if (/@\s*staticmethod\b/.test(decorated)) return undefined;
  return parameterNames(fn)[0];
}
