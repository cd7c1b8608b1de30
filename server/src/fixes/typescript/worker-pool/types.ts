// Types for a TypeScript worker function. Its parameter object must be typed — strict TypeScript rejects
// an implicitly-any destructured parameter — and there is no type checker here (the front end only
// parses), so each input's type is one that can be read off the syntax, or the extraction is refused:
// the declaration's own annotation (copied as written), or the widened type of an obvious initialiser
// (`0` → number, `''`/templates → string, `true` → boolean, `0n` → bigint, `-1`, `n * 2`, `new Map<K, V>()`).
//
// Every type name those texts (and the loop's own annotations) use must mean the same in the worker
// module: built-in ones do; a type the file imports is imported there with `import type` from the same
// specifier (the worker module sits in the same directory); an exported type declared in the file is
// imported from the file itself. Local, generic, non-exported, class and function types refuse — a class
// instance arrives as a plain object, a function not at all.
//
// Control-flow narrowing is the remaining trap: code before the loop may narrow an input (`if (!opts.x)
// return;`), and the worker only sees the declared type. An input whose type can be narrowed at all is
// therefore refused when the function narrows it before the loop (conditions, assignments, assertion calls).

import ts from 'typescript';
import { resolve, type Decl } from './def-use';
import type { Extraction } from './extraction';

const SK = ts.SyntaxKind;

/** Global types whose values a structured clone carries unchanged (Buffer is not one: it arrives as a Uint8Array). */
const BUILTIN_TYPES = new Set([
  'Array', 'ReadonlyArray', 'Map', 'ReadonlyMap', 'Set', 'ReadonlySet', 'Record', 'Partial', 'Required', 'Readonly',
  'Pick', 'Omit', 'Exclude', 'Extract', 'NonNullable', 'Uppercase', 'Lowercase', 'Capitalize', 'Uncapitalize',
  'Date', 'RegExp', 'ArrayBuffer', 'ArrayBufferLike', 'SharedArrayBuffer', 'DataView',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
]);

/** Built-in types that no `if` can narrow: an input of one of them may be checked before the loop. */
const UNNARROWABLE_REFERENCES = new Set([
  'Array', 'ReadonlyArray', 'Map', 'ReadonlyMap', 'Set', 'ReadonlySet', 'Date', 'RegExp', 'ArrayBuffer', 'DataView',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
]);

const TYPED_ARRAYS = new Set([
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
]);

/** What the worker module needs to declare the function's parameter. */
export interface WorkerTyping {
  /** the parameter object's type: `{ xs: readonly number[]; total: number }` */
  paramType: string;
  /** `import type …` statements, in order of first use */
  typeImports: string[];
}

interface TypeImports {
  /** per specifier: the local names, each with how it is imported */
  bySpecifier: Map<string, Map<string, { kind: 'default' | 'namespace' | 'named'; imported: string }>>;
}

interface InputType {
  text: string;
  /** type nodes in `text` whose names must be resolved */
  nodes: readonly ts.TypeNode[];
  /** an `if` before the loop could have narrowed it */
  narrowable: boolean;
  /** a declared union initialised with something other than null/undefined: narrowed at its declaration */
  narrowedByInitialiser: boolean;
}

const PRIMITIVES = new Set(['number', 'string', 'boolean', 'bigint']);

const keyword = (text: string): InputType => ({ text, nodes: [], narrowable: false, narrowedByInitialiser: false });

function skipOuter(e: ts.Expression): ts.Expression {
  let x = e;
  while (x.kind === SK.ParenthesizedExpression || x.kind === SK.SatisfiesExpression) x = (x as ts.ParenthesizedExpression).expression;
  return x;
}

/** The widened type of an initialiser whose type is obvious from its syntax, or undefined. */
function initialiserType(init: ts.Expression, sf: ts.SourceFile, depth = 0): InputType | undefined {
  const e = skipOuter(init);
  switch (e.kind) {
    case SK.Identifier: {
      // `let total = seed`: the type of a variable whose own type is known and cannot have been narrowed
      const d = depth < 4 ? resolve(e as ts.Identifier) : undefined;
      const t = d && inputType(d, sf, depth + 1);
      return t && !t.narrowable && !t.narrowedByInitialiser ? t : undefined;
    }
    case SK.NumericLiteral:
      return keyword('number');
    case SK.BigIntLiteral:
      return keyword('bigint');
    case SK.StringLiteral:
    case SK.NoSubstitutionTemplateLiteral:
    case SK.TemplateExpression:
      return keyword('string');
    case SK.TrueKeyword:
    case SK.FalseKeyword:
      return keyword('boolean');
    case SK.PrefixUnaryExpression: {
      const u = e as ts.PrefixUnaryExpression;
      if (u.operator === SK.ExclamationToken) return keyword('boolean');
      const inner = initialiserType(u.operand, sf, depth);
      if (inner && (inner.text === 'number' || inner.text === 'bigint') && u.operator !== SK.PlusToken) return inner;
      return u.operator === SK.PlusToken && inner?.text === 'number' ? inner : undefined;
    }
    case SK.BinaryExpression: {
      const b = e as ts.BinaryExpression;
      const op = b.operatorToken.kind;
      const left = initialiserType(b.left, sf, depth)?.text;
      const right = initialiserType(b.right, sf, depth)?.text;
      if (op === SK.PlusToken) {
        if (left === 'string' || right === 'string') return keyword('string');
        return left === 'number' && right === 'number' ? keyword('number') : undefined;
      }
      const arithmetic = [
        SK.MinusToken, SK.AsteriskToken, SK.SlashToken, SK.PercentToken, SK.AsteriskAsteriskToken, SK.BarToken,
        SK.AmpersandToken, SK.CaretToken, SK.LessThanLessThanToken, SK.GreaterThanGreaterThanToken,
      ];
      // `n * 2` is a number: a bigint operand would not mix with the literal
      if (arithmetic.includes(op)) return left === 'number' || right === 'number' ? keyword('number') : left === 'bigint' || right === 'bigint' ? keyword('bigint') : undefined;
      if (op === SK.GreaterThanGreaterThanGreaterThanToken) return keyword('number');
      const comparisons = [
        SK.LessThanToken, SK.GreaterThanToken, SK.LessThanEqualsToken, SK.GreaterThanEqualsToken, SK.EqualsEqualsEqualsToken,
        SK.ExclamationEqualsEqualsToken, SK.EqualsEqualsToken, SK.ExclamationEqualsToken, SK.InstanceOfKeyword, SK.InKeyword,
      ];
      return comparisons.includes(op) ? keyword('boolean') : undefined;
    }
    case SK.ArrayLiteralExpression: {
      const els = (e as ts.ArrayLiteralExpression).elements;
      // `[1, 2]` → number[]; elements of one primitive type only (`A | B[]` would need brackets, and more)
      const types = new Set(els.map((el) => (el.kind === SK.SpreadElement ? undefined : initialiserType(el, sf, depth)?.text)));
      const [only] = types;
      if (els.length === 0 || types.size !== 1 || !only || !PRIMITIVES.has(only)) return undefined;
      return keyword(`${only}[]`);
    }
    case SK.AsExpression:
    case SK.TypeAssertionExpression: {
      const type = (e as ts.AsExpression).type;
      if (type.kind === SK.TypeReference && ((type as ts.TypeReferenceNode).typeName as ts.Identifier).text === 'const') return undefined;
      return declaredType(type, sf);
    }
    case SK.NewExpression: {
      const n = e as ts.NewExpression;
      const callee = skipOuter(n.expression);
      if (callee.kind !== SK.Identifier || resolve(callee as ts.Identifier) !== undefined) return undefined;
      const name = (callee as ts.Identifier).text;
      const args = n.typeArguments;
      if (TYPED_ARRAYS.has(name) || name === 'Date' || name === 'RegExp' || name === 'ArrayBuffer') return keyword(name);
      // `new Map()` without type arguments is a Map<any, any>
      if ((name === 'Map' || name === 'Set' || name === 'Array') && args && args.length > 0) {
        const text = `${name}<${args.map((a) => a.getText(sf)).join(', ')}>`;
        return { text, nodes: [...args], narrowable: false, narrowedByInitialiser: false };
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Can code before the loop narrow a value of this declared type, so that the loop relies on it? */
function narrowable(t: ts.TypeNode): boolean {
  switch (t.kind) {
    case SK.NumberKeyword:
    case SK.StringKeyword:
    case SK.BooleanKeyword:
    case SK.BigIntKeyword:
    case SK.AnyKeyword:
    case SK.ArrayType:
    case SK.TupleType:
      return false;
    case SK.ParenthesizedType:
      return narrowable((t as ts.ParenthesizedTypeNode).type);
    case SK.TypeOperator:
      return (t as ts.TypeOperatorNode).operator === SK.ReadonlyKeyword ? narrowable((t as ts.TypeOperatorNode).type) : true;
    case SK.TypeReference: {
      const name = (t as ts.TypeReferenceNode).typeName;
      return !(name.kind === SK.Identifier && UNNARROWABLE_REFERENCES.has(name.text));
    }
    default:
      return true;
  }
}

/**
 * Is the declared type (maybe) a union, which an initialiser narrows (`let t: number | undefined = 0` is a
 * `number` until reassigned)? Interfaces, classes and built-in collections are not.
 */
function unionLike(t: ts.TypeNode, sf: ts.SourceFile): boolean {
  switch (t.kind) {
    case SK.UnionType:
    case SK.UnknownKeyword:
      return true;
    case SK.ParenthesizedType:
      return unionLike((t as ts.ParenthesizedTypeNode).type, sf);
    case SK.TypeReference: {
      const name = (t as ts.TypeReferenceNode).typeName;
      if (name.kind !== SK.Identifier) return true;
      if (UNNARROWABLE_REFERENCES.has(name.text)) return false;
      return !sf.statements.some((s) => (s.kind === SK.InterfaceDeclaration || s.kind === SK.ClassDeclaration) && declaresType(s, name.text));
    }
    default:
      return false;
  }
}

function isNullish(e: ts.Expression): boolean {
  const x = skipOuter(e);
  return x.kind === SK.NullKeyword || (x.kind === SK.Identifier && (x as ts.Identifier).text === 'undefined') || x.kind === SK.VoidExpression;
}

function declaredType(type: ts.TypeNode, sf: ts.SourceFile): InputType {
  return { text: type.getText(sf), nodes: [type], narrowable: narrowable(type), narrowedByInitialiser: false };
}

function includesUndefined(t: ts.TypeNode): boolean {
  if (t.kind === SK.AnyKeyword || t.kind === SK.UnknownKeyword || t.kind === SK.UndefinedKeyword) return true;
  if (t.kind === SK.ParenthesizedType) return includesUndefined((t as ts.ParenthesizedTypeNode).type);
  return t.kind === SK.UnionType && (t as ts.UnionTypeNode).types.some(includesUndefined);
}

/** An input's type, or undefined when it cannot be told from the syntax. */
function inputType(decl: Decl, sf: ts.SourceFile, depth = 0): InputType | undefined {
  if (decl.kind === 'param') {
    const p = decl.param;
    if (!p || p.name.kind !== SK.Identifier) return undefined;
    if (p.type) {
      const t = declaredType(p.type, sf);
      // `n?: number` is a `number | undefined` inside the function
      if (!p.questionToken) return t;
      const loose = p.type.kind === SK.ConditionalType || p.type.kind === SK.FunctionType || p.type.kind === SK.ConstructorType;
      return { ...t, text: `${loose ? `(${t.text})` : t.text} | undefined`, narrowable: true };
    }
    return p.initializer && !p.dotDotDotToken ? initialiserType(p.initializer, sf, depth) : undefined;
  }
  if (decl.kind !== 'let' && decl.kind !== 'const' && decl.kind !== 'var') return undefined;
  const d = decl.decl;
  if (!d || d.name.kind !== SK.Identifier) return undefined;
  if (d.type) {
    const t = declaredType(d.type, sf);
    if (d.initializer) return { ...t, narrowedByInitialiser: unionLike(d.type, sf) && !isNullish(d.initializer) };
    // read before any assignment, it is `undefined`: only a type that admits it (or `let x!: T`) is honest
    return d.exclamationToken || includesUndefined(d.type) ? t : undefined;
  }
  return d.initializer ? initialiserType(d.initializer, sf, depth) : undefined;
}

/** The identifier a type reference's name starts with: `T` in `T`, `ns` in `ns.T`. */
function leftmost(name: ts.EntityName): ts.Identifier {
  let n = name;
  while (n.kind === SK.QualifiedName) n = n.left;
  return n;
}

function hasExportModifier(s: ts.Statement): boolean {
  const mods = ts.canHaveModifiers(s) ? ts.getModifiers(s) : undefined;
  return !!mods?.some((m) => m.kind === SK.ExportKeyword) && !mods.some((m) => m.kind === SK.DefaultKeyword);
}

function declaresType(s: ts.Statement, name: string): boolean {
  return (
    (s.kind === SK.InterfaceDeclaration || s.kind === SK.TypeAliasDeclaration || s.kind === SK.ClassDeclaration || s.kind === SK.EnumDeclaration) &&
    (s as ts.InterfaceDeclaration).name?.text === name
  );
}

function typeParameterNamed(n: ts.Node, name: string): boolean {
  const params = (n as { typeParameters?: ts.NodeArray<ts.TypeParameterDeclaration> }).typeParameters;
  return !!params?.some((p) => p.name.text === name);
}

/**
 * Makes the type name at `ref` available in the worker module: nothing to do for a built-in, an
 * `import type` for an imported or an exported local type; false when it cannot be.
 */
function provide(ref: ts.Identifier, sf: ts.SourceFile, selfSpecifier: string, out: TypeImports): boolean {
  const name = ref.text;
  for (let n: ts.Node = ref.parent; n && n.kind !== SK.SourceFile; n = n.parent) {
    // a generic's own parameter, a type of a block or namespace: nothing the worker module could name
    if (typeParameterNamed(n, name) || n.kind === SK.ModuleDeclaration) return false;
    if ((n.kind === SK.Block || n.kind === SK.ModuleBlock) && (n as ts.Block).statements.some((s) => declaresType(s, name))) return false;
  }
  const add = (spec: string, local: string, kind: 'default' | 'namespace' | 'named', imported: string): boolean => {
    let names = out.bySpecifier.get(spec);
    if (!names) out.bySpecifier.set(spec, (names = new Map()));
    names.set(local, { kind, imported });
    return true;
  };
  for (const s of sf.statements) {
    if (s.kind === SK.ImportDeclaration) {
      const imp = s as ts.ImportDeclaration;
      const clause = imp.importClause;
      if (!clause || !ts.isStringLiteral(imp.moduleSpecifier)) continue;
      const spec = imp.moduleSpecifier.text;
      if (clause.name?.text === name) return add(spec, name, 'default', 'default');
      const nb = clause.namedBindings;
      if (nb?.kind === SK.NamespaceImport && nb.name.text === name) return add(spec, name, 'namespace', name);
      if (nb?.kind === SK.NamedImports) {
        const el = nb.elements.find((e) => e.name.text === name);
        if (el) return add(spec, name, 'named', (el.propertyName ?? el.name).text);
      }
    } else if (s.kind === SK.ImportEqualsDeclaration && (s as ts.ImportEqualsDeclaration).name.text === name) {
      return false;
    } else if (declaresType(s, name)) {
      // a class instance loses its prototype in the structured clone
      if (s.kind === SK.ClassDeclaration) return false;
      if (hasExportModifier(s) || exportedByList(sf, name)) return add(selfSpecifier, name, 'named', name);
      return false;
    }
  }
  return BUILTIN_TYPES.has(name) && resolve(ref) === undefined;
}

/** `export { T }` (not renamed, not re-exported from elsewhere). */
function exportedByList(sf: ts.SourceFile, name: string): boolean {
  return sf.statements.some((s) => {
    if (s.kind !== SK.ExportDeclaration) return false;
    const e = s as ts.ExportDeclaration;
    return !e.moduleSpecifier && !!e.exportClause && e.exportClause.kind === SK.NamedExports &&
      e.exportClause.elements.some((el) => el.name.text === name && !el.propertyName);
  });
}

/** Walks a type: false when it names something the worker module cannot have, or a value that does not clone. */
function provideAll(type: ts.TypeNode, sf: ts.SourceFile, selfSpecifier: string, out: TypeImports): boolean {
  let ok = true;
  const visit = (n: ts.Node): void => {
    if (!ok) return;
    switch (n.kind) {
      case SK.TypeQuery: // `typeof x`: a value of the file
      case SK.ThisType:
      case SK.FunctionType:
      case SK.ConstructorType:
      case SK.InferType:
      case SK.MappedType:
      case SK.SymbolKeyword:
      case SK.ExpressionWithTypeArguments:
        ok = false;
        return;
      case SK.TypeOperator:
        if ((n as ts.TypeOperatorNode).operator === SK.UniqueKeyword) {
          ok = false;
          return;
        }
        break;
      case SK.ImportType: {
        // `import('./x').T`: the same directory, so the same module
        const it = n as ts.ImportTypeNode;
        if (it.isTypeOf) {
          ok = false;
          return;
        }
        it.typeArguments?.forEach(visit);
        return;
      }
      case SK.TypeReference: {
        const ref = n as ts.TypeReferenceNode;
        const id = leftmost(ref.typeName);
        const isConst = id.text === 'const' && (ref.parent.kind === SK.AsExpression || ref.parent.kind === SK.TypeAssertionExpression);
        if (!isConst && !provide(id, sf, selfSpecifier, out)) {
          ok = false;
          return;
        }
        ref.typeArguments?.forEach(visit);
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(type);
  return ok;
}

/** Is this reference to an input, before the loop, one that could narrow it (a condition, an assignment, an assertion call)? */
function narrowsAt(id: ts.Identifier): boolean {
  let top: ts.Node = id;
  while (
    top.parent.kind === SK.PropertyAccessExpression || top.parent.kind === SK.ElementAccessExpression ||
    top.parent.kind === SK.NonNullExpression || top.parent.kind === SK.ParenthesizedExpression
  ) {
    if ((top.parent as ts.PropertyAccessExpression).expression !== top) break;
    top = top.parent;
  }
  const narrowingOperators = [
    SK.AmpersandAmpersandToken, SK.BarBarToken, SK.QuestionQuestionToken, SK.EqualsEqualsEqualsToken, SK.ExclamationEqualsEqualsToken,
    SK.EqualsEqualsToken, SK.ExclamationEqualsToken, SK.InstanceOfKeyword, SK.InKeyword,
  ];
  for (let n: ts.Node = top, p = top.parent; p; n = p, p = p.parent) {
    switch (p.kind) {
      case SK.IfStatement:
      case SK.WhileStatement:
      case SK.DoStatement:
      case SK.SwitchStatement:
        return (p as ts.IfStatement).expression === n;
      case SK.ForStatement:
        return (p as ts.ForStatement).condition === n;
      case SK.ConditionalExpression:
        if ((p as ts.ConditionalExpression).condition === n) return true;
        break;
      case SK.PrefixUnaryExpression:
        if ((p as ts.PrefixUnaryExpression).operator === SK.ExclamationToken) return true;
        break;
      case SK.TypeOfExpression:
        return true;
      case SK.BinaryExpression: {
        const b = p as ts.BinaryExpression;
        const op = b.operatorToken.kind;
        if (narrowingOperators.includes(op)) return true;
        if (op >= SK.FirstAssignment && op <= SK.LastAssignment && b.left === n) return true;
        break;
      }
      case SK.CallExpression:
        // `assertIsDefined(x)` as a statement may be an assertion function
        if ((p as ts.CallExpression).arguments.some((a) => a === n) && p.parent.kind === SK.ExpressionStatement) return true;
        break;
      default:
        if (ts.isStatement(p) || ts.isFunctionLike(p)) return false;
    }
  }
  return false;
}

/**
 * Does code of the input's scope (the function declaring it, or the file) narrow `name` before the loop?
 * Narrowing in an enclosing function reaches a closure created after it.
 */
function narrowedBeforeLoop(x: Extraction, name: string, decl: Decl): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || n.pos >= x.loopStart) return;
    if (n.kind === SK.Identifier && (n as ts.Identifier).text === name && n.end <= x.loopStart) {
      const d = resolve(n as ts.Identifier);
      if (d && d.scope === decl.scope && narrowsAt(n as ts.Identifier)) found = true;
      return;
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(decl.scope, visit);
  return found;
}

/**
 * The worker function's parameter type and the type imports the worker module needs, or undefined when
 * some input has no type readable off the syntax, or a type cannot be named in the worker module.
 * `selfSpecifier` imports the file from its worker module; `quote`/`semi` are the file's style.
 */
export function typeWorkerInputs(x: Extraction, selfSpecifier: string, quote: string, semi: string): WorkerTyping | undefined {
  const { sf } = x.facts;
  const { inputs, inputDecls, typeNodes } = x.analysis;
  const imports: TypeImports = { bySpecifier: new Map() };
  const members: string[] = [];
  for (const name of inputs) {
    const decl = inputDecls.get(name);
    if (!decl) return undefined;
    const t = inputType(decl, sf);
    if (!t || t.narrowedByInitialiser) return undefined;
    if (t.narrowable && narrowedBeforeLoop(x, name, decl)) return undefined;
    for (const node of t.nodes) if (!provideAll(node, sf, selfSpecifier, imports)) return undefined;
    members.push(`${name}: ${t.text}`);
  }
  for (const node of typeNodes) if (!provideAll(node, sf, selfSpecifier, imports)) return undefined;

  const typeImports: string[] = [];
  for (const [spec, names] of imports.bySpecifier) {
    const from = `from ${quote}${spec}${quote}${semi}`;
    const named: string[] = [];
    for (const [local, how] of names) {
      if (how.kind === 'default') typeImports.push(`import type ${local} ${from}`);
      else if (how.kind === 'namespace') typeImports.push(`import type * as ${local} ${from}`);
      else named.push(how.imported === local ? local : `${how.imported} as ${local}`);
    }
    if (named.length) typeImports.push(`import type { ${named.join(', ')} } ${from}`);
  }
  return { paramType: `{ ${members.join('; ')} }`, typeImports };
}
