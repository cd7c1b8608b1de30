// Collects what the model is built from — scopes, calls, awaits, imports, bindings, comprehensions —
// from one walk over the syntax tree inside WASM (`descendantsOfType`) plus reading the text.
//
// Why not a query: the walk that a tree-sitter query cursor does costs about a quarter of the parse
// on its own, and every match becomes several JavaScript objects. `descendantsOfType` walks the tree
// in C and hands back bare nodes of the types we list; what kind each node is and what it binds is
// read from the text at its position (its first keyword, the first operator outside brackets), which
// is cheap and exact for these node types. A node's end is asked from WASM only where it is needed,
// and its type only for the rare `(…)` that the text cannot place. Measured on the CPython standard
// library (`npm run bench`), the whole analysis then costs well under half a parse on top of it.

import type { Node } from 'web-tree-sitter';
import type { CallRec, ImportOrigin } from './resolve';
import {
  closingBracket,
  dottedCalleeStart,
  expressionEnd,
  identEnd,
  keywordAt,
  readDotted,
  skipInline,
  endsStatement,
  skipInlineBack,
  skipSpaceBack,
  skipTrivia,
  splitItems,
  stepToken,
} from './scan';
import { newScope, type PyScope } from './scopes';

/** The node types the walk returns. */
const TYPES = [
  'argument_list',
  'generator_expression',
  'list_comprehension',
  'set_comprehension',
  'dictionary_comprehension',
  'function_definition',
  'class_definition',
  'lambda',
  'await',
  'import_statement',
  'import_from_statement',
  'assignment',
  'augmented_assignment',
  'for_statement',
  'while_statement',
  'yield',
  'as_pattern',
  'named_expression',
  'global_statement',
  'nonlocal_statement',
  'delete_statement',
];

/** Words that cannot end a callee: `return (x for …)` is no call. `match`/`case` start statements. */
const KEYWORDS = new Set([
  'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except',
  'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass',
  'raise', 'return', 'try', 'while', 'with', 'yield', 'match', 'case',
]);

/** What a binding holds, before the calls it may refer to are known. */
export const enum Held {
  Other,
  None,
  /** the call starting at `a` */
  Value,
  /** the dotted expression `a..b` */
  Alias,
  /** the annotation `a..b` */
  Annotation,
}

export interface RawBinding {
  /** the bound identifier (for `self.x`, the `x`) */
  nameStart: number;
  held: Held;
  a: number;
  b: number;
  /** `self.x = …`: where `self` is; WITH for `with f() as x`; -1 otherwise */
  objectStart: number;
  /** `x: T = f()`: where the call starts, else -1 */
  value: number;
}

/** RawBinding.objectStart of `with f() as x` */
export const WITH = -2;

export interface RawImport {
  /** where the statement is (its scope) */
  at: number;
  local: string;
  /**
   * The qualified name the local name stands for. Relative imports keep their dots: `from .config
   * import load` → `.config.load`, `from . import util` → `.util`, `from .. import x` → `..x` (no
   * catalogue name starts with a dot, so they never match one).
   */
  target: string;
  /** the module the import statement names and the names taken from it (ImportedName, without the call's attributes) */
  origin: ImportOrigin;
}

export interface Comprehension {
  start: number;
  end: number;
  names: Set<string>;
  /** its `for … in …` clauses, in order */
  clauses: ComprehensionClause[];
}

export interface ComprehensionClause {
  /** the `for` keyword (or the `async` before it) */
  start: number;
  isAsync: boolean;
  targetStart: number;
  targetEnd: number;
  /** the iterable: after `in` up to the next clause or the closing bracket */
  iterStart: number;
  iterEnd: number;
}

/** A `for` or `while` statement. */
export interface RawLoop {
  kind: 'for' | 'while';
  /** the statement's first keyword (`async` for `async for`) */
  start: number;
  end: number;
  isAsync: boolean;
}

export interface Collected {
  /** def, class and lambda scopes, unsorted, without the module */
  scopes: PyScope[];
  calls: CallRec[];
  /** calls whose callee is not a plain dotted name: placed once all calls are known */
  unplaced: Array<{ index: number; args: Node }>;
  /** where the operand of each `await` starts, and whether it is in parentheses */
  awaitStarts: number[];
  awaitParens: boolean[];
  imports: RawImport[];
  /** `from m import *`; relative modules keep their dots (`.impl`) */
  starImports: Array<{ at: number; module: string }>;
  binds: RawBinding[];
  attrBinds: RawBinding[];
  globals: number[];
  comprehensions: Comprehension[];
  comprehensionVars: number[];
  loops: RawLoop[];
  /** where each `yield` is */
  yields: number[];
  /** the `=` of each assignment whose target unpacks the value (`a, b = …`, `[a, *rest] = …`): Call.iterated */
  unpacks: number[];
  /** the last `await` seen: the walk returns the expression and then its keyword token */
  lastAwait: number;
}

function newCall(start: number, end: number, calleeEnd: number, argsStart: number, genexp: boolean): CallRec {
  return {
    start,
    end,
    calleeEnd,
    argsStart,
    genexp,
    scope: 0,
    awaited: false,
    state: 0,
    name: undefined,
    target: undefined,
    origin: undefined,
    method: undefined,
    receiver: undefined,
    shadow: undefined,
  };
}

export function collect(text: string, root: Node): Collected {
  const out: Collected = {
    scopes: [],
    calls: [],
    unplaced: [],
    awaitStarts: [],
    awaitParens: [],
    imports: [],
    starImports: [],
    binds: [],
    attrBinds: [],
    globals: [],
    comprehensions: [],
    comprehensionVars: [],
    loops: [],
    yields: [],
    unpacks: [],
    lastAwait: -1,
  };
  let ids: NodeIds | undefined;
  for (const node of root.descendantsOfType(TYPES)) {
    if (!node) continue;
    const start = node.startIndex;
    const c = text.charCodeAt(start);
    if (c === 40 /* ( */) {
      parenthesized(text, node, start, out, () => (ids ??= nodeIds(root)));
      continue;
    }
    if (c === 91 /* [ */ || c === 123 /* { */) {
      // a list/set/dict comprehension, or a target that starts with a bracket (`[a, b] = …`)
      const close = closingBracket(text, start, text.length);
      if (close > start && hasTopLevelFor(text, start + 1, close)) {
        out.comprehensions.push(comprehensionOf(text, start, close + 1, out));
        continue;
      }
    } else if (c >= 97 && c <= 122) {
      const wordEnd = identEnd(text, start);
      if (keywordStatement(text, node, start, wordEnd, out)) continue;
    }
    expressionNode(text, start, out);
  }
  return out;
}

/** Statements and expressions that start with a keyword. False when the word is no keyword of ours. */
function keywordStatement(text: string, node: Node, start: number, wordEnd: number, out: Collected): boolean {
  const word = text.slice(start, wordEnd);
  switch (word) {
    case 'def':
    case 'class':
    case 'lambda': {
      const end = node.endIndex;
      // `lambda` and `await` also name the keyword tokens, which the walk returns as well
      if (end > wordEnd) out.scopes.push(newScope(word === 'def' ? 'def' : word, false, start, end, start));
      return true;
    }
    case 'async': {
      const next = skipTrivia(text, wordEnd);
      if (keywordAt(text, next, 'def')) out.scopes.push(newScope('def', true, start, node.endIndex, start));
      else if (keywordAt(text, next, 'for')) {
        out.loops.push({ kind: 'for', start, end: node.endIndex, isAsync: true });
        forTargets(text, next + 3, out.binds);
      }
      return true;
    }
    case 'for':
      out.loops.push({ kind: 'for', start, end: node.endIndex, isAsync: false });
      forTargets(text, wordEnd, out.binds);
      return true;
    case 'while':
      out.loops.push({ kind: 'while', start, end: node.endIndex, isAsync: false });
      return true;
    case 'yield':
      // the keyword token comes with the expression, at the same offset
      if (out.yields.length === 0 || out.yields[out.yields.length - 1] !== start) out.yields.push(start);
      return true;
    case 'await': {
      if (out.awaitStarts.length > 0 && out.lastAwait === start) return true; // its keyword token
      out.lastAwait = start;
      let i = skipTrivia(text, wordEnd);
      const paren = text.charCodeAt(i) === 40; /* ( */
      if (paren) i = skipTrivia(text, i + 1);
      out.awaitStarts.push(i);
      out.awaitParens.push(paren);
      // `with await f() as x`: the as-pattern starts here too
      if (firstOperator(text, start).kind === 'as') expressionNode(text, start, out);
      return true;
    }
    case 'import':
      importStatement(text, start, wordEnd, out);
      return true;
    case 'from':
      fromStatement(text, start, wordEnd, out);
      return true;
    case 'global':
    case 'nonlocal':
      for (const at of nameList(text, wordEnd)) {
        if (word === 'global') out.globals.push(at);
        // `nonlocal x`: x belongs to an enclosing function; for us, a local we cannot name
        else out.binds.push(plain(at));
      }
      return true;
    case 'del': {
      // neutral, like `= None`: at module level the import stays what the name means until then;
      // in a function, a name that is only deleted is local and unset
      const i = skipInline(text, wordEnd);
      for (const at of targetNames(text, i, expressionEnd(text, i).end)) out.binds.push({ nameStart: at, held: Held.None, a: 0, b: 0, objectStart: -1, value: -1 });
      return true;
    }
    default:
      return false;
  }
}

function plain(nameStart: number): RawBinding {
  return { nameStart, held: Held.Other, a: 0, b: 0, objectStart: -1, value: -1 };
}

/** A node that starts with `(`: an argument list, a generator expression, or a target/value in parentheses. */
function parenthesized(text: string, node: Node, start: number, out: Collected, ids: () => NodeIds): void {
  const before = skipInlineBack(text, start);
  const prev = text.charCodeAt(before - 1);
  let calleeEnds = prev === 41 || prev === 93 || prev === 125 || prev === 34 || prev === 39; // ) ] } " '
  if (!calleeEnds && isWordChar(prev)) {
    let w = before;
    while (w > 0 && isWordChar(text.charCodeAt(w - 1))) w--;
    calleeEnds = !KEYWORDS.has(text.slice(w, before));
  }
  if (calleeEnds) {
    const end = node.endIndex;
    const genexp = hasTopLevelFor(text, start + 1, end - 1);
    if (genexp) out.comprehensions.push(comprehensionOf(text, start, end, out));
    addCall(text, node, start, end, genexp, out);
    return;
  }
  // rare: ask the tree (a callee on the previous line, a standalone generator, `(a, b) = …`)
  const type = node.typeId;
  const known = ids();
  const kind = type === known.argumentList ? 'args' : type === known.generator ? 'genexp' : 'other';
  if (kind === 'other') {
    expressionNode(text, start, out);
    return;
  }
  const end = node.endIndex;
  if (kind === 'genexp') {
    out.comprehensions.push(comprehensionOf(text, start, end, out));
    if (node.parent?.typeId !== known.call) return;
  }
  addCall(text, node, start, end, kind === 'genexp', out);
}

function addCall(text: string, args: Node, argsStart: number, end: number, genexp: boolean, out: Collected): void {
  const start = dottedCalleeStart(text, argsStart, 0);
  if (start >= 0) {
    // `class A(Base)`: the bases are an argument list too, but no call
    const kw = skipInlineBack(text, start);
    if (kw >= 5 && text.startsWith('class', kw - 5) && !isWordChar(text.charCodeAt(kw - 6))) return;
  } else out.unplaced.push({ index: out.calls.length, args });
  out.calls.push(newCall(start, end, start >= 0 ? skipSpaceBack(text, argsStart, start) : argsStart, argsStart, genexp));
}

interface NodeIds {
  argumentList: number;
  generator: number;
  call: number;
}

function nodeIds(root: Node): NodeIds {
  const lang = root.tree.language;
  return {
    argumentList: lang.idForNodeType('argument_list', true) ?? -1,
    generator: lang.idForNodeType('generator_expression', true) ?? -1,
    call: lang.idForNodeType('call', true) ?? -1,
  };
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (c >= 48 && c <= 57) || c >= 128;
}

/** Is there a `for` keyword outside brackets in `text[start, end)`? (comprehensions and generators) */
function hasTopLevelFor(text: string, start: number, end: number): boolean {
  // most argument lists have no `for` at all: a plain character loop says so without lexing
  let i = start;
  for (; i < end - 2; i++) {
    if (text.charCodeAt(i) === 102 /* f */ && text.charCodeAt(i + 1) === 111 && text.charCodeAt(i + 2) === 114) break;
  }
  return i < end - 2 && findKeyword(text, start, end, 'for') >= 0;
}

/** The first `word` keyword outside brackets and strings in `text[i, end)`, or -1. */
function findKeyword(text: string, i: number, end: number, word: string): number {
  let depth = 0;
  const first = word.charCodeAt(0);
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    else if (depth === 0 && c === first && keywordAt(text, i, word) && !isWordChar(text.charCodeAt(i - 1))) return i;
    i = stepToken(text, i, end);
  }
  return -1;
}

/** A comprehension's span, its `for` targets recorded as comprehension variables. */
function comprehensionOf(text: string, start: number, end: number, out: Collected): Comprehension {
  const inner = end - 1;
  const clauses: ComprehensionClause[] = [];
  let i = start + 1;
  let f = findKeyword(text, i, inner, 'for');
  while (f >= 0) {
    const targetStart = skipTrivia(text, f + 3, inner);
    const inKw = findKeyword(text, targetStart, inner, 'in');
    if (inKw < 0) break;
    const targetEnd = skipSpaceBack(text, inKw, targetStart);
    for (const at of targetNames(text, targetStart, targetEnd)) out.comprehensionVars.push(at);
    i = inKw + 2;
    // the iterable of a clause is an or_test: no bare `if`/`for` inside it
    const nextFor = findKeyword(text, i, inner, 'for');
    const nextIf = findKeyword(text, i, nextFor < 0 ? inner : nextFor, 'if');
    const stop = nextIf >= 0 ? nextIf : nextFor >= 0 ? nextFor : inner;
    let iterEnd = skipSpaceBack(text, stop, i);
    const before = skipSpaceBack(text, f, start);
    const isAsync = before >= 5 && text.startsWith('async', before - 5) && !isWordChar(text.charCodeAt(before - 6));
    if (nextIf < 0 && nextFor >= 0 && isAsync === false) {
      // `… for x in xs async for y in ys`: the `async` belongs to the next clause
      const b = skipSpaceBack(text, nextFor, i);
      if (b >= 5 && text.startsWith('async', b - 5) && !isWordChar(text.charCodeAt(b - 6))) iterEnd = skipSpaceBack(text, b - 5, i);
    }
    clauses.push({ start: isAsync ? before - 5 : f, isAsync, targetStart, targetEnd, iterStart: skipTrivia(text, i, inner), iterEnd });
    f = nextFor;
  }
  return { start, end, names: new Set(), clauses };
}

/** `for <targets> in …` from just after `for`. */
function forTargets(text: string, i: number, binds: RawBinding[]): void {
  const start = skipTrivia(text, i);
  const inKw = findKeyword(text, start, text.length, 'in');
  if (inKw < 0) return;
  for (const at of targetNames(text, start, skipSpaceBack(text, inKw, start))) binds.push(plain(at));
}

/** The bare names a target list binds: `a`, `a, (b, *c)`, `[d, e]`; not `x.y` or `x[0]`. */
export function targetNames(text: string, start: number, end: number): number[] {
  const out: number[] = [];
  for (const it of splitItems(text, start, end)) {
    let s = it.start;
    while (text.charCodeAt(s) === 42 /* * */) s++;
    s = skipTrivia(text, s, it.end);
    const c = text.charCodeAt(s);
    if (c === 40 || c === 91) {
      const close = closingBracket(text, s, it.end);
      if (close === it.end - 1) out.push(...targetNames(text, s + 1, close));
    } else if (identEnd(text, s) === it.end && it.end > s && !KEYWORDS.has(text.slice(s, it.end))) out.push(s);
  }
  return out;
}

/** `a, b, c` after `global`/`nonlocal`: the names' positions. */
function nameList(text: string, i: number): number[] {
  const out: number[] = [];
  for (;;) {
    i = skipInline(text, i);
    const end = identEnd(text, i);
    if (end === i) return out;
    out.push(i);
    i = skipInline(text, end);
    if (text.charCodeAt(i) !== 44 /* , */) return out;
    i++;
  }
}

/** `import a.b, c as d`: `a` → `a`, `d` → `c`. */
function importStatement(text: string, at: number, i: number, out: Collected): void {
  for (;;) {
    i = skipInline(text, i);
    const dotted = readDotted(text, i);
    if (!dotted) return;
    i = skipInline(text, dotted.end);
    if (keywordAt(text, i, 'as')) {
      const aliasAt = skipInline(text, i + 2);
      const aliasEnd = identEnd(text, aliasAt);
      if (aliasEnd === aliasAt) return;
      const target = dotted.parts.join('.');
      out.imports.push({ at, local: text.slice(aliasAt, aliasEnd), target, origin: { specifier: target, path: [], target } });
      i = skipInline(text, aliasEnd);
    } else {
      // `import a.b` binds `a`: calls through it (`a.b.go()`) name module `a` and path `['b', 'go']`,
      // and the resolver takes the submodules off the path
      const target = dotted.parts[0];
      out.imports.push({ at, local: target, target, origin: { specifier: target, path: [], target } });
    }
    if (text.charCodeAt(i) !== 44 /* , */) return;
    i++;
  }
}

/** `from m import a, b as c` / `from m import (…)` / `from m import *` / `from . import x`. */
function fromStatement(text: string, at: number, i: number, out: Collected): void {
  i = skipInline(text, i);
  let dots = '';
  while (text.charCodeAt(i) === 46 /* . */) {
    dots += '.';
    i = skipInline(text, i + 1);
  }
  let module = dots;
  if (!keywordAt(text, i, 'import')) {
    const dotted = readDotted(text, i);
    if (!dotted) return;
    module += dotted.parts.join('.');
    i = skipInline(text, dotted.end);
  }
  if (!keywordAt(text, i, 'import')) return;
  i = skipInline(text, i + 6);
  if (text.charCodeAt(i) === 42 /* * */) {
    out.starImports.push({ at, module });
    return;
  }
  const paren = text.charCodeAt(i) === 40; /* ( */
  const skip = paren ? skipTrivia : skipInline;
  if (paren) i++;
  const bare = module === dots; // `from . import x`, `from .. import x`
  const add = (local: string, name: string) => {
    const target = bare ? module + name : `${module}.${name}`;
    out.imports.push({ at, local, target, origin: { specifier: module, path: [name], target } });
  };
  for (;;) {
    i = skip(text, i);
    const nameEnd = identEnd(text, i);
    if (nameEnd === i) return;
    const name = text.slice(i, nameEnd);
    i = skip(text, nameEnd);
    if (keywordAt(text, i, 'as')) {
      const aliasAt = skip(text, i + 2);
      const aliasEnd = identEnd(text, aliasAt);
      if (aliasEnd === aliasAt) return;
      add(text.slice(aliasAt, aliasEnd), name);
      i = skip(text, aliasEnd);
    } else add(name, name);
    if (text.charCodeAt(i) !== 44 /* , */) return;
    i++;
  }
}

/** Whether the assignment target `text[start, end)` is a pattern that unpacks (a top-level comma, `[…]`, `(…, …)`). */
function unpacks(text: string, start: number, end: number): boolean {
  const first = text.charCodeAt(start);
  const inner = first === 91 /* [ */ || first === 40; /* ( */
  if (first === 91 && closingBracket(text, start, end) === end - 1) return true;
  let depth = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    else if (c === 44 /* , */ && (depth === 0 || (inner && depth === 1))) return true;
    else if (c === 35 /* # */ || c === 39 || c === 34) return false; // a comment or a string: not a plain target
  }
  return false;
}

/**
 * An assignment, augmented assignment, `:=` or `… as x`, told apart by the first operator outside
 * brackets after `start`; then what it binds.
 */
function expressionNode(text: string, start: number, out: Collected): void {
  const op = firstOperator(text, start);
  switch (op.kind) {
    case 'assign':
    case 'annotated': {
      const targetEnd = skipSpaceBack(text, op.at, start);
      const nameEnd = identEnd(text, start);
      if (nameEnd === targetEnd && nameEnd > start) {
        out.binds.push(assignment(text, start, nameEnd, -1));
        return;
      }
      const dotted = readDotted(text, start);
      if (dotted && dotted.end === targetEnd && dotted.parts.length === 2) {
        const raw = assignment(text, -1, dotted.end, start);
        raw.nameStart = dotted.end - dotted.parts[1].length;
        out.attrBinds.push(raw);
        return;
      }
      if (op.kind === 'assign') {
        for (const at of targetNames(text, start, targetEnd)) out.binds.push(plain(at));
        if (unpacks(text, start, targetEnd)) out.unpacks.push(op.at);
      }
      return;
    }
    case 'augmented':
    case 'walrus': {
      const nameEnd = identEnd(text, start);
      if (nameEnd > start && skipSpaceBack(text, op.at, start) === nameEnd) out.binds.push(plain(start));
      return;
    }
    case 'as': {
      // `with f() as x`, `except E as x`, `case P as x`: the target after `as`
      const targetStart = skipTrivia(text, op.at + 2);
      const c = text.charCodeAt(targetStart);
      let names: number[];
      if (c === 40 || c === 91) {
        const close = closingBracket(text, targetStart, text.length);
        names = close > targetStart ? targetNames(text, targetStart + 1, close) : [];
      } else {
        const nameEnd = identEnd(text, targetStart);
        // a bare name: what follows ends the target (`with f() as x:`, `…as x, g() as y`, `case P as x if …`)
        const after = text.charCodeAt(skipInline(text, nameEnd));
        const bare = nameEnd > targetStart && (after === 58 || after === 44 || after === 41 || after === 10 || after === 13 || keywordAt(text, skipInline(text, nameEnd), 'if'));
        names = bare ? [targetStart] : [];
        if (names.length === 1) {
          // the value of a call (`with httpx.Client() as c`, `with await f() as c`) types the name
          let v = start;
          if (keywordAt(text, v, 'await')) v = skipTrivia(text, v + 5);
          out.binds.push({ nameStart: targetStart, held: Held.Value, a: v, b: 0, objectStart: WITH, value: -1 });
          return;
        }
      }
      for (const at of names) out.binds.push(plain(at));
      return;
    }
    default:
  }
}

type Operator = { kind: 'assign' | 'annotated' | 'augmented' | 'walrus' | 'as' | 'none'; at: number };

/** The first operator outside brackets that makes a statement a binding: `=`, `:`, `+=`…, `:=`, `as`. */
function firstOperator(text: string, i: number): Operator {
  let depth = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (depth === 0) {
      if (c === 10 || c === 13 || c === 59 /* ; */ || c === 35 /* # */) return { kind: 'none', at: i };
      const next = text.charCodeAt(i + 1);
      if (c === 61 /* = */) {
        if (next !== 61) return { kind: 'assign', at: i };
        i += 2;
        continue;
      }
      if (c === 58 /* : */) return { kind: next === 61 ? 'walrus' : 'annotated', at: i };
      if (c === 33 /* ! */ && next === 61) {
        i += 2;
        continue;
      }
      if (c === 60 || c === 62 /* < > */) {
        if (next === c && text.charCodeAt(i + 2) === 61) return { kind: 'augmented', at: i };
        i += next === 61 || next === c ? 2 : 1;
        continue;
      }
      if (c === 42 || c === 47 /* * / */) {
        if (next === c && text.charCodeAt(i + 2) === 61) return { kind: 'augmented', at: i };
        if (next === 61) return { kind: 'augmented', at: i };
        i += next === c ? 2 : 1;
        continue;
      }
      if ((c === 43 || c === 45 || c === 37 || c === 38 || c === 124 || c === 94 || c === 64) && next === 61) {
        return { kind: 'augmented', at: i };
      }
      if (c === 97 /* a */ && keywordAt(text, i, 'as') && !isWordChar(text.charCodeAt(i - 1))) return { kind: 'as', at: i };
    }
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) {
      if (--depth < 0) return { kind: 'none', at: i };
    }
    i = stepToken(text, i, n);
  }
  return { kind: 'none', at: n };
}

/**
 * `x = …` / `x: T = …` / `x: T` after the target ending at `targetEnd`: what the name holds. An
 * annotation wins over the value (it is what the author says the name holds); a value counts only
 * when it is the whole right-hand side (`x = f()`, not `x = f() or g`), which build.ts checks.
 */
function assignment(text: string, nameStart: number, targetEnd: number, objectStart: number): RawBinding {
  const raw: RawBinding = { nameStart, held: Held.Other, a: 0, b: 0, objectStart, value: -1 };
  let i = skipInline(text, targetEnd);
  let c = text.charCodeAt(i);
  if (c === 58 /* : */) {
    const aStart = skipInline(text, i + 1);
    const ann = expressionEnd(text, aStart);
    raw.held = Held.Annotation;
    raw.a = aStart;
    raw.b = ann.end;
    if (ann.eq) {
      let v = skipInline(text, skipInline(text, ann.end) + 1);
      if (keywordAt(text, v, 'await')) v = skipInline(text, v + 5);
      raw.value = v;
    }
    return raw;
  }
  if (c !== 61 /* = */ || text.charCodeAt(i + 1) === 61) return raw;
  i = skipInline(text, i + 1);
  c = text.charCodeAt(i);
  if (c === 78 /* N */ && keywordAt(text, i, 'None') && endsStatement(text, i + 4)) {
    raw.held = Held.None;
    return raw;
  }
  const dotted = readDotted(text, i);
  if (dotted && endsStatement(text, dotted.end)) {
    raw.held = Held.Alias;
    raw.a = i;
    raw.b = dotted.end;
    return raw;
  }
  // a call (`await` one, for thread runners): resolved once calls are known
  if (c === 97 /* a */ && keywordAt(text, i, 'await')) i = skipInline(text, i + 5);
  raw.held = Held.Value;
  raw.a = i;
  return raw;
}
