// The single walk over a TypeScript/JavaScript syntax tree that builds the SourceModel's scopes and
// calls, and the facts the fixer needs later (call sites, lexical scopes, how each call's value is used).
//
// One recursive descent with `ts.forEachChild`; no parent pointers, no `getText()`. What a node's parent
// means for it (the operand of `await`, the callee of a member access, a whole expression statement, a
// function handed to `app.get('/x', …)`) is passed down as markers set just before the child is visited.
// Names are resolved and callback kinds decided after the walk (see bindings.ts and contexts.ts), when
// every declaration is known.

import ts from 'typescript';
import type { Argument, Call, FunctionScope, Loop, ScopeKind } from '../../engine/model';
import { declare, newScope, normaliseModule, skipOuter, type Binding, type BindingKind, type LexScope } from './bindings';
import { ARRAY_METHODS } from './contexts';
import { headerVariables, patternNames, type LoopCall, type LoopSite } from './loops';

const SK = ts.SyntaxKind;
const NF = ts.NodeFlags;
const forEachChild = ts.forEachChild;

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
  /**
   * `this.m(…)` in a method or constructor of a class (or an arrow in one): the methods `this` can
   * name there (see ClassMethods). Undefined for every other call.
   */
  thisMethods: ClassMethods | undefined;
}

/**
 * The members of one side (instance or static) of a class: method name → its scope id, or -1 when
 * the name is ambiguous (declared twice, an accessor, a field that shadows or holds a function).
 */
export type ClassMethods = Map<string, number>;

/**
 * An assignment (`=`, `+=`, `??=`, …) or a `++`/`--`, with the lexical scope it is evaluated in, so
 * that passes over state writes (shared-memory.ts) resolve its target like a call's callee without
 * walking the tree again. One record per write in the file.
 */
export interface WriteSite {
  node: ts.BinaryExpression | ts.PrefixUnaryExpression | ts.PostfixUnaryExpression;
  /** what is written: `a[i]` in `a[i] += 1` (as written, parentheses included) */
  target: ts.Expression;
  lex: LexScope;
  /** id of the innermost function scope */
  scope: number;
  /** the write is a whole expression statement: its value is unused */
  statement: boolean;
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
  /** one per loop, in source order (parents first); bounds are settled by loops.ts after resolution */
  loops: LoopSite[];
  /** every call made inside a loop, with its innermost loop */
  loopCalls: LoopCall[];
  /** every assignment and `++`/`--`, in walk order (an outer assignment before the ones in its value) */
  writes: WriteSite[];
}

/**
 * Beyond this nesting the walk stops descending: pathological input must not overflow the stack.
 * Real code stays far below it (the deepest file in a 9,000-file node_modules nests 118 levels).
 */
const MAX_DEPTH = 500;

// What visit() does per node kind, as small integers. `ts.SyntaxKind` is a getter on the typescript
// module, and a switch over ~40 `ts.SyntaxKind.X` per node cost more than the rest of the walk.
const A_SKIP = 1;
const A_CALL = 2;
const A_PROPERTY = 3;
const A_ELEMENT = 4;
const A_NON_NULL = 5;
const A_TAGGED = 6;
const A_AWAIT = 7;
const A_STATEMENT = 8;
const A_VOID = 9;
const A_BINARY = 10;
const A_PROPERTY_ASSIGNMENT = 11;
const A_FUNCTION_DECLARATION = 12;
const A_FUNCTION = 13;
const A_CLASS = 14;
const A_FIELD = 15;
const A_STATIC_BLOCK = 16;
const A_DECLARATION_LIST = 17;
const A_IMPORT = 18;
const A_IMPORT_EQUALS = 19;
const A_BLOCK = 20;
const A_OBJECT = 21;
const A_CASE_BLOCK = 22;
const A_FOR = 23;
const A_CATCH = 24;
const A_ENUM = 25;
const A_NAMESPACE = 26;
const A_MODULE_BLOCK = 27;
const A_WHILE = 28;
const A_YIELD = 29;
const A_LABEL = 30;
const A_UPDATE = 31;
const A_SPREAD = 32;
const ACTIONS = new Uint8Array(SK.Count + 1);
const MARK_YIELDS = 1;
const MARK_FUNCTION = 2;
// type annotations hold no calls
for (let k = SK.FirstTypeNode; k <= SK.LastTypeNode; k++) ACTIONS[k] = A_SKIP;
ACTIONS[SK.Identifier] = A_SKIP;
ACTIONS[SK.StringLiteral] = A_SKIP;
ACTIONS[SK.NumericLiteral] = A_SKIP;
ACTIONS[SK.InterfaceDeclaration] = A_SKIP;
ACTIONS[SK.TypeAliasDeclaration] = A_SKIP;
ACTIONS[SK.CallExpression] = A_CALL;
ACTIONS[SK.NewExpression] = A_CALL;
ACTIONS[SK.PropertyAccessExpression] = A_PROPERTY;
ACTIONS[SK.ElementAccessExpression] = A_ELEMENT;
ACTIONS[SK.NonNullExpression] = A_NON_NULL;
ACTIONS[SK.TaggedTemplateExpression] = A_TAGGED;
ACTIONS[SK.AwaitExpression] = A_AWAIT;
ACTIONS[SK.ExpressionStatement] = A_STATEMENT;
ACTIONS[SK.VoidExpression] = A_VOID;
ACTIONS[SK.BinaryExpression] = A_BINARY;
ACTIONS[SK.PropertyAssignment] = A_PROPERTY_ASSIGNMENT;
ACTIONS[SK.FunctionDeclaration] = A_FUNCTION_DECLARATION;
ACTIONS[SK.FunctionExpression] = A_FUNCTION;
ACTIONS[SK.ArrowFunction] = A_FUNCTION;
ACTIONS[SK.MethodDeclaration] = A_FUNCTION;
ACTIONS[SK.Constructor] = A_FUNCTION;
ACTIONS[SK.GetAccessor] = A_FUNCTION;
ACTIONS[SK.SetAccessor] = A_FUNCTION;
ACTIONS[SK.ClassDeclaration] = A_CLASS;
ACTIONS[SK.ClassExpression] = A_CLASS;
ACTIONS[SK.PropertyDeclaration] = A_FIELD;
ACTIONS[SK.ClassStaticBlockDeclaration] = A_STATIC_BLOCK;
ACTIONS[SK.VariableDeclarationList] = A_DECLARATION_LIST;
ACTIONS[SK.ImportDeclaration] = A_IMPORT;
ACTIONS[SK.ImportEqualsDeclaration] = A_IMPORT_EQUALS;
ACTIONS[SK.Block] = A_BLOCK;
ACTIONS[SK.ObjectLiteralExpression] = A_OBJECT;
ACTIONS[SK.CaseBlock] = A_CASE_BLOCK;
ACTIONS[SK.ForStatement] = A_FOR;
ACTIONS[SK.ForInStatement] = A_FOR;
ACTIONS[SK.ForOfStatement] = A_FOR;
ACTIONS[SK.CatchClause] = A_CATCH;
ACTIONS[SK.EnumDeclaration] = A_ENUM;
ACTIONS[SK.ModuleDeclaration] = A_NAMESPACE;
ACTIONS[SK.ModuleBlock] = A_MODULE_BLOCK;
ACTIONS[SK.WhileStatement] = A_WHILE;
ACTIONS[SK.DoStatement] = A_WHILE;
ACTIONS[SK.YieldExpression] = A_YIELD;
ACTIONS[SK.LabeledStatement] = A_LABEL;
ACTIONS[SK.PrefixUnaryExpression] = A_UPDATE;
ACTIONS[SK.PostfixUnaryExpression] = A_UPDATE;
ACTIONS[SK.SpreadElement] = A_SPREAD;

function registerMember(side: ClassMethods, name: string, scopeId: number): void {
  side.set(name, side.has(name) ? -1 : scopeId);
}

function isFunctionLike(node: ts.Node): boolean {
  const k = node.kind;
  return k === SK.ArrowFunction || k === SK.FunctionExpression;
}

function hasAsync(node: ts.Node): boolean {
  const mods = (node as ts.FunctionDeclaration).modifiers;
  if (!mods) return false;
  for (const m of mods) if (m.kind === SK.AsyncKeyword) return true;
  return false;
}

function hasStatic(node: ts.Node): boolean {
  const mods = (node as ts.PropertyDeclaration).modifiers;
  if (!mods) return false;
  for (const m of mods) if (m.kind === SK.StaticKeyword) return true;
  return false;
}

function propertyNameText(name: ts.PropertyName | ts.BindingName | undefined): string | undefined {
  if (!name) return undefined;
  switch (name.kind) {
    case SK.Identifier:
    case SK.PrivateIdentifier:
    case SK.StringLiteral:
    case SK.NumericLiteral:
    case SK.NoSubstitutionTemplateLiteral:
      return name.text;
    default:
      return undefined;
  }
}

/** A block needs its own lexical scope only if it declares something block-scoped directly. */
function declaresBlockScoped(statements: readonly ts.Statement[]): boolean {
  for (const s of statements) {
    switch (s.kind) {
      case SK.VariableStatement:
        if (((s as ts.VariableStatement).declarationList.flags & NF.BlockScoped) !== 0) return true;
        break;
      case SK.FunctionDeclaration:
      case SK.ClassDeclaration:
      case SK.EnumDeclaration:
      case SK.ModuleDeclaration:
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
  readonly loops: LoopSite[] = [];
  readonly loopCalls: LoopCall[] = [];
  readonly writes: WriteSite[] = [];
  /** expressions whose value is iterated synchronously where they stand (Call.iterated): `for…of`, spread, `yield*`, array destructuring */
  private readonly iterated = new Set<ts.Node>();

  private scopeId = 0;
  /** the innermost loop around the node being visited, in this function (or array callback) */
  private loop: LoopSite | undefined;
  /** array-method callbacks → the loop they are the body of */
  private readonly arrayLoops = new Map<ts.Node, LoopSite>();
  /** set just before visiting a statement of a statement list: where a declaration before it may go */
  private listStatement: ts.Node | undefined;
  private listStatementStart = 0;
  private declaringConst = false;
  private lex: LexScope = this.moduleScope;
  private fnLex: LexScope = this.moduleScope;
  private awaitIllegal = false;
  private depth = 0;
  private className: string | undefined;
  /** the class whose body is being visited directly (not inside a method): where members register */
  private classMembers: { instance: ClassMethods; statics: ClassMethods } | undefined;
  /** what `this.m` names in the code being visited */
  private thisMethods: ClassMethods | undefined;
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
    this.visitStatements(sf.statements);
    return {
      scopes: this.scopes, calls: this.calls, sites: this.sites, moduleScope: this.moduleScope,
      pending: this.pending, fnScopeIds: this.fnScopeIds, workerHints: this.workerHints, decorated: this.decorated,
      loops: this.loops, loopCalls: this.loopCalls, writes: this.writes,
    };
  }

  private readonly visit = (node: ts.Node): void => {
    const action = ACTIONS[node.kind];
    if (action === A_SKIP) return;
    if (++this.depth > MAX_DEPTH) {
      this.depth--;
      return;
    }
    switch (action) {
      case A_CALL:
        this.visitCall(node as ts.CallExpression | ts.NewExpression);
        break;
      case A_PROPERTY: {
        const pa = node as ts.PropertyAccessExpression;
        const name = pa.name.escapedText;
        if (name === 'parentPort' || name === 'workerData') this.workerHints.push({ expr: pa.expression, lex: this.lex });
        this.parenChild = pa.expression;
        this.visit(pa.expression);
        break;
      }
      case A_ELEMENT: {
        const ea = node as ts.ElementAccessExpression;
        this.parenChild = ea.expression;
        this.visit(ea.expression);
        this.visit(ea.argumentExpression);
        break;
      }
      case A_NON_NULL:
        this.parenChild = (node as ts.NonNullExpression).expression;
        this.visit((node as ts.NonNullExpression).expression);
        break;
      case A_TAGGED:
        this.markLoops(MARK_FUNCTION);
        this.parenChild = (node as ts.TaggedTemplateExpression).tag;
        forEachChild(node, this.visit);
        break;
      case A_AWAIT:
        this.markLoops(MARK_YIELDS);
        this.awaitChild = skipOuter((node as ts.AwaitExpression).expression);
        this.visit((node as ts.AwaitExpression).expression);
        break;
      case A_STATEMENT: {
        const e = (node as ts.ExpressionStatement).expression;
        this.statementChild = skipOuter(e);
        this.visit(e);
        break;
      }
      case A_VOID:
        this.statementChild = skipOuter((node as ts.VoidExpression).expression);
        this.visit((node as ts.VoidExpression).expression);
        break;
      case A_BINARY:
        this.visitBinary(node as ts.BinaryExpression);
        break;
      case A_PROPERTY_ASSIGNMENT: {
        const pa = node as ts.PropertyAssignment;
        if (pa.name.kind === SK.ComputedPropertyName) this.visit(pa.name);
        const init = skipOuter(pa.initializer);
        if (isFunctionLike(init)) this.setName(init, propertyNameText(pa.name));
        this.visit(pa.initializer);
        break;
      }
      case A_FUNCTION_DECLARATION: {
        const fd = node as ts.FunctionDeclaration;
        if (fd.name) this.declareName(fd.name.text, 'function', this.lex, fd);
        this.visitFunction(fd);
        break;
      }
      case A_FUNCTION:
        this.visitFunction(node as ts.FunctionLikeDeclaration);
        break;
      case A_CLASS: {
        const cd = node as ts.ClassLikeDeclaration;
        if (cd.name && node.kind === SK.ClassDeclaration) this.declareName(cd.name.text, 'local', this.lex);
        const saved = this.className;
        const savedMembers = this.classMembers;
        this.className = cd.name?.text ?? (this.nameNode === node ? this.nameText : undefined);
        this.classMembers = { instance: new Map(), statics: new Map() };
        this.markLoops(MARK_FUNCTION);
        const savedLoop = this.loop;
        this.loop = undefined;
        forEachChild(node, this.visit);
        this.loop = savedLoop;
        this.className = saved;
        this.classMembers = savedMembers;
        break;
      }
      case A_FIELD:
        this.visitField(node as ts.PropertyDeclaration);
        break;
      case A_STATIC_BLOCK:
        this.visitStaticBlock(node as ts.ClassStaticBlockDeclaration);
        break;
      case A_DECLARATION_LIST:
        this.visitDeclarationList(node as ts.VariableDeclarationList);
        break;
      case A_IMPORT:
        this.visitImport(node as ts.ImportDeclaration);
        break;
      case A_IMPORT_EQUALS:
        this.visitImportEquals(node as ts.ImportEqualsDeclaration);
        break;
      case A_BLOCK:
        this.visitBlock((node as ts.Block).statements);
        break;
      case A_OBJECT: {
        // methods of an object literal are not members of the class it may sit in
        const saved = this.className;
        const savedMembers = this.classMembers;
        this.className = undefined;
        this.classMembers = undefined;
        forEachChild(node, this.visit);
        this.className = saved;
        this.classMembers = savedMembers;
        break;
      }
      case A_CASE_BLOCK: {
        const saved = this.lex;
        const cb = node as ts.CaseBlock;
        if (cb.clauses.some((c) => declaresBlockScoped(c.statements))) this.lex = newScope(saved, false);
        forEachChild(node, this.visit);
        this.lex = saved;
        break;
      }
      case A_FOR: {
        if (node.kind === SK.ForOfStatement) this.iterated.add(skipOuter((node as ts.ForOfStatement).expression));
        const init = (node as ts.ForStatement).initializer;
        const saved = this.lex;
        if (init && init.kind === SK.VariableDeclarationList && (init.flags & NF.BlockScoped) !== 0) {
          this.lex = newScope(saved, false);
        }
        const outer = this.enterLoop(node as ts.IterationStatement);
        forEachChild(node, this.visit);
        this.loop = outer;
        this.lex = saved;
        break;
      }
      case A_WHILE: {
        const outer = this.enterLoop(node as ts.IterationStatement);
        forEachChild(node, this.visit);
        this.loop = outer;
        break;
      }
      case A_YIELD: {
        this.markLoops(MARK_YIELDS);
        const y = node as ts.YieldExpression;
        if (y.asteriskToken && y.expression) this.iterated.add(skipOuter(y.expression));
        forEachChild(node, this.visit);
        break;
      }
      case A_SPREAD:
        this.iterated.add(skipOuter((node as ts.SpreadElement).expression));
        forEachChild(node, this.visit);
        break;
      case A_UPDATE: {
        const u = node as ts.PrefixUnaryExpression | ts.PostfixUnaryExpression;
        if (u.operator === SK.PlusPlusToken || u.operator === SK.MinusMinusToken) this.noteWrite(u, u.operand);
        forEachChild(node, this.visit);
        break;
      }
      case A_LABEL: {
        // `outer: for (…)`: a declaration for the loop goes before its label
        const ls = node as ts.LabeledStatement;
        if (this.listStatement === node) this.listStatement = ls.statement;
        this.visit(ls.statement);
        break;
      }
      case A_CATCH: {
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
      case A_ENUM:
        this.declareName((node as ts.EnumDeclaration).name.text, 'local', this.lex);
        forEachChild(node, this.visit);
        break;
      case A_NAMESPACE: {
        const md = node as ts.ModuleDeclaration;
        if (md.name.kind === SK.Identifier) this.declareName(md.name.text, 'local', this.lex);
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
      case A_MODULE_BLOCK:
        this.visitStatements((node as ts.ModuleBlock).statements);
        break;
      default:
        forEachChild(node, this.visit);
    }
    this.depth--;
  };

  private visitStatements(statements: ts.NodeArray<ts.Statement>): void {
    for (const s of statements) {
      this.listStatement = s;
      this.listStatementStart = s.getStart(this.sf);
      this.visit(s);
    }
    this.listStatement = undefined;
  }

  /** Starts a loop statement's record and makes it the current loop; returns the loop to restore after it. */
  private enterLoop(node: ts.IterationStatement): LoopSite | undefined {
    const sf = this.sf;
    const start = node.getStart(sf);
    const kind: Loop['kind'] =
      node.kind === SK.ForStatement ? 'for'
      : node.kind === SK.ForOfStatement ? 'for-of'
      : node.kind === SK.ForInStatement ? 'for-in'
      : node.kind === SK.WhileStatement ? 'while'
      : 'do-while';
    let headEnd: number;
    if (kind === 'do-while') headEnd = start + 2;
    else {
      // `for (…)` / `while (…)`: up to the parenthesis that closes the header
      const bodyStart = node.statement.getStart(sf);
      const close = this.text.lastIndexOf(')', bodyStart - 1);
      headEnd = close > start ? close + 1 : bodyStart;
    }
    const outer = this.loop;
    const site = this.newLoop(kind, { start, end: node.end }, { start, end: headEnd }, kind === 'for' || kind === 'for-of' || kind === 'for-in' ? headerVariables(node) : []);
    site.node = node;
    site.insertAt = this.listStatement === node ? this.listStatementStart : undefined;
    if (kind === 'for-of' && (node as ts.ForOfStatement).awaitModifier) this.markLoops(MARK_YIELDS);
    return outer;
  }

  private newLoop(kind: Loop['kind'], span: { start: number; end: number }, headSpan: { start: number; end: number }, variables: string[]): LoopSite {
    const loop: Loop = {
      id: this.loops.length, kind, span, headSpan, scope: this.scopeId, parent: this.loop?.loop.id,
      bound: { kind: 'unknown' }, yields: false, busyWait: false, variables, computeOnly: false,
    };
    const site: LoopSite = {
      loop, node: undefined as unknown as ts.Node, lex: this.lex, iterated: undefined, insertAt: undefined,
      hasFunction: false, impureCall: false, nonClockCall: false, clockInCondition: false,
    };
    this.loops.push(site);
    this.loop = site;
    return site;
  }

  /** What an `await`/`yield` or a nested function says about every loop around it in this function. */
  private markLoops(mark: number): void {
    for (let l = this.loop; l; l = l.loop.parent === undefined ? undefined : this.loops[l.loop.parent]) {
      if (mark === MARK_YIELDS) l.loop.yields = true;
      else l.hasFunction = true;
    }
  }

  /** `xs.forEach((x) => …)`, `.map`, `.reduce`, `Array.from(src, fn)`: a loop whose body is the callback. */
  private noteArrayLoop(node: ts.CallExpression): void {
    const callee = skipOuter(node.expression);
    if (callee.kind !== SK.PropertyAccessExpression) return;
    const pa = callee as ts.PropertyAccessExpression;
    const method = pa.name.text;
    const args = node.arguments;
    const recv = skipOuter(pa.expression);
    const isFrom = method === 'from' && recv.kind === SK.Identifier && (recv as ts.Identifier).text === 'Array';
    const argIndex = isFrom ? 1 : 0;
    if (!isFrom && !ARRAY_METHODS.has(method)) return;
    const arg = args[argIndex];
    if (!arg) return;
    const fn = skipOuter(arg);
    if (!isFunctionLike(fn) || hasAsync(fn) || (fn as ts.FunctionExpression).asteriskToken) return;
    const outer = this.loop;
    const variables: string[] = [];
    for (const p of (fn as ts.FunctionLikeDeclaration).parameters) patternNames(p.name, variables);
    const site = this.newLoop('for-of', { start: node.getStart(this.sf), end: node.end }, { start: pa.name.getStart(this.sf), end: pa.name.end }, variables);
    site.node = node;
    site.iterated = isFrom ? args[0] : pa.expression;
    this.loop = outer;
    this.arrayLoops.set(fn, site);
  }

  private noteWrite(node: WriteSite['node'], target: ts.Expression): void {
    this.writes.push({ node, target, lex: this.lex, scope: this.scopeId, statement: this.statementChild === node });
  }

  private setName(fn: ts.Node, name: string | undefined): void {
    this.nameNode = fn;
    this.nameText = name;
  }

  private declareName(name: string, kind: BindingKind, scope: LexScope, fn?: ts.Node): Binding {
    const b: Binding = { kind, name, scope };
    if (fn) b.fn = fn;
    declare(scope, b);
    return b;
  }

  /** Left-nested chains (`a + b + c + …`, thousands long in generated code) are walked iteratively. */
  private visitBinary(node: ts.BinaryExpression): void {
    const spine: ts.BinaryExpression[] = [];
    let left: ts.Expression = node;
    while (left.kind === SK.BinaryExpression && spine.length < 100_000) {
      spine.push(left as ts.BinaryExpression);
      left = (left as ts.BinaryExpression).left;
    }
    const innermost = spine[spine.length - 1];
    if (innermost.operatorToken.kind === SK.AsteriskAsteriskToken) this.parenChild = left;
    this.visit(left);
    for (let i = spine.length - 1; i >= 0; i--) {
      const bin = spine[i];
      const op = bin.operatorToken.kind;
      if (op >= SK.FirstAssignment && op <= SK.LastAssignment) this.noteWrite(bin, bin.left);
      if (op === SK.EqualsToken) {
        if (skipOuter(bin.left).kind === SK.ArrayLiteralExpression) this.iterated.add(skipOuter(bin.right));
        const right = skipOuter(bin.right);
        if (isFunctionLike(right) || right.kind === SK.ClassExpression) {
          const target = skipOuter(bin.left);
          const name =
            target.kind === SK.Identifier ? (target as ts.Identifier).text
            : target.kind === SK.PropertyAccessExpression ? (target as ts.PropertyAccessExpression).name.text
            : undefined;
          this.setName(right, name);
        }
      }
      this.visit(bin.right);
    }
  }

  private visitCall(node: ts.CallExpression | ts.NewExpression): void {
    const sf = this.sf;
    const isNew = node.kind === SK.NewExpression;
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
          spread: a.kind === SK.SpreadElement ? 'positional' : undefined,
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
    if (this.iterated.has(node)) call.iterated = true;
    const bareCallee = skipOuter(callee);
    const thisMethods =
      this.thisMethods !== undefined && bareCallee.kind === SK.PropertyAccessExpression && skipOuter((bareCallee as ts.PropertyAccessExpression).expression).kind === SK.ThisKeyword
        ? this.thisMethods
        : undefined;
    const site: CallSite = { node, lex: this.lex, flags, call, thisMethods };
    this.calls.push(call);
    this.sites.push(site);
    if (this.loop) this.loopCalls.push({ call, loop: this.loop.loop.id });
    if (!isNew && rawArgs) this.noteArrayLoop(node as ts.CallExpression);

    // functions handed to this call: contexts.ts decides what they are once names resolve
    if (rawArgs) {
      for (let i = 0; i < rawArgs.length; i++) {
        const inner = skipOuter(rawArgs[i]);
        if (isFunctionLike(inner)) this.fnContexts.set(inner, { site, argIndex: i });
        else if (inner.kind === SK.ObjectLiteralExpression) this.noteRouteObject(inner as ts.ObjectLiteralExpression, site);
      }
    }
    const target = skipOuter(callee);
    if (isFunctionLike(target)) this.fnContexts.set(target, { site, argIndex: -1 });
    else if (target.kind === SK.PropertyAccessExpression) {
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
    if (callee.kind !== SK.PropertyAccessExpression || (callee as ts.PropertyAccessExpression).name.text !== 'route') return;
    for (const p of obj.properties) {
      if (p.kind === SK.PropertyAssignment && propertyNameText(p.name) === 'handler') {
        const fn = skipOuter(p.initializer);
        if (isFunctionLike(fn)) this.fnContexts.set(fn, { site, argIndex: -2 });
      } else if (p.kind === SK.MethodDeclaration && propertyNameText(p.name) === 'handler') {
        this.fnContexts.set(p, { site, argIndex: -2 });
      }
    }
  }

  private functionName(node: ts.FunctionLikeDeclaration): string | undefined {
    switch (node.kind) {
      case SK.FunctionDeclaration:
      case SK.FunctionExpression:
        if (node.name) return node.name.text;
        break;
      case SK.MethodDeclaration:
      case SK.GetAccessor:
      case SK.SetAccessor: {
        const n = propertyNameText(node.name);
        if (n === undefined) return undefined;
        return this.className ? `${this.className}.${n}` : n;
      }
      case SK.Constructor:
        return this.className ? `${this.className}.constructor` : 'constructor';
    }
    return this.nameNode === node ? this.nameText : undefined;
  }

  private headSpan(node: ts.FunctionLikeDeclaration, start: number): { start: number; end: number } {
    const sf = this.sf;
    if (node.kind === SK.ArrowFunction) {
      const arrow = (node as ts.ArrowFunction).equalsGreaterThanToken;
      return { start: arrow.getStart(sf), end: arrow.end };
    }
    const name = node.name;
    if (name) return { start: name.getStart(sf), end: name.end };
    const keyword = node.kind === SK.Constructor ? 'constructor' : 'function';
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
    if (node.modifiers) for (const m of node.modifiers) if (m.kind === SK.Decorator) this.visit(m);
    if (node.name && node.name.kind === SK.ComputedPropertyName) this.visit(node.name);
    if (!body) return; // overloads, abstract and ambient declarations

    const isAsync = hasAsync(node);
    const name = this.functionName(node);
    const start = node.getStart(this.sf);
    const scope = this.newFunctionScope(isAsync ? 'async' : 'sync', name, undefined, node, this.headSpan(node, start));
    if ((node as ts.FunctionExpression).asteriskToken) scope.generator = true;
    const context = this.fnContexts.get(node);
    if (context) {
      this.fnContexts.delete(node);
      this.pending.push({ scope, context, fn: node });
    }
    if (node.kind === SK.FunctionDeclaration || node === this.varFnNode) this.fnScopeIds.set(node, scope.id);
    if (!isAsync && node.kind === SK.MethodDeclaration && node.modifiers) {
      for (const m of node.modifiers) {
        if (m.kind === SK.Decorator && (m as ts.Decorator).expression.kind === SK.CallExpression) {
          this.decorated.push({ scope, decorator: ((m as ts.Decorator).expression as ts.CallExpression).expression, lex: this.lex });
        }
      }
    }

    const savedScopeId = this.scopeId;
    const savedLex = this.lex;
    const savedFnLex = this.fnLex;
    const savedAwaitIllegal = this.awaitIllegal;
    const savedClassName = this.className;
    const savedMembers = this.classMembers;
    const savedThis = this.thisMethods;
    const members = this.classMembers;
    const k = node.kind;
    if (members && (k === SK.MethodDeclaration || k === SK.Constructor || k === SK.GetAccessor || k === SK.SetAccessor)) {
      // a method, accessor or constructor of the class being visited
      const side = hasStatic(node) ? members.statics : members.instance;
      const memberName = node.kind === SK.Constructor ? undefined : propertyNameText(node.name);
      if (memberName !== undefined) registerMember(side, memberName, k === SK.MethodDeclaration ? scope.id : -1);
      this.thisMethods = side;
    } else if (k !== SK.ArrowFunction) {
      // a function's own `this` is whatever it is called on
      this.thisMethods = undefined;
    }
    this.classMembers = undefined;
    const savedLoop = this.loop;
    // a loop's body runs per pass; any other function in it runs when called, not as part of the loop
    const arrayLoop = this.arrayLoops.get(node);
    if (arrayLoop) {
      this.arrayLoops.delete(node);
      arrayLoop.loop.bodyScope = scope.id;
      this.loop = arrayLoop;
    } else {
      this.markLoops(MARK_FUNCTION);
      this.loop = undefined;
    }
    this.scopeId = scope.id;
    this.lex = this.fnLex = newScope(savedLex, true);
    if (node.kind === SK.FunctionExpression && node.name) this.declareName(node.name.text, 'function', this.lex, node);
    // a nested class's members get their own className; plain nested functions keep none
    this.className = undefined;
    for (const p of node.parameters) {
      this.declarePattern(p.name, 'param', this.lex, undefined, []);
    }
    // `await` is a syntax error in parameter defaults, even of async functions
    this.awaitIllegal = true;
    for (const p of node.parameters) {
      if (p.modifiers) for (const m of p.modifiers) if (m.kind === SK.Decorator) this.visit(m);
      if (p.name.kind !== SK.Identifier) this.visit(p.name);
      if (p.initializer) this.visit(p.initializer);
    }
    this.awaitIllegal = false;
    if (body.kind === SK.Block) {
      this.visitStatements((body as ts.Block).statements);
    } else {
      this.visit(body);
    }
    this.loop = savedLoop;
    this.scopeId = savedScopeId;
    this.lex = savedLex;
    this.fnLex = savedFnLex;
    this.awaitIllegal = savedAwaitIllegal;
    this.className = savedClassName;
    this.classMembers = savedMembers;
    this.thisMethods = savedThis;
  }

  /** Class fields run when an instance is built (static ones when the class is): not in the enclosing function. */
  private visitField(node: ts.PropertyDeclaration): void {
    if (node.modifiers) for (const m of node.modifiers) if (m.kind === SK.Decorator) this.visit(m);
    if (node.name.kind === SK.ComputedPropertyName) this.visit(node.name);
    const fieldName = propertyNameText(node.name);
    const members = this.classMembers;
    // a field shadows a method of the same name, and one holding a function is not resolved
    if (members && fieldName !== undefined) registerMember(hasStatic(node) ? members.statics : members.instance, fieldName, -1);
    const init = node.initializer;
    if (!init) return;
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
    const saved = { scopeId: this.scopeId, awaitIllegal: this.awaitIllegal, members: this.classMembers, thisMethods: this.thisMethods };
    this.scopeId = scope.id;
    this.awaitIllegal = true;
    this.thisMethods = members && (isStatic ? members.statics : members.instance);
    this.classMembers = undefined;
    this.visit(init);
    this.scopeId = saved.scopeId;
    this.awaitIllegal = saved.awaitIllegal;
    this.classMembers = saved.members;
    this.thisMethods = saved.thisMethods;
  }

  private visitStaticBlock(node: ts.ClassStaticBlockDeclaration): void {
    const start = node.getStart(this.sf);
    const scope = this.newFunctionScope('inline', this.className ? `${this.className} static block` : undefined, 'static block', node, { start, end: start + 6 });
    const saved = { scopeId: this.scopeId, lex: this.lex, fnLex: this.fnLex, awaitIllegal: this.awaitIllegal, members: this.classMembers, thisMethods: this.thisMethods };
    this.scopeId = scope.id;
    this.lex = this.fnLex = newScope(saved.lex, true);
    this.thisMethods = saved.members?.statics;
    this.classMembers = undefined;
    this.awaitIllegal = true;
    for (const s of node.body.statements) this.visit(s);
    this.scopeId = saved.scopeId;
    this.lex = saved.lex;
    this.fnLex = saved.fnLex;
    this.awaitIllegal = saved.awaitIllegal;    this.classMembers = saved.members;
    this.thisMethods = saved.thisMethods;
  }

  private visitBlock(statements: ts.NodeArray<ts.Statement>): void {
    const saved = this.lex;
    if (declaresBlockScoped(statements)) this.lex = newScope(saved, false);
    this.visitStatements(statements);
    this.lex = saved;
  }

  private visitDeclarationList(list: ts.VariableDeclarationList): void {
    const scope = (list.flags & NF.BlockScoped) !== 0 ? this.lex : this.fnLex;
    const isConst = (list.flags & NF.Const) !== 0;
    for (const d of list.declarations) {
      const init = d.initializer;
      const inner = init && skipOuter(init);
      if (inner && d.name.kind === SK.ArrayBindingPattern) this.iterated.add(inner);
      if (inner && d.name.kind === SK.Identifier && (isFunctionLike(inner) || inner.kind === SK.ClassExpression)) {
        const b = this.declareName(d.name.text, isFunctionLike(inner) ? 'function' : 'local', scope, inner);
        if (isConst) b.constant = true;
        this.setName(inner, d.name.text);
        if (isFunctionLike(inner)) this.varFnNode = inner;
      } else {
        this.declaringConst = isConst;
        this.declarePattern(d.name, 'local', scope, init, []);
        this.declaringConst = false;
        if (d.name.kind !== SK.Identifier) this.visit(d.name); // defaults and computed keys
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
    if (name.kind === SK.Identifier) {
      const b = this.declareName(name.text, init ? 'alias' : kind, scope);
      if (this.declaringConst) b.constant = true;
      if (init) {
        b.init = init;
        b.initScope = this.lex;
        b.initPath = path;
        b.at = name.end;
      }
      return;
    }
    if (name.kind === SK.ObjectBindingPattern) {
      for (const el of name.elements) {
        const prop = el.dotDotDotToken ? undefined : propertyNameText(el.propertyName ?? el.name);
        if (prop === undefined || !init) this.declarePattern(el.name, kind, scope, undefined, []);
        else this.declarePattern(el.name, kind, scope, init, [...path, prop]);
      }
      return;
    }
    for (const el of name.elements) {
      if (el.kind === SK.BindingElement) this.declarePattern(el.name, kind, scope, undefined, []);
    }
  }

  private visitImport(node: ts.ImportDeclaration): void {
    const clause = node.importClause;
    if (!clause || !ts.isStringLiteral(node.moduleSpecifier)) return;
    if (clause.isTypeOnly) return;
    const module = normaliseModule(node.moduleSpecifier.text);
    if (clause.name) this.declareImport(clause.name.text, module, [], 'default');
    const nb = clause.namedBindings;
    if (!nb) return;
    if (nb.kind === SK.NamespaceImport) {
      this.declareImport(nb.name.text, module, [], 'namespace');
      return;
    }
    for (const el of nb.elements) {
      if (el.isTypeOnly) continue;
      const imported = el.propertyName ? propertyNameText(el.propertyName as ts.Identifier | ts.StringLiteral) : el.name.text;
      if (imported === undefined) continue;
      this.declareImport(el.name.text, module, imported === 'default' ? [] : [imported], imported === 'default' ? 'default' : 'named');
    }
  }

  private declareImport(name: string, module: string, path: readonly string[], importKind: Binding['importKind']): void {
    const b = this.declareName(name, 'import', this.moduleScope);
    b.module = module;
    b.path = path;
    b.importKind = importKind;
  }

  private visitImportEquals(node: ts.ImportEqualsDeclaration): void {
    const ref = node.moduleReference;
    if (node.isTypeOnly) return;
    if (ref.kind === SK.ExternalModuleReference && ts.isStringLiteral(ref.expression)) {
      const b = this.declareName(node.name.text, 'import', this.lex);
      b.module = normaliseModule(ref.expression.text);
      b.path = [];
    } else {
      this.declareName(node.name.text, 'local', this.lex);
    }
  }
}
