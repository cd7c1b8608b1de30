// Python's half of "make the chain async" (fixes/chain-async.ts): `def` → `async def`, `f(…)` →
// `await f(…)`, and which names and files are out of bounds.
//
// A return annotation stays as it is: `async def f() -> T` already means "a coroutine of T". Refused:
// decorated functions other than @staticmethod/@classmethod (a decorator wraps what the def returns:
// @property, @lru_cache, @contextmanager would all misbehave with a coroutine), dunder methods
// (`__init__` cannot be async, the others are called by the interpreter), generators (an `async def`
// with `yield` is an async generator, which `await` cannot call), nested functions (their callers are
// the enclosing function's locals: rare enough to leave to a person).

import type { TextEdit } from '../../engine/finding';
import type { Call, FunctionScope, SourceModel, Span } from '../../engine/model';
import * as path from 'node:path';
import { stepToken } from '../../frontends/python/scan';
import type { ChainLanguage } from '../chain-async';

const DECORATORS_KEPT = /^@(?:staticmethod|classmethod)\s*(?:#.*)?$/;

function makeAsync(model: SourceModel, scope: FunctionScope): TextEdit[] | undefined {
  const { text } = model;
  const name = scope.name?.slice(scope.name.lastIndexOf('.') + 1);
  if (!name || /^__\w+__$/.test(name)) return undefined;
  const parent = scope.parent === undefined ? undefined : model.scopes[scope.parent];
  if (!parent || (parent.kind !== 'module' && parent.kind !== 'class')) return undefined;
  // the `def` keyword before the name (headSpan is the name or the keyword)
  const head = text.slice(scope.span.start, scope.headSpan.end);
  const def = /\bdef\s+\w*$/.exec(head) ?? /\bdef$/.exec(head);
  if (!def) return undefined;
  const defAt = scope.span.start + def.index;
  if (/\basync\s+$/.test(text.slice(Math.max(0, defAt - 20), defAt))) return undefined;
  // decorators: the lines above the `def` that start with `@` (the scope's span may or may not include them)
  const lineStart = text.lastIndexOf('\n', defAt - 1) + 1;
  let end = lineStart;
  for (;;) {
    if (end === 0) break;
    const prevStart = text.lastIndexOf('\n', end - 2) + 1;
    const line = text.slice(prevStart, end - 1).replace(/\r$/, '').trim();
    if (!line.startsWith('@')) break;
    if (!DECORATORS_KEPT.test(line)) return undefined;
    end = prevStart;
  }
  // a generator (conservative: `yield` anywhere in the body, nested functions included)
  if (/\byield\b/.test(text.slice(scope.headSpan.end, scope.span.end))) return undefined;
  return [{ start: defAt, end: defAt, newText: 'async ' }];
}

/**
 * `await` before the call, parenthesised when the call is the object of `.attr`, `[i]` or `(…)`.
 * Whether `await` is legal there (directly in an `async def`, not in a lambda or generator expression)
 * and whether it needs parentheses is exactly what the file's fixer decides for its `to_thread` fix,
 * so that fix is built and read, not applied: one definition of those rules per language.
 */
function awaitCall(model: SourceModel, call: Call): TextEdit[] | undefined {
  const probe = model.fixer.build(call, { kind: 'to-thread', safe: false });
  const replaced = probe?.edits.find((e) => e.start === call.span.start && e.end === call.span.end);
  if (!replaced) return undefined;
  if (replaced.newText.startsWith('(')) {
    return [
      { start: call.span.start, end: call.span.start, newText: '(await ' },
      { start: call.span.end, end: call.span.end, newText: ')' },
    ];
  }
  return [{ start: call.span.start, end: call.span.start, newText: 'await ' }];
}

/** `import …` and `from … import …` statements, parenthesised and backslash-continued ones included. */
function importSpans(text: string): Span[] {
  const out: Span[] = [];
  const re = /^[ \t]*(?:from[ \t]+[\w.]+[ \t]+import[ \t]*(?:\([^)]*\)|(?:[^\n\\]|\\\r?\n)*)|import[ \t]+(?:[^\n\\]|\\\r?\n)*)/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ start: m.index, end: m.index + m[0].length });
    if (m[0].length === 0) re.lastIndex++;
  }
  return out;
}

/** Comments, found with the front end's lexer so a `#` in a string is not one. */
function commentSpans(text: string): Span[] {
  const out: Span[] = [];
  for (let i = 0; i < text.length; ) {
    const next = stepToken(text, i, text.length);
    if (text.charCodeAt(i) === 35 /* # */) out.push({ start: i, end: next });
    i = Math.max(next, i + 1);
  }
  return out;
}

export const pythonChainLanguage: ChainLanguage = {
  makeAsync,
  awaitCall,
  importSpans,
  commentSpans,
  // what a package's __init__ defines or imports is what `import pkg` users see
  isPublicInterface: (fileName) => path.basename(fileName) === '__init__.py',
};
