// "Yield to the event loop every 1000 iterations" for a CPU-heavy JS/TS loop in an async function:
//
//   let __n = 0;                                   for (let i = 0; i < n; i++) {
//   for (const x of xs) {                            if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
//     if (++__n % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
//
// `setImmediate` (not `setTimeout(0)`, clamped to 1 ms, nor a resolved promise, which runs before I/O)
// lets pending I/O callbacks and timers run between slices. The loop then takes longer in total and
// other tasks run in the middle of it, so whatever shared state it reads may change under it: the fix
// is unsafe. Only where `await` is legal (directly in an async function) and for loop statements the
// edit can rewrite without moving code: `for`, `for…of` and `while` with a block or a single statement.

import ts from 'typescript';
import type { TextEdit } from '../../engine/finding';
import type { LineIndex } from '../../engine/text';
import { lookup, skipOuter } from '../../frontends/typescript/bindings';
import type { TsFileFacts } from '../../frontends/typescript/facts';
import type { LoopSite } from '../../frontends/typescript/loops';
import type { SafetyRatedFix } from '../fixer';

const SK = ts.SyntaxKind;
const EVERY = 1000;
export const YIELD_TITLE = `Yield to the event loop every ${EVERY} iterations`;
const PAUSE = 'await new Promise((resolve) => setImmediate(resolve));';

/** The loop can take the check: a loop statement directly in an async function. */
function fixable(facts: TsFileFacts, site: LoopSite): boolean {
  const { loop, node } = site;
  if (loop.busyWait || loop.bodyScope !== undefined) return false;
  if (loop.kind !== 'for' && loop.kind !== 'for-of' && loop.kind !== 'while') return false;
  if (node.kind === SK.ForOfStatement && (node as ts.ForOfStatement).awaitModifier) return false;
  return facts.scopes[loop.scope]?.kind === 'async';
}

/** Loops that count with a counter of their own need a declaration before them (and so a statement list). */
function needsCounter(facts: TsFileFacts, site: LoopSite): boolean {
  return fixable(facts, site) && indexCounter(site.node, (site.node as ts.IterationStatement).statement) === undefined;
}

export function yieldPeriodically(facts: TsFileFacts, lines: LineIndex, site: LoopSite): SafetyRatedFix | undefined {
  const { loop, node } = site;
  const { text, sf } = facts;
  if (!fixable(facts, site)) return undefined;
  // a local `setImmediate` is not the timer
  if (lookup(site.lex, 'setImmediate')) return undefined;
  const body = (node as ts.IterationStatement).statement;
  const eol = lines.eol;
  const indent = indentAt(text, loop.span.start);

  const edits: TextEdit[] = [];
  const index = indexCounter(node, body);
  let check: string;
  if (index !== undefined) {
    check = `if (${index} % ${EVERY} === ${EVERY - 1}) ${PAUSE}`;
  } else {
    if (site.insertAt === undefined) return undefined;
    // --fix applies the fixes of one analysis together: each loop of a function gets its own counter
    let rank = 0;
    for (const other of facts.loops) {
      if (other.loop.id >= loop.id) break;
      if (other.loop.scope === loop.scope && needsCounter(facts, other)) rank++;
    }
    const name = freshName(text, '__n', rank);
    check = `if (++${name} % ${EVERY} === 0) ${PAUSE}`;
    const lineStart = text.lastIndexOf('\n', site.insertAt - 1) + 1;
    const alone = /^[ \t]*$/.test(text.slice(lineStart, site.insertAt));
    edits.push({ start: site.insertAt, end: site.insertAt, newText: alone ? `let ${name} = 0;${eol}${indentAt(text, site.insertAt)}` : `let ${name} = 0; ` });
  }

  if (body.kind === SK.Block) {
    const open = body.getStart(sf);
    const stmts = (body as ts.Block).statements;
    const first = stmts.length > 0 ? stmts[0].getStart(sf) : body.end - 1;
    const lineEnd = text.indexOf('\n', open);
    if (lineEnd < 0 || lineEnd > first) {
      // `{ total += i; }` on one line
      edits.push({ start: open + 1, end: open + 1, newText: ` ${check}` });
    } else {
      // on a line of its own after the brace's line, which keeps any comment after the brace in place
      const inner = stmts.length > 0 ? indentAt(text, first) : indent + indentUnit(text, indent);
      edits.push({ start: lineEnd + 1, end: lineEnd + 1, newText: `${inner}${check}${eol}` });
    }
  } else {
    const headEnd = loop.headSpan.end;
    const bodyStart = body.getStart(sf);
    // a comment between the header and the body would be lost
    if (!/^\s*$/.test(text.slice(headEnd, bodyStart))) return undefined;
    const inner = indent + indentUnit(text, indent);
    if (body.kind === SK.EmptyStatement) {
      edits.push({ start: headEnd, end: body.end, newText: ` {${eol}${inner}${check}${eol}${indent}}` });
    } else {
      edits.push({ start: headEnd, end: bodyStart, newText: ` {${eol}${inner}${check}${eol}${inner}` });
      edits.push({ start: body.end, end: body.end, newText: `${eol}${indent}}` });
    }
  }
  return { title: YIELD_TITLE, edits, safe: false };
}

/**
 * `for (let i = …; …; i++)`: the index already counts passes. Not when the body declares its own
 * `i` at its top (the check would read it in its temporal dead zone).
 */
function indexCounter(node: ts.Node, body: ts.Statement): string | undefined {
  if (node.kind !== SK.ForStatement) return undefined;
  const f = node as ts.ForStatement;
  const init = f.initializer;
  if (!init || init.kind !== SK.VariableDeclarationList) return undefined;
  const decls = (init as ts.VariableDeclarationList).declarations;
  if (decls.length !== 1 || decls[0].name.kind !== SK.Identifier) return undefined;
  const name = decls[0].name.text;
  const inc = f.incrementor && skipOuter(f.incrementor);
  if (!inc) return undefined;
  const isStep =
    ((inc.kind === SK.PostfixUnaryExpression || inc.kind === SK.PrefixUnaryExpression) &&
      (inc as ts.PostfixUnaryExpression).operator === SK.PlusPlusToken && isName((inc as ts.PostfixUnaryExpression).operand, name)) ||
    (inc.kind === SK.BinaryExpression && (inc as ts.BinaryExpression).operatorToken.kind === SK.PlusEqualsToken &&
      isName((inc as ts.BinaryExpression).left, name) && skipOuter((inc as ts.BinaryExpression).right).kind === SK.NumericLiteral &&
      ((skipOuter((inc as ts.BinaryExpression).right) as ts.NumericLiteral).text === '1'));
  if (!isStep) return undefined;
  if (body.kind === SK.Block) {
    for (const s of (body as ts.Block).statements) {
      if (s.kind === SK.VariableStatement && (s as ts.VariableStatement).declarationList.declarations.some((d) => declares(d.name, name))) return undefined;
      if ((s.kind === SK.FunctionDeclaration || s.kind === SK.ClassDeclaration) && (s as ts.FunctionDeclaration).name?.text === name) return undefined;
    }
  }
  return name;
}

function declares(name: ts.BindingName, target: string): boolean {
  if (name.kind === SK.Identifier) return name.text === target;
  return name.elements.some((el) => el.kind === SK.BindingElement && declares(el.name, target));
}

function isName(expr: ts.Expression, name: string): boolean {
  const e = skipOuter(expr);
  return e.kind === SK.Identifier && (e as ts.Identifier).text === name;
}

/** The `rank`-th name (from 0) that the file does not mention anywhere (as a variable, property or in a string). */
function freshName(text: string, base: string, rank: number): string {
  for (let i = 0; ; i++) {
    const name = i === 0 ? base : `${base}${i + 1}`;
    if (new RegExp(`\\b${name}\\b`).test(text)) continue;
    if (rank-- === 0) return name;
  }
}

function indentAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, offset + 1))?.[0] ?? '';
}

/** One level of indentation as the file writes it: a tab where the line uses tabs, else the smallest space step seen. */
function indentUnit(text: string, indent: string): string {
  if (indent.includes('\t')) return '\t';
  const m = /\n( +)\S/.exec(text);
  const n = m ? m[1].length : 2;
  return ' '.repeat(n === 4 || n === 2 ? n : 2);
}
