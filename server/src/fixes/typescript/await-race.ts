// race-across-await (JS/TS): await before reading the state, or hold an async lock from the read to
// the write. Both fixes are unsafe (they change when things happen); neither is in fix-all.
//
// - rereadAfterAwait (`update` races): `x += await fetchBonus();` → `const bonus = await fetchBonus();`
//   then `x += bonus;`. Only for an expression statement of a block whose one await is evaluated
//   unconditionally (not in a `?:` arm, after `&&`/`||`/`??`, or in an optional call) and does not read
//   the state itself (`x = await g(x)` needs the old value: a lock is the fix there). The local is named
//   after the awaited callee without its get/fetch/load/read prefix, else `value`, never a name the
//   function already uses.
// - guardWithAsyncLock: the statements from the read's statement to the write's statement (siblings
//   in one block; the `if` statement of a check) become
//       const release = await <lock>.acquire();
//       try { … } finally { release(); }
//   re-indented. A declaration of the range used by later statements of the block pulls those
//   statements in (a `return v` after `cache.set(k, v)`): the lock is held a little longer, and the
//   code means the same; `return`/`break`/`continue` inside still release through `finally`.
//   The lock: an existing one as written (async-mutex's `acquire()` gives a release function, a
//   Semaphore's `[value, release]`; async-lock / Web Locks callbacks and `if (busy) return; busy = true`
//   flag guards are not reused: no fix), or a new module-level one: `const <state>Mutex = new Mutex();`
//   with `async-mutex` in the package's dependencies, else a small promise-chain lock, `createLock()`,
//   declared once per file (typed in TS, plain in JS), and `const <state>Lock = createLock();`. New
//   declarations go after the imports, or next to the locks an earlier fix declared.
// Refused: a range that contains a multi-line template literal (re-indenting would change its text) or
// a `yield` (the consumer would hold the lock for as long as it likes), a read after the write (a race
// across loop iterations), a function whose body is an expression.

import ts from 'typescript';
import type { TextEdit } from '../../engine/finding';
import type { AwaitRace, Call } from '../../engine/model';
import type { LineIndex } from '../../engine/text';
import { awaitRaceFacts } from '../../frontends/typescript/await-races';
import { declaredIn } from '../../frontends/typescript/await-races-state';
import { skipOuter } from '../../frontends/typescript/bindings';
import type { TsFileFacts } from '../../frontends/typescript/facts';
import type { CallSite } from '../../frontends/typescript/walker';
import type { LockChoice, SafetyRatedFix } from '../fixer';
import { ImportPlanner, newPlan } from './imports';

const SK = ts.SyntaxKind;

type StatementOwner = ts.Block | ts.SourceFile | ts.ModuleBlock | ts.CaseClause | ts.DefaultClause;

function isOwner(n: ts.Node): n is StatementOwner {
  const k = n.kind;
  return k === SK.Block || k === SK.SourceFile || k === SK.ModuleBlock || k === SK.CaseClause || k === SK.DefaultClause;
}

/** `root` and its descendants down to `target`, found by position (the tree has no parent pointers). */
function ancestors(root: ts.Node, target: ts.Node): ts.Node[] | undefined {
  const chain: ts.Node[] = [root];
  let cur: ts.Node = root;
  while (cur !== target) {
    let next: ts.Node | undefined;
    ts.forEachChild(cur, (child) => {
      if (child.pos <= target.pos && target.end <= child.end && child.end > child.pos) {
        next = child;
        return true;
      }
      return undefined;
    });
    if (!next) return undefined;
    chain.push(next);
    cur = next;
  }
  return chain;
}

function lineStart(text: string, offset: number): number {
  let i = offset;
  while (i > 0 && text[i - 1] !== '\n' && text[i - 1] !== '\r') i--;
  return i;
}

function indentAt(text: string, offset: number): string {
  const ls = lineStart(text, offset);
  let i = ls;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  return text.slice(ls, i);
}

/** The statement starts its line (only white space before it): it can be re-indented as a whole. */
function startsLine(text: string, offset: number): boolean {
  return /^[ \t]*$/.test(text.slice(lineStart(text, offset), offset));
}

function eolOf(text: string): string {
  return /\r\n/.test(text.slice(0, 10_000)) ? '\r\n' : '\n';
}

/** The file's indentation step: a tab, or the smallest indentation of its first indented lines. */
function indentUnit(text: string): string {
  let best: number | undefined;
  const lines = text.slice(0, 20_000).split(/\r?\n/);
  for (const l of lines) {
    const m = /^([ \t]+)\S/.exec(l);
    if (!m) continue;
    if (m[1].startsWith('\t')) return '\t';
    if (m[1].length >= 2 && (best === undefined || m[1].length < best)) best = m[1].length;
  }
  return ' '.repeat(best ?? 2);
}

/** After `stmt; // note`, the comment belongs to the statement. */
function endWithTrailingComment(text: string, offset: number): number {
  let end = offset;
  while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
  return /^[ \t]*(?:\/\/.*|\/\*.*\*\/[ \t]*)?$/.test(text.slice(offset, end)) ? end : offset;
}

function usesWord(text: string, name: string): boolean {
  return new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`).test(text);
}

/** Words a `const` may not be named (reserved, strict-mode reserved) or that read badly as one. */
const RESERVED = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export',
  'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super',
  'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'implements', 'interface', 'let',
  'package', 'private', 'protected', 'public', 'static', 'yield', 'await', 'async', 'arguments', 'eval', 'undefined',
]);

function isReserved(name: string): boolean {
  return RESERVED.has(name);
}

function camel(parts: string[]): string {
  return parts
    .map((p) => p.replace(/[^A-Za-z0-9_$]/g, ''))
    .filter(Boolean)
    .map((p, i) => (i === 0 ? p[0].toLowerCase() + p.slice(1) : p[0].toUpperCase() + p.slice(1)))
    .join('');
}

/** `balance`, `Account.this.balance` → `balance`; `stats.total` → `statsTotal`; `cache[]` → `cache`. */
function stateBase(race: AwaitRace): string {
  let key = race.state.key.replace(/\[\]$/, '');
  const at = key.lastIndexOf('.this.');
  if (at >= 0) key = key.slice(at + 6);
  const base = camel(key.split('.'));
  return base && /^[A-Za-z_$]/.test(base) ? base : 'shared';
}

/** How a title names the state: a container for its entries (`cache`, not `cache.get(k)`). */
function stateWritten(race: AwaitRace): string {
  return race.state.kind === 'element' ? race.state.written.replace(/(?:\.get\(|\[)[\s\S]*$/, '') : race.state.written;
}

/** `await fetchBonus()` → `bonus`; `await this.rates.loadRate(x)` → `rate`; else undefined. */
function nameFromAwaited(operand: ts.Expression): string | undefined {
  let e = skipOuter(operand);
  if (e.kind === SK.CallExpression) e = skipOuter((e as ts.CallExpression).expression);
  const raw = e.kind === SK.Identifier ? (e as ts.Identifier).text : e.kind === SK.PropertyAccessExpression ? (e as ts.PropertyAccessExpression).name.text : undefined;
  if (!raw) return undefined;
  const stripped = raw.replace(/^(?:get|fetch|load|read)(?=[A-Z_0-9])/, '').replace(/^_+/, '');
  if (!stripped) return undefined;
  const name = stripped[0].toLowerCase() + stripped.slice(1);
  return /^[A-Za-z_$][\w$]*$/.test(name) && !isReserved(name) ? name : undefined;
}

/** A name nothing in `scopeText` uses and nothing in `taken` declares: `wanted`, else `fallback`, `fallback2`, … */
function freshName(wanted: string | undefined, fallback: string, scopeText: string, taken: ReadonlySet<string>): string {
  const free = (n: string) => !taken.has(n) && !usesWord(scopeText, n);
  if (wanted && free(wanted)) return wanted;
  for (let i = 1; ; i++) {
    const n = i === 1 ? fallback : `${fallback}${i}`;
    if (free(n)) return n;
  }
}

function awaitsIn(node: ts.Node): ts.AwaitExpression[] {
  const out: ts.AwaitExpression[] = [];
  const visit = (n: ts.Node): void => {
    if (n.kind === SK.AwaitExpression) out.push(n as ts.AwaitExpression);
    if (n.kind === SK.FunctionExpression || n.kind === SK.ArrowFunction || n.kind === SK.FunctionDeclaration || n.kind === SK.ClassDeclaration || n.kind === SK.ClassExpression) return;
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/** The await runs whenever the statement does: no `?:` arm, right side of `&&`/`||`/`??`, or optional chain above it. */
function unconditional(chain: readonly ts.Node[], from: number): boolean {
  for (let i = from; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if ((parent.flags & ts.NodeFlags.OptionalChain) !== 0) return false;
    if (parent.kind === SK.ConditionalExpression && child !== (parent as ts.ConditionalExpression).condition) return false;
    if (parent.kind === SK.BinaryExpression) {
      const op = (parent as ts.BinaryExpression).operatorToken.kind;
      const logical = op === SK.AmpersandAmpersandToken || op === SK.BarBarToken || op === SK.QuestionQuestionToken ||
        op === SK.AmpersandAmpersandEqualsToken || op === SK.BarBarEqualsToken || op === SK.QuestionQuestionEqualsToken;
      if (logical && child === (parent as ts.BinaryExpression).right) return false;
    }
  }
  return true;
}

export function rereadAfterAwait(facts: TsFileFacts, _lines: LineIndex, race: AwaitRace): SafetyRatedFix | undefined {
  if (race.pattern !== 'update') return undefined;
  const site = awaitRaceFacts(facts.sf)?.sites.get(race);
  if (!site || site.awaitReadsState || site.await.kind !== SK.AwaitExpression) return undefined;
  const { text, sf } = facts;
  const chain = ancestors(site.fn, site.write);
  if (!chain) return undefined;
  let si = chain.length - 2;
  while (si >= 0 && chain[si].kind === SK.ParenthesizedExpression) si--;
  const stmt = chain[si];
  if (!stmt || stmt.kind !== SK.ExpressionStatement || !chain[si - 1] || !isOwner(chain[si - 1])) return undefined;
  const awaits = awaitsIn(stmt);
  if (awaits.length !== 1 || awaits[0] !== site.await) return undefined;
  const awaitChain = ancestors(stmt, site.await);
  if (!awaitChain || !unconditional(awaitChain, 0)) return undefined;
  const stmtStart = stmt.getStart(sf);
  if (!startsLine(text, stmtStart)) return undefined;
  const semi = text[stmt.end - 1] === ';' ? ';' : '';
  // without semicolons, a statement starting with `(` `[` or `` ` `` would continue the new line
  if (!semi && /^[([`]/.test(text.slice(stmtStart, stmtStart + 1))) return undefined;
  // the outermost parentheses around the await go with it: `x + (await f())` → `x + bonus`
  let replaced: ts.Node = site.await;
  for (let i = awaitChain.length - 2; i >= 0 && awaitChain[i].kind === SK.ParenthesizedExpression; i--) replaced = awaitChain[i];
  const operand = (site.await as ts.AwaitExpression).expression;
  const fnText = text.slice(site.fn.getStart(sf), site.fn.end);
  const name = freshName(nameFromAwaited(operand), 'value', fnText, declaredIn(site.fn));
  const indent = indentAt(text, stmtStart);
  const awaitText = text.slice(site.await.getStart(sf), site.await.end);
  const edits: TextEdit[] = [
    { start: stmtStart, end: stmtStart, newText: `const ${name} = ${awaitText}${semi}${eolOf(text)}${indent}` },
    { start: replaced.getStart(sf), end: replaced.end, newText: name },
  ];
  return { title: `Await first, then update \`${race.state.written}\``, safe: false, edits };
}

/** The lock to take, and the declarations a new one needs. */
interface LockPlan {
  /** `const release = await <ref>.acquire();` or the Semaphore form */
  acquire: (release: string) => string;
  written: string;
  edits: TextEdit[];
  title: string;
}

function planLock(facts: TsFileFacts, race: AwaitRace, lock: LockChoice, semi: string): LockPlan | undefined {
  const raceFacts = awaitRaceFacts(facts.sf);
  if (lock !== 'new') {
    const style = raceFacts?.locks.get(lock.existing) ?? 'mutex';
    // a callback API would need the range moved into a function; a flag guard makes callers give up
    if (style === 'callback' || style === 'flag') return undefined;
    const acquire = style === 'semaphore'
      ? (release: string) => `const [, ${release}] = await ${lock.existing}.acquire()${semi}`
      : (release: string) => `const ${release} = await ${lock.existing}.acquire()${semi}`;
    return { acquire, written: lock.existing, edits: [], title: `Hold \`${lock.existing}\` from the read to the write` };
  }
  const { text } = facts;
  const eol = eolOf(text);
  const planner = new ImportPlanner(facts);
  const plan = newPlan();
  const moduleNames = facts.moduleScope.names;
  const taken = (n: string) => usesWord(text, n) || moduleNames?.has(n) === true || facts.freeNames.has(n);
  const pick = (base: string) => {
    for (let i = 1; ; i++) {
      const n = i === 1 ? base : `${base}${i}`;
      if (!taken(n)) return n;
    }
  };
  const base = stateBase(race);
  const hasImports = facts.sf.statements.some((s) => s.kind === SK.ImportDeclaration || s.kind === SK.ImportEqualsDeclaration || /^\s*(?:const|let|var)\b[^=]*=\s*require\(/.test(text.slice(s.getStart(facts.sf), s.end)));
  const usesAsyncMutex = facts.project?.dependencies.includes('async-mutex') === true;
  let declaration: string;
  let name: string;
  let anchor: ts.Statement | undefined;
  if (usesAsyncMutex) {
    const mutex = planner.ref(moduleSite(facts), { module: 'async-mutex', name: 'Mutex' }, plan);
    if (mutex === undefined) return undefined;
    name = pick(`${base}Mutex`);
    declaration = `const ${name} = new ${mutex}()${semi}`;
    anchor = lastLockDeclaration(facts, (init) => init.kind === SK.NewExpression && text.slice((init as ts.NewExpression).expression.getStart(facts.sf), (init as ts.NewExpression).expression.end) === mutex);
  } else {
    name = pick(`${base}Lock`);
    const existing = existingCreateLock(facts);
    const helper = existing?.name.text ?? pick('createLock');
    if (!existing) {
      const isTs = facts.scriptKind === ts.ScriptKind.TS || facts.scriptKind === ts.ScriptKind.TSX;
      plan.statements.push((plan.statements.length > 0 || hasImports ? eol : '') + createLockSource(helper, isTs, indentUnit(text), semi, eol));
    } else {
      anchor = lastLockDeclaration(facts, (init) => init.kind === SK.CallExpression && text.slice((init as ts.CallExpression).expression.getStart(facts.sf), (init as ts.CallExpression).expression.end) === helper) ?? existing;
    }
    declaration = `const ${name} = ${helper}()${semi}`;
  }
  const edits = [...planner.finish({ ...plan, statements: anchor ? plan.statements : [...plan.statements, (plan.statements.length > 0 || hasImports ? eol : '') + declaration] })];
  // the locks an earlier fix declared: the new one goes with them
  if (anchor) edits.push({ start: anchor.end, end: anchor.end, newText: eol + declaration });
  return {
    acquire: (release: string) => `const ${release} = await ${name}.acquire()${semi}`,
    written: name,
    edits,
    title: `Guard \`${stateWritten(race)}\` with a new lock \`${name}\``,
  };
}

/** The last top-level `const x = <init>` whose initialiser `matches`. */
function lastLockDeclaration(facts: TsFileFacts, matches: (init: ts.Expression) => boolean): ts.Statement | undefined {
  let found: ts.Statement | undefined;
  for (const s of facts.sf.statements) {
    if (s.kind !== SK.VariableStatement) continue;
    const decls = (s as ts.VariableStatement).declarationList.declarations;
    if (decls.length === 1 && decls[0].initializer && matches(skipOuter(decls[0].initializer))) found = s;
  }
  return found;
}

/** ImportPlanner resolves names at a call site; a new module-level declaration is written at the top. */
function moduleSite(facts: TsFileFacts): CallSite {
  const call: Call = {
    span: { start: 0, end: 0 }, calleeSpan: { start: 0, end: 0 }, name: undefined, written: '', scope: 0,
    awaited: false, isNew: true, args: [],
  };
  return { node: ts.factory.createNewExpression(ts.factory.createIdentifier('Mutex'), undefined, []), lex: facts.moduleScope, flags: 0, call, thisMethods: undefined };
}

/** A `createLock` an earlier fix declared at the top level of this file. */
function existingCreateLock(facts: TsFileFacts): (ts.FunctionDeclaration & { name: ts.Identifier }) | undefined {
  for (const s of facts.sf.statements) {
    if (s.kind !== SK.FunctionDeclaration) continue;
    const fd = s as ts.FunctionDeclaration;
    if (fd.name && /^createLock\d*$/.test(fd.name.text) && /\bacquire\b/.test(facts.text.slice(fd.pos, fd.end))) return fd as ts.FunctionDeclaration & { name: ts.Identifier };
  }
  return undefined;
}

function createLockSource(name: string, isTs: boolean, unit: string, semi: string, eol: string): string {
  const i = (n: number) => unit.repeat(n);
  const lines = isTs
    ? [
      `/** A lock for async code: \`const release = await lock.acquire()\`, then \`release()\` when done. */`,
      `function ${name}(): { acquire(): Promise<() => void> } {`,
      `${i(1)}let tail: Promise<unknown> = Promise.resolve()${semi}`,
      `${i(1)}return {`,
      `${i(2)}acquire() {`,
      `${i(3)}let release: () => void = () => {}${semi}`,
      `${i(3)}const held = new Promise<void>((resolve) => {`,
      `${i(4)}release = () => resolve()${semi}`,
      `${i(3)}})${semi}`,
      `${i(3)}const ready = tail.then(() => release)${semi}`,
      `${i(3)}tail = held${semi}`,
      `${i(3)}return ready${semi}`,
      `${i(2)}},`,
      `${i(1)}}${semi}`,
      `}`,
    ]
    : [
      `/** A lock for async code: \`const release = await lock.acquire()\`, then \`release()\` when done. */`,
      `function ${name}() {`,
      `${i(1)}let tail = Promise.resolve()${semi}`,
      `${i(1)}return {`,
      `${i(2)}acquire() {`,
      `${i(3)}let release = () => {}${semi}`,
      `${i(3)}const held = new Promise((resolve) => {`,
      `${i(4)}release = () => resolve()${semi}`,
      `${i(3)}})${semi}`,
      `${i(3)}const ready = tail.then(() => release)${semi}`,
      `${i(3)}tail = held${semi}`,
      `${i(3)}return ready${semi}`,
      `${i(2)}},`,
      `${i(1)}}${semi}`,
      `}`,
    ];
  return lines.join(eol);
}

/** Whether the code writes semicolons: the statements being changed say so first, then the file's. */
function semicolonStyle(facts: TsFileFacts, near: readonly ts.Statement[]): string {
  const says = (st: ts.Statement) =>
    st.kind === SK.ExpressionStatement || st.kind === SK.VariableStatement || st.kind === SK.ReturnStatement ||
    st.kind === SK.ImportDeclaration || st.kind === SK.ThrowStatement;
  for (const st of [...near, ...facts.sf.statements]) {
    if (says(st)) return facts.text.charCodeAt(st.end - 1) === 59 /* ; */ ? ';' : '';
  }
  return ';';
}

/** Names declared directly by a statement of a block (what `try { … }` would hide from later statements). */
function blockDeclared(s: ts.Statement, out: Set<string>): void {
  if (s.kind === SK.VariableStatement) {
    const list = (s as ts.VariableStatement).declarationList;
    if ((list.flags & ts.NodeFlags.BlockScoped) === 0) return;
    const add = (n: ts.BindingName): void => {
      if (n.kind === SK.Identifier) out.add(n.text);
      else for (const el of n.elements) if (el.kind === SK.BindingElement) add(el.name);
    };
    for (const d of list.declarations) add(d.name);
  } else if ((s.kind === SK.FunctionDeclaration || s.kind === SK.ClassDeclaration || s.kind === SK.EnumDeclaration) && (s as ts.FunctionDeclaration).name) {
    out.add((s as ts.FunctionDeclaration).name!.text);
  }
}

/** A `yield` would hand control to the consumer with the lock held, maybe for good. */
function hasYield(node: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (n.kind === SK.YieldExpression) found = true;
    else if (n.kind !== SK.FunctionExpression && n.kind !== SK.ArrowFunction && n.kind !== SK.FunctionDeclaration && n.kind !== SK.ClassDeclaration) ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

function hasMultilineTemplate(node: ts.Node, text: string): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if ((n.kind === SK.NoSubstitutionTemplateLiteral || n.kind === SK.TemplateExpression) && /[\r\n]/.test(text.slice(n.pos, n.end).trimStart())) {
      found = true;
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

export function guardWithAsyncLock(facts: TsFileFacts, _lines: LineIndex, race: AwaitRace, lock: LockChoice): SafetyRatedFix | undefined {
  const site = awaitRaceFacts(facts.sf)?.sites.get(race);
  if (!site) return undefined;
  const { text, sf } = facts;
  const readChain = ancestors(site.fn, site.read);
  const writeChain = ancestors(site.fn, site.write);
  if (!readChain || !writeChain) return undefined;
  // the innermost block holding both the read and the write, and their statements in it
  let owner: StatementOwner | undefined;
  let first = -1;
  let last = -1;
  for (let i = writeChain.length - 2; i >= 0; i--) {
    const o = writeChain[i];
    if (!isOwner(o)) continue;
    const at = readChain.indexOf(o);
    if (at < 0 || at + 1 >= readChain.length) continue;
    const stmts = o.statements as readonly ts.Node[];
    first = stmts.indexOf(readChain[at + 1]);
    last = stmts.indexOf(writeChain[i + 1]);
    owner = o;
    break;
  }
  if (!owner || first < 0 || last < 0 || first > last) return undefined;
  const stmts = owner.statements;
  // later statements that use what the range declares come into it
  for (let changed = true; changed;) {
    changed = false;
    const declared = new Set<string>();
    for (let i = first; i <= last; i++) blockDeclared(stmts[i], declared);
    if (declared.size === 0) break;
    for (let j = stmts.length - 1; j > last; j--) {
      const later = text.slice(stmts[j].pos, stmts[j].end);
      if ([...declared].some((n) => usesWord(later, n))) {
        last = j;
        changed = true;
        break;
      }
    }
  }
  const start = stmts[first].getStart(sf);
  if (!startsLine(text, start)) return undefined;
  for (let i = first; i <= last; i++) if (hasMultilineTemplate(stmts[i], text) || hasYield(stmts[i])) return undefined;
  const semi = semicolonStyle(facts, stmts.slice(first, last + 1));
  const plan = planLock(facts, race, lock, semi);
  if (!plan) return undefined;
  const eol = eolOf(text);
  const unit = indentUnit(text);
  const indent = indentAt(text, start);
  const end = endWithTrailingComment(text, stmts[last].end);
  const fnText = text.slice(site.fn.getStart(sf), site.fn.end);
  const release = freshName('release', 'release', fnText, declaredIn(site.fn));
  const body = text
    .slice(start, end)
    .split(/\r?\n/)
    .map((line, i) => (i === 0 ? `${indent}${unit}${line}` : line.trim() === '' ? line : `${unit}${line}`))
    .join(eol);
  const newText = [
    plan.acquire(release),
    `${indent}try {`,
    body,
    `${indent}} finally {`,
    `${indent}${unit}${release}()${semi}`,
    `${indent}}`,
  ].join(eol);
  const edits: TextEdit[] = [...plan.edits, { start, end, newText }];
  return { title: plan.title, safe: false, edits };
}
