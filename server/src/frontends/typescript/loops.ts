// Loops for the TypeScript/JavaScript front end: what the walk records about each loop, and the pass
// after name resolution that settles each loop's bound, compute-only body and busy-wait.
//
// The walk (walker.ts) creates a Loop per `for`/`for…of`/`for…in`/`while`/`do…while` statement and per
// array-method callback (`xs.forEach((x) => …)`), marks `yields` when it meets `await`/`yield`/`for await`,
// and notes nested functions and every call made in a loop. Bounds wait until every declaration is
// known (`i < LIMIT` with a `const LIMIT = 1e6` further down), and whether a call is a pure math helper or
// a clock read needs resolved names, so both are decided here, reading only the nodes the walk kept.

import ts from 'typescript';
import type { Call, Loop, LoopBound } from '../../engine/model';
import { lookup, skipOuter, type LexScope } from './bindings';

const SK = ts.SyntaxKind;

/** What the walk keeps per loop (same index as SourceModel.loops). */
export interface LoopSite {
  loop: Loop;
  /** the loop statement, or the array-method call */
  node: ts.Node;
  /** the lexical scope the loop header is evaluated in */
  lex: LexScope;
  /** array-method loops: the receiver (`xs` in `xs.map(…)`; the first argument of `Array.from`) */
  iterated: ts.Expression | undefined;
  /**
   * Where a declaration for the loop can go: the start of the statement (its label included) when the
   * loop is a statement of a block, a function body or the file; undefined elsewhere (`if (x) for …`).
   */
  insertAt: number | undefined;
  /** a function, class or tagged template in the loop: not a numeric kernel, not a bare spin */
  hasFunction: boolean;
  /** a call in the loop (nested loops included) that is not a pure math helper */
  impureCall: boolean;
  /** a call in the loop that is not a clock read */
  nonClockCall: boolean;
  /** a clock read in the loop's own condition */
  clockInCondition: boolean;
}

/** A call made in a loop: `loop` is the innermost loop around it. */
export interface LoopCall {
  call: Call;
  loop: number;
}

/** Pure math helpers: a loop that calls only these is still a numeric kernel. */
const PURE_NAMES = /^Math\.\w+$|^Number\.(?:isInteger|isFinite|isNaN|isSafeInteger|parseInt|parseFloat)$/;
/** Unresolved globals written bare (they are not in the resolver's global list). */
const PURE_FREE = new Set(['parseInt', 'parseFloat', 'isNaN', 'isFinite', 'Number', 'BigInt']);
const CLOCKS = new Set([
  'Date.now', 'performance.now', 'perf_hooks.performance.now', 'process.hrtime', 'process.hrtime.bigint', 'process.uptime',
]);
/** `new Date().getTime()` / `(new Date()).valueOf()` */
const DATE_READ = /^\(?\s*new\s+Date\s*\(\s*\)\s*\)?\s*\.\s*(?:getTime|valueOf)$/;

function isPure(call: Call): boolean {
  if (call.isNew) return false;
  if (call.name !== undefined) return PURE_NAMES.test(call.name);
  return PURE_FREE.has(call.written);
}

function isClock(call: Call): boolean {
  if (call.isNew) return call.name === 'Date' && call.args.length === 0;
  if (call.name !== undefined) return CLOCKS.has(call.name);
  return DATE_READ.test(call.written);
}

/** Settles bounds, computeOnly and busyWait once names are resolved. */
export function finishLoops(sites: readonly LoopSite[], calls: readonly LoopCall[], text: string): void {
  const loops = sites.map((s) => s.loop);
  for (const { call, loop } of calls) {
    const pure = isPure(call);
    const clock = isClock(call);
    const site = sites[loop];
    const cond = conditionOf(site.node);
    if (clock && cond && call.span.start >= cond.pos && call.span.end <= cond.end) site.clockInCondition = true;
    // `for (const x of make())` / `for (let i = 0, n = count(); …)`: evaluated once, before the first pass
    const once = evaluatedOnce(site.node);
    const first = once && call.span.start >= once.pos && call.span.end <= once.end ? site.loop.parent : loop;
    for (let id: number | undefined = first; id !== undefined; id = loops[id].parent) {
      const s = sites[id];
      if (!pure) s.impureCall = true;
      if (!clock) s.nonClockCall = true;
    }
  }
  for (const site of sites) {
    const loop = site.loop;
    loop.bound = site.iterated ? iterationBound(site.iterated, site.lex, text) : boundOf(site, text);
    addDerivedLocals(site);
    loop.computeOnly = !site.impureCall && !site.hasFunction && !loop.yields;
    loop.busyWait = site.clockInCondition && !site.nonClockCall && !site.hasFunction && !loop.yields;
    if (loop.busyWait) loop.bound = { kind: 'unbounded' };
  }
}

/**
 * `for (const path of paths) { const parts = path.split('/'); for (const p of parts) … }` walks one
 * structure once, like `u.roles`: locals the body declares from the loop's variables count as its
 * variables. Only the body's own statements, in order, so a later local can derive from an earlier one.
 */
function addDerivedLocals(site: LoopSite): void {
  const vars = site.loop.variables;
  if (vars.length === 0) return;
  let body: ts.Node | undefined;
  if (site.iterated) {
    const call = site.node as ts.CallExpression;
    const fn = call.arguments.map((a) => skipOuter(a)).find((a) => a.kind === SK.ArrowFunction || a.kind === SK.FunctionExpression);
    body = fn && (fn as ts.ArrowFunction).body;
  } else body = (site.node as ts.IterationStatement).statement;
  if (!body || body.kind !== SK.Block) return;
  for (const st of (body as ts.Block).statements) {
    if (st.kind !== SK.VariableStatement) continue;
    for (const d of (st as ts.VariableStatement).declarationList.declarations) {
      if (d.initializer && vars.some((v) => mentions(d.initializer as ts.Expression, v))) {
        for (const n of patternNames(d.name, [])) if (!vars.includes(n)) vars.push(n);
      }
    }
  }
}

function evaluatedOnce(node: ts.Node): ts.Node | undefined {
  switch (node.kind) {
    case SK.ForStatement:
      return (node as ts.ForStatement).initializer;
    case SK.ForOfStatement:
    case SK.ForInStatement:
      return (node as ts.ForOfStatement).expression;
    default:
      return undefined;
  }
}

function conditionOf(node: ts.Node): ts.Expression | undefined {
  switch (node.kind) {
    case SK.ForStatement:
      return (node as ts.ForStatement).condition;
    case SK.WhileStatement:
    case SK.DoStatement:
      return (node as ts.WhileStatement).expression;
    default:
      return undefined;
  }
}

// ---- constants ----------------------------------------------------------------------------------

const MAX_FOLD_DEPTH = 20;

/** The value of a constant expression: literals, `1e6`, `1_000_000`, `10 ** 6`, `2 * N` with `const N = …`. */
export function constantValue(expr: ts.Expression, lex: LexScope, depth = 0): number | undefined {
  if (depth > MAX_FOLD_DEPTH) return undefined;
  const e = skipOuter(expr);
  switch (e.kind) {
    case SK.NumericLiteral:
      return Number((e as ts.NumericLiteral).text.replace(/_/g, ''));
    case SK.BigIntLiteral:
      return Number((e as ts.BigIntLiteral).text.replace(/_|n$/g, ''));
    case SK.PrefixUnaryExpression: {
      const p = e as ts.PrefixUnaryExpression;
      const v = constantValue(p.operand, lex, depth + 1);
      if (v === undefined) return undefined;
      return p.operator === SK.MinusToken ? -v : p.operator === SK.PlusToken ? v : undefined;
    }
    case SK.BinaryExpression: {
      const b = e as ts.BinaryExpression;
      const l = constantValue(b.left, lex, depth + 1);
      if (l === undefined) return undefined;
      const r = constantValue(b.right, lex, depth + 1);
      if (r === undefined) return undefined;
      switch (b.operatorToken.kind) {
        case SK.PlusToken: return l + r;
        case SK.MinusToken: return l - r;
        case SK.AsteriskToken: return l * r;
        case SK.SlashToken: return r === 0 ? undefined : l / r;
        case SK.AsteriskAsteriskToken: return l ** r;
        case SK.LessThanLessThanToken: return l * 2 ** r;
        default: return undefined;
      }
    }
    case SK.Identifier: {
      const b = lookup(lex, (e as ts.Identifier).text);
      if (!b || !b.constant || !b.init || !b.initScope || (b.initPath?.length ?? 0) > 0) return undefined;
      return constantValue(b.init, b.initScope, depth + 1);
    }
    default:
      return undefined;
  }
}

// ---- bounds -------------------------------------------------------------------------------------

/** The node's source text without the comments and whitespace before it. */
function textOf(node: ts.Node, text: string): string {
  let i = node.pos;
  for (;;) {
    while (i < node.end && /\s/.test(text[i])) i++;
    if (text.startsWith('//', i)) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 || nl > node.end ? node.end : nl;
    } else if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 || close + 2 > node.end ? node.end : close + 2;
    } else break;
  }
  return text.slice(i, node.end);
}

/** `xs.length` / `set.size` / `xs.length - 1` → `xs`: the count is one per element. */
function collectionOf(expr: ts.Expression, text: string): string | undefined {
  let e = skipOuter(expr);
  if (e.kind === SK.BinaryExpression) {
    const b = e as ts.BinaryExpression;
    const op = b.operatorToken.kind;
    if ((op === SK.MinusToken || op === SK.PlusToken) && skipOuter(b.right).kind === SK.NumericLiteral) e = skipOuter(b.left);
  }
  if (e.kind !== SK.PropertyAccessExpression) return undefined;
  const pa = e as ts.PropertyAccessExpression;
  const n = pa.name.text;
  return n === 'length' || n === 'size' || n === 'byteLength' ? textOf(pa.expression, text) : undefined;
}

/** How far one pass moves the counter: `i++` → 1, `i -= 2` → -2, `i *= 2` → 'geometric'. */
type Step = number | 'geometric' | 'unknown';

function stepOf(update: ts.Expression, name: string, lex: LexScope): Step | undefined {
  const e = skipOuter(update);
  if (e.kind === SK.PostfixUnaryExpression || e.kind === SK.PrefixUnaryExpression) {
    const u = e as ts.PostfixUnaryExpression;
    if (!isName(u.operand, name)) return undefined;
    if (u.operator === SK.PlusPlusToken) return 1;
    if (u.operator === SK.MinusMinusToken) return -1;
    return undefined;
  }
  if (e.kind !== SK.BinaryExpression) return undefined;
  const b = e as ts.BinaryExpression;
  const op = b.operatorToken.kind;
  if (op === SK.CommaToken) return stepOf(b.left, name, lex) ?? stepOf(b.right, name, lex);
  if (!isName(b.left, name)) return undefined;
  const k = constantValue(b.right, lex);
  switch (op) {
    case SK.PlusEqualsToken: return k === undefined ? 'unknown' : k;
    case SK.MinusEqualsToken: return k === undefined ? 'unknown' : -k;
    case SK.AsteriskEqualsToken:
    case SK.SlashEqualsToken:
    case SK.LessThanLessThanEqualsToken:
    case SK.GreaterThanGreaterThanEqualsToken:
    case SK.GreaterThanGreaterThanGreaterThanEqualsToken:
      return 'geometric';
    case SK.EqualsToken: {
      // i = i + k / i = i * 2
      const r = skipOuter(b.right);
      if (r.kind !== SK.BinaryExpression) return 'unknown';
      const rb = r as ts.BinaryExpression;
      if (!isName(rb.left, name)) return 'unknown';
      const rk = constantValue(rb.right, lex);
      switch (rb.operatorToken.kind) {
        case SK.PlusToken: return rk === undefined ? 'unknown' : rk;
        case SK.MinusToken: return rk === undefined ? 'unknown' : -rk;
        case SK.AsteriskToken:
        case SK.SlashToken:
        case SK.GreaterThanGreaterThanToken:
        case SK.LessThanLessThanToken:
          return 'geometric';
        default: return 'unknown';
      }
    }
    default:
      return undefined;
  }
}

function isName(expr: ts.Expression, name: string): boolean {
  const e = skipOuter(expr);
  return e.kind === SK.Identifier && (e as ts.Identifier).text === name;
}

function mentions(expr: ts.Node, name: string, depth = 0): boolean {
  if (depth > MAX_FOLD_DEPTH) return false;
  if (expr.kind === SK.Identifier) return (expr as ts.Identifier).text === name;
  return ts.forEachChild(expr, (c) => (mentions(c, name, depth + 1) ? true : undefined)) === true;
}

const RELATIONAL = new Set<ts.SyntaxKind>([
  SK.LessThanToken, SK.LessThanEqualsToken, SK.GreaterThanToken, SK.GreaterThanEqualsToken,
  SK.ExclamationEqualsEqualsToken, SK.ExclamationEqualsToken,
]);
const FLIP: Partial<Record<ts.SyntaxKind, ts.SyntaxKind>> = {
  [SK.LessThanToken]: SK.GreaterThanToken,
  [SK.LessThanEqualsToken]: SK.GreaterThanEqualsToken,
  [SK.GreaterThanToken]: SK.LessThanToken,
  [SK.GreaterThanEqualsToken]: SK.LessThanEqualsToken,
};

/** The comparisons of a condition joined by `&&`: each can end the loop. */
function comparisons(cond: ts.Expression, out: ts.BinaryExpression[], depth = 0): ts.BinaryExpression[] {
  const e = skipOuter(cond);
  if (e.kind !== SK.BinaryExpression || depth > MAX_FOLD_DEPTH) return out;
  const b = e as ts.BinaryExpression;
  const op = b.operatorToken.kind;
  if (op === SK.AmpersandAmpersandToken) {
    comparisons(b.left, out, depth + 1);
    comparisons(b.right, out, depth + 1);
  } else if (RELATIONAL.has(op)) out.push(b);
  return out;
}

interface Counter {
  name: string;
  /** the counter's start value expression, when known */
  start: ts.Expression | undefined;
  step: Step;
}

/**
 * The bound of a counted loop: `counter OP limit` in the condition, the counter's start and step.
 * Undefined when no comparison involves a counter.
 */
function countedBound(cond: ts.Expression, counters: readonly Counter[], lex: LexScope, text: string): LoopBound | undefined {
  for (const cmp of comparisons(cond, [])) {
    for (const c of counters) {
      let op: ts.SyntaxKind = cmp.operatorToken.kind;
      let counterSide = cmp.left;
      let limit = cmp.right;
      if (!mentions(counterSide, c.name)) {
        if (!mentions(limit, c.name)) continue;
        [counterSide, limit] = [limit, counterSide];
        op = FLIP[op] ?? op;
      }
      if (mentions(limit, c.name)) continue;
      const limitValue = constantValue(limit, lex);
      if (!isName(counterSide, c.name)) {
        // `i * i <= n`: counted, but the count is not the limit
        if (limitValue !== undefined) return { kind: 'unknown' };
        const coll = collectionOf(limit, text);
        return coll !== undefined ? { kind: 'collection', expression: coll } : { kind: 'numeric', expression: textOf(limit, text) };
      }
      if (c.step === 'geometric') return { kind: 'unknown' };
      if (limitValue === undefined) {
        const coll = collectionOf(limit, text);
        return coll !== undefined ? { kind: 'collection', expression: coll } : { kind: 'numeric', expression: textOf(limit, text) };
      }
      // a constant limit: the count comes from where the counter starts, by steps we must know
      if (c.step === 'unknown') return { kind: 'unknown' };
      // `while (n > 0) n--` with `n` a parameter: as many passes as the counter's run-time value
      if (!c.start) return { kind: 'numeric', expression: c.name };
      const startValue = constantValue(c.start, lex);
      if (startValue === undefined) {
        const coll = collectionOf(c.start, text);
        return coll !== undefined ? { kind: 'collection', expression: coll } : { kind: 'numeric', expression: textOf(c.start, text) };
      }
      if (c.step === 0 || startValue === undefined) return { kind: 'unknown' };
      const step = c.step;
      const ascending = op === SK.LessThanToken || op === SK.LessThanEqualsToken || ((op === SK.ExclamationEqualsEqualsToken || op === SK.ExclamationEqualsToken) && step > 0);
      const descending = op === SK.GreaterThanToken || op === SK.GreaterThanEqualsToken || ((op === SK.ExclamationEqualsEqualsToken || op === SK.ExclamationEqualsToken) && step < 0);
      const inclusive = op === SK.LessThanEqualsToken || op === SK.GreaterThanEqualsToken ? 1 : 0;
      let count: number;
      if (ascending && step > 0) count = Math.ceil((limitValue - startValue + inclusive) / step);
      else if (descending && step < 0) count = Math.ceil((startValue - limitValue + inclusive) / -step);
      else return { kind: 'unknown' }; // runs away from its limit: not a count we can state
      return { kind: 'literal', count: Math.max(0, count) };
    }
  }
  return undefined;
}

/** Names a `for` initialiser binds or assigns, with their start values. */
function initialised(init: ts.ForInitializer | undefined, out: Map<string, ts.Expression | undefined>): void {
  if (!init) return;
  if (init.kind === SK.VariableDeclarationList) {
    for (const d of (init as ts.VariableDeclarationList).declarations) {
      if (d.name.kind === SK.Identifier) out.set(d.name.text, d.initializer);
      else for (const n of patternNames(d.name, [])) out.set(n, undefined);
    }
    return;
  }
  const e = skipOuter(init as ts.Expression);
  if (e.kind !== SK.BinaryExpression) return;
  const b = e as ts.BinaryExpression;
  if (b.operatorToken.kind === SK.CommaToken) {
    initialised(b.left, out);
    initialised(b.right, out);
  } else if (b.operatorToken.kind === SK.EqualsToken && skipOuter(b.left).kind === SK.Identifier) {
    out.set((skipOuter(b.left) as ts.Identifier).text, b.right);
  }
}

export function patternNames(name: ts.BindingName, out: string[]): string[] {
  if (name.kind === SK.Identifier) out.push(name.text);
  else for (const el of name.elements) if (el.kind === SK.BindingElement) patternNames(el.name, out);
  return out;
}

/** Names of the variables a `for` header binds (`let i = 0, j`, `const [k, v] of …`, `i = 0`). */
export function headerVariables(node: ts.Node): string[] {
  if (node.kind === SK.ForStatement) {
    const m = new Map<string, ts.Expression | undefined>();
    initialised((node as ts.ForStatement).initializer, m);
    return [...m.keys()];
  }
  const init = (node as ts.ForOfStatement).initializer;
  if (init.kind === SK.VariableDeclarationList) {
    const out: string[] = [];
    for (const d of (init as ts.VariableDeclarationList).declarations) patternNames(d.name, out);
    return out;
  }
  const e = skipOuter(init as ts.Expression);
  return e.kind === SK.Identifier ? [(e as ts.Identifier).text] : [];
}

/** Counters updated in a loop body (`i++`, `i += 2`), not counting nested functions. */
function bodyUpdates(node: ts.Node, lex: LexScope, out: Map<string, Step>, depth = 0): void {
  if (depth > 200) return;
  switch (node.kind) {
    case SK.FunctionDeclaration:
    case SK.FunctionExpression:
    case SK.ArrowFunction:
    case SK.ClassDeclaration:
    case SK.ClassExpression:
      return;
    case SK.PostfixUnaryExpression:
    case SK.PrefixUnaryExpression: {
      const operand = skipOuter((node as ts.PostfixUnaryExpression).operand);
      if (operand.kind === SK.Identifier) {
        const name = (operand as ts.Identifier).text;
        const s = stepOf(node as ts.Expression, name, lex);
        if (s !== undefined && !out.has(name)) out.set(name, s);
      }
      break;
    }
    case SK.BinaryExpression: {
      const left = skipOuter((node as ts.BinaryExpression).left);
      if (left.kind === SK.Identifier) {
        const name = (left as ts.Identifier).text;
        const s = stepOf(node as ts.Expression, name, lex);
        if (s !== undefined && !out.has(name)) out.set(name, s);
      }
      break;
    }
  }
  ts.forEachChild(node, (c) => bodyUpdates(c, lex, out, depth + 1));
}

/** `Array.from({ length: n })`, `Array(n).keys()`, `[...Array(n).keys()]`: n items. */
function arrayOfLength(expr: ts.Expression): ts.Expression | undefined {
  let e = skipOuter(expr);
  if (e.kind === SK.ArrayLiteralExpression) {
    const els = (e as ts.ArrayLiteralExpression).elements;
    if (els.length !== 1 || els[0].kind !== SK.SpreadElement) return undefined;
    e = skipOuter((els[0] as ts.SpreadElement).expression);
  }
  if (e.kind !== SK.CallExpression && e.kind !== SK.NewExpression) return undefined;
  const call = e as ts.CallExpression;
  const callee = skipOuter(call.expression);
  const args = call.arguments ?? [];
  if (callee.kind === SK.PropertyAccessExpression) {
    const pa = callee as ts.PropertyAccessExpression;
    const recv = skipOuter(pa.expression);
    if (pa.name.text === 'from' && recv.kind === SK.Identifier && (recv as ts.Identifier).text === 'Array' && args[0]) {
      const obj = skipOuter(args[0]);
      if (obj.kind !== SK.ObjectLiteralExpression) return undefined;
      for (const p of (obj as ts.ObjectLiteralExpression).properties) {
        if (p.kind === SK.PropertyAssignment && p.name.kind === SK.Identifier && p.name.text === 'length') return p.initializer;
      }
      return undefined;
    }
    if ((pa.name.text === 'keys' || pa.name.text === 'fill') && args.length <= 1) return arrayOfLength(recv);
    return undefined;
  }
  if (callee.kind === SK.Identifier && (callee as ts.Identifier).text === 'Array' && args.length === 1) return args[0];
  return undefined;
}

/** The bound of an iteration over `expr` (`for … of expr`, `expr.forEach`). */
export function iterationBound(expr: ts.Expression, lex: LexScope, text: string): LoopBound {
  const e = skipOuter(expr);
  if (e.kind === SK.ArrayLiteralExpression) {
    const els = (e as ts.ArrayLiteralExpression).elements;
    if (!els.some((x) => x.kind === SK.SpreadElement)) return { kind: 'known-items', count: els.length };
  }
  if (e.kind === SK.Identifier) {
    // `const PATTERNS = ['a', 'b']` … `PATTERNS.some(…)`: a fixed list, as if written in place
    const b = lookup(lex, (e as ts.Identifier).text);
    const init = b?.constant && (b.initPath?.length ?? 0) === 0 && b.init ? skipOuter(b.init) : undefined;
    if (init?.kind === SK.ArrayLiteralExpression) {
      const els = (init as ts.ArrayLiteralExpression).elements;
      if (els.length > 0 && !els.some((x) => x.kind === SK.SpreadElement)) return { kind: 'known-items', count: els.length };
    }
  }
  if (e.kind === SK.StringLiteral || e.kind === SK.NoSubstitutionTemplateLiteral) {
    return { kind: 'known-items', count: (e as ts.StringLiteral).text.length };
  }
  // `Array.from({ length: n }, fn)`
  if (e.kind === SK.ObjectLiteralExpression) {
    for (const p of (e as ts.ObjectLiteralExpression).properties) {
      if (p.kind === SK.PropertyAssignment && p.name.kind === SK.Identifier && p.name.text === 'length') {
        const v = constantValue(p.initializer, lex);
        return v !== undefined ? { kind: 'literal', count: Math.max(0, Math.floor(v)) } : { kind: 'numeric', expression: textOf(p.initializer, text) };
      }
    }
  }
  const n = arrayOfLength(e);
  if (n) {
    const v = constantValue(n, lex);
    return v !== undefined ? { kind: 'literal', count: Math.max(0, Math.floor(v)) } : { kind: 'numeric', expression: textOf(n, text) };
  }
  return { kind: 'collection', expression: textOf(e, text) };
}

function isConstantTrue(expr: ts.Expression, lex: LexScope): boolean {
  const e = skipOuter(expr);
  if (e.kind === SK.TrueKeyword) return true;
  const v = constantValue(e, lex);
  return v !== undefined && v !== 0;
}

function boundOf(site: LoopSite, text: string): LoopBound {
  const { node, lex } = site;
  switch (node.kind) {
    case SK.ForOfStatement:
    case SK.ForInStatement:
      if (node.kind === SK.ForInStatement) return { kind: 'collection', expression: textOf((node as ts.ForInStatement).expression, text) };
      return iterationBound((node as ts.ForOfStatement).expression, lex, text);
    case SK.ForStatement: {
      const f = node as ts.ForStatement;
      if (!f.condition || isConstantTrue(f.condition, lex)) return { kind: 'unbounded' };
      const starts = new Map<string, ts.Expression | undefined>();
      initialised(f.initializer, starts);
      const counters: Counter[] = [];
      const steps = new Map<string, Step>();
      if (f.incrementor) {
        for (const name of namesUpdated(f.incrementor)) {
          const s = stepOf(f.incrementor, name, lex);
          if (s !== undefined) steps.set(name, s);
        }
      }
      if (steps.size === 0) bodyUpdates(f.statement, lex, steps);
      for (const [name, step] of steps) counters.push({ name, start: starts.has(name) ? starts.get(name) : startFromBinding(name, lex), step });
      return countedBound(f.condition, counters, lex, text) ?? { kind: 'unbounded' };
    }
    case SK.WhileStatement:
    case SK.DoStatement: {
      const w = node as ts.WhileStatement;
      if (isConstantTrue(w.expression, lex)) return { kind: 'unbounded' };
      const steps = new Map<string, Step>();
      bodyUpdates(w.statement, lex, steps);
      const counters: Counter[] = [];
      for (const [name, step] of steps) counters.push({ name, start: startFromBinding(name, lex), step });
      return countedBound(w.expression, counters, lex, text) ?? { kind: 'unbounded' };
    }
    default:
      return { kind: 'unknown' };
  }
}

/** `let i = 0; while (i < n) …`: the counter's declared start, when it is declared with one. */
function startFromBinding(name: string, lex: LexScope): ts.Expression | undefined {
  const b = lookup(lex, name);
  return b && b.init && (b.initPath?.length ?? 0) === 0 ? b.init : undefined;
}

function namesUpdated(expr: ts.Expression, out: string[] = [], depth = 0): string[] {
  const e = skipOuter(expr);
  if (depth > MAX_FOLD_DEPTH) return out;
  if (e.kind === SK.PostfixUnaryExpression || e.kind === SK.PrefixUnaryExpression) {
    const o = skipOuter((e as ts.PostfixUnaryExpression).operand);
    if (o.kind === SK.Identifier) out.push((o as ts.Identifier).text);
  } else if (e.kind === SK.BinaryExpression) {
    const b = e as ts.BinaryExpression;
    if (b.operatorToken.kind === SK.CommaToken) {
      namesUpdated(b.left, out, depth + 1);
      namesUpdated(b.right, out, depth + 1);
    } else if (skipOuter(b.left).kind === SK.Identifier) out.push((skipOuter(b.left) as ts.Identifier).text);
  }
  return out;
}
