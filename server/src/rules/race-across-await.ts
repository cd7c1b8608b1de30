/**
 * ## What it does
 * Reports, in async code, a write to shared state that depends on a read of the same state made before
 * an `await`: another task may change the state while this one waits, and the write then overwrites
 * that change with a value computed from the stale read. Shared state is a module-level variable, an
 * attribute of `this`/`self` or of a module-level object, or an entry of a module-level container.
 *
 * Three shapes are reported, at the write:
 * - an update split by its own `await`: `balance += await fetchBonus()` (the old `balance` is read
 *   before the await), `x = x + await f()`, `state = await reduce(state, action)`;
 * - a stale value written back: `const b = this.balance; await save(); this.balance = b - amount`;
 * - check-then-act: `if key not in cache: cache[key] = await compute(key)`,
 *   `if (!this.conn) this.conn = await connect()` — two tasks pass the check before either writes.
 *
 * Not reported: locals and parameters (no other task sees them), a write whose value does not depend on
 * the read, a value read again after the await, code under an async lock (`async with lock:`,
 * `asyncio.Lock`, async-mutex's `runExclusive` or `acquire()`/`release()`), constructors and `__init__`,
 * awaits inside nested functions.
 *
 * ## Why is this bad?
 * Async code gives up control only at `await`, which is why it needs no locks between awaits. Across an
 * `await` it is exactly as racy as threaded code: every other task on the loop may run there. Two
 * concurrent requests that both read `balance`, both await, and both write `balance + amount` lose one
 * of the deposits; two that both find the cache empty both compute and both connect. The program is
 * right in tests, where requests come one at a time.
 *
 * ## Example
 * ```python
 * balance = 0
 *
 *
 * async def deposit(amount_source) -> None:
 *     global balance
 *     balance += await amount_source()
 * ```
 *
 * ```ts
 * let balance = 0;
 *
 * export async function deposit(amountSource: () => Promise<number>): Promise<void> {
 *   balance += await amountSource();
 * }
 * ```
 *
 * ## Use instead
 * ```python
 * balance = 0
 *
 *
 * async def deposit(amount_source) -> None:
 *     global balance
 *     amount = await amount_source()
 *     balance += amount
 * ```
 *
 * ```ts
 * let balance = 0;
 *
 * export async function deposit(amountSource: () => Promise<number>): Promise<void> {
 *   const amount = await amountSource();
 *   balance += amount;
 * }
 * ```
 *
 * ## Fix safety
 * Both fixes are **unsafe** (never applied by `--fix` or fix-all): they change when the state is read,
 * which is the point, but a reviewer must confirm that the new order is what the code means.
 * For an update split by its own `await`, the awaited value is computed first into a new local and the
 * state is read and written after it, with no `await` in between (`const amount = await f(); balance +=
 * amount`). For every shape, the statements from the read to the write can instead run under an async
 * lock: the lock that already guards the same state elsewhere in the file, or a new module-level one —
 * `asyncio.Lock()` (or the file's `trio`/`anyio` lock) in Python; in JS/TS an async-mutex `Mutex` when the
 * package depends on `async-mutex`, otherwise a small promise-chain lock the fix declares in the file,
 * taken with `const release = await lock.acquire(); try { … } finally { release(); }`. The lock fix is not
 * offered when the statements declare something used after them or jump out of them.
 */

import { lockAround, type AwaitRace, type SourceModel } from '../engine/model';
import { describeContext } from './context';
import type { LockChoice } from '../fixes/fixer';
import type { Rule } from './rule';

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** An async lock that already guards the same state somewhere in the file. */
function existingLock(model: SourceModel, race: AwaitRace): string | undefined {
  for (const other of model.awaitRaces) {
    if (other === race || other.state.key !== race.state.key) continue;
    const region = lockAround(model, { start: Math.min(other.read.start, other.write.start), end: Math.max(other.read.end, other.write.end) }, other.scope, 'async');
    if (!region) continue;
    // `self._lock` / `this.mutex` names the same lock only for the same instance state (equal keys are one class)
    if (/^(self|this)\b/.test(region.lock) && race.state.owner !== 'instance') continue;
    return region.lock;
  }
  return undefined;
}

export const raceAcrossAwait: Rule = {
  meta: {
    id: 'race-across-await',
    languages: ['javascript', 'python'],
    defaultSeverity: 'warning',
    summary: 'Shared state read before an `await` and written from that read after it (lost update, check-then-act).',
    messages: {
      update: '`{{state}}` is read before the `await` and written after it in {{context}}: another task can change it while this one waits, and that change is lost; await first, or hold an async lock',
      stale: '`{{state}}` is written from a value read on line {{readLine}}, before the `await` on line {{awaitLine}}, in {{context}}: another task can change it meanwhile, and that change is lost; read it again after the await, or hold an async lock',
      check: '`{{state}}` is checked on line {{readLine}} and written after the `await` on line {{awaitLine}} in {{context}}: several tasks can pass the check before any of them writes; hold an async lock from the check to the write',
    },
  },
  check(ctx) {
    const { model } = ctx;
    for (const race of model.awaitRaces) {
      const scope = model.scopes[race.scope];
      if (!scope || scope.kind !== 'async') continue;
      if (lockAround(model, { start: Math.min(race.read.start, race.write.start), end: Math.max(race.read.end, race.write.end) }, race.scope, 'async')) continue;
      const fixes = [];
      if (race.pattern === 'update') {
        const reread = model.fixer.rereadAfterAwait?.(race);
        if (reread) fixes.push({ title: reread.title, safe: false, edits: reread.edits });
      }
      const existing = existingLock(model, race);
      const choice: LockChoice = existing ? { existing } : 'new';
      // a lock the fixer cannot take here (a callback-style mutex, a flag guard) still leaves a new one
      const locked = model.fixer.guardWithAsyncLock?.(race, choice) ?? (existing ? model.fixer.guardWithAsyncLock?.(race, 'new') : undefined);
      if (locked) fixes.push({ title: locked.title, safe: false, edits: locked.edits });
      ctx.report({
        messageId: race.pattern,
        data: {
          state: race.state.written,
          context: describeContext(model, scope),
          readLine: String(lineOf(model.text, race.read.start)),
          awaitLine: String(lineOf(model.text, race.await.start)),
        },
        span: race.write,
        fixes,
      });
    }
  },
};
