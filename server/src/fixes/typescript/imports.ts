// How a JS/TS fix refers to a function of a module: through a binding the file already has, through
// the namespace the blocking call was made on, or by adding an import written the way the file
// writes its imports (ESM `import { x } from 'node:m'` or CommonJS `const { x } = require('node:m')`,
// the file's quotes and semicolons, after its last import at the top, extending an existing import
// of the same module, aliased when the name is taken).

import { builtinModules } from 'node:module';
import * as path from 'node:path';
import ts from 'typescript';
import type { TextEdit } from '../../engine/finding';
import {
  isModuleMember, lookup, normaliseModule, resolveBinding, resolveExpression, skipOuter,
  type Binding, type LexScope, type Target,
} from '../../frontends/typescript/bindings';
import type { TsFileFacts } from '../../frontends/typescript/facts';
import type { CallSite } from '../../frontends/typescript/walker';

const SK = ts.SyntaxKind;

const BUILTINS = new Set(builtinModules);

/** The imports one fix needs, gathered over its refs, turned into edits by ImportPlanner.finish. */
export interface ImportPlan {
  /** local names this fix already claimed */
  taken: Set<string>;
  /** new import statements */
  statements: string[];
  /** additions to existing import lists */
  edits: TextEdit[];
}

export function newPlan(): ImportPlan {
  return { taken: new Set(), statements: [], edits: [] };
}

export interface RefRequest {
  module: string;
  name: string;
  /** the module of the blocking call, and how the twin is reached from a namespace of it */
  blockingModule?: string;
  namespacePath?: string;
  /** the async twin of the blocking function (named `<name>Async` if its name is taken) */
  twin?: boolean;
}

/**
 * The name to import `module.name` under when `name` is taken: `readFileAsync` for a twin reads as
 * what it is; a helper gets its module's name in front (`utilPromisify`, `zlibGzip`).
 */
function aliasFor(req: RefRequest): string {
  if (req.twin) return `${req.name}Async`;
  const base = req.module.replace(/^@/, '').split(/[^A-Za-z0-9]+/).filter(Boolean)
    .map((w, i) => (i === 0 ? w : w[0].toUpperCase() + w.slice(1))).join('');
  return `${base}${req.name[0].toUpperCase()}${req.name.slice(1)}`;
}

/** `fs/promises` is also reachable as `fs.promises` (and so on for the other `/promises` modules). */
function promisesAlias(module: string): { root: string; member: string } | undefined {
  const m = /^([a-z_]+)\/promises$/.exec(module);
  return m ? { root: m[1], member: 'promises' } : undefined;
}

/** The longest prefix of a callee's member chain that is a module namespace: `fs` in `fs.readFileSync`. */
export function namespacePrefix(callee: ts.Expression, lex: LexScope): { prefix: ts.Expression; module: string } | undefined {
  let e = skipOuter(callee);
  if (e.kind === SK.BinaryExpression && (e as ts.BinaryExpression).operatorToken.kind === SK.CommaToken) {
    e = skipOuter((e as ts.BinaryExpression).right);
  }
  while (e.kind === SK.PropertyAccessExpression || e.kind === SK.ElementAccessExpression) {
    e = (e as ts.PropertyAccessExpression | ts.ElementAccessExpression).expression;
    const t = resolveExpression(e, lex);
    if (t?.kind === 'module' && t.path.length === 0) return { prefix: e, module: t.root };
  }
  return undefined;
}

/** How the file writes its imports: ESM or `require`, its quotes, its semicolons, its line ends. */
export interface ImportStyle {
  esm: boolean;
  quote: string;
  semi: string;
  eol: string;
}

interface NewImport {
  module: string;
  imported: string;
  local: string;
}

export class ImportPlanner {
  private style: ImportStyle | undefined;
  private insertAt: { offset: number; before: boolean } | undefined;

  constructor(private readonly facts: TsFileFacts) {}

  /**
   * How to write `module.name` at a call site. Preference: the call's own namespace (`fs.` →
   * `fs.promises.readFile`), an existing binding, a new import.
   */
  ref(site: CallSite, req: RefRequest, plan: ImportPlan): string | undefined {
    const { text } = this.facts;
    const ns = namespacePrefix(site.node.expression, site.lex);
    if (ns) {
      const nsText = text.slice(ns.prefix.getStart(this.facts.sf), ns.prefix.end);
      if (ns.module === req.module) return `${nsText}.${req.name}`;
      if (req.namespacePath && ns.module === req.blockingModule) return `${nsText}.${req.namespacePath}`;
    }
    return this.refAt(site.lex, site.node.pos, req, plan);
  }

  /**
   * How to write `module.name` in code a fix puts at `pos`, in lexical scope `lex` (not a call site):
   * an existing binding, else a new import.
   */
  refAt(lex: LexScope, pos: number, req: RefRequest, plan: ImportPlan): string | undefined {
    const existing = this.existingRef(lex, pos, req);
    if (existing) return existing;
    const local = this.pickName(lex, req.name, aliasFor(req), plan.taken);
    if (local === undefined) return undefined;
    plan.taken.add(local);
    this.addImport({ module: req.module, imported: req.name, local }, plan);
    return local;
  }

  /** The file's import style, for statements a fix adds to `plan.statements` itself. */
  importStyle(): ImportStyle {
    return this.getStyle();
  }

  /** The plan's edits: extensions of existing imports, and one insertion holding every new statement. */
  finish(plan: ImportPlan): TextEdit[] {
    const edits = [...plan.edits];
    if (plan.statements.length > 0) {
      const { eol } = this.getStyle();
      const at = this.insertion();
      const block = plan.statements.join(eol);
      edits.push({ start: at.offset, end: at.offset, newText: at.before ? block + eol + eol : eol + block });
    }
    return edits;
  }

  /**
   * Import and alias bindings usable at the call site: not shadowed there, and, inside a function,
   * declared before the call (a later `const` is in its temporal dead zone when the call runs).
   */
  private visibleBindings(lex: LexScope, pos: number): Binding[] {
    const out: Binding[] = [];
    for (let s: LexScope | undefined = lex; s; s = s.parent) {
      if (!s.names) continue;
      for (const b of s.names.values()) {
        if (b.kind !== 'import' && b.kind !== 'alias') continue;
        if (s !== this.facts.moduleScope && b.at !== undefined && b.at > pos) continue;
        if (lookup(lex, b.name) === b) out.push(b);
      }
    }
    return out;
  }

  private existingRef(lex: LexScope, pos: number, req: RefRequest): string | undefined {
    const alias = promisesAlias(req.module);
    let best: { rank: number; text: string } | undefined;
    const offer = (rank: number, text: string) => {
      if (!best || rank < best.rank) best = { rank, text };
    };
    for (const b of this.visibleBindings(lex, pos)) {
      const t: Target | undefined = resolveBinding(b);
      if (!t || t.kind !== 'module') continue;
      if (isModuleMember(t, req.module, req.name)) offer(0, b.name);
      else if (isModuleMember(t, req.module)) offer(1, `${b.name}.${req.name}`);
      else if (alias && isModuleMember(t, alias.root, alias.member, req.name)) offer(0, b.name);
      else if (alias && isModuleMember(t, alias.root, alias.member)) offer(1, `${b.name}.${req.name}`);
      else if (req.namespacePath && req.blockingModule && isModuleMember(t, req.blockingModule)) offer(2, `${b.name}.${req.namespacePath}`);
    }
    return best?.text;
  }

  /** `wanted` if nothing at the call site or at the top of the file would clash with it, else an alias. */
  private pickName(lex: LexScope, wanted: string, alias: string, taken: Set<string>): string | undefined {
    const free = (n: string) =>
      !taken.has(n) && lookup(lex, n) === undefined && !this.facts.freeNames.has(n) && !this.facts.moduleScope.names?.has(n);
    if (free(wanted)) return wanted;
    for (let i = 1; i < 50; i++) {
      const candidate = i === 1 ? alias : `${alias}${i}`;
      if (free(candidate)) return candidate;
    }
    return undefined;
  }

  private getStyle(): ImportStyle {
    if (this.style) return this.style;
    const { sf, text, fileName } = this.facts;
    const ext = path.extname(fileName).toLowerCase();
    let hasImport = false;
    let hasRequire = false;
    let hasExport = false;
    let quote: string | undefined;
    let semi: string | undefined;
    for (const s of sf.statements) {
      if (s.kind === SK.ImportDeclaration || s.kind === SK.ImportEqualsDeclaration) {
        hasImport = true;
        quote ??= quoteOf(s.kind === SK.ImportDeclaration ? (s as ts.ImportDeclaration).moduleSpecifier : undefined, text);
        semi ??= text.charCodeAt(s.end - 1) === 59 /* ; */ ? ';' : '';
      } else if (this.isRequireStatement(s)) {
        hasRequire = true;
        quote ??= quoteOf(requireArgument(s), text);
        semi ??= text.charCodeAt(s.end - 1) === 59 ? ';' : '';
      } else if (
        s.kind === SK.ExportAssignment || s.kind === SK.ExportDeclaration ||
        (ts.canHaveModifiers(s) && ts.getModifiers(s)?.some((m) => m.kind === SK.ExportKeyword))
      ) {
        hasExport = true;
      }
      if (semi === undefined && s.kind !== SK.FunctionDeclaration && s.kind !== SK.ClassDeclaration && s.kind !== SK.Block) {
        semi = text.charCodeAt(s.end - 1) === 59 ? ';' : '';
      }
    }
    const isTs = this.facts.scriptKind === ts.ScriptKind.TS || this.facts.scriptKind === ts.ScriptKind.TSX;
    const esm = hasImport || ext === '.mjs' || ext === '.mts' ? true
      : hasRequire || ext === '.cjs' ? false
      : hasExport || isTs;
    const eol = /\r\n/.test(text.slice(0, 10_000)) ? '\r\n' : '\n';
    this.style = { esm, quote: quote ?? "'", semi: semi ?? ';', eol };
    return this.style;
  }

  /** `const x = require('m')`, `const { a } = require('m').b`, `var x = __importDefault(require('m'))` */
  private isRequireStatement(s: ts.Statement): boolean {
    if (s.kind !== SK.VariableStatement) return false;
    const decls = (s as ts.VariableStatement).declarationList.declarations;
    return decls.length > 0 && decls.every((d) => d.initializer !== undefined && isRequireOf(d.initializer, this.facts.moduleScope) !== undefined);
  }

  /** Where a new import statement goes: after the last import/require at the top, else before the first statement. */
  private insertion(): { offset: number; before: boolean } {
    if (this.insertAt) return this.insertAt;
    const { sf, text } = this.facts;
    const style = this.getStyle();
    let last: ts.Statement | undefined;
    let firstCode: ts.Statement | undefined;
    let lastDirective: ts.Statement | undefined;
    for (const s of sf.statements) {
      const isImport = s.kind === SK.ImportDeclaration || s.kind === SK.ImportEqualsDeclaration;
      if (style.esm) {
        if (isImport) last = s;
        continue;
      }
      // CommonJS: only the leading run, so the new binding exists before any top-level code runs
      if (isImport || this.isRequireStatement(s)) last = s;
      else if (!last && isDirective(s)) lastDirective = s;
      else break;
    }
    if (style.esm && !last) {
      for (const s of sf.statements) {
        if (isDirective(s)) lastDirective = s;
        else break;
      }
    }
    if (last) this.insertAt = { offset: endOfLineIfOnlyComment(text, last.end), before: false };
    else {
      firstCode = sf.statements.find((s) => !isDirective(s));
      if (!firstCode) this.insertAt = { offset: lastDirective ? lastDirective.end : text.length, before: false };
      else this.insertAt = { offset: lineStartBeforeAttachedComments(text, firstCode, sf), before: true };
    }
    return this.insertAt;
  }

  /** Makes `local` denote `module.imported` at the top of the file. */
  private addImport(imp: NewImport, plan: ImportPlan): void {
    const extended = this.extendExisting(imp);
    if (extended) {
      plan.edits.push(extended);
      return;
    }
    const style = this.getStyle();
    const spec = BUILTINS.has(imp.module) && !imp.module.startsWith('node:') ? `node:${imp.module}` : imp.module;
    const q = style.quote;
    plan.statements.push(
      style.esm
        ? `import { ${imp.imported === imp.local ? imp.local : `${imp.imported} as ${imp.local}`} } from ${q}${spec}${q}${style.semi}`
        : `const { ${imp.imported === imp.local ? imp.local : `${imp.imported}: ${imp.local}`} } = require(${q}${spec}${q})${style.semi}`,
    );
  }

  /** Adds the name to an existing `import { … } from 'm'` / `const { … } = require('m')` of the module. */
  private extendExisting(imp: NewImport): TextEdit | undefined {
    const { sf } = this.facts;
    const style = this.getStyle();
    for (const s of sf.statements) {
      if (style.esm && s.kind === SK.ImportDeclaration) {
        const d = s as ts.ImportDeclaration;
        const nb = d.importClause?.namedBindings;
        if (!ts.isStringLiteral(d.moduleSpecifier) || normaliseModule(d.moduleSpecifier.text) !== imp.module) continue;
        if (!nb || nb.kind !== SK.NamedImports || d.importClause?.isTypeOnly || nb.elements.length === 0) continue;
        const lastEl = nb.elements[nb.elements.length - 1];
        const text = imp.imported === imp.local ? imp.local : `${imp.imported} as ${imp.local}`;
        return { start: lastEl.end, end: lastEl.end, newText: `, ${text}` };
      }
      if (!style.esm && s.kind === SK.VariableStatement) {
        const decls = (s as ts.VariableStatement).declarationList.declarations;
        if (decls.length !== 1) continue;
        const d = decls[0];
        if (d.name.kind !== SK.ObjectBindingPattern || !d.initializer) continue;
        const req = isRequireOf(d.initializer, this.facts.moduleScope);
        if (req === undefined || req.root !== imp.module || req.path.length > 0) continue;
        const els = d.name.elements;
        if (els.length === 0 || els.some((e) => e.dotDotDotToken)) continue;
        const lastEl = els[els.length - 1];
        const text = imp.imported === imp.local ? imp.local : `${imp.imported}: ${imp.local}`;
        return { start: lastEl.end, end: lastEl.end, newText: `, ${text}` };
      }
    }
    return undefined;
  }
}

function isDirective(s: ts.Statement): boolean {
  return s.kind === SK.ExpressionStatement && (s as ts.ExpressionStatement).expression.kind === SK.StringLiteral;
}

/** The module a `require(…)` initialiser loads (through interop helpers and member accesses), if it is one. */
function isRequireOf(init: ts.Expression, moduleScope: LexScope): Target | undefined {
  let e = skipOuter(init);
  // `require('fs').promises`: a member of the required module
  while (e.kind === SK.PropertyAccessExpression) e = skipOuter((e as ts.PropertyAccessExpression).expression);
  if (e.kind !== SK.CallExpression) return undefined;
  const t = resolveExpression(e, moduleScope);
  if (t?.kind !== 'module') return undefined;
  // the outermost initialiser decides the path (require('fs').promises → fs.promises)
  const full = resolveExpression(init, moduleScope);
  return full?.kind === 'module' ? full : undefined;
}

function requireArgument(s: ts.Statement): ts.Expression | undefined {
  let found: ts.Expression | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (n.kind === SK.CallExpression) {
      const c = n as ts.CallExpression;
      if (c.expression.kind === SK.Identifier && (c.expression as ts.Identifier).text === 'require' && c.arguments.length === 1) {
        found = c.arguments[0];
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(s);
  return found;
}

/** After `import …; // note`, a new import goes after the comment, not between the two. */
function endOfLineIfOnlyComment(text: string, offset: number): number {
  let end = offset;
  while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
  return /^[ \t]*(?:\/\/.*)?$/.test(text.slice(offset, end)) ? end : offset;
}

function quoteOf(spec: ts.Expression | undefined, text: string): string | undefined {
  if (!spec || spec.kind !== SK.StringLiteral) return undefined;
  const c = text[spec.end - 1];
  return c === '"' || c === "'" ? c : undefined;
}

/**
 * The start of the line of the first statement, or of the comment block directly attached to it
 * (a doc comment with no blank line in between), so a new import never separates a comment from
 * the code it documents. A header comment followed by a blank line stays above the import.
 */
function lineStartBeforeAttachedComments(text: string, statement: ts.Statement, sf: ts.SourceFile): number {
  let start = statement.getStart(sf);
  const comments = ts.getLeadingCommentRanges(text, statement.pos) ?? [];
  for (let i = comments.length - 1; i >= 0; i--) {
    const between = text.slice(comments[i].end, start);
    if (/\n[ \t]*\r?\n/.test(between)) break;
    start = comments[i].pos;
  }
  let ls = start;
  while (ls > 0 && text[ls - 1] !== '\n' && text[ls - 1] !== '\r') ls--;
  return ls;
}
