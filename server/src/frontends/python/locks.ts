// LockRegion for Python: the stretches of code that run with a lock held, anywhere in the file.
//
// - `with X:` / `async with X:` (kind `thread` / `async`, by the statement's syntax): the body, when
//   one of the items is a lock.
// - `X.acquire()` … `X.release()` (`await X.acquire()` for asyncio): the statements after the one that
//   acquires, up to the release in the same block or in the `finally` of a `try` that follows; without
//   such a release, up to the end of the block (the release is elsewhere, the lock is still held here).
//
// What is a lock: a value of a lock type (LOCK_CONSTRUCTORS, through the catalogue's types or an
// annotation), a name or attribute the file assigns a lock constructor anywhere (`self._mu =
// asyncio.Lock()` in `__init__`), a name or attribute whose last segment says it is one (`lock`,
// `_lock`, `mutex`, `cond`, `sem`…), an entry of a container of locks (`locks[key]`), what a call that
// says so returns (`FileLock(path)`), or `X.get_lock()` (multiprocessing `Value`s). When unsure we count
// it as a lock: a region too many costs a missed report, a region too few a false one. A lock created
// in the `with` itself (`with threading.Lock():`) is none: nobody else can hold it.
//
// Cost: `with` statements are found in the text and read from it; the tree is asked only for the body
// of a `with` that holds a lock and for the statements around `acquire()` calls.

import type { Node } from 'web-tree-sitter';
import type { LockRegion } from '../../engine/model';
import type { BuiltModel } from './build';
import { closingBracket, dottedSegments, headerColon, keywordAt, skipSpaceBack, skipTrivia, splitItems, stepToken } from './scan';
import { pathAt } from './tree';

/** Constructors of locks, by resolved qualified name. */
export const LOCK_CONSTRUCTORS: ReadonlySet<string> = new Set([
  'threading.Lock',
  'threading.RLock',
  'threading.Condition',
  'threading.Semaphore',
  'threading.BoundedSemaphore',
  '_thread.allocate_lock',
  '_thread.RLock',
  'multiprocessing.Lock',
  'multiprocessing.RLock',
  'multiprocessing.Condition',
  'multiprocessing.Semaphore',
  'multiprocessing.BoundedSemaphore',
  'asyncio.Lock',
  'asyncio.Condition',
  'asyncio.Semaphore',
  'asyncio.BoundedSemaphore',
  'trio.Lock',
  'trio.StrictFIFOLock',
  'trio.Condition',
  'trio.Semaphore',
  'trio.CapacityLimiter',
  'anyio.Lock',
  'anyio.Condition',
  'anyio.Semaphore',
  'anyio.CapacityLimiter',
]);

/**
 * A name that says it is a lock: `lock`, `_lock`, `rlock`, `state_lock`, `lock_a`, `lock2`, `mutex`,
 * `mtx`, `cond`, `condition`, `cv`, `sem`, `semaphore`, `limiter`. Not `clock`, `block`, `unlock`.
 */
export function looksLikeLock(name: string): boolean {
  const n = name.replace(/^_+/, '').replace(/_?\d+$/, '').toLowerCase();
  if (n.endsWith('lock')) return !/(?:clock|block|unlock)$/.test(n);
  return /^(?:r?lock|mutex|mtx|sem)_/.test(n) || /(?:mutex|semaphore|condition)$/.test(n) || /(?:^|_)(?:mtx|cond|cv|sem|sema|limiter)$/.test(n);
}

interface LockKnowledge {
  built: BuiltModel;
  /** last segments of the names and attributes the file assigns a lock constructor (`_lock`, `mu`) */
  assigned: Set<string>;
}

/** The names the file assigns a lock constructor to: `x = threading.Lock()`, `self._mu = asyncio.Lock()`, `m: Lock = Lock()`. */
function assignedLocks(text: string, built: BuiltModel): Set<string> {
  const out = new Set<string>();
  for (const c of built.calls) {
    if (c.name === undefined || !LOCK_CONSTRUCTORS.has(c.name)) continue;
    const lineStart = text.lastIndexOf('\n', c.span.start - 1) + 1;
    const m = /^\s*([\w.]+)\s*(?::[^=\n]*)?=\s*$/u.exec(text.slice(lineStart, c.span.start));
    if (m) out.add(m[1].slice(m[1].lastIndexOf('.') + 1));
  }
  return out;
}

/**
 * Is the expression `text[start, end)`, read in `scope`, a lock? A name or attribute (see the header),
 * `counter.get_lock()`, an entry of a container of locks (`locks[key]`, `self._mutexes[k]`), or what a
 * call that says it makes or finds a lock returns (`FileLock(path)`, `lock_for(key)`). A lock created
 * right there (`with threading.Lock():`) guards nothing: nobody else can take it.
 */
function isLock(text: string, k: LockKnowledge, start: number, end: number, scope: number): boolean {
  const parts = dottedSegments(text, start, end);
  if (parts) {
    const last = parts[parts.length - 1];
    if (looksLikeLock(last) || k.assigned.has(last)) return true;
    const m = k.built.resolver.chain(parts, scope);
    return m.k === 'instance' && LOCK_CONSTRUCTORS.has(m.type);
  }
  const close = text.charCodeAt(end - 1);
  if (close !== 41 && close !== 93 /* ) ] */) {
    // `store().lock`: the lock of an object some expression returns
    const tail = /\.\s*([\p{L}_][\p{L}\p{N}_]*)$/u.exec(text.slice(start, end));
    return tail !== null && looksLikeLock(tail[1]);
  }
  const open = openingBracket(text, start, end - 1);
  const callee = open < 0 ? undefined : dottedSegments(text, start, skipSpaceBack(text, open, start));
  if (!callee) return false;
  const last = callee[callee.length - 1];
  if (close === 93) return looksLikeLock(last.replace(/(?:es|s)$/, '')) || looksLikeLock(last);
  if (last === 'get_lock') return true;
  if (!looksLikeLock(last)) return false;
  const m = k.built.resolver.chain(callee, scope);
  return !(m.k === 'qualified' && LOCK_CONSTRUCTORS.has(m.q));
}

/** The bracket that opens the group closing at `close`, when that group ends the expression starting at `start`. */
function openingBracket(text: string, start: number, close: number): number {
  let open = -1;
  for (let i = start; i < close; ) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91) {
      const end = closingBracket(text, i, close + 1);
      if (end === close) {
        open = i;
        break;
      }
      if (end < 0) return -1;
      i = end + 1;
      continue;
    }
    i = stepToken(text, i, close);
  }
  return open;
}

/** The value of a `with` item: the item without its `as target`. */
function itemValue(text: string, start: number, end: number): { start: number; end: number } {
  let depth = 0;
  for (let i = start; i < end; ) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    else if (depth === 0 && c === 97 /* a */ && keywordAt(text, i, 'as') && i > start && /\s/.test(text[i - 1])) {
      let e = i;
      while (e > start && /\s/.test(text[e - 1])) e--;
      return { start, end: e };
    }
    i = stepToken(text, i, end);
  }
  return { start, end };
}

/** The items of a `with` header `text[start, end)`, unwrapping `with (a as x, b):`. */
function withItems(text: string, start: number, end: number): Array<{ start: number; end: number }> {
  let items = splitItems(text, start, end);
  if (items.length === 1 && text.charCodeAt(items[0].start) === 40 /* ( */) {
    const inner = splitItems(text, items[0].start + 1, items[0].end - 1);
    if (text.charCodeAt(items[0].end - 1) === 41 /* ) */ && inner.length > 0) items = inner;
  }
  return items.map((it) => itemValue(text, it.start, it.end));
}

/** longer `with` headers than this are not read (their items are not looked at) */
const MAX_HEADER = 4000;

export function collectLockRegions(text: string, root: Node, built: BuiltModel): LockRegion[] {
  const out: LockRegion[] = [];
  const k: LockKnowledge = { built, assigned: assignedLocks(text, built) };
  withRegions(text, root, k, out);
  acquireRegions(text, root, k, out);
  out.sort((a, b) => a.span.start - b.span.start || b.span.end - a.span.end);
  return out;
}

/** Where each `with` / `async with` statement starts (the text finds them; the tree confirms). */
function forEachWithStatement(text: string, visit: (stmtStart: number, headStart: number, isAsync: boolean) => void): void {
  for (let at = text.indexOf('with'); at >= 0; at = text.indexOf('with', at + 4)) {
    const after = text.charCodeAt(at + 4);
    if (after !== 32 && after !== 9 && after !== 40 /* ( */ && after !== 92 /* \ */) continue;
    let i = at;
    while (i > 0 && (text.charCodeAt(i - 1) === 32 || text.charCodeAt(i - 1) === 9)) i--;
    let isAsync = false;
    if (i >= 5 && text.startsWith('async', i - 5) && i < at) {
      isAsync = true;
      i -= 5;
      while (i > 0 && (text.charCodeAt(i - 1) === 32 || text.charCodeAt(i - 1) === 9)) i--;
    }
    const prev = i > 0 ? text.charCodeAt(i - 1) : 10;
    if (prev !== 10 && prev !== 13) continue;
    visit(isAsync ? text.indexOf('async', i) : at, at + 4, isAsync);
  }
}

function withRegions(text: string, root: Node, k: LockKnowledge, out: LockRegion[]): void {
  forEachWithStatement(text, (stmtStart, headStart, isAsync) => {
    // a `with` line in prose (a docstring) must not send the scan through the rest of the file
    const colon = headerColon(text, headStart, Math.min(text.length, headStart + MAX_HEADER));
    if (colon < 0) return;
    const scope = k.built.table.at(stmtStart).id;
    let lock: string | undefined;
    for (const item of withItems(text, skipTrivia(text, headStart, colon), colon)) {
      if (item.end > item.start && isLock(text, k, item.start, item.end, scope)) {
        lock = text.slice(item.start, item.end);
        break;
      }
    }
    if (lock === undefined) return;
    // the text can be fooled by a docstring; the tree cannot
    const node = statementAt(root, stmtStart, 'with_statement')?.at(-1);
    const body = node?.childForFieldName('body');
    if (!node || !body) return;
    out.push({ span: { start: body.startIndex, end: body.endIndex }, scope, kind: isAsync ? 'async' : 'thread', lock });
  });
}

// Nodes are found by position and their ancestors read off the path down to them (tree.ts), never
// with Node.parent: in a broken file the node at a position can be a zero-width ERROR node.

/** The node of `type` that starts exactly at `start`, with its ancestors (outermost first, the node last). */
function statementAt(root: Node, start: number, type: string): Node[] | undefined {
  const path = pathAt(root, start);
  for (let i = (path?.length ?? 0) - 1; i >= 0; i--) {
    const n = (path as Node[])[i];
    if (n.startIndex !== start) return undefined;
    if (n.type === type) return (path as Node[]).slice(0, i + 1);
  }
  return undefined;
}

const BLOCKS = new Set(['block', 'module']);

/** The statement (a direct child of a block) that contains the path's last node: its index in the path, or -1. */
function statementOf(path: readonly Node[]): number {
  for (let i = path.length - 1; i > 0; i--) if (BLOCKS.has(path[i - 1].type)) return i;
  return -1;
}

function acquireRegions(text: string, root: Node, k: LockKnowledge, out: LockRegion[]): void {
  if (!text.includes('acquire')) return;
  const { calls } = k.built;
  for (let i = 0; i < calls.length; i++) {
    const a = calls[i];
    if (!a.written.endsWith('.acquire')) continue;
    const receiver = a.written.slice(0, -'.acquire'.length);
    const callPath = statementAt(root, a.span.start, 'call') ?? callCovering(root, a.span.start, a.span.end);
    const at = callPath ? statementOf(callPath) : -1;
    const stmt = callPath?.[at];
    const block = callPath?.[at - 1];
    if (!stmt || !block) continue;
    const releaseName = `${receiver}.release`;
    let chosen: Node | undefined;
    let last: Node | undefined;
    for (let j = i + 1; j < calls.length; j++) {
      const r = calls[j];
      if (r.span.start >= block.endIndex) break;
      if (r.scope !== a.scope || r.written !== releaseName || r.args.length > 0 || r.span.start < stmt.endIndex) continue;
      const rPath = callCovering(root, r.span.start, r.span.end);
      const rAt = rPath ? statementOf(rPath) : -1;
      const rStmt = rPath?.[rAt];
      if (!rPath || !rStmt) continue;
      last = rStmt;
      if (sameNode(rPath[rAt - 1], block) || releasedInFinally(rPath.slice(0, rAt + 1), block)) {
        chosen = rStmt;
        break;
      }
    }
    const end = (chosen ?? last)?.startIndex;
    // an `acquire()` without a matching `release()` counts only on something that is clearly a lock
    if (end === undefined && !isLock(text, k, a.calleeSpan.start, a.calleeSpan.end - '.acquire'.length, a.scope)) continue;
    // the statements in between, without the blank space around them
    let start = stmt.endIndex;
    let stop = end ?? block.endIndex;
    while (start < stop && /\s/.test(text[start])) start++;
    while (stop > start && /\s/.test(text[stop - 1])) stop--;
    if (stop <= start) continue;
    const span = { start, end: stop };
    out.push({ span, scope: a.scope, kind: a.awaited ? 'async' : 'thread', lock: receiver });
  }
}

/** `try: … finally: lock.release()` where the `try` is a statement of `block`; `path` ends at the release statement. */
function releasedInFinally(path: readonly Node[], block: Node): boolean {
  const fin = path[path.length - 3];
  if (!fin || fin.type !== 'finally_clause') return false;
  return sameNode(path[path.length - 5] ?? null, block);
}

function sameNode(a: Node | null | undefined, b: Node): boolean {
  return !!a && a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type;
}

/** The call node of exactly [start, end) with its ancestors (outermost first, the call last). */
function callCovering(root: Node, start: number, end: number): Node[] | undefined {
  const path = pathAt(root, start, Math.max(start, end - 1));
  for (let i = (path?.length ?? 0) - 1; i >= 0; i--) {
    const n = (path as Node[])[i];
    if (n.type === 'call' && n.startIndex === start && n.endIndex === end) return (path as Node[]).slice(0, i + 1);
    if (n.startIndex < start || n.endIndex > end) return undefined;
  }
  return undefined;
}
