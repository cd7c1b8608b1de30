// unsynchronized-shared-state (shared memory): a plain element write to a shared typed array becomes
// the one `Atomics` call that does it indivisibly.
//
//   a[i] = v          → Atomics.store(a, i, v)
//   a[i]++ / ++a[i]   → Atomics.add(a, i, 1)      (1n for BigInt64Array / BigUint64Array)
//   a[i]-- / --a[i]   → Atomics.sub(a, i, 1)
//   a[i] += v, -=, |=, &=, ^=   → Atomics.add / sub / or / and / xor (a, i, v)
//   a[i] = a[i] + v (or v + a[i]), a[i] - v, a[i] | v, & v, ^ v   → the same calls
//
// Only when the write is a whole expression statement: `Atomics.*` return the old value (`store`
// returns v), so a write whose value is used keeps its meaning only by accident. Anything else
// (`a[i] *= 2`, `a[i] = f(a[i])`, `a[i] ??= v`) needs a compare-and-swap loop: no fix.
// The edits replace only the punctuation between the operands, so comments anywhere in the write are
// kept (a comment between two operands stays between the same operands).

import ts from 'typescript';
import type { TextEdit } from '../../engine/finding';
import type { StateWrite } from '../../engine/model';
import type { LineIndex } from '../../engine/text';
import { skipOuter } from '../../frontends/typescript/bindings';
import type { TsFileFacts } from '../../frontends/typescript/facts';
import { isSameElement, readsElement, sharedWriteSite, type SharedWriteSite } from '../../frontends/typescript/shared-memory';
import type { SafetyRatedFix } from '../fixer';

const SK = ts.SyntaxKind;

const COMPOUND: ReadonlyMap<ts.SyntaxKind, string> = new Map([
  [SK.PlusEqualsToken, 'add'], [SK.MinusEqualsToken, 'sub'], [SK.BarEqualsToken, 'or'],
  [SK.AmpersandEqualsToken, 'and'], [SK.CaretEqualsToken, 'xor'],
]);
const BINARY: ReadonlyMap<ts.SyntaxKind, string> = new Map([
  [SK.PlusToken, 'add'], [SK.MinusToken, 'sub'], [SK.BarToken, 'or'], [SK.AmpersandToken, 'and'], [SK.CaretToken, 'xor'],
]);
const TITLE_MAX = 48;

interface Plan {
  method: string;
  /** the operand that becomes the third argument, or the literal for `++`/`--` */
  value: ts.Expression | string;
}

/** No side effects and the same value when evaluated twice: names, literals, member reads, arithmetic. */
function isPure(node: ts.Node, depth = 0): boolean {
  if (depth > 50) return false;
  switch (node.kind) {
    case SK.Identifier:
    case SK.NumericLiteral:
    case SK.BigIntLiteral:
    case SK.StringLiteral:
    case SK.NoSubstitutionTemplateLiteral:
    case SK.ThisKeyword:
      return true;
    case SK.ParenthesizedExpression:
    case SK.PropertyAccessExpression:
    case SK.ElementAccessExpression:
    case SK.ConditionalExpression:
      return ts.forEachChild(node, (c) => (isPure(c, depth + 1) ? undefined : true)) !== true;
    case SK.PrefixUnaryExpression: {
      const op = (node as ts.PrefixUnaryExpression).operator;
      return op !== SK.PlusPlusToken && op !== SK.MinusMinusToken && isPure((node as ts.PrefixUnaryExpression).operand, depth + 1);
    }
    case SK.BinaryExpression: {
      const bin = node as ts.BinaryExpression;
      const op = bin.operatorToken.kind;
      if ((op >= SK.FirstAssignment && op <= SK.LastAssignment) || op === SK.CommaToken) return false;
      return isPure(bin.left, depth + 1) && isPure(bin.right, depth + 1);
    }
    default:
      return false;
  }
}

function plan(site: SharedWriteSite, sf: ts.SourceFile, write: StateWrite): Plan | undefined {
  const node = site.node;
  const one = site.bigint ? '1n' : '1';
  if (node.kind !== SK.BinaryExpression) return { method: node.operator === SK.PlusPlusToken ? 'add' : 'sub', value: one };
  const op = node.operatorToken.kind;
  const compound = COMPOUND.get(op);
  if (compound) return { method: compound, value: node.right };
  if (op !== SK.EqualsToken) return undefined;
  if (write.op === 'store') return { method: 'store', value: node.right };
  // `a[i] = a[i] + v`: the index is evaluated twice in the original, once in the call
  if (!isPure(site.target.argumentExpression)) return undefined;
  const right = skipOuter(node.right);
  if (right.kind !== SK.BinaryExpression) return undefined;
  const bin = right as ts.BinaryExpression;
  const method = BINARY.get(bin.operatorToken.kind);
  if (!method) return undefined;
  if (isSameElement(site, sf, bin.left) && !readsElement(site, sf, bin.right)) return { method, value: bin.right };
  if (method !== 'sub' && isSameElement(site, sf, bin.right) && !readsElement(site, sf, bin.left)) return { method, value: bin.left };
  return undefined;
}

/** The comments in `[start, end)`, each followed by what keeps the code after it on the right line. */
function commentsIn(src: string, start: number, end: number): string[] {
  if (end <= start || !/\/[/*]/.test(src.slice(start, end))) return [];
  const out: string[] = [];
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, src, undefined, start, end - start);
  for (let k = scanner.scan(); k !== SK.EndOfFileToken; k = scanner.scan()) {
    if (k === SK.SingleLineCommentTrivia) out.push(scanner.getTokenText() + '\n');
    else if (k === SK.MultiLineCommentTrivia) out.push(scanner.getTokenText() + ' ');
  }
  return out;
}

/** `newText` for `[start, end)`, with the comments it held kept after it. */
function replaceKeeping(src: string, start: number, end: number, newText: string, last = false): TextEdit {
  const comments = commentsIn(src, start, end);
  if (comments.length === 0) return { start, end, newText };
  let tail = (/[ (]$/.test(newText) ? '' : ' ') + comments.join('');
  // after the last operand nothing follows on the line but the statement's end
  if (last && tail.endsWith(' ')) tail = tail.slice(0, -1);
  return { start, end, newText: newText + tail };
}

function squash(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

export function useAtomics(facts: TsFileFacts, _lines: LineIndex, write: StateWrite): SafetyRatedFix | undefined {
  const site = sharedWriteSite(write);
  if (!site || !site.statement || write.atomics !== true) return undefined;
  const sf = facts.sf;
  const src = facts.text;
  const p = plan(site, sf, write);
  if (!p) return undefined;
  const node = site.node;
  const target = site.target;
  const obj = target.expression;
  const index = target.argumentExpression;
  const start = node.getStart(sf);
  const objStart = obj.getStart(sf);
  const indexStart = index.getStart(sf);
  const head = `Atomics.${p.method}(`;
  // `a[i, j]`: a comma expression is one index but would be two arguments
  const comma = skipOuter(index).kind === SK.BinaryExpression && (skipOuter(index) as ts.BinaryExpression).operatorToken.kind === SK.CommaToken && index.kind !== SK.ParenthesizedExpression;
  const edits: TextEdit[] = [];
  // everything before the array (`++`, parentheses around the target) becomes the call's head
  edits.push(start === objStart ? { start, end: start, newText: head } : replaceKeeping(src, start, objStart, head));
  edits.push(replaceKeeping(src, obj.end, indexStart, comma ? ', (' : ', '));
  let valueText: string;
  if (typeof p.value === 'string') {
    valueText = p.value;
    edits.push(replaceKeeping(src, index.end, node.end, `${comma ? ')' : ''}, ${p.value})`, true));
  } else {
    const value = p.value;
    const valueStart = value.getStart(sf);
    valueText = src.slice(valueStart, value.end);
    edits.push(replaceKeeping(src, index.end, valueStart, comma ? '), ' : ', '));
    edits.push(replaceKeeping(src, value.end, node.end, ')', true));
  }
  const objText = squash(src.slice(objStart, obj.end));
  const indexText = squash(src.slice(indexStart, index.end));
  let call = `${head}${objText}, ${comma ? `(${indexText})` : indexText}, ${squash(valueText)})`;
  if (call.length > TITLE_MAX) call = `${head}${objText}, …)`;
  if (call.length > TITLE_MAX) call = `${head}…)`;
  return { title: `Use \`${call}\``, edits: edits.filter((e) => e.start !== e.end || e.newText !== ''), safe: true };
}
