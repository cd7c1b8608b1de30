// The language-neutral view of one source file that every rule works on.
//
// Front ends (frontends/typescript, frontends/python) build it; rules read it. Nothing in here knows
// about a particular syntax tree, and nothing knows about LSP. All positions are offsets into the
// document text in UTF-16 code units (what JavaScript strings, LSP and the CLI's JSON use).

import type { FileFixer } from '../fixes/fixer';

export interface Span {
  /** inclusive start offset, UTF-16 code units */
  start: number;
  /** exclusive end offset, UTF-16 code units */
  end: number;
}

/** The two families the engine understands; TS and JS share one front end. */
export type LanguageFamily = 'javascript' | 'python';

/**
 * How code in a function scope runs.
 *
 * - `module`: top-level code — start-up, runs once before the event loop is serving.
 * - `async`: an async function / arrow / method / `async def`. Runs on the event loop; `await` is legal.
 * - `loop-callback`: a sync function handed to the event loop (route handler, `.on()` listener, timer,
 *   `.then` callback, Promise executor). Runs on the event loop; `await` is NOT legal in it.
 * - `inline`: a sync function that is invoked synchronously, right where it is written, by code we
 *   know (array `.map` callbacks, IIFEs). It runs in its parent's context; `await` is not legal in it.
 * - `offloaded`: code handed to a thread, process or worker (`asyncio.to_thread(fn)`, `Thread(target=fn)`,
 *   worker files). Never on the event loop.
 * - `sync`: any other plain function: we do not know that it runs on the event loop.
 * - `class`: a class body (Python) — a new scope that is not a function.
 */
export type ScopeKind = 'module' | 'async' | 'loop-callback' | 'inline' | 'offloaded' | 'sync' | 'class';

export interface FunctionScope {
  /** index into SourceModel.scopes; scope 0 is always the module */
  id: number;
  kind: ScopeKind;
  /** what the user calls it: `loadUser`, `Server.handle`, or undefined for anonymous functions */
  name: string | undefined;
  /**
   * Why the scope has its kind, for messages: e.g. `route handler`, `setTimeout callback`,
   * `asyncio.to_thread target`, `worker file`. Undefined for plain async/sync functions.
   */
  reason: string | undefined;
  /** the whole function (or the whole file for the module scope) */
  span: Span;
  /** the enclosing scope's id; undefined only for the module scope */
  parent: number | undefined;
  /** the span of the function's name or its `function`/`def` keyword: where to point at the function */
  headSpan: Span;
  /**
   * For `offloaded` functions: where the function is handed over and to what. `span` is the argument
   * that names the function at the hand-over call (`work` in `asyncio.to_thread(work, x)`), `call` the
   * whole hand-over call. Undefined for worker files and when unknown.
   */
  offload?: OffloadSite;
  /**
   * How many call sites directly in this function's body (not in functions nested in it) call the
   * function itself (see Call.target). Two or more is branching recursion: `fib(n - 1) + fib(n - 2)`.
   * Undefined when there are none.
   */
  selfCalls?: number;
  /**
   * A generator function (`function*`, `async function*`, a generator method, a Python `def` or lambda
   * with `yield` in its own body): calling it runs none of its body; iterating the result does
   * (Call.iterated). Undefined for every other function.
   */
  generator?: boolean;
}

export interface OffloadSite {
  span: Span;
  call: Span;
  /** `thread`: shares the GIL (to_thread, ThreadPoolExecutor, Thread, run_in_executor(None, …)); `process`: its own interpreter; `worker`: a worker_threads worker */
  via: 'thread' | 'process' | 'worker';
  /** the hand-over API as written, for messages: `asyncio.to_thread`, `executor.submit` */
  api: string;
  /**
   * The function may run on several threads (or workers) at the same time: it is handed over in a loop
   * or comprehension, through a pool's `map`, at two or more sites, or from code that itself runs many
   * times (an async function, an event-loop callback, another offloaded function). A hand-over made
   * once, by start-up code or by a plain function (`main()`), leaves it unset.
   */
  concurrent?: boolean;
}

/**
 * How many times a loop runs, as far as the source says.
 * - `literal`: a constant count (`range(10**7)`, `i < 1e6`, `for (let i = 0; i < 500; i++)`).
 * - `numeric`: a counted loop whose bound is only known at run time (`range(n)`, `i < limit`).
 * - `collection`: one iteration per element of a collection (`for x of items`, `for k in d`,
 *   `range(len(xs))`, `i < arr.length`, `.forEach` on a value).
 * - `known-items`: a literal list of a few items (`for x of [a, b, c]`, `for s in ("a", "b")`).
 * - `unbounded`: `while (true)`, `while cond` without a counter; `unknown`: anything else.
 */
export type LoopBound =
  | { kind: 'literal'; count: number }
  | { kind: 'numeric'; expression: string }
  | { kind: 'collection'; expression: string }
  | { kind: 'known-items'; count: number }
  | { kind: 'unbounded' }
  | { kind: 'unknown' };

export interface Loop {
  /** index into SourceModel.loops */
  id: number;
  kind: 'for' | 'for-of' | 'for-in' | 'while' | 'do-while' | 'comprehension';
  /** the whole loop statement or comprehension */
  span: Span;
  /** where a finding points: `for (…)`, `for x in range(n):` up to the colon, `while cond` */
  headSpan: Span;
  /** the innermost function scope the loop runs in */
  scope: number;
  /**
   * The innermost enclosing loop in the same scope. An array-method loop's `bodyScope` counts as its
   * scope: a loop inside `xs.forEach((x) => { for … })` has the `.forEach` as parent.
   */
  parent: number | undefined;
  bound: LoopBound;
  /**
   * The loop gives control back on each pass: an `await`, `yield` or `async for` in its body or
   * condition (not counting nested functions).
   */
  yields: boolean;
  /** `while (Date.now() < end) {}` / `while time.time() < deadline: pass`: spins on the clock */
  busyWait: boolean;
  /**
   * Names the loop header binds (`i`, `item`, `k, v`): an inner loop over one of them is not quadratic.
   * The JS/TS front end adds locals the body declares from them (`const parts = path.split('/')`).
   */
  variables: string[];
  /**
   * The body (and condition) only computes: arithmetic, comparisons, assignments, indexing, and calls
   * only to pure math helpers (`Math.*`, `math.*`, `abs`, `min`, `max`, `int`, `float`, `len`) —
   * a numeric kernel such as `total += i * i`. Any other call, `await`, I/O or nested function makes it false.
   */
  computeOnly: boolean;
  /**
   * Array-method loops (`xs.forEach((x) => …)`, `.map`, `.reduce`, …; kind `for-of`, span the whole
   * call, headSpan the method name): the callback's `inline` scope, which holds the body. Calls and
   * loops whose scope is `bodyScope` run once per element, as if written in the body of a loop in
   * `scope`. Undefined for loop statements and comprehensions (their bodies are in `scope`).
   */
  bodyScope?: number;
}

export interface Argument {
  span: Span;
  /** Python keyword argument name (`timeout=5` → `timeout`) */
  keyword: string | undefined;
  /** `...xs` (JS), `*xs` (Python) → 'positional'; `**kw` (Python) → 'keyword' */
  spread: 'positional' | 'keyword' | undefined;
  /** the argument is a function expression / arrow / lambda / a reference to a local function */
  isFunction: boolean;
}

export interface Call {
  /** the whole call expression, from callee to closing parenthesis */
  span: Span;
  /** the callee expression (`fs.readFileSync`, `time.sleep`): what a finding points at */
  calleeSpan: Span;
  /**
   * The resolved qualified name: `fs.readFileSync` (node: prefix dropped), `fs/promises.readFile`,
   * `time.sleep`, `builtins.open`, `threading.Lock.acquire` (a method on a value of a known type),
   * `Atomics.wait` (a global). Undefined when the callee does not resolve to anything the front end
   * can name (local functions, parameters, shadowed names): such calls are never matched by name.
   */
  name: string | undefined;
  /** the name as written at the call site (`rf`, `t.sleep`), for messages */
  written: string;
  /** id of the innermost scope in which the call runs */
  scope: number;
  /** the call is the direct operand of `await` */
  awaited: boolean;
  /** `new X()` (JS) */
  isNew: boolean;
  args: Argument[];
  /**
   * The callee is reached through an import of another module (not a catalogue API): what the project
   * model (engine/workspace) resolves to a function of another file. Undefined for local callees,
   * globals and anything the front end cannot follow (a parameter, a reassigned binding).
   */
  imported?: ImportedName;
  /**
   * The id of the function scope in this file that the call certainly calls: the callee is a plain
   * name bound (in scope, not shadowed) to a function declaration or a `const f =` function/arrow
   * (JS/TS; a `let`/`var` may be reassigned, an assignment to a declared function is not looked for) or
   * to a `def` and nothing else (Python), or `this.m(…)`/`self.m(…)` naming the one method `m` of the
   * enclosing class (an override in a subclass elsewhere is not seen). Undefined otherwise — and for a `def` whose decorator memoizes
   * (`@functools.cache`): the name then calls the cache, not the function.
   */
  target?: number;
  /**
   * The call's result is iterated synchronously right where the call is written, so a generator it
   * returns runs there: JS/TS `for (… of g())`, `[...g()]`, `f(...g())`, `yield* g()`, `const [a] = g()`,
   * `[a, b] = g()`, the argument of `Array.from`/`Object.fromEntries`/`Promise.all` (and allSettled, race,
   * any); Python `for … in g()`, `… in g()`, a list/set/dict comprehension's `for … in g()` (not a
   * generator expression's), `yield from g()`, `*g()`, `a, b = g()`, the only argument of
   * `list`/`tuple`/`set`/`frozenset`/`dict`/`sorted`/`sum`/`any`/`all`/`next` (`min`/`max` with one
   * argument), `'…'.join(g())`. Undefined otherwise (a result stored and iterated later is not seen).
   */
  iterated?: boolean;
}

/**
 * A callee named through an import, as the source writes it — resolution to a file is the project
 * model's job (engine/workspace/resolve-*.ts), not the front end's.
 *
 * JS/TS: `import { loadConfig } from './config'; loadConfig()` → `{ specifier: './config', path: ['loadConfig'] }`;
 * `import * as util from '../lib/util'; util.readAll()` → `['readAll']`; a default import → `['default']`;
 * `const h = require('./helper'); h.go()` → `['go']`, `const go = require('./helper')` → `[]` (the module
 * itself is the function: `module.exports = function …`).
 * Python: `from .config import load_config` → `{ specifier: '.config', path: ['load_config'] }`;
 * `from pkg import util; util.read_all()` → `{ specifier: 'pkg', path: ['util', 'read_all'] }` (whether
 * `util` is a submodule or an attribute is for the resolver to find out); `import pkg.helpers as hp;
 * hp.go()` → `{ specifier: 'pkg.helpers', path: ['go'] }`; `import pkg.helpers; pkg.helpers.go()` → `{ specifier:
 * 'pkg', path: ['helpers', 'go'] }` (the statement binds `pkg`). Relative specifiers keep their leading dots
 * (`from . import util; util.f()` → `{ specifier: '.', path: ['util', 'f'] }`), and such calls are named with
 * them (`Call.name` `.util.f`: no catalogue name starts with a dot).
 */
export interface ImportedName {
  specifier: string;
  path: string[];
}

/**
 * A name other modules can import from this file, and what it is.
 * JS/TS: `export function f`, `export const f = () => …`, `export default function`, `export { f as g }`,
 * `module.exports = { f }`, `module.exports.f = …`, `exports.f = …`, `module.exports = f` (name `default`
 * and, for CommonJS, also reachable with an empty path). Re-exports (`export { f } from './x'`,
 * `export * from './x'`) carry `from`. Python: every module-level `def` (and `async def`), and names
 * imported at module level (`from .impl import f` re-exports `f`).
 */
export interface ModuleExport {
  /** the exported name; `default` for default exports, `*` for `export * from` */
  name: string;
  /** the function scope it names, when it is one of this file's functions */
  scope?: number;
  /** re-exported from another module: the import it comes through */
  from?: ImportedName;
}

export interface Comment {
  span: Span;
  /** the full comment text including its delimiters (`// …`, `/* … *\/`, `# …`) */
  text: string;
}

export interface SyntaxProblem {
  span: Span;
  message: string;
}

/**
 * State that more than one thread, worker or task can reach, as the source names it. Locals and
 * parameters are never state (a parameter's object may be shared, but we cannot know).
 *
 * - `variable`: a module-level variable (Python: assigned in a function through `global`; JS/TS: a
 *   module-level `let`/`var`).
 * - `attribute`: an attribute of an instance (`self.count`, `this.balance`) or of a module-level object
 *   (`stats.total`).
 * - `element`: an entry of a container held in a module-level variable or an instance attribute
 *   (`cache[key]`, `counts[k]`, `self.totals[i]`, a JS `Map`'s `cache.get(k)`/`cache.set(k, …)`), or an
 *   element of a typed array over a shared `SharedArrayBuffer` (`shared[i]`).
 */
export interface StateRef {
  kind: 'variable' | 'attribute' | 'element';
  /**
   * `module`: reached through a module-level name; `instance`: through `self`/`this` (the same
   * instance may be used by several threads or tasks); `shared-memory`: a SharedArrayBuffer view.
   */
  owner: 'module' | 'instance' | 'shared-memory';
  /**
   * What identifies the state across the file, for matching a write with the lock guarding the same
   * state elsewhere: `counter`, `stats.total`, `Counter.self.count` (instance attributes are per class),
   * `cache[]` (all entries of one container are one state). Equal keys are the same state.
   */
  key: string;
  /** as written at this place, for messages: `counter`, `self.count`, `cache[key]`, `shared[i]` */
  written: string;
}

/**
 * A write to state made in a function (writes in module start-up code are not recorded).
 *
 * `update` is a read-modify-write: `n += 1`, `n = n + 1`, `d[k] = d.get(k, 0) + 1`, `a[i]++`,
 * `self.total = self.total + x`; `store` a plain store of a value that does not read the state
 * (`a[i] = v`, `flag = True`). Python front ends record updates only; stores matter for shared memory.
 */
export interface StateWrite {
  /** the whole statement (or, for a write inside a larger expression, the expression) */
  span: Span;
  /** the innermost function scope the write runs in */
  scope: number;
  state: StateRef;
  op: 'update' | 'store';
  /** the operator as written: `+=`, `++`, `=`, … */
  operator: string;
  /**
   * Shared memory only: the element type allows `Atomics` (integer typed arrays). False for
   * `Float32Array`/`Float64Array`, undefined for other state.
   */
  atomics?: boolean;
}

/**
 * A stretch of code that runs with a lock held: the body of `with lock:` / `async with lock:`, the
 * statements between `lock.acquire()` and `lock.release()`, the callback of `mutex.runExclusive(…)`.
 * The front end decides what is a lock (a value of a known lock type, or a name that says it is one).
 */
export interface LockRegion {
  span: Span;
  /** the scope the region is in */
  scope: number;
  /** `thread`: threading.Lock/RLock/Condition/Semaphore…; `async`: asyncio.Lock, async-mutex, … */
  kind: 'thread' | 'async';
  /** the lock as written (`lock`, `self._lock`, `Counter._lock`): a fix may reuse it */
  lock: string;
}

/**
 * In async code, a read of state and a write of the same state with an `await` between them, where
 * the write depends on what was read: another task may change the state while this one waits, and the
 * write then overwrites that change with a value computed from a stale read.
 *
 * - `update`: read and write are one statement: `balance += await f()`, `x = x + await f()`,
 *   `state = await reduce(state, action)`.
 * - `stale`: a value read before the await is written back after it, through a local:
 *   `const b = this.balance; await save(); this.balance = b - amount`.
 * - `check`: a test of the state before the await decides a write after it (check-then-act):
 *   `if key not in cache: cache[key] = await compute(key)`, `if (!this.conn) this.conn = await connect()`.
 *
 * Re-reading the state after the await (`const b = this.balance` again) ends the race and records nothing.
 */
export interface AwaitRace {
  pattern: 'update' | 'stale' | 'check';
  state: StateRef;
  /** the async function the race is in */
  scope: number;
  read: Span;
  /** the `await` expression (or `async for`/`async with` head) between the read and the write */
  await: Span;
  write: Span;
}

/** Everything rules may read about one file. Built once per analysis and thrown away afterwards. */
export interface SourceModel {
  family: LanguageFamily;
  /** the LSP language id or one inferred from the file extension */
  languageId: string;
  fileName: string;
  text: string;
  scopes: FunctionScope[];
  calls: Call[];
  /** loops and comprehensions, in source order (parents before children) */
  loops: Loop[];
  comments: Comment[];
  syntaxProblems: SyntaxProblem[];
  /** what other modules can import from this file; absent when the front end does not say */
  exports?: ModuleExport[];
  /** writes to shared state made in functions, in source order */
  stateWrites: StateWrite[];
  /** stretches of code run with a lock held, in source order */
  lockRegions: LockRegion[];
  /** read → await → write races in async functions, in source order of their writes */
  awaitRaces: AwaitRace[];
  /** builds text edits for this file's fixes; rules pass it catalogue data, never syntax nodes */
  fixer: FileFixer;
}

/** The scope a call effectively runs in: inline scopes run in their parent's context. */
export function effectiveScope(model: SourceModel, scopeId: number): FunctionScope {
  let scope = model.scopes[scopeId];
  while (scope.kind === 'inline' && scope.parent !== undefined) scope = model.scopes[scope.parent];
  return scope;
}

/** The innermost lock region of `kind` in `scope` that contains `span`, if any. */
export function lockAround(model: SourceModel, span: Span, scope: number, kind: LockRegion['kind']): LockRegion | undefined {
  let found: LockRegion | undefined;
  for (const r of model.lockRegions) {
    if (r.span.start > span.start) break;
    if (r.kind === kind && r.scope === scope && r.span.start <= span.start && span.end <= r.span.end) found = r;
  }
  return found;
}

/** True when code in this scope runs on the event loop after start-up. */
export function runsOnEventLoop(scope: FunctionScope): boolean {
  return scope.kind === 'async' || scope.kind === 'loop-callback';
}
