// The single walk over a TypeScript/JavaScript syntax tree that builds the SourceModel's scopes and
// calls, and the facts the fixer needs later (call sites, lexical scopes, how each call's value is used).
//
// One recursive descent with `ts.forEachChild`; no parent pointers, no `getText()`. What a node's parent
// means for it (the operand of `await`, the callee of a member access, a whole expression statement, a
// function handed to `app.get('/x', …)`) is passed down as markers set just before the child is visited.
// Names are resolved and callback kinds decided after the walk (see bindings.ts and contexts.ts), when
// every declaration is known.

import ts from 'typescript';
import type { Argument, Call, FunctionScope, ScopeKind } from '../../engine/model';
import { declare, newScope, normaliseModule, skipOuter, type Binding, type BindingKind, type LexScope } from './bindings';

/** How a call's value is used, and whether `await` may be written in front of it. */
export const SITE_AWAITED = 1;
/** the call is a whole expression statement: its value is unused */
export const SITE_STATEMENT = 2;
/** the call is the object of a member access, a callee, a tag or the left of `**`: `await` needs parentheses */
export const SITE_NEEDS_PARENS = 4;
/** `await` is a syntax error here even inside an async function (parameter defaults) */
export const SITE_AWAIT_ILLEGAL = 8;

export interface CallSite {
  node: ts.CallExpression | ts.NewExpression;
  /** the lexical scope the call is evaluated in */
  lex: LexScope;
  flags: number;
  call: Call;
}

/** A function handed to a call: what the call and the argument position say about when it runs. */
export interface FunctionContext {
  site: CallSite;
  /** position among the call's arguments; -1 for an IIFE's callee; -2 for `handler:` in a route object */
  argIndex: number;
}

export interface PendingScope {
  scope: FunctionScope;
  context: FunctionContext;
  /** the function node itself (its parameters tell middleware apart) */
  fn: ts.Node;
}

/** A method with a decorator call (`@Get(':id')`): NestJS-style handlers are recognised after resolution. */
export interface DecoratedScope {
  scope: FunctionScope;
  decorator: ts.Expression;
  lex: LexScope;
}

export interface WalkResult {
  scopes: FunctionScope[];
  calls: Call[];
  sites: CallSite[];
  moduleScope: LexScope;
  pending: PendingScope[];
  /** function declarations / function-valued variables → their scope id, to classify functions passed by name */
  fnScopeIds: Map<ts.Node, number>;
  /** `<x>.parentPort` / `<x>.workerData` reads, to recognise worker files */
  workerHints: Array<{ expr: ts.Expression; lex: LexScope }>;
  decorated: DecoratedScope[];
}

/** beyond this nesting the walk stops descending: pathological input must not overflow the stack */
const MAX_DEPTH = 1500;

function isFunctionLike(node: ts.Node): boolean {
  const k = node.kind;
  return k === ts.SyntaxKind.ArrowFunction || k === ts.SyntaxKind.FunctionExpression;
}

function hasAsync(node: ts.Node): boolean {
  const mods = (node as ts.FunctionDeclaration).modifiers;
  if (!mods) return false;
  for (const m of mods) if (m.kind === ts.SyntaxKind.AsyncKeyword) return true;
  return false;
}

function hasStatic(node: ts.Node): boolean {
  const mods = (node as ts.PropertyDeclaration).modifiers;
  if (!mods) return false;
  for (const m of mods) if (m.kind === ts.SyntaxKind.StaticKeyword) return true;
  return false;
}

function propertyNameText(name: ts.PropertyName | ts.BindingName | undefined): string | undefined {
  if (!name) return undefined;
  switch (name.kind) {
    case ts.SyntaxKind.Identifier:
    case ts.SyntaxKind.PrivateIdentifier:
    case ts.SyntaxKind.StringLiteral:
    case ts.SyntaxKind.NumericLiteral:
    case ts.SyntaxKind.NoSubstitutionTemplateLiteral:
      return name.text;
    default:
      return undefined;
  }
}

/** A block needs its own lexical scope only if it declares something block-scoped directly. */
function declaresBlockScoped(statements: readonly ts.Statement[]): boolean {
  for (const s of statements) {
    switch (s.kind) {
      case ts.SyntaxKind.VariableStatement:
        if (((s as ts.VariableStatement).declarationList.flags & ts.NodeFlags.BlockScoped) !== 0) return true;
        break;
      case ts.SyntaxKind.FunctionDeclaration:
      case ts.SyntaxKind.ClassDeclaration:
      case ts.SyntaxKind.EnumDeclaration:
      case ts.SyntaxKind.ModuleDeclaration:
        return true;
    }
  }
  return false;
}

export class Walker {
  readonly scopes: FunctionScope[] = [];
  readonly calls: Call[] = [];
  readonly sites: CallSite[] = [];
  readonly pending: PendingScope[] = [];
  readonly fnScopeIds = new Map<ts.Node, number>();
  readonly workerHints: Array<{ expr: ts.Expression; lex: LexScope }> = [];
  readonly decorated: DecoratedScope[] = [];
  readonly moduleScope: LexScope = newScope(undefined, true);

  private scopeId = 0;
  private lex: LexScope = this.moduleScope;
  private fnLex: LexScope = this.moduleScope;
  private awaitIllegal = false;
  private depth = 0;
  private className: string | undefined;
  /** the top-level statement being walked, recorded on the bindings it declares */
  private topStatement: ts.Node | undefined;
  // markers: what the parent said about the child it is about to visit
  private awaitChild: ts.Node | undefined;
  private statementChild: ts.Node | undefined;
  private parenChild: ts.Node | undefined;
  private nameNode: ts.Node | undefined;
  private nameText: string | undefined;
  private varFnNode: ts.Node | undefined;
  private readonly fnContexts = new Map<ts.Node, FunctionContext>();

  constructor(
    private readonly sf: ts.SourceFile,
    private readonly text: string,
  ) {}

  walk(): WalkResult {
    const sf = this.sf;
    this.scopes.push({
      id: 0, kind: 'module', name: undefined, reason: undefined,
      span: { start: 0, end: this.text.length }, parent: undefined, headSpan: { start: 0, end: 0 },
    });
    for (const statement of sf.statements) {
      this.topStatement = statement;
      this.visit(statement);
    }
    this.topStatement = undefined;
    return {
      scopes: this.scopes, calls: this.calls, sites: this.sites, moduleScope: this.moduleScope,
      pending: this.pending, fnScopeIds: this.fnScopeIds, workerHints: this.workerHints, decorated: this.decorated,
    };
  }

  private readonly visit = (node: ts.Node): void => {
    const kind = node.kind;
    // type annotations hold no calls
    if (kind >= ts.SyntaxKind.FirstTypeNode && kind <= ts.SyntaxKind.LastTypeNode) return;
    if (++this.depth > MAX_DEPTH) {
      this.depth--;
      return;
    }
    switch (kind) {
      case ts.SyntaxKind.Identifier:
      case ts.SyntaxKind.StringLiteral:
      case ts.SyntaxKind.NumericLiteral:
      case ts.SyntaxKind.InterfaceDeclaration:
      case ts.SyntaxKind.TypeAliasDeclaration:
        break;
      case ts.SyntaxKind.CallExpression:
      case ts.SyntaxKind.NewExpression:
        this.visitCall(node as ts.CallExpression | ts.NewExpression);
        break;
      case ts.SyntaxKind.PropertyAccessExpression: {
        const pa = node as ts.PropertyAccessExpression;
        const name = pa.name.escapedText;
        if (name === 'parentPort' || name === 'workerData') this.workerHints.push({ expr: pa.expression, lex: this.lex });
        this.parenChild = pa.expression;
        this.visit(pa.expression);
        break;
      }
      case ts.SyntaxKind.ElementAccessExpression: {
        const ea = node as ts.ElementAccessExpression;
        this.parenChild = ea.expression;
        this.visit(ea.expression);
        this.visit(ea.argumentExpression);
        break;
      }
      case ts.SyntaxKind.NonNullExpression:
        this.parenChild = (node as ts.NonNullExpression).expression;
        this.visit((node as ts.NonNullExpression).expression);
        break;
      case ts.SyntaxKind.TaggedTemplateExpression:
        this.parenChild = (node as ts.TaggedTemplateExpression).tag;
        ts.forEachChild(node, this.visit);
        break;
      case ts.SyntaxKind.AwaitExpression:
        this.awaitChild = skipOuter((node as ts.AwaitExpression).expression);
        this.visit((node as ts.AwaitExpression).expression);
        break;
      case ts.SyntaxKind.ExpressionStatement: {
        const e = (node as ts.ExpressionStatement).expression;
        this.statementChild = skipOuter(e);
        this.visit(e);
        break;
      }
      case ts.SyntaxKind.VoidExpression:
        this.statementChild = skipOuter((node as ts.VoidExpression).expression);
        this.visit((node as ts.VoidExpression).expression);
        break;
      case ts.SyntaxKind.BinaryExpression:
        this.visitBinary(node as ts.BinaryExpression);
        break;
      case ts.SyntaxKind.PropertyAssignment: {
        const pa = node as ts.PropertyAssignment;
        if (pa.name.kind === ts.SyntaxKind.ComputedPropertyName) this.visit(pa.name);
        const init = skipOuter(pa.initializer);
        if (isFunctionLike(init)) this.setName(init, propertyNameText(pa.name));
        this.visit(pa.initializer);
        break;
      }
      case ts.SyntaxKind.FunctionDeclaration: {
        const fd = node as ts.FunctionDeclaration;
        if (fd.name) this.declareName(fd.name.text, 'function', this.lex, fd);
        this.visitFunction(fd);
        break;
      }
      case ts.SyntaxKind.FunctionExpression:
      case ts.SyntaxKind.ArrowFunction:
      case ts.SyntaxKind.MethodDeclaration:
      case ts.SyntaxKind.Constructor:
      case ts.SyntaxKind.GetAccessor:
      case ts.SyntaxKind.SetAccessor:
        this.visitFunction(node as ts.FunctionLikeDeclaration);
        break;
      case ts.SyntaxKind.ClassDeclaration:
      case ts.SyntaxKind.ClassExpression: {
        const cd = node as ts.ClassLikeDeclaration;
        if (cd.name && kind === ts.SyntaxKind.ClassDeclaration) this.declareName(cd.name.text, 'local', this.lex);
        const saved = this.className;
        this.className = cd.name?.text ?? (this.nameNode === node ? this.nameText : undefined);
        ts.forEachChild(node, this.visit);
        this.className = saved;
        break;
      }
      case ts.SyntaxKind.PropertyDeclaration:
        this.visitField(node as ts.PropertyDeclaration);
        break;
      case ts.SyntaxKind.ClassStaticBlockDeclaration:
        this.visitStaticBlock(node as ts.ClassStaticBlockDeclaration);
        break;
      case ts.SyntaxKind.VariableDeclarationList:
        this.visitDeclarationList(node as ts.VariableDeclarationList);
        break;
      case ts.SyntaxKind.ImportDeclaration:
        this.visitImport(node as ts.ImportDeclaration);
        break;
      case ts.SyntaxKind.ImportEqualsDeclaration:
        this.visitImportEquals(node as ts.ImportEqualsDeclaration);
        break;
      case ts.SyntaxKind.Block:
        this.visitBlock((node as ts.Block).statements);
        break;
      case ts.SyntaxKind.ObjectLiteralExpression: {
        // methods of an object literal are not members of the class it may sit in
        const saved = this.className;
        this.className = undefined;
        ts.forEachChild(node, this.visit);
        this.className = saved;
        break;
      }
      case ts.SyntaxKind.CaseBlock: {
        const saved = this.lex;
        const cb = node as ts.CaseBlock;
        if (cb.clauses.some((c) => declaresBlockScoped(c.statements))) this.lex = newScope(saved, false);
        ts.forEachChild(node, this.visit);
        this.lex = saved;
        break;
      }
      case ts.SyntaxKind.ForStatement:
      case ts.SyntaxKind.ForInStatement:
      case ts.SyntaxKind.ForOfStatement: {
        const init = (node as ts.ForStatement).initializer;
        const saved = this.lex;
        if (init && init.kind === ts.SyntaxKind.VariableDeclarationList && (init.flags & ts.NodeFlags.BlockScoped) !== 0) {
          this.lex = newScope(saved, false);
        }
        ts.forEachChild(node, this.visit);
        this.lex = saved;
        break;
      }
      case ts.SyntaxKind.CatchClause: {
        const cc = node as ts.CatchClause;
        const saved = this.lex;
        if (cc.variableDeclaration) {
          this.lex = newScope(saved, false);
          this.declarePattern(cc.variableDeclaration.name, 'local', this.lex, undefined, []);
        }
        this.visit(cc.block);
        this.lex = saved;
        break;
      }
      case ts.SyntaxKind.EnumDeclaration:
        this.declareName((node as ts.EnumDeclaration).name.text, 'local', this.lex);
        ts.forEachChild(node, this.visit);
        break;
      case ts.SyntaxKind.ModuleDeclaration: {
        const md = node as ts.ModuleDeclaration;
        if (md.name.kind === ts.SyntaxKind.Identifier) this.declareName(md.name.text, 'local', this.lex);
        if (md.body) {
          const saved = this.lex;
          const savedFn = this.fnLex;
          this.lex = this.fnLex = newScope(saved, true);
          this.visit(md.body);
          this.lex = saved;
          this.fnLex = savedFn;
        }
        break;
      }
      case ts.SyntaxKind.ModuleBlock:
        for (const s of (node as ts.ModuleBlock).statements) this.visit(s);
        break;
      default:
        ts.forEachChild(node, this.visit);
    }
    this.depth--;
  };

  private setName(fn: ts.Node, name: string | undefined): void {
    this.nameNode = fn;
    this.nameText = name;
  }

  private declareName(name: string, kind: BindingKind, scope: LexScope, fn?: ts.Node): Binding {
    const b: Binding = { kind, name, scope };
    if (fn) b.fn = fn;
    if (scope === this.moduleScope && this.topStatement) b.decl = this.topStatement;
    declare(scope, b);
    return b;
  }

  /** Left-nested chains (`a + b + c + …`, thousands long in generated code) are walked iteratively. */
  private visitBinary(node: ts.BinaryExpression): void {
    const spine: ts.BinaryExpression[] = [];
    let left: ts.Expression = node;
    while (left.kind === ts.SyntaxKind.BinaryExpression && spine.length < 100_000) {
      spine.push(left as ts.BinaryExpression);
      left = (left as ts.BinaryExpression).left;
    }
    const innermost = spine[spine.length - 1];
    if (innermost.operatorToken.kind === ts.SyntaxKind.AsteriskAsteriskToken) this.parenChild = left;
    this.visit(left);
    for (let i = spine.length - 1; i >= 0; i--) {
      const bin = spine[i];
      const op = bin.operatorToken.kind;
      if (op === ts.SyntaxKind.EqualsToken) {
        const right = skipOuter(bin.right);
        if (isFunctionLike(right) || right.kind === ts.SyntaxKind.ClassExpression) {
          const target = skipOuter(bin.left);
          const name =
            target.kind === ts.SyntaxKind.Identifier ? (target as ts.Identifier).text
            : target.kind === ts.SyntaxKind.PropertyAccessExpression ? (target as ts.PropertyAccessExpression).name.text
            : undefined;
          this.setName(right, name);
        }
      }
      this.visit(bin.right);
    }
  }

  private visitCall(node: ts.CallExpression | ts.NewExpression): void {
    const sf = this.sf;
    const isNew = node.kind === ts.SyntaxKind.NewExpression;
    let flags = 0;
    if (this.awaitChild === node) flags |= SITE_AWAITED;
    if (this.statementChild === node) flags |= SITE_STATEMENT;
    if (this.parenChild === node) flags |= SITE_NEEDS_PARENS;
    if (this.awaitIllegal) flags |= SITE_AWAIT_ILLEGAL;
    const callee = node.expression;
    const start = node.getStart(sf);
    const calleeStart = isNew ? callee.getStart(sf) : start;
    const rawArgs = node.arguments;
    const args: Argument[] = [];
    if (rawArgs) {
      for (const a of rawArgs) {
        const inner = skipOuter(a);
        args.push({
          span: { start: a.getStart(sf), end: a.end },
          keyword: undefined,
          spread: a.kind === ts.SyntaxKind.SpreadElement ? 'positional' : undefined,
          isFunction: isFunctionLike(inner),
        });
      }
    }
    const call: Call = {
      span: { start, end: node.end },
      calleeSpan: { start: calleeStart, end: callee.end },
      name: undefined,
      written: this.text.slice(calleeStart, callee.end),
      scope: this.scopeId,
      awaited: (flags & SITE_AWAITED) !== 0,
      isNew,
      args,
    };
    const site: CallSite = { node, lex: this.lex, flags, call };
    this.calls.push(call);
    this.sites.push(site);

    // functions handed to this call: contexts.ts decides what they are once names resolve
    if (rawArgs) {
      for (let i = 0; i < rawArgs.length; i++) {
        const inner = skipOuter(rawArgs[i]);
        if (isFunctionLike(inner)) this.fnContexts.set(inner, { site, argIndex: i });
        else if (inner.kind === ts.SyntaxKind.ObjectLiteralExpression) this.noteRouteObject(inner as ts.ObjectLiteralExpression, site);
      }
    }
    const target = skipOuter(callee);
    if (isFunctionLike(target)) this.fnContexts.set(target, { site, argIndex: -1 });
    else if (target.kind === ts.SyntaxKind.PropertyAccessExpression) {
      // `(function () { … }).call(this)`: the UMD / CoffeeScript wrapper is an IIFE too
      const pa = target as ts.PropertyAccessExpression;
      const fn = skipOuter(pa.expression);
      if ((pa.name.text === 'call' || pa.name.text === 'apply') && isFunctionLike(fn)) this.fnContexts.set(fn, { site, argIndex: -1 });
    }

    this.parenChild = callee;
    this.visit(callee);
    if (rawArgs) for (const a of rawArgs) this.visit(a);
  }

  /** `server.route({ method, path, handler })` (hapi, Fastify): the handler is a route handler. */
  private noteRouteObject(obj: ts.ObjectLiteralExpression, site: CallSite): void {
    const callee = skipOuter(site.node.expression);
    if (callee.kind !== ts.SyntaxKind.PropertyAccessExpression || (callee as ts.PropertyAccessExpression).name.text !== 'route') return;
    for (const p of obj.properties) {
      if (p.kind === ts.SyntaxKind.PropertyAssignment && propertyNameText(p.name) === 'handler') {
        const fn = skipOuter(p.initializer);
        if (isFunctionLike(fn)) this.fnContexts.set(fn, { site, argIndex: -2 });
      } else if (p.kind === ts.SyntaxKind.MethodDeclaration && propertyNameText(p.name) === 'handler') {
        this.fnContexts.set(p, { site, argIndex: -2 });
      }
    }
  }

  private functionName(node: ts.FunctionLikeDeclaration): string | undefined {
    switch (node.kind) {
      case ts.SyntaxKind.FunctionDeclaration:
      case ts.SyntaxKind.FunctionExpression:
        if (node.name) return node.name.text;
        break;
      case ts.SyntaxKind.MethodDeclaration:
      case ts.SyntaxKind.GetAccessor:
      case ts.SyntaxKind.SetAccessor: {
        const n = propertyNameText(node.name);
        if (n === undefined) return undefined;
        return this.className ? `${this.className}.${n}` : n;
      }
      case ts.SyntaxKind.Constructor:
        return this.className ? `${this.className}.constructor` : 'constructor';
    }
    return this.nameNode === node ? this.nameText : undefined;
  }

  private headSpan(node: ts.FunctionLikeDeclaration, start: number): { start: number; end: number } {
    const sf = this.sf;
    if (node.kind === ts.SyntaxKind.ArrowFunction) {
      const arrow = (node as ts.ArrowFunction).equalsGreaterThanToken;
      return { start: arrow.getStart(sf), end: arrow.end };
    }
    const name = node.name;
    if (name) return { start: name.getStart(sf), end: name.end };
    const keyword = node.kind === ts.SyntaxKind.Constructor ? 'constructor' : 'function';
    const at = this.text.indexOf(keyword, start);
    return at >= 0 && at < node.end ? { start: at, end: at + keyword.length } : { start, end: start };
  }

  private newFunctionScope(kind: ScopeKind, name: string | undefined, reason: string | undefined, node: ts.Node, headSpan: { start: number; end: number } | undefined): FunctionScope {
    const start = node.getStart(this.sf);
    const scope: FunctionScope = {
      id: this.scopes.length, kind, name, reason,
      span: { start, end: node.end },
      parent: this.scopeId,
      headSpan: headSpan ?? { start, end: start },
    };
    this.scopes.push(scope);
    return scope;
  }

  private visitFunction(node: ts.FunctionLikeDeclaration): void {
    const body = node.body;
    // decorators and computed names are evaluated where the function is written
    if (node.modifiers) for (const m of node.modifiers) if (m.kind === ts.SyntaxKind.Decorator) this.visit(m);
    if (node.name && node.name.kind === ts.SyntaxKind.ComputedPropertyName) this.visit(node.name);
    if (!body) return; // overloads, abstract and ambient declarations

    const isAsync = hasAsync(node);
    const name = this.functionName(node);
    const start = node.getStart(this.sf);
    const scope = this.newFunctionScope(isAsync ? 'async' : 'sync', name, undefined, node, this.headSpan(node, start));
    const context = this.fnContexts.get(node);
    if (context) {
      this.fnContexts.delete(node);
      this.pending.push({ scope, context, fn: node });
    }
    if (node.kind === ts.SyntaxKind.FunctionDeclaration || node === this.varFnNode) this.fnScopeIds.set(node, scope.id);
    if (!isAsync && node.kind === ts.SyntaxKind.MethodDeclaration && node.modifiers) {
      for (const m of node.modifiers) {
        if (m.kind === ts.SyntaxKind.Decorator && (m as ts.Decorator).expression.kind === ts.SyntaxKind.CallExpression) {
          this.decorated.push({ scope, decorator: ((m as ts.Decorator).expression as ts.CallExpression).expression, lex: this.lex });
        }
      }
    }

    const saved = { scopeId: this.scopeId, lex: this.lex, fnLex: this.fnLex, awaitIllegal: this.awaitIllegal, className: this.className };
    this.scopeId = scope.id;
    this.lex = this.fnLex = newScope(saved.lex, true);
    if (node.kind === ts.SyntaxKind.FunctionExpression && node.name) this.declareName(node.name.text, 'function', this.lex, node);
    // a nested class's members get their own className; plain nested functions keep none
    this.className = undefined;
    for (const p of node.parameters) {
      this.declarePattern(p.name, 'param', this.lex, undefined, []);
    }
    // `await` is a syntax error in parameter defaults, even of async functions
    this.awaitIllegal = true;
    for (const p of node.parameters) {
      if (p.modifiers) for (const m of p.modifiers) if (m.kind === ts.SyntaxKind.Decorator) this.visit(m);
      if (p.name.kind !== ts.SyntaxKind.Identifier) this.visit(p.name);
      if (p.initializer) this.visit(p.initializer);
    }
    this.awaitIllegal = false;
    if (body.kind === ts.SyntaxKind.Block) {
      for (const s of (body as ts.Block).statements) this.visit(s);
    } else {
      this.visit(body);
    }
    this.scopeId = saved.scopeId;
    this.lex = saved.lex;
    this.fnLex = saved.fnLex;
    this.awaitIllegal = saved.awaitIllegal;
    this.className = saved.className;
  }

  /** Class fields run when an instance is built (static ones when the class is): not in the enclosing function. */
  private visitField(node: ts.PropertyDeclaration): void {
    if (node.modifiers) for (const m of node.modifiers) if (m.kind === ts.SyntaxKind.Decorator) this.visit(m);
    if (node.name.kind === ts.SyntaxKind.ComputedPropertyName) this.visit(node.name);
    const init = node.initializer;
    if (!init) return;
    const fieldName = propertyNameText(node.name);
    const qualified = fieldName !== undefined && this.className ? `${this.className}.${fieldName}` : fieldName;
    const fn = skipOuter(init);
    if (isFunctionLike(fn)) {
      this.setName(fn, qualified);
      this.visit(init);
      return;
    }
    const isStatic = hasStatic(node);
    const head = { start: node.name.getStart(this.sf), end: node.name.end };
    const scope = this.newFunctionScope(isStatic ? 'inline' : 'sync', qualified, isStatic ? 'static field initialiser' : 'field initialiser', node, head);
    const saved = { scopeId: this.scopeId, awaitIllegal: this.awaitIllegal };
    this.scopeId = scope.id;
    this.awaitIllegal = true;
    this.visit(init);
    this.scopeId = saved.scopeId;
    this.awaitIllegal = saved.awaitIllegal;
  }

  private visitStaticBlock(node: ts.ClassStaticBlockDeclaration): void {
    const start = node.getStart(this.sf);
    const scope = this.newFunctionScope('inline', this.className ? `${this.className} static block` : undefined, 'static block', node, { start, end: start + 6 });
    const saved = { scopeId: this.scopeId, lex: this.lex, fnLex: this.fnLex, awaitIllegal: this.awaitIllegal };
    this.scopeId = scope.id;
    this.lex = this.fnLex = newScope(saved.lex, true);
    this.awaitIllegal = true;
    for (const s of node.body.statements) this.visit(s);
    this.scopeId = saved.scopeId;
    this.lex = saved.lex;
    this.fnLex = saved.fnLex;
    this.awaitIllegal = saved.awaitIllegal;
  }

  private visitBlock(statements: ts.NodeArray<ts.Statement>): void {
    const saved = this.lex;
    if (declaresBlockScoped(statements)) this.lex = newScope(saved, false);
    for (const s of statements) this.visit(s);
    this.lex = saved;
  }

  private visitDeclarationList(list: ts.VariableDeclarationList): void {
    const scope = (list.flags & ts.NodeFlags.BlockScoped) !== 0 ? this.lex : this.fnLex;
    for (const d of list.declarations) {
      const init = d.initializer;
      const inner = init && skipOuter(init);
      if (inner && d.name.kind === ts.SyntaxKind.Identifier && (isFunctionLike(inner) || inner.kind === ts.SyntaxKind.ClassExpression)) {
        this.declareName(d.name.text, isFunctionLike(inner) ? 'function' : 'local', scope, inner);
        this.setName(inner, d.name.text);
        if (isFunctionLike(inner)) this.varFnNode = inner;
      } else {
        this.declarePattern(d.name, 'local', scope, init, []);
        if (d.name.kind !== ts.SyntaxKind.Identifier) this.visit(d.name); // defaults and computed keys
      }
      if (init) this.visit(init);
    }
  }

  /**
   * Declares every name in a binding pattern. With an initialiser each name becomes an alias that
   * remembers its property path (`const { promises: { readFile } } = require('fs')` → fs.promises.readFile);
   * names the path cannot follow (rest elements, array patterns, computed keys) get `kind`.
   */
  private declarePattern(name: ts.BindingName, kind: BindingKind, scope: LexScope, init: ts.Expression | undefined, path: readonly string[]): void {
    if (name.kind === ts.SyntaxKind.Identifier) {
      const b = this.declareName(name.text, init ? 'alias' : kind, scope);
      if (init) {
        b.init = init;
        b.initScope = this.lex;
        b.initPath = path;
      }
      return;
    }
    if (name.kind === ts.SyntaxKind.ObjectBindingPattern) {
      for (const el of name.elements) {
        const prop = el.dotDotDotToken ? undefined : propertyNameText(el.propertyName ?? el.name);
        if (prop === undefined || !init) this.declarePattern(el.name, kind, scope, undefined, []);
        else this.declarePattern(el.name, kind, scope, init, [...path, prop]);
      }
      return;
    }
    for (const el of name.elements) {
      if (el.kind === ts.SyntaxKind.BindingElement) this.declarePattern(el.name, kind, scope, undefined, []);
    }
  }

  private visitImport(node: ts.ImportDeclaration): void {
    const clause = node.importClause;
    if (!clause || !ts.isStringLiteral(node.moduleSpecifier)) return;
    if (clause.isTypeOnly) return;
    const module = normaliseModule(node.moduleSpecifier.text);
    if (clause.name) this.declareImport(clause.name.text, module, []);
    const nb = clause.namedBindings;
    if (!nb) return;
    if (nb.kind === ts.SyntaxKind.NamespaceImport) {
      this.declareImport(nb.name.text, module, []);
      return;
    }
    for (const el of nb.elements) {
      if (el.isTypeOnly) continue;
      const imported = el.propertyName ? propertyNameText(el.propertyName as ts.Identifier | ts.StringLiteral) : el.name.text;
      if (imported === undefined) continue;
      this.declareImport(el.name.text, module, imported === 'default' ? [] : [imported]);
    }
  }

  private declareImport(name: string, module: string, path: readonly string[]): void {
    const b = this.declareName(name, 'import', this.moduleScope);
    b.module = module;
    b.path = path;
  }

  private visitImportEquals(node: ts.ImportEqualsDeclaration): void {
    const ref = node.moduleReference;
    if (node.isTypeOnly) return;
    if (ref.kind === ts.SyntaxKind.ExternalModuleReference && ts.isStringLiteral(ref.expression)) {
      const b = this.declareName(node.name.text, 'import', this.lex);
      b.module = normaliseModule(ref.expression.text);
      b.path = [];
    } else {
      this.declareName(node.name.text, 'local', this.lex);
    }
  }
}
