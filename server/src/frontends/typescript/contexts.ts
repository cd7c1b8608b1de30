// After the walk: resolves every call's qualified name, then decides where each sync function runs
// (ScopeKind) from the call it is handed to — route handlers, listeners, timers, promise callbacks,
// array callbacks, IIFEs, workers — links calls to the functions of the file they call (Call.target),
// and recognises worker files and worker task modules. Everything here works on the walk's records;
// the syntax tree is only read (a worker task module's top-level statements), never walked again.

import * as path from 'node:path';
import ts from 'typescript';
import type { FunctionScope, ScopeKind } from '../../engine/model';
import {
  isGlobal, isModuleMember, isStringLike, lookup, qualifiedName, resolveBinding, resolveExpression, skipOuter,
  type Binding, type LexScope, type Target,
} from './bindings';
import type { CallSite, FunctionContext, WalkResult } from './walker';

const SK = ts.SyntaxKind;

/** Callbacks an array method calls synchronously, right where it is written. */
export const ARRAY_METHODS: ReadonlySet<string> = new Set([
  'map', 'forEach', 'filter', 'reduce', 'reduceRight', 'some', 'every', 'find', 'findIndex', 'findLast',
  'findLastIndex', 'flatMap', 'sort', 'toSorted',
]);
const LISTENER_METHODS = new Set(['on', 'once', 'addListener', 'prependListener', 'prependOnceListener', 'addEventListener']);
/** HTTP verbs of Express, Koa-router, Fastify, Hono, restify: `app.get('/path', handler)` */
const ROUTE_METHODS = new Set(['get', 'post', 'put', 'delete', 'del', 'patch', 'head', 'options', 'all', 'use']);
const PROMISE_METHODS = new Set(['then', 'catch', 'finally']);
const SHUTDOWN_EVENTS = /^(?:exit|beforeExit|uncaughtException|uncaughtExceptionMonitor|unhandledRejection|SIG[A-Z0-9]+)$/;
const TIMERS = new Set(['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask']);
const SERVER_MODULES: Record<string, string> = {
  http: 'request handler', https: 'request handler', http2: 'request handler', net: 'connection listener', tls: 'connection listener',
};
/** `app.use(fn)` with no path: middleware when the receiver is an app/router, or the function takes `req`/`ctx` */
const APP_RECEIVER = /^(?:app|application|router|server|api|.*(?:App|Router|Server))$/;
const HANDLER_FIRST_PARAM = /^(?:req|request|ctx|context|c)$/;
/** NestJS and similar decorators that make a method a request or message handler */
const HANDLER_DECORATORS: Record<string, string> = {
  Get: 'route handler', Post: 'route handler', Put: 'route handler', Delete: 'route handler', Patch: 'route handler',
  Head: 'route handler', Options: 'route handler', All: 'route handler',
  MessagePattern: 'message handler', EventPattern: 'message handler', SubscribeMessage: 'message handler',
};
/** parameters that by convention hold a callback: `crypto.randomBytes(n, cb)` then does not block */
const CALLBACK_PARAM = /^(?:cb|callback|done|next|fn|func|handler|listener|resolve|reject|on[A-Z]\w*|\w+(?:Callback|Cb|Handler|Listener|Fn))$/;

interface Classification {
  kind: ScopeKind;
  reason: string;
}

function isPathLiteral(node: ts.Expression | undefined): boolean {
  if (!node) return false;
  const e = skipOuter(node);
  if (isStringLike(e)) return e.text.startsWith('/') || e.text.startsWith('*');
  if (e.kind === SK.TemplateExpression) {
    const head = (e as ts.TemplateExpression).head.text;
    return head.startsWith('/') || head.startsWith('*');
  }
  if (e.kind === SK.RegularExpressionLiteral) return true;
  if (e.kind === SK.ArrayLiteralExpression) {
    const els = (e as ts.ArrayLiteralExpression).elements;
    return els.length > 0 && els.every((x) => isPathLiteral(x));
  }
  return false;
}

function receiverName(callee: ts.PropertyAccessExpression): string | undefined {
  const r = skipOuter(callee.expression);
  if (r.kind === SK.Identifier) return (r as ts.Identifier).text;
  if (r.kind === SK.PropertyAccessExpression) return (r as ts.PropertyAccessExpression).name.text;
  return undefined;
}

function firstParamName(fn: ts.Node | undefined): string | undefined {
  if (!fn) return undefined;
  const p = (fn as ts.FunctionLikeDeclaration).parameters?.[0];
  return p && p.name.kind === SK.Identifier ? p.name.text : undefined;
}

/** `router.route('/users').get(fn)`: the receiver is a route made from a path */
function isRouteChain(callee: ts.PropertyAccessExpression): boolean {
  const r = skipOuter(callee.expression);
  if (r.kind !== SK.CallExpression) return false;
  const inner = skipOuter((r as ts.CallExpression).expression);
  if (inner.kind !== SK.PropertyAccessExpression) return false;
  const name = (inner as ts.PropertyAccessExpression).name.text;
  if (name === 'route') return isPathLiteral((r as ts.CallExpression).arguments[0]);
  // `.route('/x').get(a).post(b)`
  return ROUTE_METHODS.has(name) && isRouteChain(inner as ts.PropertyAccessExpression);
}

/**
 * What a function handed to a call is. `fn` is the function node (for `app.use(fn)` its parameter
 * names help).
 */
export function classifyContext(ctx: FunctionContext, fn: ts.Node | undefined, calleeTarget: Target | undefined): Classification | undefined {
  const { site, argIndex } = ctx;
  const node = site.node;
  const name = site.call.name;
  if (argIndex === -1) return { kind: 'inline', reason: 'IIFE' };
  if (argIndex === -2) return { kind: 'loop-callback', reason: 'route handler' };
  if (site.call.isNew) {
    if (name === 'worker_threads.Worker' || name === 'Worker') return { kind: 'offloaded', reason: 'worker' };
    if (name === 'Promise' && argIndex === 0) return { kind: 'loop-callback', reason: 'Promise executor' };
    return undefined;
  }
  if (calleeTarget) {
    if (argIndex === 0 && calleeTarget.kind === 'global' && calleeTarget.path.length === 0 && TIMERS.has(calleeTarget.root)) {
      return { kind: 'loop-callback', reason: `${calleeTarget.root} callback` };
    }
    if (argIndex === 0 && isGlobal(calleeTarget, 'process', 'nextTick')) return { kind: 'loop-callback', reason: 'process.nextTick callback' };
    if (argIndex === 0 && calleeTarget.kind === 'module' && calleeTarget.root === 'timers' && calleeTarget.path.length === 1 && TIMERS.has(calleeTarget.path[0])) {
      return { kind: 'loop-callback', reason: `${calleeTarget.path[0]} callback` };
    }
    if (calleeTarget.kind === 'module' && calleeTarget.path.length === 1 && SERVER_MODULES[calleeTarget.root] !== undefined) {
      const m = calleeTarget.path[0];
      if (m === 'createServer' || m === 'createSecureServer') return { kind: 'loop-callback', reason: SERVER_MODULES[calleeTarget.root] };
    }
    if (argIndex === 1 && isGlobal(calleeTarget, 'Array', 'from')) return { kind: 'inline', reason: 'Array.from callback' };
  }
  const callee = skipOuter(node.expression);
  if (callee.kind !== SK.PropertyAccessExpression) return undefined;
  const pa = callee as ts.PropertyAccessExpression;
  const method = pa.name.text;
  const args = node.arguments ?? [];
  if (PROMISE_METHODS.has(method)) return { kind: 'loop-callback', reason: `.${method}() callback` };
  if (ARRAY_METHODS.has(method) && argIndex === 0) return { kind: 'inline', reason: `.${method}() callback` };
  if (LISTENER_METHODS.has(method) && argIndex >= 1) {
    const event = args[0] && skipOuter(args[0]);
    const eventName = event && isStringLike(event) ? event.text : undefined;
    // the process is going down: `exit` listeners must be synchronous, and Node's docs recommend sync
    // I/O in crash and signal handlers; blocking there delays nothing that still matters
    if (eventName !== undefined && SHUTDOWN_EVENTS.test(eventName) && isGlobal(resolveExpression(pa.expression, site.lex), 'process')) {
      return { kind: 'sync', reason: 'process shutdown listener' };
    }
    return { kind: 'loop-callback', reason: eventName !== undefined ? `'${eventName}' listener` : 'event listener' };
  }
  if (ROUTE_METHODS.has(method)) {
    if (argIndex >= 1 && isPathLiteral(args[0])) return { kind: 'loop-callback', reason: 'route handler' };
    if (isRouteChain(pa)) return { kind: 'loop-callback', reason: 'route handler' };
    if (method === 'use' && argIndex >= 0) {
      const recv = receiverName(pa);
      const param = firstParamName(fn);
      if ((recv !== undefined && APP_RECEIVER.test(recv)) || (param !== undefined && HANDLER_FIRST_PARAM.test(param))) {
        return { kind: 'loop-callback', reason: 'middleware' };
      }
    }
  }
  return undefined;
}

function apply(scope: FunctionScope, c: Classification): void {
  // an async function stays async wherever it is passed, except to a worker
  if (scope.kind === 'async' && c.kind !== 'offloaded') return;
  scope.kind = c.kind;
  scope.reason = c.reason;
}

function isWorkerTarget(t: Target | undefined): boolean {
  return isModuleMember(t, 'worker_threads', 'parentPort') || isModuleMember(t, 'worker_threads', 'workerData');
}

/** A worker module by its name alone: `score.worker.mjs` (what our worker-pool fix writes), `score-worker.js`, `score_worker.ts`. */
const WORKER_FILE_NAME = /(?:\.|[-_])worker\.(?:[cm]?[jt]s|[jt]sx)$/i;
/** Names that a module of only declarations with a default-exported function may be a pool's task module by. */
const TASK_FILE_NAME = /worker|task/i;

/**
 * The function scope a call certainly calls (Call.target): a plain name bound to a function declaration
 * or a `const` function/arrow, or `this.m(…)` naming the single method `m` of its class.
 */
function callTarget(walk: WalkResult, site: CallSite, bare: ts.Expression, binding: Binding | undefined): number | undefined {
  if (binding) {
    if (binding.kind !== 'function' || !binding.fn) return undefined;
    // `let f = () => …` may be reassigned; a declaration or a `const` may not
    if (binding.fn.kind !== SK.FunctionDeclaration && !binding.constant) return undefined;
    return walk.fnScopeIds.get(binding.fn);
  }
  if (site.thisMethods && bare.kind === SK.PropertyAccessExpression) {
    const id = site.thisMethods.get((bare as ts.PropertyAccessExpression).name.text);
    return id === undefined || id < 0 ? undefined : id;
  }
  return undefined;
}

/** Resolves names, classifies scopes and recognises worker files. Mutates the walk's scopes and calls. */
export function finishModel(walk: WalkResult, fileName = '', sf?: ts.SourceFile): { freeNames: Set<string>; workerFile: boolean } {
  const freeNames = new Set<string>();
  const targets = new Map<CallSite, Target | undefined>();
  for (const site of walk.sites) {
    const callee = site.node.expression;
    const t = resolveExpression(callee, site.lex);
    if (t) targets.set(site, t);
    site.call.name = qualifiedName(t);
    const bare = skipOuter(callee);
    const binding = bare.kind === SK.Identifier ? lookup(site.lex, (bare as ts.Identifier).text) : undefined;
    if (bare.kind === SK.Identifier && !binding) freeNames.add((bare as ts.Identifier).text);
    if (!site.call.isNew && (binding || site.thisMethods)) {
      const target = callTarget(walk, site, bare, binding);
      if (target !== undefined) {
        site.call.target = target;
        if (target === site.call.scope) {
          const scope = walk.scopes[target];
          scope.selfCalls = (scope.selfCalls ?? 0) + 1;
        }
      }
    }
    const rawArgs = site.node.arguments;
    if (!rawArgs) continue;
    for (let i = 0; i < rawArgs.length; i++) {
      const arg = skipOuter(rawArgs[i]);
      if (arg.kind === SK.CallExpression) {
        // `this.onData.bind(this)`
        const c = skipOuter((arg as ts.CallExpression).expression);
        if (c.kind === SK.PropertyAccessExpression && (c as ts.PropertyAccessExpression).name.text === 'bind') site.call.args[i].isFunction = true;
        continue;
      }
      if (arg.kind !== SK.Identifier) continue;
      const b = lookup(site.lex, (arg as ts.Identifier).text);
      if (!b) continue;
      if (b.kind === 'function' || (b.kind === 'param' && CALLBACK_PARAM.test(b.name))) site.call.args[i].isFunction = true;
      // a function handed over by name (`app.get('/users', listUsers)`) runs where an inline one
      // would; only event-loop and worker contexts transfer: an array callback declared elsewhere
      // runs in its caller's context, not in its lexical parent's
      const id = b.fn && walk.fnScopeIds.get(b.fn);
      if (id === undefined || walk.scopes[id].kind !== 'sync') continue;
      const c = classifyContext({ site, argIndex: i }, b.fn, t);
      if (c && (c.kind === 'loop-callback' || c.kind === 'offloaded')) apply(walk.scopes[id], c);
    }
  }

  for (const { scope, context, fn } of walk.pending) {
    const c = classifyContext(context, fn, targets.get(context.site));
    if (c) apply(scope, c);
  }

  for (const d of walk.decorated) {
    const t = resolveExpression(d.decorator, d.lex);
    if (t?.kind === 'module' && t.path.length === 1 && t.root.startsWith('@nestjs/') && HANDLER_DECORATORS[t.path[0]] !== undefined) {
      apply(d.scope, { kind: 'loop-callback', reason: HANDLER_DECORATORS[t.path[0]] });
    }
  }

  let workerFile = false;
  if (walk.moduleScope.names) {
    for (const b of walk.moduleScope.names.values()) {
      if ((b.kind === 'import' || b.kind === 'alias') && isWorkerTarget(resolveBinding(b))) {
        workerFile = true;
        break;
      }
    }
  }
  if (!workerFile) {
    for (const h of walk.workerHints) {
      if (isModuleMember(resolveExpression(h.expr, h.lex), 'worker_threads')) {
        workerFile = true;
        break;
      }
    }
  }
  const reason = workerFile ? 'worker file' : isWorkerTaskModule(walk, fileName, sf) ? 'worker task module' : undefined;
  if (reason) {
    // the whole file runs in a worker thread: nothing in it blocks the main event loop
    for (const s of walk.scopes) {
      s.kind = 'offloaded';
      s.reason = reason;
    }
  }
  return { freeNames, workerFile: reason !== undefined };
}

/**
 * A module a worker pool loads in its threads (piscina, our own worker-pool fix): named as a worker
 * module, or importing piscina's worker-side helpers, or — named after a worker or task — made only of
 * imports, declarations and exports with a default-exported function, the shape of a piscina task.
 * A file that starts a pool or a Worker itself is the main side, whatever its name.
 */
function isWorkerTaskModule(walk: WalkResult, fileName: string, sf: ts.SourceFile | undefined): boolean {
  for (const c of walk.calls) {
    if (c.isNew && (c.name === 'worker_threads.Worker' || c.name === 'piscina.default' || c.name === 'piscina.Piscina' || c.name === 'piscina.Pool')) return false;
  }
  const base = path.basename(fileName);
  if (WORKER_FILE_NAME.test(base)) return true;
  if (walk.moduleScope.names) {
    for (const b of walk.moduleScope.names.values()) {
      if (b.kind !== 'import' && b.kind !== 'alias') continue;
      const t = resolveBinding(b);
      if (isModuleMember(t, 'piscina', 'move') || isModuleMember(t, 'piscina', 'isWorkerRunning')) return true;
    }
  }
  return sf !== undefined && TASK_FILE_NAME.test(base) && onlyDeclarationsWithDefaultFunction(sf, walk.moduleScope);
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  const mods = (node as ts.FunctionDeclaration).modifiers;
  return mods !== undefined && mods.some((m) => m.kind === kind);
}

/** `module.exports` / `exports.default` */
function isExportsTarget(e: ts.Expression): boolean {
  const x = skipOuter(e);
  if (x.kind !== SK.PropertyAccessExpression) return false;
  const pa = x as ts.PropertyAccessExpression;
  const obj = skipOuter(pa.expression);
  if (obj.kind !== SK.Identifier) return false;
  const root = (obj as ts.Identifier).text;
  return (root === 'module' && pa.name.text === 'exports') || (root === 'exports' && pa.name.text === 'default');
}

function isFunctionValue(e: ts.Expression, lex: LexScope): boolean {
  const x = skipOuter(e);
  if (x.kind === SK.ArrowFunction || x.kind === SK.FunctionExpression) return true;
  if (x.kind !== SK.Identifier) return false;
  return lookup(lex, (x as ts.Identifier).text)?.kind === 'function';
}

function onlyDeclarationsWithDefaultFunction(sf: ts.SourceFile, lex: LexScope): boolean {
  let defaultFunction = false;
  for (const st of sf.statements) {
    switch (st.kind) {
      case SK.ImportDeclaration:
      case SK.ImportEqualsDeclaration:
      case SK.ClassDeclaration:
      case SK.InterfaceDeclaration:
      case SK.TypeAliasDeclaration:
      case SK.EnumDeclaration:
      case SK.ExportDeclaration:
      case SK.EmptyStatement:
        break;
      case SK.FunctionDeclaration:
        if (hasModifier(st, SK.ExportKeyword) && hasModifier(st, SK.DefaultKeyword)) defaultFunction = true;
        break;
      case SK.VariableStatement:
        // the initialisers run at load time: only functions, requires and plain values, no other calls
        for (const d of (st as ts.VariableStatement).declarationList.declarations) {
          const init = d.initializer && skipOuter(d.initializer);
          if (init && init.kind === SK.CallExpression && !isRequireCall(init as ts.CallExpression)) return false;
          if (init && init.kind === SK.NewExpression) return false;
        }
        break;
      case SK.ExportAssignment:
        // `export default fn` and `export = fn`
        if (isFunctionValue((st as ts.ExportAssignment).expression, lex)) defaultFunction = true;
        break;
      case SK.ExpressionStatement: {
        const e = skipOuter((st as ts.ExpressionStatement).expression);
        if (isStringLike(e)) break; // 'use strict'
        if (e.kind !== SK.BinaryExpression) return false;
        const bin = e as ts.BinaryExpression;
        if (bin.operatorToken.kind !== SK.EqualsToken || !isExportsTarget(bin.left)) return false;
        if (isFunctionValue(bin.right, lex)) defaultFunction = true;
        break;
      }
      default:
        return false;
    }
  }
  return defaultFunction;
}

function isRequireCall(call: ts.CallExpression): boolean {
  const callee = skipOuter(call.expression);
  return callee.kind === SK.Identifier && (callee as ts.Identifier).text === 'require' && call.arguments.length === 1 && isStringLike(call.arguments[0]);
}
