// race-across-await (Python): the two fixes of a read → await → write race.
//
// - rereadAfterAwait, for `update` races: the await moves out of the statement into a fresh local
//   on the line above, so the state is read and written with no await between:
//       balance += await fetch_bonus()   →   bonus = await fetch_bonus()
//                                            balance += bonus
//   The local is named after the callee without its get_/fetch_/load_/read_ prefix (`value` when that
//   leaves nothing new), made unique within the function. Not offered when the awaited expression
//   itself reads the state (`x = await g(x)`: moving it keeps the stale read), when the statement
//   awaits more than once, when the await runs only sometimes (behind `and`/`or`, in a conditional
//   expression or a comprehension: hoisting would run it always), or when the statement shares its
//   line with other code.
// - guardWithAsyncLock: the statements from the read's to the write's (siblings of one block; for a
//   check, the whole `if`) are re-indented under `async with <lock>:`. The lock is the one the rule
//   names, or a new module-level `_<state>_lock = asyncio.Lock()` (`trio.Lock()`/`anyio.Lock()` in a
//   file that uses trio or anyio), declared above the function's top-level statement, reusing a
//   module-level lock of that exact name. `return`, `break` and `continue` keep their meaning under
//   `async with` (the lock is released on the way out), and locals assigned inside stay visible after
//   it; only a `yield` in the range refuses the fix (the lock would be held while the consumer runs).
//   Lines inside multi-line strings are left as they are.
// Both are unsafe: they change when the state is read, or make other tasks wait (a lock that code
// called from the range takes again would deadlock: asyncio locks are not re-entrant).

import type { Node } from 'web-tree-sitter';
import type { TextEdit } from '../../engine/finding';
import type { AwaitRace } from '../../engine/model';
import type { LineIndex } from '../../engine/text';
import type { PythonFileFacts } from '../../frontends/python/facts';
import type { LockChoice, SafetyRatedFix } from '../fixer';
import { ImportPlanner } from './imports';
import { freeName, mergeInserts, moduleInsertionPoint } from './process-pool';

const COMPREHENSIONS = new Set(['list_comprehension', 'set_comprehension', 'dictionary_comprehension', 'generator_expression']);
const PREFIX = /^(?:get|fetch|load|read)_(?=[A-Za-z_])/;
const KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else',
  'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise',
  'return', 'try', 'while', 'with', 'yield', 'match', 'case', 'type', '_',
]);
/** preference when a file imports several async libraries, as the other Python fixes choose */
const LIBRARIES = ['asyncio', 'anyio', 'trio'];

export function rereadAfterAwait(facts: PythonFileFacts, lines: LineIndex, race: AwaitRace): SafetyRatedFix | undefined {
  if (race.pattern !== 'update') return undefined;
  const { text } = facts;
  const scope = facts.scopes[race.scope];
  const stmt = facts.node(race.write, ['expression_statement']);
  const awaited = facts.node(race.await, ['await']);
  if (!scope || !stmt || !awaited || stmt.parent?.type !== 'block' || !ownsLines(text, lines, stmt, stmt)) return undefined;
  if (stmt.descendantsOfType('await').filter((a) => a?.isNamed).length !== 1) return undefined;
  if (!runsAlways(awaited, stmt)) return undefined;
  if (mentions(text.slice(awaited.startIndex, awaited.endIndex), race.state.written)) return undefined;
  const operand = awaited.namedChild(0);
  if (!operand) return undefined;
  // the hoisted `await …` stands on a line of its own: a line break in it must be inside brackets
  const breakFree = operand.type === 'call' ? (operand.childForFieldName('arguments')?.startIndex ?? operand.endIndex) : awaited.endIndex;
  if (/[\r\n]/.test(text.slice(awaited.startIndex, breakFree))) return undefined;

  const name = localName(text.slice(scope.span.start, scope.span.end), calleeName(text, operand));
  const indent = text.slice(lines.lineStart(lines.position(stmt.startIndex).line), stmt.startIndex);
  // `(await f())` alone in its parentheses becomes the bare name
  const parent = awaited.parent;
  const replaced = parent?.type === 'parenthesized_expression' && parent.namedChildCount === 1 ? parent : awaited;
  const edits: TextEdit[] = [
    { start: stmt.startIndex, end: stmt.startIndex, newText: `${name} = ${text.slice(awaited.startIndex, awaited.endIndex)}${lines.eol}${indent}` },
    { start: replaced.startIndex, end: replaced.endIndex, newText: name },
  ];
  return { title: `Await first, then update \`${race.state.written}\``, safe: false, edits };
}

export function guardWithAsyncLock(facts: PythonFileFacts, lines: LineIndex, race: AwaitRace, lock: LockChoice): SafetyRatedFix | undefined {
  const { text } = facts;
  const scope = facts.scopes[race.scope];
  const fn = scope ? facts.node(scope.span, ['function_definition']) : undefined;
  const write = facts.node(race.write, ['expression_statement']);
  if (!scope || !fn || !write) return undefined;
  const range = statementRange(fn, write, race.read.start, race.read.end);
  if (!range || !ownsLines(text, lines, range.first, range.last)) return undefined;
  for (let s: Node | null = range.first; s; s = s.nextNamedSibling) {
    if (yieldsIn(s)) return undefined;
    if (s.id === range.last.id) break;
  }

  const eol = lines.eol;
  const edits: TextEdit[] = [];
  let lockText: string;
  let title: string;
  if (lock === 'new') {
    const library = LIBRARIES.find((l) => facts.importsModule(l)) ?? 'asyncio';
    const base = `_${(race.state.key.replace(/^[\w.]*?\.self\./, '').replace(/\[\]$/, '').replace(/\W+/g, '_').replace(/^_+|_+$/g, '') || 'state').toLowerCase()}_lock`;
    const reused = existingModuleLock(facts, base, race.scope);
    if (reused) lockText = base;
    else {
      const planner = new ImportPlanner(facts, lines, 0);
      const ctor = planner.reference(`${library}.Lock`);
      const imports = planner.edit();
      if (ctor === undefined || imports === null) return undefined;
      lockText = freeName(facts, base, race.scope);
      const declaration = lockDeclaration(facts, lines, scope.span.start, `${lockText} = ${ctor}()`, imports ? undefined : ctor.split('.')[0]);
      if (!declaration) return undefined;
      if (imports) edits.push(imports);
      edits.push(declaration);
    }
    title = `Guard \`${race.state.written}\` with a new \`${library}.Lock\` \`${lockText}\``;
  } else {
    if (!visibleLock(facts, fn, lock.existing, race.scope)) return undefined;
    lockText = lock.existing;
    title = `Hold \`${lockText}\` from the read to the write`;
  }

  const firstLine = lines.position(range.first.startIndex).line;
  const lastLine = lines.position(range.last.endIndex).line;
  const indent = text.slice(lines.lineStart(firstLine), range.first.startIndex);
  const unit = indentUnit(text, lines, fn, indent);
  const body: string[] = [`${indent}async with ${lockText}:`];
  for (let line = firstLine; line <= lastLine; line++) {
    const start = lines.lineStart(line);
    const content = text.slice(start, lines.lineEnd(line));
    if (content.trim() === '') body.push('');
    else if (line > firstLine && facts.insideString(start)) body.push(content);
    else body.push(unit + content);
  }
  edits.push({ start: lines.lineStart(firstLine), end: lines.lineEnd(lastLine), newText: body.join(eol) });
  return { title, safe: false, edits: mergeInserts(edits) };
}

/**
 * Where the module-level lock goes: below the imports above the function (every lock fix of the file
 * then edits that one place, so fixing all findings declares the lock once and reuses it after), else
 * above the function's top-level statement. `bound`: the name the constructor needs from an existing
 * import, which must run before the declaration.
 */
function lockDeclaration(facts: PythonFileFacts, lines: LineIndex, fnStart: number, code: string, bound: string | undefined): TextEdit | undefined {
  const eol = lines.eol;
  const stmts = facts.moduleStatements();
  const own = stmts.findIndex((s) => s.start <= fnStart && fnStart < s.end);
  if (own < 0) return undefined;
  let last = -1;
  for (let i = 0; i < own; i++) if (stmts[i].kind === 'import' || stmts[i].kind === 'future') last = i;
  const binds = (i: number) => bound !== undefined && new RegExp(`\\bimport\\b[\\s\\S]*(?<![\\w.])${bound}(?!\\w)`).test(facts.text.slice(stmts[i].start, stmts[i].end));
  if (bound !== undefined && !stmts.some((s, i) => i <= last && (s.kind === 'import' || s.kind === 'future') && binds(i))) return undefined;
  if (last >= 0) {
    const at = lines.lineEnd(lines.position(stmts[last].end).line);
    return { start: at, end: at, newText: `${eol}${eol}${code}` };
  }
  const at = moduleInsertionPoint(facts, lines, fnStart);
  return at === undefined ? undefined : { start: at, end: at, newText: `${code}${eol}${eol}${eol}` };
}

/**
 * The statements to hold the lock over: in the innermost block (of this function) that has a
 * statement holding the read and one holding the write, from the former to the latter.
 */
function statementRange(fn: Node, write: Node, readStart: number, readEnd: number): { first: Node; last: Node } | undefined {
  for (let last: Node | null = write; last && last.id !== fn.id; last = last.parent) {
    const block = last.parent;
    if (!block || block.type !== 'block') continue;
    if (block.startIndex > readStart || readEnd > block.endIndex) continue;
    for (let s: Node | null = last; s; s = s.previousNamedSibling) {
      if (s.startIndex <= readStart && readEnd <= s.endIndex) return { first: s, last };
    }
    return undefined;
  }
  return undefined;
}

/** Nothing but indentation before `first` on its line, nothing but a comment after `last` on its line. */
function ownsLines(text: string, lines: LineIndex, first: Node, last: Node): boolean {
  const before = text.slice(lines.lineStart(lines.position(first.startIndex).line), first.startIndex);
  const after = text.slice(last.endIndex, lines.lineEnd(lines.position(last.endIndex).line));
  return /^[ \t]*$/.test(before) && /^[ \t]*(?:#.*)?$/.test(after);
}

/** A `yield` that belongs to this function (not to a def or lambda nested in the statement). */
function yieldsIn(s: Node): boolean {
  for (const y of s.descendantsOfType('yield')) {
    if (!y || !y.isNamed) continue;
    let nested = false;
    for (let p = y.parent; p && p.id !== s.id; p = p.parent) if (p.type === 'function_definition' || p.type === 'lambda') nested = true;
    if (!nested && s.type !== 'function_definition' && s.type !== 'class_definition' && s.type !== 'decorated_definition') return true;
  }
  return false;
}

/** The await runs whenever the statement does: not behind `and`/`or`, a conditional, a comprehension or a lambda. */
function runsAlways(a: Node, stmt: Node): boolean {
  for (let n: Node = a; n.id !== stmt.id; ) {
    const p: Node | null = n.parent;
    if (!p) return false;
    if (p.type === 'boolean_operator' && p.childForFieldName('right')?.id === n.id) return false;
    if (p.type === 'conditional_expression' && p.namedChild(1)?.id !== n.id) return false;
    if (COMPREHENSIONS.has(p.type) || p.type === 'lambda') return false;
    n = p;
  }
  return true;
}

/** Does `code` name the state written `written` (`x`, `self.total`, `cache[k]` → its container)? */
function mentions(code: string, written: string): boolean {
  const chain = written.replace(/\[[\s\S]*$/, '').replace(/\s+/g, '');
  const escaped = chain.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\./g, '\\s*\\.\\s*');
  return new RegExp(`(?<![\\w.])${escaped}(?!\\w)`, 'u').test(code);
}

/** `fetch_bonus` for `await fetch_bonus()`, `get_rate` for `await self.api.get_rate(x)`; undefined otherwise. */
function calleeName(text: string, operand: Node): string | undefined {
  if (operand.type !== 'call') return undefined;
  let f = operand.childForFieldName('function');
  if (f?.type === 'attribute') f = f.childForFieldName('attribute');
  return f?.type === 'identifier' ? text.slice(f.startIndex, f.endIndex) : undefined;
}

/** The new local: the callee's name without its fetch-like prefix, else `value`; unique in the function. */
function localName(functionText: string, callee: string | undefined): string {
  const stripped = callee?.replace(PREFIX, '').replace(/^_+/, '');
  const base = stripped && stripped !== callee && /^[A-Za-z_]\w*$/.test(stripped) && !KEYWORDS.has(stripped) ? stripped : 'value';
  const used = (name: string) => new RegExp(`(?<!\\w)${name}(?!\\w)`, 'u').test(functionText);
  let name = base;
  for (let k = 2; used(name); k++) name = `${base}_${k}`;
  return name;
}

/** `name = <lib>.Lock()` at module level, and `name` read in the function means it. */
function existingModuleLock(facts: PythonFileFacts, name: string, scope: number): boolean {
  if (facts.functionLocal(name, scope) !== undefined) return false;
  const declaration = new RegExp(`^${name}\\s*(?::[^=]*)?=\\s*[\\w.]*Lock\\(\\s*\\)\\s*$`);
  return facts.moduleStatements().some((s) => s.kind === 'other' && declaration.test(facts.text.slice(s.start, s.end)));
}

/**
 * The lock the rule found elsewhere can be written here: a module-level name, or an attribute of the
 * method's own `self`.
 */
function visibleLock(facts: PythonFileFacts, fn: Node, lock: string, scope: number): boolean {
  const root = /^[A-Za-z_]\w*/.exec(lock)?.[0];
  if (!root || !/^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/.test(lock)) return false;
  const owner = facts.functionLocal(root, scope);
  if (owner === undefined) return facts.moduleNames().includes(root);
  // `self._lock`: `self` must be the first parameter of the method that binds it
  const method = facts.scopes[owner];
  const def = method ? (owner === scope ? fn : facts.node(method.span, ['function_definition'])) : undefined;
  const parent = method?.parent === undefined ? undefined : facts.scopes[method.parent];
  const first = def?.childForFieldName('parameters')?.namedChild(0);
  return parent?.kind === 'class' && first?.type === 'identifier' && facts.text.slice(first.startIndex, first.endIndex) === root && lock.includes('.');
}

/** One level of indentation as the function writes it (its body's indentation beyond its own). */
function indentUnit(text: string, lines: LineIndex, fn: Node, fallbackIndent: string): string {
  const defIndent = text.slice(lines.lineStart(lines.position(fn.startIndex).line), fn.startIndex);
  const body = fn.childForFieldName('body');
  const first = body?.firstNamedChild;
  if (first) {
    const bodyIndent = text.slice(lines.lineStart(lines.position(first.startIndex).line), first.startIndex);
    if (/^[ \t]*$/.test(bodyIndent) && bodyIndent.startsWith(defIndent) && bodyIndent.length > defIndent.length) return bodyIndent.slice(defIndent.length);
  }
  return fallbackIndent.includes('\t') ? '\t' : '    ';
}
