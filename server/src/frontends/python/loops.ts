// The loops of one Python file for the model: `for`/`while` statements and the `for` clauses of
// comprehensions and generator expressions, with how often they run (LoopBound), whether they give
// control back (await/yield/async for), spin on the clock, or only compute.
//
// Everything here is read from positions the one tree walk already gave us (collect.ts) and from the
// text; calls are the named CallRecs of build.ts. No extra walk over the tree: on the CPython
// standard library this adds a few percent to the analysis, not a second pass.

import type { Loop, LoopBound } from '../../engine/model';
import { targetNames, type Comprehension, type RawLoop } from './collect';
import type { CallRec } from './resolve';
import { closingBracket, headerColon, identEnd, keywordAt, skipSpaceBack, skipTrivia, splitItems, stepToken } from './scan';
import type { ScopeTable } from './scopes';

/** Calls a numeric kernel may make: pure arithmetic helpers (and the `range` of an inner loop). */
const PURE_BUILTINS = new Set([
  'builtins.abs', 'builtins.min', 'builtins.max', 'builtins.int', 'builtins.float', 'builtins.len', 'builtins.round',
  'builtins.pow', 'builtins.divmod', 'builtins.bool', 'builtins.complex', 'builtins.range', 'builtins.sum',
  'builtins.ord', 'builtins.chr', 'builtins.hash',
]);
const PURE_MODULES = ['math.', 'cmath.', 'operator.'];

const CLOCKS = new Set([
  'time.time', 'time.monotonic', 'time.perf_counter', 'time.time_ns', 'time.monotonic_ns', 'time.perf_counter_ns',
  'time.process_time', 'datetime.datetime.now', 'datetime.datetime.utcnow', 'asyncio.AbstractEventLoop.time',
]);

/** Iterables that are one collection (or several walked in step) under another name. */
const COLLECTION_WRAPPERS = new Set([
  'builtins.enumerate', 'builtins.zip', 'builtins.reversed', 'builtins.sorted', 'builtins.list', 'builtins.tuple',
  'builtins.set', 'builtins.frozenset', 'builtins.dict', 'builtins.filter', 'builtins.map', 'builtins.iter',
  'itertools.product', 'itertools.permutations', 'itertools.combinations', 'itertools.chain', 'itertools.islice',
  'itertools.zip_longest', 'itertools.pairwise', 'itertools.accumulate',
]);
const ENDLESS = new Set(['itertools.count', 'itertools.cycle']);

export interface LoopInputs {
  text: string;
  table: ScopeTable;
  /** named calls, sorted by start */
  calls: readonly CallRec[];
  callAt(start: number): CallRec | undefined;
  rawLoops: readonly RawLoop[];
  comprehensions: readonly Comprehension[];
  /** where the operand of each await starts, and each yield; both ascending */
  awaits: readonly number[];
  yields: readonly number[];
  /** module-level UPPER_CASE constants with a constant value (buildLoops computes them on first use) */
  readonly constants?: ReadonlyMap<string, number>;
}

/**
 * `LIMIT = 1_000` / `SIZE: int = 2 ** 10` at column 0, assigned exactly once at module level: a constant by
 * convention, so `range(LIMIT * 2)` has a known count. Lower-case names are left alone (a parameter or
 * local of the same name could shadow them).
 */
export function moduleConstants(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const seen = new Map<string, number>();
  const re = /^([A-Z][A-Z0-9_]*)\s*(?::[^=\n]*)?(=|\+=|-=|\*=)\s*([^\n#]*)/gm;
  const assignments: Array<[string, string, string]> = [];
  for (let m = re.exec(text); m; m = re.exec(text)) {
    seen.set(m[1], (seen.get(m[1]) ?? 0) + 1);
    assignments.push([m[1], m[2], m[3]]);
  }
  for (const [name, op, rhs] of assignments) {
    if (op !== '=' || seen.get(name) !== 1) continue;
    const v = constValue(withConstants(rhs.trim(), out));
    if (v !== undefined) out.set(name, v);
  }
  return out;
}

function withConstants(src: string, from: Pick<LoopInputs, 'constants'> | ReadonlyMap<string, number>): string {
  if (!/\b[A-Z][A-Z0-9_]*\b/.test(src)) return src;
  const constants = from instanceof Map ? from : (from as Pick<LoopInputs, 'constants'>).constants;
  if (!constants || constants.size === 0) return src;
  return src.replace(/\b[A-Z][A-Z0-9_]*\b/g, (name) => (constants.has(name) ? `(${constants.get(name)})` : name));
}

interface Pending {
  loop: Loop;
  /** a later clause of a comprehension: its first clause, whose span also holds the element expression */
  head?: Pending;
  /** where the loop's own code starts and ends that is not its header iterable */
  bodyStart: number;
  /** for comprehension clauses: the iterable spans of this and later clauses (not body) */
  exclude: Array<[number, number]>;
  condition: [number, number] | undefined;
}

export function buildLoops(inputs: LoopInputs): Loop[] {
  let constants: ReadonlyMap<string, number> | undefined;
  // most files never need them: only a bound that names an UPPER_CASE constant reads the module's
  const inp: LoopInputs = {
    ...inputs,
    get constants() {
      return (constants ??= moduleConstants(inputs.text));
    },
  };
  const { text, table } = inp;
  const pending: Pending[] = [];
  for (const raw of inp.rawLoops) {
    const p = raw.kind === 'for' ? forLoop(inp, raw) : whileLoop(inp, raw);
    if (p) pending.push(p);
  }
  for (const comp of inp.comprehensions) {
    let head: Pending | undefined;
    const exclude: Array<[number, number]> = comp.clauses.map((c) => [c.start, c.iterEnd]);
    comp.clauses.forEach((c, k) => {
      const span = k === 0 ? { start: comp.start, end: comp.end } : { start: c.start, end: comp.end };
      const p: Pending = {
        head,
        loop: {
          id: -1,
          kind: 'comprehension',
          span,
          headSpan: { start: c.start, end: c.iterEnd },
          scope: table.evaluatingAt(comp.start).id,
          parent: undefined,
          bound: iterableBound(inp, c.iterStart, c.iterEnd),
          yields: false,
          busyWait: false,
          variables: names(text, c.targetStart, c.targetEnd),
          computeOnly: false,
        },
        bodyStart: span.start,
        exclude: k === 0 ? exclude : exclude.slice(k),
        condition: undefined,
      };
      if (c.isAsync) p.loop.yields = true;
      head ??= p;
      pending.push(p);
    });
  }
  pending.sort((a, b) => a.loop.span.start - b.loop.span.start || b.loop.span.end - a.loop.span.end);

  const loops: Loop[] = new Array<Loop>(pending.length);
  const stack: Loop[] = [];
  for (let i = 0; i < pending.length; i++) {
    const p = pending[i];
    const loop = p.loop;
    loop.id = i;
    while (stack.length > 0 && stack[stack.length - 1].span.end <= loop.span.start) stack.pop();
    for (let k = stack.length - 1; k >= 0; k--) {
      if (stack[k].scope === loop.scope) {
        loop.parent = stack[k].id;
        break;
      }
    }
    stack.push(loop);
    loops[i] = loop;
    describeBody(inp, p);
  }
  for (const p of pending) if (p.head && !p.head.loop.computeOnly) p.loop.computeOnly = false;
  // an `async for` yields on every pass, and so does every loop around it in the same scope
  for (const loop of loops) {
    if (!loop.yields) continue;
    for (let q = loop.parent; q !== undefined; q = loops[q].parent) loops[q].yields = true;
  }
  return loops;
}

function forLoop(inp: LoopInputs, raw: RawLoop): Pending | undefined {
  const { text, table } = inp;
  const forAt = raw.isAsync ? skipTrivia(text, raw.start + 5, raw.end) : raw.start;
  const targetStart = skipTrivia(text, forAt + 3, raw.end);
  const inKw = findIn(text, targetStart, raw.end);
  if (inKw < 0) return undefined;
  const colon = headerColon(text, inKw + 2, raw.end);
  if (colon < 0) return undefined;
  const iterStart = skipTrivia(text, inKw + 2, colon);
  const iterEnd = skipSpaceBack(text, colon, iterStart);
  return {
    loop: {
      id: -1,
      kind: 'for',
      span: { start: raw.start, end: raw.end },
      headSpan: { start: raw.start, end: colon + 1 },
      scope: table.evaluatingAt(raw.start).id,
      parent: undefined,
      bound: iterableBound(inp, iterStart, iterEnd),
      yields: raw.isAsync,
      busyWait: false,
      variables: names(text, targetStart, skipSpaceBack(text, inKw, targetStart)),
      computeOnly: false,
    },
    bodyStart: colon + 1,
    exclude: [],
    condition: undefined,
  };
}

function whileLoop(inp: LoopInputs, raw: RawLoop): Pending | undefined {
  const { text, table } = inp;
  const condStart = skipTrivia(text, raw.start + 5, raw.end);
  const colon = headerColon(text, condStart, raw.end);
  if (colon < 0) return undefined;
  const condEnd = skipSpaceBack(text, colon, condStart);
  const loop: Loop = {
    id: -1,
    kind: 'while',
    span: { start: raw.start, end: raw.end },
    headSpan: { start: raw.start, end: colon + 1 },
    scope: table.evaluatingAt(raw.start).id,
    parent: undefined,
    bound: { kind: 'unbounded' },
    yields: false,
    busyWait: false,
    variables: [],
    computeOnly: false,
  };
  // without a counter (`while True`, `while node:`, `while not done:`) nothing says when it stops
  const counted = whileBound(inp, condStart, condEnd, colon + 1, raw.end);
  if (counted) {
    loop.bound = counted.bound;
    loop.variables = [counted.counter];
  }
  return { loop, bodyStart: colon + 1, exclude: [], condition: [condStart, condEnd] };
}

/** yields, busyWait and computeOnly from the calls, awaits, yields and nested scopes inside the loop. */
function describeBody(inp: LoopInputs, p: Pending): void {
  const { text, table, calls } = inp;
  const loop = p.loop;
  const { start, end } = loop.span;
  const inExcluded = (at: number) => p.exclude.some(([a, b]) => a <= at && at < b);
  const sameScope = (at: number) => table.evaluatingAt(at).id === loop.scope;

  let yields = loop.yields;
  for (let k = firstAtOrAfter(inp.awaits, start); !yields && k < inp.awaits.length && inp.awaits[k] < end; k++) yields = sameScope(inp.awaits[k]);
  for (let k = firstAtOrAfter(inp.yields, start); !yields && k < inp.yields.length && inp.yields[k] < end; k++) yields = sameScope(inp.yields[k]);
  // `async with` awaits on entry and exit; the walk does not visit with-statements, the text says it
  const asyncAt = yields || loop.kind === 'comprehension' ? -1 : text.indexOf('async', p.bodyStart);
  if (asyncAt >= 0 && asyncAt < end) {
    const re = /\basync\s+with\b/g;
    re.lastIndex = p.bodyStart;
    const m = re.exec(text);
    yields = m !== null && m.index < end && sameScope(m.index);
  }
  loop.yields = yields;

  // a nested def, lambda or class makes it more than a kernel
  const scopes = table.scopes;
  let lo = loop.scope + 1;
  let hi = scopes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (scopes[mid].start < start) lo = mid + 1;
    else hi = mid;
  }
  const nestedScope = lo < scopes.length && scopes[lo].start < end;

  let pure = !yields && !nestedScope;
  let clockInCondition = false;
  let otherCallInBody = false;
  for (let k = firstCallAtOrAfter(calls, start); k < calls.length && calls[k].start < end; k++) {
    const c = calls[k];
    if (c.scope !== loop.scope) continue;
    const inCondition = p.condition !== undefined && c.start >= p.condition[0] && c.end <= p.condition[1];
    if (c.start < p.bodyStart && !inCondition) {
      if (loop.kind !== 'comprehension') continue; // the header's own iterable
    }
    if (inExcluded(c.start)) continue;
    const clock = isClock(c);
    if (inCondition) {
      if (clock) clockInCondition = true;
    } else if (!clock) otherCallInBody = true;
    if (pure && !isPure(c)) pure = false;
  }
  loop.computeOnly = pure;
  if (loop.kind === 'while' && clockInCondition && !otherCallInBody && !yields) {
    loop.busyWait = true;
    loop.bound = { kind: 'unbounded' };
  }
}

function isPure(c: CallRec): boolean {
  const n = c.name;
  if (n === undefined) return false;
  return PURE_BUILTINS.has(n) || PURE_MODULES.some((m) => n.startsWith(m));
}

function isClock(c: CallRec): boolean {
  if (c.name !== undefined) return CLOCKS.has(c.name);
  // `loop.time()` on an event loop we cannot type (a parameter)
  return c.method === 'time' && c.receiver !== undefined && /loop$/i.test(c.receiver);
}

function firstAtOrAfter(list: readonly number[], at: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function firstCallAtOrAfter(calls: readonly CallRec[], at: number): number {
  let lo = 0;
  let hi = calls.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (calls[mid].start < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The `in` of `for <targets> in`, outside brackets. */
function findIn(text: string, i: number, end: number): number {
  let depth = 0;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    else if (depth === 0 && c === 105 /* i */ && keywordAt(text, i, 'in') && !isWord(text.charCodeAt(i - 1))) return i;
    i = stepToken(text, i, end);
  }
  return -1;
}

function isWord(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (c >= 48 && c <= 57) || c >= 128;
}

/** The bare names of a target list (`i`, `k, v`, `(a, (b, c))`, `*rest`), as the binding collector reads them. */
function names(text: string, start: number, end: number): string[] {
  return targetNames(text, start, end).map((at) => text.slice(at, identEnd(text, at)));
}

/** How many times `for … in <text[start, end)>` runs. */
export function iterableBound(inp: LoopInputs, start: number, end: number): LoopBound {
  const { text } = inp;
  const expression = text.slice(start, end);
  const c = text.charCodeAt(start);
  // a literal list, tuple or set of items: `[a, b]`, `(1, 2)`, or a bare `a, b`
  if (c === 40 || c === 91 || c === 123) {
    const close = closingBracket(text, start, end);
    if (close === end - 1) {
      const inside = text.slice(start + 1, close);
      if (!/\bfor\b/.test(inside)) {
        const items = splitItems(text, start + 1, close);
        if (c !== 40 || items.length !== 1 || /,\s*$/.test(inside)) return { kind: 'known-items', count: items.length };
        return iterableBound(inp, skipTrivia(text, start + 1, close), skipSpaceBack(text, close, start + 1));
      }
    }
  }
  if (c === 34 || c === 39 || /^[rbuRBU]{0,2}["']/.test(expression)) {
    if (stepToken(text, start, end) === end) return { kind: 'known-items', count: Math.max(0, end - start - 2) };
  }
  const top = splitItems(text, start, end);
  if (top.length > 1) return { kind: 'known-items', count: top.length };

  const call = inp.callAt(start);
  if (call && call.end === end && !call.genexp) {
    const args = splitItems(text, call.argsStart + 1, call.end - 1);
    const name = call.name;
    if (name === 'builtins.range') return rangeBound(inp, args);
    if (name !== undefined && ENDLESS.has(name)) return { kind: 'unbounded' };
    if (name === 'itertools.repeat') return args.length >= 2 ? constOrNumeric(inp, args[1].start, args[1].end) : { kind: 'unbounded' };
    if (name === 'builtins.iter' && args.length === 2) return { kind: 'unbounded' };
    if ((name === 'builtins.enumerate' || name === 'builtins.reversed') && args.length >= 1) {
      // `enumerate(range(n))` runs like `range(n)`
      const inner = iterableBound(inp, args[0].start, args[0].end);
      if (inner.kind === 'literal' || inner.kind === 'numeric' || inner.kind === 'known-items') return inner;
      return { kind: 'collection', expression };
    }
    if (name !== undefined && COLLECTION_WRAPPERS.has(name)) return { kind: 'collection', expression };
    // a method of a value (`d.items()`, `cursor.fetchall()`, `text.split()`): its elements
    if (call.method !== undefined) return { kind: 'collection', expression };
    return { kind: 'unknown' };
  }
  if (call) return { kind: 'unknown' };
  // a name, attribute or subscript: a value we iterate over
  if (/^[\w.\s[\]'"]+$/u.test(expression) && !/^\d/.test(expression)) return { kind: 'collection', expression };
  return { kind: 'unknown' };
}

function rangeBound(inp: LoopInputs, args: ReturnType<typeof splitItems>): LoopBound {
  const { text } = inp;
  if (args.length === 0 || args.length > 3 || args.some((a) => a.eq >= 0 || text.charCodeAt(a.start) === 42)) return { kind: 'unknown' };
  const vals = args.map((a) => constValue(withConstants(text.slice(a.start, a.end), inp)));
  if (vals.every((v) => v !== undefined)) {
    const [a, b, step] = vals.length === 1 ? [0, vals[0] as number, 1] : [vals[0] as number, vals[1] as number, (vals[2] ?? 1) as number];
    if (step === 0) return { kind: 'unknown' };
    return { kind: 'literal', count: Math.max(0, Math.ceil((b - a) / step)) };
  }
  const all = text.slice(args[0].start, args[args.length - 1].end);
  const len = /\blen\(\s*([^()]*(?:\([^()]*\))?[^()]*)\)/.exec(all);
  if (len) return { kind: 'collection', expression: len[1].trim() };
  // the stop argument (and the start, when it varies: `range(i + 1, n)` is a triangle)
  const stop = args.length === 1 ? args[0] : args[1];
  const expression = args.length === 1 || vals[0] !== undefined ? text.slice(stop.start, stop.end) : text.slice(args[0].start, stop.end);
  return { kind: 'numeric', expression };
}

function constOrNumeric(inp: LoopInputs, start: number, end: number): LoopBound {
  const { text } = inp;
  const v = constValue(withConstants(text.slice(start, end), inp));
  return v === undefined ? { kind: 'numeric', expression: text.slice(start, end) } : { kind: 'literal', count: Math.max(0, Math.floor(v)) };
}

/**
 * `while i < n: …; i += 1` and friends: a comparison of a name the body steps (`+=`, `-=`,
 * `i = i + …`) with a bound. Undefined when the condition has no such counter.
 */
function whileBound(inp: LoopInputs, condStart: number, condEnd: number, bodyStart: number, end: number): { bound: LoopBound; counter: string } | undefined {
  const { text } = inp;
  const cond = text.slice(condStart, condEnd);
  for (let part of cond.split(/\s+and\s+/)) {
    part = part.trim();
    if (part.startsWith('(') && part.endsWith(')') && closingBracket(part, 0, part.length) === part.length - 1) part = part.slice(1, -1).trim();
    const m = /^([^<>=!]+?)\s*(<=|<|>=|>|!=)\s*([^<>=!]+?)$/.exec(part);
    if (!m) continue;
    const [, left, op, right] = m;
    const body = text.slice(bodyStart, end);
    for (const [counter, bound, inclusive] of [
      [left, right, op === '<=' || op === '>='],
      [right, left, op === '<=' || op === '>='],
    ] as Array<[string, string, boolean]>) {
      if (!/^[A-Za-z_]\w*$/.test(counter)) continue;
      const steps = new RegExp(`(^|[^\\w.])${counter}\\s*(\\+=|-=|=\\s*${counter}\\s*[-+])`, 'm').test(body);
      if (!steps) continue;
      const v = constValue(withConstants(bound, inp));
      // `while n > 0: n -= 1` counts down from a run-time value: the constant is where it stops
      const countsDown = (counter === left) === (op === '>' || op === '>=');
      if (v !== undefined && countsDown) return { bound: { kind: 'numeric', expression: counter }, counter };
      if (v !== undefined) return { bound: { kind: 'literal', count: Math.max(0, Math.floor(v) + (inclusive ? 1 : 0)) }, counter };
      const len = /\blen\(\s*(.*)\)$/.exec(bound.trim());
      if (len) return { bound: { kind: 'collection', expression: len[1].trim() }, counter };
      return { bound: { kind: 'numeric', expression: bound.trim() }, counter };
    }
  }
  return undefined;
}

/**
 * The value of a constant integer expression: literals (`1_000_000`, `1e6`, `0x10`), `+ - * // / % **`,
 * unary minus and parentheses. Undefined for anything else (names, calls).
 */
export function constValue(src: string): number | undefined {
  const tokens = src.match(/\d[\d_]*(?:\.\d*)?(?:[eE][+-]?\d+)?|0[xX][0-9a-fA-F_]+|\*\*|\/\/|\S/g);
  if (!tokens || tokens.length > 40) return undefined;
  let i = 0;
  const peek = () => tokens[i];
  const num = (t: string): number | undefined => {
    const clean = t.replace(/_/g, '');
    const v = /^0[xX]/.test(clean) ? parseInt(clean, 16) : Number(clean);
    return Number.isFinite(v) ? v : undefined;
  };
  const atom = (): number | undefined => {
    const t = tokens[i++];
    if (t === undefined) return undefined;
    if (t === '(') {
      const v = sum();
      if (tokens[i++] !== ')') return undefined;
      return v;
    }
    if (t === '-' || t === '+') {
      const v = power();
      return v === undefined ? undefined : t === '-' ? -v : v;
    }
    return /^\d/.test(t) ? num(t) : undefined;
  };
  const power = (): number | undefined => {
    const base = atom();
    if (base === undefined) return undefined;
    if (peek() === '**') {
      i++;
      const exp = power();
      return exp === undefined ? undefined : base ** exp;
    }
    return base;
  };
  const product = (): number | undefined => {
    let v = power();
    while (v !== undefined && (peek() === '*' || peek() === '//' || peek() === '/' || peek() === '%')) {
      const op = tokens[i++];
      const r = power();
      if (r === undefined || (op !== '*' && r === 0)) return undefined;
      v = op === '*' ? v * r : op === '//' ? Math.floor(v / r) : op === '/' ? v / r : v % r;
    }
    return v;
  };
  const sum = (): number | undefined => {
    let v = product();
    while (v !== undefined && (peek() === '+' || peek() === '-')) {
      const op = tokens[i++];
      const r = product();
      if (r === undefined) return undefined;
      v = op === '+' ? v + r : v - r;
    }
    return v;
  };
  const v = sum();
  return i === tokens.length && v !== undefined && Number.isFinite(v) ? v : undefined;
}
