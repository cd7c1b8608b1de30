// What the JavaScript and the TypeScript writers of the worker-pool extraction share: the checks that
// a loop can be extracted at all, the def-use analysis, the export name, the loop's text re-indented for
// the worker function, and the statement that replaces the loop.

import * as path from 'node:path';
import ts from 'typescript';
import type { LineIndex } from '../../../engine/text';
import type { ProjectFacts } from '../../../frontends/frontend';
import type { TsFileFacts } from '../../../frontends/typescript/facts';
import type { LoopSite } from '../../../frontends/typescript/loops';
import { analyseLoop, ensureParents, isFunctionLike, skipParens, usesName, type Analysis } from './def-use';

const SK = ts.SyntaxKind;

export const HELPER_BASENAME = 'loopguard-worker-pool';

/** A loop that can move into a worker, with everything both writers need to write it there. */
export interface Extraction {
  facts: TsFileFacts;
  project: ProjectFacts;
  site: LoopSite;
  /** the loop statement, directly in a block of `func` */
  node: ts.Statement;
  /** the async function the loop runs in */
  func: ts.FunctionLikeDeclaration;
  analysis: Analysis;
  /** the worker function's name: `<function>Loop`, `<function>Loop2` for the second loop of a function */
  exportName: string;
  /** the file's directory and its name without extension */
  dir: string;
  base: string;
  eol: string;
  /** where the loop statement starts */
  loopStart: number;
  /** the loop's text, indented for the body of the worker function */
  loopText: string;
}

function indentAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, offset + 1))?.[0] ?? '';
}

/** The loop's text, re-indented to sit `indent` deep. */
function reindent(text: string, from: string, indent: string, eol: string): string {
  return text
    .split(/\r?\n/)
    .map((line, i) => (i === 0 ? indent + line : line.startsWith(from) ? indent + line.slice(from.length) : line.trim() === '' ? '' : indent + line.trimStart()))
    .join(eol);
}

function functionName(fn: ts.FunctionLikeDeclaration): string {
  const own = fn.name && ts.isIdentifier(fn.name) ? fn.name.text : undefined;
  if (own) return own;
  const p = fn.parent;
  if (p && p.kind === SK.VariableDeclaration && (p as ts.VariableDeclaration).name.kind === SK.Identifier) {
    return ((p as ts.VariableDeclaration).name as ts.Identifier).text;
  }
  if (p && p.kind === SK.PropertyAssignment && ts.isIdentifier((p as ts.PropertyAssignment).name)) return ((p as ts.PropertyAssignment).name as ts.Identifier).text;
  return 'task';
}

export function camel(base: string): string {
  const parts = base.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const s = parts.map((w, i) => (i === 0 ? w : w[0].toUpperCase() + w.slice(1))).join('');
  return /^[A-Za-z_$]/.test(s) ? s : `m${s}`;
}

/** `./x`, `../lib/x`: a relative module specifier from `fromDir` to the file `to` (extension as given). */
export function relativeSpecifier(fromDir: string, to: string): string {
  const rel = path.relative(fromDir, to).split(path.sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/**
 * The loop as an extraction, or undefined when it cannot run in a worker unchanged: only a loop
 * statement directly in a block of an `async` function, in a file on disk with project facts, that
 * neither yields nor busy-waits, and that the def-use pass accepts.
 */
export function prepareExtraction(facts: TsFileFacts, lines: LineIndex, site: LoopSite): Extraction | undefined {
  const project = facts.project;
  const { sf, text, fileName } = facts;
  const { loop, node } = site;
  if (!project || !path.isAbsolute(fileName)) return undefined;
  if (loop.busyWait || loop.bodyScope !== undefined || loop.yields) return undefined;
  if (facts.scopes[loop.scope]?.kind !== 'async') return undefined;
  const loopKinds = [SK.ForStatement, SK.ForOfStatement, SK.ForInStatement, SK.WhileStatement, SK.DoStatement];
  ensureParents(sf);
  if (!loopKinds.includes(node.kind) || node.parent?.kind !== SK.Block) return undefined;
  let fn: ts.Node | undefined = node.parent;
  while (fn && !isFunctionLike(fn)) fn = fn.parent;
  if (!fn || !(ts.getCombinedModifierFlags(fn as ts.Declaration) & ts.ModifierFlags.Async)) return undefined;
  const func = fn as ts.FunctionLikeDeclaration;

  const analysis = analyseLoop(node, func);
  if (!analysis) return undefined;

  // two loops of one function: `fooLoop`, `fooLoop2`
  let rank = 0;
  for (const other of facts.loops) {
    if (other === site) break;
    if (other.loop.scope === loop.scope && other.loop.parent === undefined) rank++;
  }
  const exportName = `${camel(functionName(func))}Loop${rank === 0 ? '' : rank + 1}`;
  if (usesName(sf, exportName)) return undefined;

  const eol = lines.eol;
  const loopStart = node.getStart(sf);
  return {
    facts, project, site, node: node as ts.Statement, func, analysis, exportName,
    dir: path.dirname(fileName),
    base: path.basename(fileName, path.extname(fileName)),
    eol,
    loopStart,
    loopText: reindent(text.slice(loopStart, node.end), indentAt(text, loopStart), '  ', eol),
  };
}

/** `({ total, best } = <call>);` or `<call>;`, guarded against joining an unterminated previous line. */
export function replacementStatement(x: Extraction, call: string): string {
  const { outputs } = x.analysis;
  const { sf, text } = x.facts;
  let statement = outputs.length ? `({ ${outputs.join(', ')} } = ${call});` : `${call};`;
  // a statement starting with `(` would continue an unterminated previous line
  const siblings = (x.node.parent as ts.Block).statements;
  const previous = siblings[siblings.indexOf(x.node) - 1];
  if (outputs.length && previous && !/[;}]$/.test(text.slice(previous.getStart(sf), previous.end))) statement = `;${statement}`;
  return statement;
}

/**
 * The file's own name for the Piscina class: `import Piscina from 'piscina'`, `import { Piscina } …`,
 * `const Piscina = require('piscina')`; undefined when it does not load piscina, null when it does in a
 * way this fix does not follow (a namespace, a dynamic import).
 */
export function piscinaBinding(sf: ts.SourceFile): string | undefined | null {
  let found: string | undefined | null;
  for (const s of sf.statements) {
    if (s.kind === SK.ImportDeclaration) {
      const imp = s as ts.ImportDeclaration;
      if (!ts.isStringLiteral(imp.moduleSpecifier) || imp.moduleSpecifier.text !== 'piscina') continue;
      const clause = imp.importClause;
      // `import type { Piscina }` binds no value
      if (clause?.isTypeOnly) continue;
      const named = clause?.namedBindings?.kind === SK.NamedImports
        ? clause.namedBindings.elements.find((e) => !e.isTypeOnly && (e.propertyName ?? e.name).text === 'Piscina')?.name.text
        : undefined;
      found = clause?.name?.text ?? named ?? null;
    } else if (s.kind === SK.VariableStatement) {
      for (const d of (s as ts.VariableStatement).declarationList.declarations) {
        const init = d.initializer && skipParens(d.initializer);
        if (!init || init.kind !== SK.CallExpression) continue;
        const call = init as ts.CallExpression;
        const arg = call.arguments[0];
        if (call.expression.kind !== SK.Identifier || (call.expression as ts.Identifier).text !== 'require' || !arg || !ts.isStringLiteral(arg) || arg.text !== 'piscina') continue;
        found = d.name.kind === SK.Identifier ? d.name.text : null;
      }
    }
    if (found) return found;
  }
  if (found === null) return null;
  // anything else that mentions the module (a dynamic import, a require in a function)
  return /['"]piscina['"]/.test(sf.text.replace(/^\s*\/\/.*$/gm, '')) ? null : undefined;
}
