// After the walk: resolves every call's qualified name, then decides where each sync function runs
// (ScopeKind) from the call it is handed to — route handlers, listeners, timers, promise callbacks,
// array callbacks, IIFEs, workers — and recognises worker files. Everything here works on the walk's
// records; the syntax tree is only read, never walked again.

import ts from 'typescript';
import type { FunctionScope, ScopeKind } from '../../engine/model';
import {
  isGlobal, isModuleMember, isStringLike, lookup, qualifiedName, resolveBinding, resolveExpression, skipOuter,
  type Target,
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

/** Resolves names, classifies scopes and recognises worker files. Mutates the walk's scopes and calls. */
export function finishModel(walk: WalkResult): { freeNames: Set<string>; workerFile: boolean } {
  const freeNames = new Set<string>();
  const targets = new Map<CallSite, Target | undefined>();
  for (const site of walk.sites) {
    const callee = site.node.expression;
    const t = resolveExpression(callee, site.lex);
    if (t) targets.set(site, t);
    site.call.name = qualifiedName(t);
    const bare = skipOuter(callee);
    if (bare.kind === SK.Identifier && !lookup(site.lex, (bare as ts.Identifier).text)) freeNames.add((bare as ts.Identifier).text);
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
  if (workerFile) {
    // the whole file runs in a worker thread: nothing in it blocks the main event loop
    for (const s of walk.scopes) {
      s.kind = 'offloaded';
      s.reason = 'worker file';
    }
  }
  return { freeNames, workerFile };
}
