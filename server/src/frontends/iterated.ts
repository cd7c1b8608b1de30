// Call.iterated for calls handed to a function that iterates its argument at once (`Array.from(g())`,
// `list(g())`): both front ends mark them after names are resolved, from the calls' spans — the
// syntactic cases (`for…of`, spread, `yield*`/`yield from`, destructuring) each front end marks in its walk.

import type { Argument, Call } from '../engine/model';

/**
 * Marks `iterated` on each call that is exactly the argument `consumedArgument(c)` picks of some call
 * `c` (undefined: `c` iterates none of its arguments).
 */
export function markConsumedCalls(calls: readonly Call[], consumedArgument: (call: Call) => Argument | undefined): void {
  let byStart: Map<number, Call[]> | undefined;
  for (const c of calls) {
    const arg = consumedArgument(c);
    if (!arg) continue;
    if (!byStart) {
      byStart = new Map();
      for (const x of calls) {
        const list = byStart.get(x.span.start);
        if (list) list.push(x);
        else byStart.set(x.span.start, [x]);
      }
    }
    for (const inner of byStart.get(arg.span.start) ?? []) if (inner.span.end === arg.span.end) inner.iterated = true;
  }
}

/** JS/TS globals that iterate their first argument synchronously. */
const JS_CONSUMERS: ReadonlySet<string> = new Set(['Array.from', 'Object.fromEntries', 'Promise.all', 'Promise.allSettled', 'Promise.race', 'Promise.any']);

export function jsConsumedArgument(call: Call): Argument | undefined {
  if (call.name === undefined || !JS_CONSUMERS.has(call.name)) return undefined;
  const first = call.args[0];
  return first && !first.spread ? first : undefined;
}

/** Python builtins that iterate their first positional argument at once. */
const PY_CONSUMERS: ReadonlySet<string> = new Set(
  ['list', 'tuple', 'set', 'frozenset', 'dict', 'sorted', 'sum', 'any', 'all', 'next'].map((n) => `builtins.${n}`),
);
/** …and these only when it is their only positional argument (`max(a(), b())` compares the two results). */
const PY_SINGLE_CONSUMERS: ReadonlySet<string> = new Set(['builtins.min', 'builtins.max']);
/** `'sep'.join(…)`, `", ".join(…)`: a method of a string literal */
const STRING_JOIN = /^[rRbBuUfF]{0,2}(['"])[^'"\\\n]*\1\s*\.\s*join$/;

export function pyConsumedArgument(call: Call): Argument | undefined {
  const single = call.name !== undefined && PY_SINGLE_CONSUMERS.has(call.name);
  if (!single && !(call.name !== undefined && PY_CONSUMERS.has(call.name)) && !(call.name === undefined && STRING_JOIN.test(call.written))) return undefined;
  const positional = call.args.filter((a) => a.keyword === undefined && a.spread === undefined);
  if (positional.length === 0 || positional.length !== call.args.filter((a) => a.keyword === undefined).length) return undefined;
  if (single && positional.length !== 1) return undefined;
  return positional[0];
}
