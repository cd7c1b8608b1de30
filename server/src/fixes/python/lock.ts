// unsynchronized-shared-state (threads): run a write with a threading lock held.
//
//     counter += 1            →   with _counter_lock:
//                                     counter += 1
//
// The write's whole statement goes into `with <lock>:`, re-indented by the indentation step of its own
// block (tabs or spaces, as the file has them); comments and line endings stay as they are, and lines
// that start inside a multi-line string are left alone (their text is the string's content). Only a
// statement that has its lines to itself can be wrapped: not `if x: n += 1` nor `a = 1; n += 1`.
//
// The lock is the one the rule chose: a lock that already guards the same state (as written there:
// `lock`, `self._lock`), or a new module-level `threading.Lock()` named after the state (`counter` →
// `_counter_lock`, `self.count` → `_count_lock`, `cache[k]` → `_cache_lock`), declared before the first
// top-level def or class (after the module-level statements above it), with `import threading` when
// the file has none (`from threading import Lock` is used as it is). A module-level variable of exactly
// that name that already holds a `threading.Lock()` is reused instead of declaring another.

import type { Node } from 'web-tree-sitter';
import type { TextEdit } from '../../engine/finding';
import type { StateWrite } from '../../engine/model';
import type { LineIndex } from '../../engine/text';
import type { PythonFileFacts } from '../../frontends/python/facts';
import type { LockChoice, SafetyRatedFix } from '../fixer';
import { ImportPlanner } from './imports';
import { freeName, mergeInserts, moduleInsertionPoint } from './process-pool';

const LOCK = 'threading.Lock';

export function guardWithLock(facts: PythonFileFacts, lines: LineIndex, write: StateWrite, lock: LockChoice): SafetyRatedFix | undefined {
  const wrapped = wrapStatement(facts, lines, write);
  if (!wrapped) return undefined;
  const state = write.state.written;
  if (lock !== 'new') {
    return { title: `Hold \`${lock.existing}\` while updating \`${state}\``, safe: true, edits: [wrapped.edit(lock.existing)] };
  }

  const base = lockNameFor(write);
  if (facts.instanceType(base, 0) === LOCK && facts.instanceType(base, write.scope) === LOCK) {
    // declared already, perhaps by this fix on another write: nothing else may hold it yet
    const used = new RegExp(`\\bwith\\s+(?:[^:\\n]*,\\s*)?${base}\\b|\\b${base}\\s*\\.\\s*acquire\\b`).test(facts.text);
    return { title: `Hold \`${base}\` while updating \`${state}\``, safe: !used, edits: [wrapped.edit(base)] };
  }
  const name = freeName(facts, base, write.scope);
  const planner = new ImportPlanner(facts, lines, 0);
  const ctor = planner.reference(LOCK);
  if (ctor === undefined) return undefined;
  const imports = planner.edit();
  if (imports === null) return undefined;
  let at = declarationPoint(facts, lines);
  if (at === undefined) return undefined;
  const eol = lines.eol;
  const declaration = `${name} = ${ctor}()`;
  let declEdit: TextEdit;
  if (at.after) declEdit = { start: at.offset, end: at.offset, newText: `${eol}${declaration}` };
  else {
    // the lock cannot be created before `threading` is imported
    if (imports && imports.start > at.offset) at = { offset: imports.start, after: false };
    declEdit = { start: at.offset, end: at.offset, newText: `${declaration}${eol}${eol}${eol}` };
  }
  const edits = mergeInserts([...(imports ? [imports] : []), declEdit]);
  edits.push(wrapped.edit(name));
  edits.sort((a, b) => a.start - b.start);
  return { title: `Guard \`${state}\` with a new lock \`${name}\``, safe: true, edits };
}

/** `counter` → `_counter_lock`, `self.count` → `_count_lock`, `cache[k]` → `_cache_lock`, `stats.total` → `_stats_total_lock`. */
export function lockNameFor(write: StateWrite): string {
  let key = write.state.key.replace(/\[\]$/, '');
  const self = key.indexOf('.self.');
  if (self >= 0) key = key.slice(self + '.self.'.length);
  const stem = key.replace(/\./g, '_').replace(/^_+/, '').toLowerCase();
  return /^[a-z0-9_]+$/.test(stem) && stem.length > 0 ? `_${stem}_lock` : '_state_lock';
}

/**
 * Where the new lock is declared: after the last module-level statement before the first def or class
 * (`counter = 0` ⏎ `_counter_lock = …`), or — when only imports or a docstring come before it — above
 * that def and the comments over it.
 */
function declarationPoint(facts: PythonFileFacts, lines: LineIndex): { offset: number; after: boolean } | undefined {
  const stmts = facts.moduleStatements();
  const first = stmts.findIndex((s) => s.kind === 'def');
  if (first < 0) return undefined;
  const prev = stmts[first - 1];
  if (prev && prev.kind === 'other') return { offset: lines.lineEnd(lines.position(prev.end).line), after: true };
  const offset = moduleInsertionPoint(facts, lines, stmts[first].start);
  return offset === undefined ? undefined : { offset, after: false };
}

/**
 * The edit that puts the write's statement under `with <lock>:`, or undefined when it cannot be wrapped
 * alone. A statement that directly follows a `with <lock>:` block of the same lock joins that block
 * instead of opening a second one right after it.
 */
function wrapStatement(facts: PythonFileFacts, lines: LineIndex, write: StateWrite): { edit: (lock: string) => TextEdit } | undefined {
  const { text } = facts;
  const stmt = facts.node(write.span, ['expression_statement']);
  const block = stmt?.parent;
  const owner = block?.parent;
  if (!stmt || !block || block.type !== 'block' || !owner) return undefined;
  const first = lines.position(stmt.startIndex).line;
  const last = lines.position(stmt.endIndex).line;
  const lineStart = lines.lineStart(first);
  const end = stmt.endIndex;
  const indent = text.slice(lineStart, stmt.startIndex);
  // the statement must have its lines to itself: not after `if x:` or `;`, nothing but a comment after it
  if (!/^[ \t]*$/.test(indent)) return undefined;
  if (!/^[ \t]*(?:#.*)?$/.test(text.slice(end, lines.lineEnd(last)))) return undefined;
  const ownerStart = lines.lineStart(lines.position(owner.startIndex).line);
  const ownerIndent = /^[ \t]*/.exec(text.slice(ownerStart, owner.startIndex + 1))?.[0] ?? '';
  const unit = indent.startsWith(ownerIndent) && indent.length > ownerIndent.length ? indent.slice(ownerIndent.length) : indent.includes('\t') ? '\t' : '    ';

  /** the statement's lines, the first indented by `firstIndent`, the others shifted by `shift` */
  const reindented = (firstIndent: string, shift: string): string => {
    let out = `${firstIndent}${text.slice(stmt.startIndex, last === first ? end : lines.lineEnd(first))}`;
    for (let line = first + 1; line <= last; line++) {
      const start = lines.lineStart(line);
      const content = text.slice(start, line === last ? end : lines.lineEnd(line));
      // a line that starts inside a string is the string's text; a blank line needs no indentation
      const keep = facts.insideString(start) || content.trim() === '';
      out += `${text.slice(lines.lineEnd(line - 1), start)}${keep ? '' : shift}${content}`;
    }
    return out;
  };
  const joinable = previousWithBody(facts, lines, stmt.previousNamedSibling, lineStart);
  const eol = lines.eol;
  return {
    edit: (lock) => {
      if (joinable && joinable.lock === lock) {
        const shift = joinable.indent.startsWith(indent) ? joinable.indent.slice(indent.length) : unit;
        return { start: lineStart, end, newText: reindented(joinable.indent, shift) };
      }
      return { start: lineStart, end, newText: `${indent}with ${lock}:${eol}${reindented(indent + unit, unit)}` };
    },
  };
}

/**
 * `with <lock>:` with a body of its own lines that ends right above the line at `lineStart` (blank
 * lines between are fine, comments are not): its lock as written and its body's indentation.
 */
function previousWithBody(facts: PythonFileFacts, lines: LineIndex, prev: Node | null, lineStart: number): { lock: string; indent: string } | undefined {
  if (!prev || prev.type !== 'with_statement') return undefined;
  const { text } = facts;
  const body = prev.childForFieldName('body');
  if (!body || !/^\s*$/.test(text.slice(prev.endIndex, lineStart))) return undefined;
  const header = /^with[ \t]+([^\n]*?)[ \t]*:\s*$/.exec(text.slice(prev.startIndex, body.startIndex));
  const bodyLine = lines.position(body.startIndex).line;
  if (!header || bodyLine === lines.position(prev.startIndex).line) return undefined;
  const indent = text.slice(lines.lineStart(bodyLine), body.startIndex);
  return /^[ \t]+$/.test(indent) ? { lock: header[1], indent } : undefined;
}
