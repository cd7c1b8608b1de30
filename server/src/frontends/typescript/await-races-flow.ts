// race-across-await, JS/TS: the walk of one async function that finds read → await → write races.
//
// An abstract interpretation of the function body in evaluation order (nested functions are not
// entered: their awaits and writes happen when they are called, not here). The state along a path:
// - `awaits`: the awaits that certainly happened on every path to here (must-analysis: an await in
//   one branch of an `if`, in a loop body that may run zero times, or in a `try` whose `catch` may
//   run instead does not count after it; a second pass over a loop body finds the races that an
//   await at the end of one iteration opens for the next);
// - `locals`: for each local of the function, the reads of state its value was computed from
//   (`const b = this.balance`, `const nb = b - 1`, `let { count } = state`, through calls too:
//   `const list = this.items.concat(x)`); reassigning the local from anything else forgets them;
// - `checks`: tests of state that decided the path (`if (!cache.has(k))`, `if (this.conn) return …`,
//   `if (cached) return cached` where `cached` holds `cache.get(k)`).
// Every read and every await gets a number in the order the walk meets them, so "an await after the
// read" is "an await on this path with a larger number".
//
// A write of state whose value was computed from a read of the same state (the same entry of a
// container: `cache[k]`) with an await on the path between them is a race: `update` when the read is
// in the same statement (`x += await f()`, `x = await g(x)`, `cache.set(k, (cache.get(k) ?? 0) + await f())`),
// `stale` when it came through a local, `check` when the read only decided whether the value was
// computed (`this.conn ??= await connect()`, `this.conn = this.conn ?? await connect()`). When the
// value also reads the state afresh after the last await (`x = x + delta(old)`) nothing is recorded.
// A write of state after an await on a path decided by a test of the same state is a `check` race;
// re-reading the state after the await (a re-check) or writing it before the await (a placeholder, an
// `initialized = true` flag) ends it, and only the branch where the state is absent counts
// (`if (!this.running) return; await close(); this.running = false` is not one).

import ts from 'typescript';
import type { AwaitRace, LockRegion, Span } from '../../engine/model';
import { skipOuter } from './bindings';
import {
  collectDeclared, containersOf, declaredIn, isFunctionLike, squash,
  type ContainerKind, type ModuleVar, type Ref, type ThisOwner,
} from './await-races-state';

const SK = ts.SyntaxKind;

interface Track {
  id: number;
  ref: Ref;
  read: ts.Node;
  /** direct: read in the expression itself; local: through a local; test: it decided a `??`/`||`/`&&`/`?:` */
  via: 'direct' | 'local' | 'test';
  /**
   * An await that certainly ran before this value was used, on the branch the value comes from:
   * `x ?? await f()` joins a path with the await and one without, but its value is the awaited one
   * exactly when the test read `x` and found nothing.
   */
  awaitedBy?: number;
}

interface FlowState {
  dead: boolean;
  awaits: readonly number[];
  locals: ReadonlyMap<string, readonly Track[]>;
  checks: readonly Track[];
}

interface AwaitPoint {
  node: ts.Node;
  span: Span;
}

/** What the fixer needs about a recorded race: its nodes. */
export interface RaceSite {
  fn: ts.FunctionLikeDeclaration;
  read: ts.Node;
  await: ts.Node;
  /** the assignment, update or `.set(…)` call that writes */
  write: ts.Expression;
  /** an `update` race whose awaited expression itself reads the state (`x = await g(x)`) */
  awaitReadsState: boolean;
}

/** How a lock is taken, for a fix that reuses it; a `flag` guard makes other callers give up, not wait. */
export type LockStyle = 'mutex' | 'semaphore' | 'callback' | 'flag';

export interface FunctionInput {
  sf: ts.SourceFile;
  text: string;
  fn: ts.FunctionLikeDeclaration;
  /** the function's ancestors from the top-level statement down, the function last */
  chain: readonly ts.Node[];
  scopeId: number;
  moduleVars: ReadonlyMap<string, ModuleVar>;
  thisOwner: ThisOwner | undefined;
  isGenerator: boolean;
}

export interface FunctionOutput {
  races: Array<{ race: AwaitRace; site: RaceSite }>;
  regions: Array<{ region: LockRegion; style: LockStyle }>;
}

const EMPTY: readonly Track[] = [];
const LOCK_NAME = /lock|mutex|sema(?:phore)?|^sem$|Sem$/i;
const RELEASE_NAME = /^(?:release|unlock|releaseLock|unlockFn|done|free)\w*$/i;

function isAssignmentOperator(k: ts.SyntaxKind): boolean {
  return k >= SK.FirstAssignment && k <= SK.LastAssignment;
}

function isLogicalAssignment(k: ts.SyntaxKind): boolean {
  return k === SK.QuestionQuestionEqualsToken || k === SK.BarBarEqualsToken || k === SK.AmpersandAmpersandEqualsToken;
}

function sameTracks(a: readonly Track[], b: readonly Track[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function intersect(a: readonly number[], b: readonly number[]): readonly number[] {
  if (a === b) return a;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push(a[i]);
      i++;
      j++;
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  return out;
}

function join(a: FlowState, b: FlowState): FlowState {
  if (a.dead) return b;
  if (b.dead) return a;
  const locals = new Map<string, readonly Track[]>();
  for (const [k, ta] of a.locals) {
    const tb = b.locals.get(k);
    if (tb && sameTracks(ta, tb)) locals.set(k, ta);
  }
  return {
    dead: false,
    awaits: intersect(a.awaits, b.awaits),
    locals,
    checks: a.checks === b.checks ? a.checks : a.checks.filter((t) => b.checks.includes(t)),
  };
}

/** Whether `prefix` is `entry` or an access through it (`this.conn` for `this.conn.socket`). */
function covers(prefix: string, entry: string): boolean {
  return entry === prefix || (entry.startsWith(prefix) && (entry[prefix.length] === '.' || entry[prefix.length] === '['));
}

interface TestHit {
  ref: Ref;
  read: ts.Node;
  /** the number of the read: a local's value may have been read long before the test */
  id: number | undefined;
}

export class FunctionRaces {
  private seq = 0;
  private s: FlowState = { dead: false, awaits: [], locals: new Map(), checks: [] };
  private readonly awaitPoints = new Map<number, AwaitPoint>();
  private readonly declared: Set<string>;
  /** locals a nested function assigns: their values are not followed */
  private readonly closureAssigned = new Set<string>();
  private readonly recorded = new Set<ts.Node>();
  private readonly out: FunctionOutput = { races: [], regions: [] };
  /** the expression statement being evaluated, to report its span for a write that is all of it */
  private statementExpr: ts.Node | undefined;
  private statement: ts.Statement | undefined;
  private ancestorsDeclared: Set<string>[] | undefined;
  private containers: Map<string, ContainerKind> | undefined;
  private repeating = 0;
  private readonly regionStarts = new Set<number>();

  constructor(private readonly input: FunctionInput) {
    this.declared = declaredIn(input.fn);
  }

  /**
   * Cheap, before the flow analysis: a race needs an await (or `for await`, or `yield` in an async
   * generator) and a write whose target is rooted at `this` or at a module variable, both in the
   * function itself. One walk of the function, nested functions skipped; only when both are there are
   * the nested functions walked for the locals they assign (`closureAssigned`).
   */
  static worthReading(input: FunctionInput, closureAssigned: Set<string>): boolean {
    const { moduleVars, thisOwner, fn } = input;
    let awaits = false;
    let writes = false;
    const nestedFns: ts.Node[] = [];
    const rooted = (target: ts.Expression): boolean => {
      let e = skipOuter(target);
      while (e.kind === SK.PropertyAccessExpression || e.kind === SK.ElementAccessExpression) e = skipOuter((e as ts.PropertyAccessExpression).expression);
      if (e.kind === SK.ThisKeyword) return thisOwner !== undefined;
      return e.kind === SK.Identifier && moduleVars.has((e as ts.Identifier).text);
    };
    const visit = (n: ts.Node): void => {
      switch (n.kind) {
        case SK.AwaitExpression:
          awaits = true;
          break;
        case SK.YieldExpression:
          if (input.isGenerator) awaits = true;
          break;
        case SK.ForOfStatement:
          if ((n as ts.ForOfStatement).awaitModifier) awaits = true;
          break;
        case SK.FunctionDeclaration:
        case SK.FunctionExpression:
        case SK.ArrowFunction:
        case SK.MethodDeclaration:
        case SK.GetAccessor:
        case SK.SetAccessor:
        case SK.Constructor:
        case SK.ClassDeclaration:
        case SK.ClassExpression:
          nestedFns.push(n);
          return;
        case SK.BinaryExpression: {
          const b = n as ts.BinaryExpression;
          if (!writes && isAssignmentOperator(b.operatorToken.kind) && rooted(b.left)) writes = true;
          break;
        }
        case SK.PrefixUnaryExpression:
        case SK.PostfixUnaryExpression: {
          const u = n as ts.PrefixUnaryExpression;
          if (!writes && (u.operator === SK.PlusPlusToken || u.operator === SK.MinusMinusToken) && rooted(u.operand)) writes = true;
          break;
        }
        case SK.DeleteExpression:
          if (!writes && rooted((n as ts.DeleteExpression).expression)) writes = true;
          break;
        case SK.CallExpression: {
          const callee = skipOuter((n as ts.CallExpression).expression);
          if (!writes && callee.kind === SK.PropertyAccessExpression) {
            const m = (callee as ts.PropertyAccessExpression).name.text;
            if ((m === 'set' || m === 'add' || m === 'delete') && rooted((callee as ts.PropertyAccessExpression).expression)) writes = true;
          }
          break;
        }
      }
      ts.forEachChild(n, visit);
    };
    for (const p of fn.parameters) if (p.initializer) visit(p.initializer);
    if (fn.body) visit(fn.body);
    if (!awaits || !writes) return false;
    const assigned = (n: ts.Node): void => {
      if (n.kind === SK.BinaryExpression && isAssignmentOperator((n as ts.BinaryExpression).operatorToken.kind)) {
        const left = skipOuter((n as ts.BinaryExpression).left);
        if (left.kind === SK.Identifier) closureAssigned.add((left as ts.Identifier).text);
      } else if (n.kind === SK.PrefixUnaryExpression || n.kind === SK.PostfixUnaryExpression) {
        const operand = skipOuter((n as ts.PrefixUnaryExpression).operand);
        if (operand.kind === SK.Identifier) closureAssigned.add((operand as ts.Identifier).text);
      }
      ts.forEachChild(n, assigned);
    };
    for (const n of nestedFns) assigned(n);
    return true;
  }

  run(closureAssigned: Set<string>): FunctionOutput {
    for (const n of closureAssigned) this.closureAssigned.add(n);
    const fn = this.input.fn;
    this.callbackRegion();
    const body = fn.body;
    if (!body) return this.out;
    if (body.kind === SK.Block) this.statements((body as ts.Block).statements);
    else {
      this.statement = undefined;
      this.statementExpr = undefined;
      this.ev(body as ts.Expression);
    }
    return this.out;
  }

  // ---------------------------------------------------------------- names

  private isLocal(name: string): boolean {
    return this.declared.has(name);
  }

  /** A module variable visible here: declared at the top level and not declared again on the way. */
  private moduleVar(name: string): ModuleVar | undefined {
    const v = this.input.moduleVars.get(name);
    if (!v || this.declared.has(name)) return undefined;
    if (!this.ancestorsDeclared) {
      this.ancestorsDeclared = [];
      const chain = this.input.chain;
      for (let i = 0; i < chain.length - 1; i++) {
        const n = chain[i];
        if (isFunctionLike(n)) this.ancestorsDeclared.push(declaredIn(n));
        else if (i === 0 && n.kind !== SK.ClassDeclaration && n.kind !== SK.VariableStatement && n.kind !== SK.ExpressionStatement && n.kind !== SK.ExportAssignment) {
          this.ancestorsDeclared.push(declaredIn(n));
        }
      }
    }
    for (const d of this.ancestorsDeclared) if (d.has(name)) return undefined;
    return v;
  }

  // ---------------------------------------------------------------- state references

  /** The state a property chain / identifier denotes, and its base for containers. */
  private refOf(expr: ts.Expression): (Ref & { container: ContainerKind | undefined }) | undefined {
    const e = skipOuter(expr);
    if (e.kind === SK.Identifier) {
      const v = this.moduleVar((e as ts.Identifier).text);
      if (!v || !v.mutable) return undefined;
      return { state: { kind: 'variable', owner: 'module', key: v.name, written: v.name }, entry: v.name, container: v.container };
    }
    if (e.kind === SK.PropertyAccessExpression) {
      const names: string[] = [];
      let cur: ts.Expression = e;
      while (cur.kind === SK.PropertyAccessExpression) {
        const pa = cur as ts.PropertyAccessExpression;
        if ((pa.flags & ts.NodeFlags.OptionalChain) !== 0 && pa.questionDotToken) return undefined;
        names.push(pa.name.text);
        cur = skipOuter(pa.expression);
      }
      names.reverse();
      const written = this.input.text.slice(e.getStart(this.input.sf), e.end);
      let prefix: string;
      let owner: 'module' | 'instance';
      let container: ContainerKind | undefined;
      if (cur.kind === SK.ThisKeyword) {
        const t = this.input.thisOwner;
        if (!t) return undefined;
        prefix = t.prefix;
        owner = t.owner;
        if (names.length === 1) {
          if (t.cls) container = (this.containers ??= containersOf(t.cls, t.isStatic)).get(names[0]);
          else if (t.owner === 'module') container = undefined;
        }
      } else if (cur.kind === SK.Identifier) {
        const v = this.moduleVar((cur as ts.Identifier).text);
        if (!v) return undefined;
        prefix = v.name;
        owner = 'module';
      } else return undefined;
      const key = `${prefix}.${names.join('.')}`;
      return { state: { kind: 'attribute', owner, key, written }, entry: key, container };
    }
    return undefined;
  }

  /** `cache[k]`: an entry of a container that is state. */
  private elementRef(e: ts.ElementAccessExpression): Ref | undefined {
    const base = this.baseOf(e.expression);
    if (!base) return undefined;
    const { sf, text } = this.input;
    const index = squash(text.slice(e.argumentExpression.getStart(sf), e.argumentExpression.end));
    const written = text.slice(e.getStart(sf), e.end);
    return { state: { kind: 'element', owner: base.owner, key: `${base.key}[]`, written }, entry: `${base.key}[${index}]` };
  }

  /** A container that is state: a module variable (let or const) or a property chain from `this` or one. */
  private baseOf(expr: ts.Expression): { key: string; owner: 'module' | 'instance'; container: ContainerKind | undefined } | undefined {
    const e = skipOuter(expr);
    if (e.kind === SK.Identifier) {
      const v = this.moduleVar((e as ts.Identifier).text);
      return v ? { key: v.name, owner: 'module', container: v.container } : undefined;
    }
    const r = this.refOf(e);
    return r && r.state.kind === 'attribute' ? { key: r.state.key, owner: r.state.owner === 'instance' ? 'instance' : 'module', container: r.container } : undefined;
  }

  /** `cache.get(k)` / `cache.has(k)` / `cache.set(k, v)` on a Map or Set that is state. */
  private containerCall(call: ts.CallExpression): { ref: Ref; method: string; key: ts.Expression | undefined } | undefined {
    const callee = skipOuter(call.expression);
    if (callee.kind !== SK.PropertyAccessExpression || (callee as ts.PropertyAccessExpression).questionDotToken) return undefined;
    const pa = callee as ts.PropertyAccessExpression;
    const method = pa.name.text;
    if (method !== 'get' && method !== 'has' && method !== 'set' && method !== 'add' && method !== 'delete') return undefined;
    const base = this.baseOf(pa.expression);
    if (!base || !base.container) return undefined;
    if (base.container === 'map' && method === 'add') return undefined;
    if (base.container === 'set' && (method === 'get' || method === 'set')) return undefined;
    const keyArg = call.arguments[0];
    if (!keyArg || keyArg.kind === SK.SpreadElement) return undefined;
    const { sf, text } = this.input;
    const index = squash(text.slice(keyArg.getStart(sf), keyArg.end));
    const baseText = text.slice(pa.expression.getStart(sf), pa.expression.end);
    return {
      ref: { state: { kind: 'element', owner: base.owner, key: `${base.key}[]`, written: `${baseText}.get(${text.slice(keyArg.getStart(sf), keyArg.end)})` }, entry: `${base.key}[${index}]` },
      method,
      key: keyArg,
    };
  }

  // ---------------------------------------------------------------- events

  private read(ref: Ref, node: ts.Node, via: Track['via'] = 'direct'): Track {
    const t: Track = { id: ++this.seq, ref, read: node, via };
    // a re-read after the await is a re-check: the earlier test no longer decides anything
    const s = this.s;
    if (s.checks.length > 0 && s.checks.some((c) => covers(c.ref.entry, ref.entry))) {
      this.s = { ...s, checks: s.checks.filter((c) => !covers(c.ref.entry, ref.entry)) };
    }
    return t;
  }

  private awaitAt(node: ts.Node, span: Span): void {
    const id = ++this.seq;
    this.awaitPoints.set(id, { node, span });
    this.s = { ...this.s, awaits: [...this.s.awaits, id] };
  }

  /** The first await on this path after the read, if any. */
  private awaitAfter(t: { id: number }): number | undefined {
    const a = this.s.awaits;
    if (a.length === 0 || a[a.length - 1] < t.id) return undefined;
    let lo = 0;
    let hi = a.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid] > t.id) hi = mid;
      else lo = mid + 1;
    }
    return a[lo];
  }

  private writeSpan(write: ts.Expression): Span {
    const { sf } = this.input;
    if (this.statement && this.statementExpr === write) return { start: this.statement.getStart(sf), end: this.statement.end };
    return { start: write.getStart(sf), end: write.end };
  }

  private write(ref: Ref, value: readonly Track[], write: ts.Expression): void {
    if (!this.s.dead) this.checkWrite(ref, value, write);
    // the write settles the state: a test before it no longer decides anything after it
    const s = this.s;
    if (s.checks.some((c) => covers(c.ref.entry, ref.entry) || covers(ref.entry, c.ref.entry))) {
      this.s = { ...s, checks: s.checks.filter((c) => !covers(c.ref.entry, ref.entry) && !covers(ref.entry, c.ref.entry)) };
    }
  }

  private checkWrite(ref: Ref, value: readonly Track[], write: ts.Expression): void {
    if (this.recorded.has(write)) return;
    let stale: Track | undefined;
    let staleAwait: number | undefined;
    for (const t of value) {
      if (t.ref.entry !== ref.entry) continue;
      const a = this.awaitAfter(t) ?? t.awaitedBy;
      // the value also reads the state after the last await: it merges, it does not overwrite
      if (a === undefined) return;
      if (!stale) {
        stale = t;
        staleAwait = a;
      }
    }
    if (stale && staleAwait !== undefined) {
      const pattern = stale.via === 'test' ? 'check' : stale.via === 'local' ? 'stale' : 'update';
      const point = this.awaitPoints.get(staleAwait) as AwaitPoint;
      const awaitReadsState = value.some((t) => t.ref.entry === ref.entry && t.read.pos >= point.node.pos && t.read.end <= point.node.end);
      this.record(pattern, ref, stale, point, write, awaitReadsState);
      return;
    }
    for (const c of this.s.checks) {
      if (c.ref.entry !== ref.entry) continue;
      const a = this.awaitAfter(c);
      if (a === undefined) continue;
      this.record('check', ref, c, this.awaitPoints.get(a) as AwaitPoint, write, false);
      return;
    }
  }

  private record(pattern: AwaitRace['pattern'], ref: Ref, t: Track, point: AwaitPoint, write: ts.Expression, awaitReadsState: boolean): void {
    const { sf } = this.input;
    this.recorded.add(write);
    const race: AwaitRace = {
      pattern,
      state: ref.state,
      scope: this.input.scopeId,
      read: { start: t.read.getStart(sf), end: t.read.end },
      await: point.span,
      write: this.writeSpan(write),
    };
    this.out.races.push({ race, site: { fn: this.input.fn, read: t.read, await: point.node, write, awaitReadsState } });
  }

  // ---------------------------------------------------------------- statements

  private statements(list: readonly ts.Statement[]): void {
    for (let i = 0; i < list.length; i++) {
      if (this.s.dead) return;
      this.acquireRegion(list, i);
      this.flagRegion(list, i);
      this.stmt(list[i]);
    }
  }

  private stmt(node: ts.Statement): void {
    if (this.s.dead) return;
    switch (node.kind) {
      case SK.Block:
        this.statements((node as ts.Block).statements);
        return;
      case SK.VariableStatement:
        this.statement = node;
        this.statementExpr = undefined;
        this.declarationList((node as ts.VariableStatement).declarationList);
        return;
      case SK.ExpressionStatement: {
        const e = (node as ts.ExpressionStatement).expression;
        this.statement = node;
        this.statementExpr = skipOuter(e);
        this.ev(e);
        return;
      }
      case SK.IfStatement:
        this.ifStatement(node as ts.IfStatement);
        return;
      case SK.ReturnStatement:
      case SK.ThrowStatement: {
        const e = (node as ts.ReturnStatement).expression;
        this.statement = node;
        this.statementExpr = undefined;
        if (e) this.ev(e);
        this.s = { ...this.s, dead: true };
        return;
      }
      case SK.BreakStatement:
      case SK.ContinueStatement:
        this.s = { ...this.s, dead: true };
        return;
      case SK.ForStatement: {
        const f = node as ts.ForStatement;
        this.statement = node;
        this.statementExpr = undefined;
        if (f.initializer) {
          if (f.initializer.kind === SK.VariableDeclarationList) this.declarationList(f.initializer as ts.VariableDeclarationList);
          else this.ev(f.initializer as ts.Expression);
        }
        if (f.condition) this.ev(f.condition);
        this.loop(() => {
          this.stmt(f.statement);
          if (!this.s.dead && f.incrementor) {
            this.statement = node;
            this.statementExpr = undefined;
            this.ev(f.incrementor);
          }
          if (!this.s.dead && f.condition) this.ev(f.condition);
        });
        return;
      }
      case SK.ForOfStatement:
      case SK.ForInStatement: {
        const f = node as ts.ForOfStatement;
        this.statement = node;
        this.statementExpr = undefined;
        this.ev(f.expression);
        this.forget(f.initializer);
        if (f.awaitModifier) {
          const { sf, text } = this.input;
          const start = f.getStart(sf);
          const close = text.lastIndexOf(')', f.statement.getStart(sf) - 1);
          const span = { start, end: close > start ? close + 1 : f.statement.getStart(sf) };
          this.awaitAt(f, span);
          this.loop(() => {
            this.stmt(f.statement);
            if (!this.s.dead) this.awaitAt(f, span);
          });
          this.awaitAt(f, span);
          return;
        }
        this.loop(() => this.stmt(f.statement));
        return;
      }
      case SK.WhileStatement: {
        const w = node as ts.WhileStatement;
        this.statement = node;
        this.statementExpr = undefined;
        this.ev(w.expression);
        this.loop(() => {
          this.stmt(w.statement);
          if (!this.s.dead) this.ev(w.expression);
        });
        return;
      }
      case SK.DoStatement: {
        const d = node as ts.DoStatement;
        this.loop(() => {
          this.stmt(d.statement);
          if (!this.s.dead) {
            this.statement = node;
            this.statementExpr = undefined;
            this.ev(d.expression);
          }
        });
        return;
      }
      case SK.TryStatement: {
        const t = node as ts.TryStatement;
        const before = this.s;
        this.statements(t.tryBlock.statements);
        let after = this.s;
        if (t.catchClause) {
          // the catch block may run after any statement of the try block: start from before it
          this.s = before;
          if (t.catchClause.variableDeclaration) this.forget(t.catchClause.variableDeclaration.name);
          this.statements(t.catchClause.block.statements);
          after = join(after, this.s);
        }
        this.s = after;
        if (t.finallyBlock) {
          const dead = this.s.dead;
          if (dead) this.s = { ...before, dead: false };
          this.statements(t.finallyBlock.statements);
          if (dead) this.s = { ...this.s, dead: true };
        }
        return;
      }
      case SK.SwitchStatement: {
        const sw = node as ts.SwitchStatement;
        this.statement = node;
        this.statementExpr = undefined;
        this.ev(sw.expression);
        const start = this.s;
        let end: FlowState | undefined;
        let hasDefault = false;
        for (const clause of sw.caseBlock.clauses) {
          this.s = start;
          if (clause.kind === SK.CaseClause) this.ev(clause.expression);
          else hasDefault = true;
          this.statements(clause.statements);
          end = end ? join(end, this.s) : this.s;
        }
        this.s = end && hasDefault ? end : end ? join(end, start) : start;
        return;
      }
      case SK.LabeledStatement:
        this.stmt((node as ts.LabeledStatement).statement);
        return;
      default:
        // declarations of functions, classes, types; empty statements: nothing runs here
        return;
    }
  }

  /** A loop body that may run zero or more times; a second pass finds races across iterations. */
  private loop(body: () => void): void {
    const before = this.s;
    body();
    const once = this.s;
    // nested loops would repeat 2^depth times: only the innermost few get their second pass
    if (!once.dead && once.awaits.length > before.awaits.length && this.repeating < 3) {
      this.repeating++;
      body();
      this.repeating--;
    }
    this.s = join(before, once);
  }

  private ifStatement(node: ts.IfStatement): void {
    this.statement = node;
    this.statementExpr = undefined;
    this.ev(node.expression);
    const hits = this.tests(node.expression);
    const start = this.s;
    this.s = this.withChecks(start, hits.whenTrue);
    this.stmt(node.thenStatement);
    const thenState = this.s;
    this.s = this.withChecks(start, hits.whenFalse);
    if (node.elseStatement) this.stmt(node.elseStatement);
    this.s = join(thenState, this.s);
  }

  private withChecks(s: FlowState, hits: readonly TestHit[]): FlowState {
    if (hits.length === 0 || s.dead) return s;
    const checks = [...s.checks];
    for (const h of hits) checks.push({ id: h.id ?? ++this.seq, ref: h.ref, read: h.read, via: 'test' });
    return { ...s, checks };
  }

  private declarationList(list: ts.VariableDeclarationList): void {
    for (const d of list.declarations) {
      if (this.s.dead) return;
      if (!d.initializer) {
        this.forget(d.name);
        continue;
      }
      if (d.name.kind === SK.ObjectBindingPattern) {
        const init = skipOuter(d.initializer);
        const props = this.destructured(d.name, init);
        if (props) {
          this.ev(d.initializer);
          for (const [name, ref] of props) this.setLocal(name, ref ? [this.read(ref, init)] : EMPTY);
          continue;
        }
      }
      const value = this.ev(d.initializer);
      this.assignPattern(d.name, value);
    }
  }

  /** `const { balance } = this`, `let { count } = state`: each name holds a read of its property. */
  private destructured(pattern: ts.ObjectBindingPattern, init: ts.Expression): Array<[string, Ref | undefined]> | undefined {
    let prefix: { key: string; owner: 'module' | 'instance'; text: string } | undefined;
    const { sf, text } = this.input;
    if (init.kind === SK.ThisKeyword) {
      const t = this.input.thisOwner;
      if (t) prefix = { key: t.prefix, owner: t.owner, text: 'this' };
    } else {
      const base = this.baseOf(init);
      if (base) prefix = { key: base.key, owner: base.owner, text: text.slice(init.getStart(sf), init.end) };
    }
    if (!prefix) return undefined;
    const out: Array<[string, Ref | undefined]> = [];
    for (const el of pattern.elements) {
      const prop = el.dotDotDotToken ? undefined : el.propertyName ? (el.propertyName.kind === SK.Identifier || el.propertyName.kind === SK.StringLiteral ? el.propertyName.text : undefined) : el.name.kind === SK.Identifier ? el.name.text : undefined;
      if (el.name.kind !== SK.Identifier) {
        const names = new Set<string>();
        collectDeclared(el.name, names);
        for (const n of names) out.push([n, undefined]);
        continue;
      }
      if (prop === undefined) {
        out.push([el.name.text, undefined]);
        continue;
      }
      const key = `${prefix.key}.${prop}`;
      out.push([el.name.text, { state: { kind: 'attribute', owner: prefix.owner, key, written: `${prefix.text}.${prop}` }, entry: key }]);
    }
    return out;
  }

  private assignPattern(name: ts.BindingName, value: readonly Track[]): void {
    if (name.kind === SK.Identifier) {
      this.setLocal(name.text, value);
      return;
    }
    const names = new Set<string>();
    collectDeclared(name, names);
    for (const n of names) this.setLocal(n, value);
  }

  private forget(name: ts.BindingName | ts.ForInitializer): void {
    if (name.kind === SK.VariableDeclarationList) {
      for (const d of (name as ts.VariableDeclarationList).declarations) this.forget(d.name);
      return;
    }
    if (name.kind === SK.Identifier) {
      this.setLocal((name as ts.Identifier).text, EMPTY);
      return;
    }
    if (name.kind === SK.ObjectBindingPattern || name.kind === SK.ArrayBindingPattern) {
      const names = new Set<string>();
      collectDeclared(name as ts.BindingName, names);
      for (const n of names) this.setLocal(n, EMPTY);
    }
  }

  private setLocal(name: string, value: readonly Track[]): void {
    const s = this.s;
    if (!this.isLocal(name) || this.closureAssigned.has(name)) return;
    if (value.length === 0) {
      if (!s.locals.has(name)) return;
      const locals = new Map(s.locals);
      locals.delete(name);
      this.s = { ...s, locals };
      return;
    }
    const locals = new Map(s.locals);
    locals.set(name, value);
    this.s = { ...s, locals };
  }

  // ---------------------------------------------------------------- tests of state

  /** Which tests of state hold when `cond` is true / false, for the path it decides. */
  private tests(cond: ts.Expression): { whenTrue: TestHit[]; whenFalse: TestHit[] } {
    const e = skipOuter(cond);
    if (e.kind === SK.PrefixUnaryExpression && (e as ts.PrefixUnaryExpression).operator === SK.ExclamationToken) {
      const inner = this.tests((e as ts.PrefixUnaryExpression).operand);
      return { whenTrue: inner.whenFalse, whenFalse: inner.whenTrue };
    }
    if (e.kind === SK.BinaryExpression) {
      const b = e as ts.BinaryExpression;
      const op = b.operatorToken.kind;
      if (op === SK.AmpersandAmpersandToken || op === SK.BarBarToken) {
        const l = this.tests(b.left);
        const r = this.tests(b.right);
        return { whenTrue: [...l.whenTrue, ...r.whenTrue], whenFalse: [...l.whenFalse, ...r.whenFalse] };
      }
      if (op === SK.InKeyword) {
        const base = this.baseOf(b.right);
        if (!base) return { whenTrue: [], whenFalse: [] };
        const { sf, text } = this.input;
        const index = squash(text.slice(b.left.getStart(sf), b.left.end));
        const ref: Ref = { state: { kind: 'element', owner: base.owner, key: `${base.key}[]`, written: text.slice(b.right.getStart(sf), b.right.end) }, entry: `${base.key}[${index}]` };
        return { whenTrue: [], whenFalse: [{ ref, read: b, id: undefined }] };
      }
      if (op === SK.EqualsEqualsToken || op === SK.EqualsEqualsEqualsToken || op === SK.ExclamationEqualsToken || op === SK.ExclamationEqualsEqualsToken) {
        const absentWhenEqual = (x: ts.Expression, y: ts.Expression): TestHit[] | undefined => {
          const yy = skipOuter(y);
          const nullish = yy.kind === SK.NullKeyword || (yy.kind === SK.Identifier && (yy as ts.Identifier).text === 'undefined') || (yy.kind === SK.VoidExpression);
          const typeofUndefined = skipOuter(x).kind === SK.TypeOfExpression && yy.kind === SK.StringLiteral && (yy as ts.StringLiteral).text === 'undefined';
          if (!nullish && !typeofUndefined) return undefined;
          const probe = typeofUndefined ? (skipOuter(x) as ts.TypeOfExpression).expression : x;
          return this.probe(probe);
        };
        const hits = absentWhenEqual(b.left, b.right) ?? absentWhenEqual(b.right, b.left) ?? [];
        const equal = op === SK.EqualsEqualsToken || op === SK.EqualsEqualsEqualsToken;
        return equal ? { whenTrue: hits, whenFalse: [] } : { whenTrue: [], whenFalse: hits };
      }
      return { whenTrue: [], whenFalse: [] };
    }
    if (e.kind === SK.CallExpression) {
      const c = this.containerCall(e as ts.CallExpression);
      if (c && (c.method === 'has' || c.method === 'get')) return { whenTrue: [], whenFalse: [{ ref: c.ref, read: e, id: undefined }] };
      return { whenTrue: [], whenFalse: [] };
    }
    // a value that is there or not: `if (this.conn)`, `if (cached)`
    return { whenTrue: [], whenFalse: this.probe(e) };
  }

  /** What a tested value reads: state directly, or a local computed from a read of state. */
  private probe(x: ts.Expression): TestHit[] {
    const e = skipOuter(x);
    if (e.kind === SK.Identifier && this.isLocal((e as ts.Identifier).text)) {
      const tracks = this.s.locals.get((e as ts.Identifier).text) ?? EMPTY;
      return tracks.map((t) => ({ ref: t.ref, read: t.read, id: t.id }));
    }
    if (e.kind === SK.ElementAccessExpression) {
      const r = this.elementRef(e as ts.ElementAccessExpression);
      return r ? [{ ref: r, read: e, id: undefined }] : [];
    }
    if (e.kind === SK.CallExpression) {
      const c = this.containerCall(e as ts.CallExpression);
      return c && c.method === 'get' ? [{ ref: c.ref, read: e, id: undefined }] : [];
    }
    const r = this.refOf(e);
    return r ? [{ ref: r, read: e, id: undefined }] : [];
  }

  // ---------------------------------------------------------------- expressions

  /** Evaluates an expression on the current path; returns the reads of state its value comes from. */
  private ev(node: ts.Expression): readonly Track[] {
    if (this.s.dead) return EMPTY;
    switch (node.kind) {
      case SK.ParenthesizedExpression:
      case SK.AsExpression:
      case SK.SatisfiesExpression:
      case SK.NonNullExpression:
      case SK.TypeAssertionExpression:
        return this.ev((node as ts.ParenthesizedExpression).expression);
      case SK.Identifier: {
        const name = (node as ts.Identifier).text;
        if (this.isLocal(name)) {
          const tracks = this.s.locals.get(name);
          return tracks ? tracks.map((t) => (t.via === 'test' ? t : { ...t, via: 'local' as const })) : EMPTY;
        }
        const r = this.refOf(node as ts.Identifier);
        return r ? [this.read(r, node)] : EMPTY;
      }
      case SK.PropertyAccessExpression: {
        const r = this.refOf(node as ts.PropertyAccessExpression);
        if (r) return [this.read(r, node)];
        const inner = this.ev((node as ts.PropertyAccessExpression).expression);
        return inner;
      }
      case SK.ElementAccessExpression: {
        const ea = node as ts.ElementAccessExpression;
        const r = this.elementRef(ea);
        if (r) {
          this.ev(ea.argumentExpression);
          return [this.read(r, node)];
        }
        return [...this.ev(ea.expression), ...this.ev(ea.argumentExpression)];
      }
      case SK.AwaitExpression: {
        const value = this.ev((node as ts.AwaitExpression).expression);
        const { sf } = this.input;
        this.awaitAt(node, { start: node.getStart(sf), end: node.end });
        return value;
      }
      case SK.YieldExpression: {
        const y = node as ts.YieldExpression;
        if (y.expression) this.ev(y.expression);
        if (this.input.isGenerator) {
          const { sf } = this.input;
          this.awaitAt(node, { start: node.getStart(sf), end: node.end });
        }
        return EMPTY;
      }
      case SK.CallExpression:
        return this.call(node as ts.CallExpression);
      case SK.NewExpression: {
        const n = node as ts.NewExpression;
        this.ev(n.expression);
        let out: Track[] = [];
        for (const a of n.arguments ?? []) out = out.concat(this.ev(a));
        return out;
      }
      case SK.BinaryExpression:
        return this.binary(node as ts.BinaryExpression);
      case SK.ConditionalExpression: {
        const c = node as ts.ConditionalExpression;
        const tested = this.ev(c.condition);
        const start = this.s;
        const a = this.ev(c.whenTrue);
        const afterTrue = this.s;
        this.s = start;
        const b = this.ev(c.whenFalse);
        const waited = afterTrue.awaits.length > start.awaits.length ? afterTrue.awaits[start.awaits.length]
          : this.s.awaits.length > start.awaits.length ? this.s.awaits[start.awaits.length] : undefined;
        this.s = join(afterTrue, this.s);
        const test = tested.map((t) => ({ ...t, via: 'test' as const, awaitedBy: t.awaitedBy ?? waited }));
        return [...test, ...a, ...b];
      }
      case SK.PrefixUnaryExpression:
      case SK.PostfixUnaryExpression: {
        const u = node as ts.PrefixUnaryExpression;
        const op = u.operator;
        if (op === SK.PlusPlusToken || op === SK.MinusMinusToken) return this.increment(u.operand, node as ts.Expression);
        return this.ev(u.operand);
      }
      case SK.DeleteExpression: {
        const operand = skipOuter((node as ts.DeleteExpression).expression);
        if (operand.kind === SK.ElementAccessExpression) {
          const r = this.elementRef(operand as ts.ElementAccessExpression);
          if (r) {
            this.ev((operand as ts.ElementAccessExpression).argumentExpression);
            this.write(r, EMPTY, node as ts.Expression);
            return EMPTY;
          }
        }
        this.ev((node as ts.DeleteExpression).expression);
        return EMPTY;
      }
      case SK.FunctionExpression:
      case SK.ArrowFunction:
      case SK.ClassExpression:
        // runs when called, not here
        return EMPTY;
      case SK.ThisKeyword:
      case SK.StringLiteral:
      case SK.NumericLiteral:
      case SK.NoSubstitutionTemplateLiteral:
      case SK.RegularExpressionLiteral:
      case SK.TrueKeyword:
      case SK.FalseKeyword:
      case SK.NullKeyword:
        return EMPTY;
      default: {
        let out: Track[] = [];
        ts.forEachChild(node, (child) => {
          if (this.s.dead) return;
          if (child.kind === SK.MethodDeclaration || child.kind === SK.GetAccessor || child.kind === SK.SetAccessor) return;
          if (ts.isExpression(child)) out = out.concat(this.ev(child));
          else if (child.kind === SK.PropertyAssignment) out = out.concat(this.ev((child as ts.PropertyAssignment).initializer));
          else if (child.kind === SK.ShorthandPropertyAssignment) out = out.concat(this.ev((child as ts.ShorthandPropertyAssignment).name));
          else if (child.kind === SK.SpreadAssignment) out = out.concat(this.ev((child as ts.SpreadAssignment).expression));
          else if (child.kind === SK.TemplateSpan) out = out.concat(this.ev((child as ts.TemplateSpan).expression));
        });
        return out;
      }
    }
  }

  private call(node: ts.CallExpression): readonly Track[] {
    const c = this.containerCall(node);
    if (c) {
      if (c.method === 'set') {
        this.ev(node.arguments[0]);
        const value = node.arguments[1] ? this.ev(node.arguments[1]) : EMPTY;
        this.write(c.ref, value, node);
        return EMPTY;
      }
      if (c.method === 'add' || c.method === 'delete') {
        this.ev(node.arguments[0]);
        this.write(c.ref, EMPTY, node);
        return EMPTY;
      }
      this.ev(node.arguments[0]);
      return [this.read(c.ref, node)];
    }
    const callee = skipOuter(node.expression);
    let out: readonly Track[];
    if (callee.kind === SK.PropertyAccessExpression) out = this.ev((callee as ts.PropertyAccessExpression).expression);
    else if (callee.kind === SK.ElementAccessExpression) out = [...this.ev((callee as ts.ElementAccessExpression).expression), ...this.ev((callee as ts.ElementAccessExpression).argumentExpression)];
    else out = this.ev(callee);
    const optional = node.questionDotToken !== undefined || (callee.kind === SK.PropertyAccessExpression && (callee as ts.PropertyAccessExpression).questionDotToken !== undefined);
    const start = this.s;
    let args: Track[] = [];
    for (const a of node.arguments) args = args.concat(this.ev(a));
    if (optional) this.s = join(start, this.s);
    // the result may come from the receiver and the arguments
    return out.length === 0 ? args : args.length === 0 ? out : [...out, ...args];
  }

  private binary(node: ts.BinaryExpression): readonly Track[] {
    const op = node.operatorToken.kind;
    if (isAssignmentOperator(op)) return this.assignment(node, op);
    if (op === SK.AmpersandAmpersandToken || op === SK.BarBarToken || op === SK.QuestionQuestionToken) {
      const left = this.ev(node.left);
      const start = this.s;
      const right = this.ev(node.right);
      // `this.conn ?? await connect()`: the read only decided whether to wait for a new value
      const waited = this.s.awaits.length > start.awaits.length ? this.s.awaits[start.awaits.length] : undefined;
      const decided = waited !== undefined ? left.map((t) => ({ ...t, via: 'test' as const, awaitedBy: t.awaitedBy ?? waited })) : left;
      this.s = join(start, this.s);
      return [...decided, ...right];
    }
    if (op === SK.InKeyword) {
      this.ev(node.left);
      const base = this.baseOf(node.right);
      if (base) {
        const { sf, text } = this.input;
        const index = squash(text.slice(node.left.getStart(sf), node.left.end));
        const ref: Ref = { state: { kind: 'element', owner: base.owner, key: `${base.key}[]`, written: text.slice(node.right.getStart(sf), node.right.end) }, entry: `${base.key}[${index}]` };
        return [this.read(ref, node)];
      }
      return this.ev(node.right);
    }
    if (op === SK.CommaToken) {
      this.ev(node.left);
      return this.ev(node.right);
    }
    // long left-nested chains (`a + b + c + …`) are walked iteratively
    const spine: ts.BinaryExpression[] = [];
    let left: ts.Expression = node;
    while (left.kind === SK.BinaryExpression && spine.length < 100_000) {
      const k = (left as ts.BinaryExpression).operatorToken.kind;
      if (isAssignmentOperator(k) || k === SK.AmpersandAmpersandToken || k === SK.BarBarToken || k === SK.QuestionQuestionToken || k === SK.InKeyword || k === SK.CommaToken) break;
      spine.push(left as ts.BinaryExpression);
      left = (left as ts.BinaryExpression).left;
    }
    let out: Track[] = [...this.ev(left)];
    for (let i = spine.length - 1; i >= 0; i--) out = out.concat(this.ev(spine[i].right));
    return out;
  }

  private assignment(node: ts.BinaryExpression, op: ts.SyntaxKind): readonly Track[] {
    const target = skipOuter(node.left);
    const ref = target.kind === SK.ElementAccessExpression ? this.elementRef(target as ts.ElementAccessExpression) : this.refOf(target);
    if (target.kind === SK.ElementAccessExpression) {
      const ea = target as ts.ElementAccessExpression;
      if (!ref) this.ev(ea.expression);
      this.ev(ea.argumentExpression);
    } else if (target.kind === SK.PropertyAccessExpression && !ref) {
      this.ev((target as ts.PropertyAccessExpression).expression);
    }
    const localName = target.kind === SK.Identifier && this.isLocal((target as ts.Identifier).text) ? (target as ts.Identifier).text : undefined;
    if (op === SK.EqualsToken) {
      if (target.kind === SK.ObjectLiteralExpression || target.kind === SK.ArrayLiteralExpression) {
        const value = this.ev(node.right);
        this.destructuringTargets(target);
        return value;
      }
      const value = this.ev(node.right);
      if (ref) this.write(ref, value, node);
      else if (localName !== undefined) this.setLocal(localName, value);
      return value;
    }
    if (isLogicalAssignment(op)) {
      const old = ref ? [{ ...this.read(ref, target), via: 'test' as const }] : localName !== undefined ? (this.s.locals.get(localName) ?? EMPTY) : EMPTY;
      const start = this.s;
      const value = this.ev(node.right);
      if (ref) this.write(ref, [...old, ...value], node);
      else if (localName !== undefined) this.setLocal(localName, [...old, ...value]);
      this.s = join(start, this.s);
      return [...old, ...value];
    }
    // compound: the target's value is read before the right side is evaluated
    const old = ref ? [this.read(ref, target)] : localName !== undefined ? (this.s.locals.get(localName) ?? EMPTY) : EMPTY;
    const value = [...old, ...this.ev(node.right)];
    if (ref) this.write(ref, value, node);
    else if (localName !== undefined) this.setLocal(localName, value);
    return value;
  }

  private increment(operand: ts.Expression, node: ts.Expression): readonly Track[] {
    const target = skipOuter(operand);
    const ref = target.kind === SK.ElementAccessExpression ? this.elementRef(target as ts.ElementAccessExpression) : this.refOf(target);
    if (ref) {
      if (target.kind === SK.ElementAccessExpression) this.ev((target as ts.ElementAccessExpression).argumentExpression);
      const t = this.read(ref, target);
      this.write(ref, [t], node);
      return [t];
    }
    return this.ev(operand);
  }

  /** `[this.a, b] = …`, `({ x: state.x } = …)`: writes of fresh values, and locals that lose their reads. */
  private destructuringTargets(pattern: ts.Expression): void {
    const visit = (e: ts.Expression): void => {
      const x = skipOuter(e);
      if (x.kind === SK.ArrayLiteralExpression) {
        for (const el of (x as ts.ArrayLiteralExpression).elements) visit(el.kind === SK.SpreadElement ? (el as ts.SpreadElement).expression : el);
        return;
      }
      if (x.kind === SK.ObjectLiteralExpression) {
        for (const p of (x as ts.ObjectLiteralExpression).properties) {
          if (p.kind === SK.PropertyAssignment) visit(p.initializer);
          else if (p.kind === SK.ShorthandPropertyAssignment) visit(p.name);
          else if (p.kind === SK.SpreadAssignment) visit(p.expression);
        }
        return;
      }
      if (x.kind === SK.BinaryExpression && (x as ts.BinaryExpression).operatorToken.kind === SK.EqualsToken) {
        visit((x as ts.BinaryExpression).left);
        return;
      }
      if (x.kind === SK.Identifier && this.isLocal((x as ts.Identifier).text)) {
        this.setLocal((x as ts.Identifier).text, EMPTY);
        return;
      }
      const ref = x.kind === SK.ElementAccessExpression ? this.elementRef(x as ts.ElementAccessExpression) : this.refOf(x);
      // a fresh value: it can only end a test of the state, never be a lost update
      if (ref) this.write(ref, EMPTY, x);
    };
    visit(pattern);
  }

  // ---------------------------------------------------------------- async locks

  /** What a lock is: async-mutex's Semaphore (acquire gives `[value, release]`) or a mutex. */
  private lockStyle(lock: ts.Expression): LockStyle {
    const e = skipOuter(lock);
    let init: ts.Expression | undefined;
    if (e.kind === SK.Identifier) init = this.input.moduleVars.get((e as ts.Identifier).text)?.init;
    const { text, sf } = this.input;
    const initText = init ? text.slice(init.getStart(sf), init.end) : '';
    if (/\bnew\s+Semaphore\b/.test(initText)) return 'semaphore';
    const written = text.slice(e.getStart(sf), e.end);
    return /sem(?:aphore)?$/i.test(written) && !/mutex|lock/i.test(written) ? 'semaphore' : 'mutex';
  }

  private addRegion(span: Span, lock: ts.Expression, style: LockStyle): void {
    const { sf, text } = this.input;
    const lockText = text.slice(lock.getStart(sf), lock.end);
    if (this.regionStarts.has(span.start)) return;
    this.regionStarts.add(span.start);
    this.out.regions.push({ region: { span, scope: this.input.scopeId, kind: 'async', lock: lockText }, style });
  }

  /** The function is the callback of `m.runExclusive(…)`, `lock.acquire(key, …)`, `navigator.locks.request(…)`. */
  private callbackRegion(): void {
    const { chain, fn, sf } = this.input;
    let i = chain.length - 2;
    while (i >= 0 && chain[i].kind === SK.ParenthesizedExpression) i--;
    const call = chain[i];
    if (!call || call.kind !== SK.CallExpression || !fn.body) return;
    const ce = call as ts.CallExpression;
    const callee = skipOuter(ce.expression);
    if (callee.kind !== SK.PropertyAccessExpression) return;
    const method = (callee as ts.PropertyAccessExpression).name.text;
    const receiver = (callee as ts.PropertyAccessExpression).expression;
    const argIndex = ce.arguments.findIndex((a) => skipOuter(a) === fn);
    if (argIndex < 0) return;
    const body = { start: fn.body.getStart(sf), end: fn.body.end };
    if (method === 'runExclusive' && argIndex === 0) this.addRegion(body, receiver, this.lockStyle(receiver));
    else if (method === 'acquire' && argIndex === 1) this.addRegion(body, receiver, 'callback');
    else if (method === 'request' && argIndex === ce.arguments.length - 1 && argIndex >= 1) {
      const r = skipOuter(receiver);
      if (r.kind === SK.PropertyAccessExpression && (r as ts.PropertyAccessExpression).name.text === 'locks') this.addRegion(body, receiver, 'callback');
    }
  }

  /**
   * `const release = await m.acquire();` (or `const [, release] = await sem.acquire()`, or a bare
   * `await m.acquire();` released by `m.release()`): the statements after it, up to the one that
   * calls the release (usually `try { … } finally { release(); }`), run with the lock held.
   */
  private acquireRegion(list: readonly ts.Statement[], i: number): void {
    const s = list[i];
    let awaited: ts.Expression | undefined;
    let releaseName: string | undefined;
    let tuple = false;
    if (s.kind === SK.VariableStatement) {
      const decls = (s as ts.VariableStatement).declarationList.declarations;
      if (decls.length !== 1 || !decls[0].initializer) return;
      const d = decls[0];
      awaited = d.initializer;
      if (d.name.kind === SK.Identifier) releaseName = d.name.text;
      else if (d.name.kind === SK.ArrayBindingPattern) {
        const els = d.name.elements;
        const second = els[1];
        if (second && second.kind === SK.BindingElement && second.name.kind === SK.Identifier) {
          releaseName = second.name.text;
          tuple = true;
        }
      }
      if (releaseName === undefined) return;
    } else if (s.kind === SK.ExpressionStatement) {
      awaited = (s as ts.ExpressionStatement).expression;
    } else return;
    if (!awaited) return;
    const aw = skipOuter(awaited);
    if (aw.kind !== SK.AwaitExpression) return;
    const call = skipOuter((aw as ts.AwaitExpression).expression);
    if (call.kind !== SK.CallExpression) return;
    const callee = skipOuter((call as ts.CallExpression).expression);
    if (callee.kind !== SK.PropertyAccessExpression || (callee as ts.PropertyAccessExpression).name.text !== 'acquire') return;
    if ((call as ts.CallExpression).arguments.length > 1) return;
    const receiver = (callee as ts.PropertyAccessExpression).expression;
    const { sf, text } = this.input;
    const receiverText = text.slice(receiver.getStart(sf), receiver.end);
    const style = tuple ? 'semaphore' : this.lockStyle(receiver);
    const lockish = LOCK_NAME.test(receiverText) || (releaseName !== undefined && RELEASE_NAME.test(releaseName)) || this.lockStyle(receiver) === 'semaphore' || this.constructedLock(receiver);
    if (!lockish) return;
    if (i + 1 >= list.length) return;
    const released = releaseName !== undefined ? `${releaseName}(` : `${receiverText}.release(`;
    let end = list[list.length - 1].end;
    for (let j = i + 1; j < list.length; j++) {
      if (squash(text.slice(list[j].pos, list[j].end)).includes(squash(released))) {
        end = list[j].end;
        break;
      }
    }
    this.addRegion({ start: list[i + 1].getStart(sf), end }, receiver, style);
  }

  /**
   * `if (this.reading) return; this.reading = true; try { … } finally { this.reading = false; }`: while
   * the flag is up, every other caller returns at the test, so the statements after the set run alone,
   * up to the one that lowers the flag.
   */
  private flagRegion(list: readonly ts.Statement[], i: number): void {
    const test = list[i];
    const set = list[i + 1];
    if (!test || test.kind !== SK.IfStatement || (test as ts.IfStatement).elseStatement || !set || i + 2 >= list.length) return;
    let exit: ts.Statement = (test as ts.IfStatement).thenStatement;
    if (exit.kind === SK.Block) {
      const body = (exit as ts.Block).statements;
      exit = body[body.length - 1];
    }
    if (!exit || (exit.kind !== SK.ReturnStatement && exit.kind !== SK.ThrowStatement)) return;
    const flag = skipOuter((test as ts.IfStatement).expression);
    if (flag.kind !== SK.Identifier && flag.kind !== SK.PropertyAccessExpression) return;
    if (set.kind !== SK.ExpressionStatement) return;
    const assign = skipOuter((set as ts.ExpressionStatement).expression);
    if (assign.kind !== SK.BinaryExpression || (assign as ts.BinaryExpression).operatorToken.kind !== SK.EqualsToken) return;
    if (skipOuter((assign as ts.BinaryExpression).right).kind !== SK.TrueKeyword) return;
    const { sf, text } = this.input;
    const flagText = squash(text.slice(flag.getStart(sf), flag.end));
    const target = skipOuter((assign as ts.BinaryExpression).left);
    if (squash(text.slice(target.getStart(sf), target.end)) !== flagText) return;
    let end = list[list.length - 1].end;
    for (let j = i + 2; j < list.length; j++) {
      if (squash(text.slice(list[j].pos, list[j].end)).includes(`${flagText}=false`)) {
        end = list[j].end;
        break;
      }
    }
    this.addRegion({ start: list[i + 2].getStart(sf), end }, flag, 'flag');
  }

  /** `mutex` where the module declares `const mutex = new Mutex()` (any `new` counts: it is being acquired). */
  private constructedLock(receiver: ts.Expression): boolean {
    const e = skipOuter(receiver);
    if (e.kind !== SK.Identifier) return false;
    const init = this.input.moduleVars.get((e as ts.Identifier).text)?.init;
    return init !== undefined && skipOuter(init).kind === SK.NewExpression && /Mutex|Semaphore|Lock/.test(this.input.text.slice(init.pos, init.end));
  }
}
