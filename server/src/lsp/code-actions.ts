// Code actions, built from the fixes stored with a validated document version (never recomputed
// here). For each finding, in this order: its fixes (the first safe one preferred), "Disable <rule>
// for this line", "Disable <rule> for this file", "Show documentation for <rule>". A fix that writes
// other files too is offered only to clients that can create files through documentChanges. Fix-all is its
// own kind, `source.fixAll.loopguard`, so `editor.codeActionsOnSave` can ask for it by name.

import * as fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  type CodeAction,
  type CreateFile,
  type TextDocumentEdit,
  type Diagnostic,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import type { Finding, Fix, TextEdit as EngineEdit } from '../engine/finding';
import { UNUSED_SUPPRESSION } from '../engine/suppression';
import { LineIndex } from '../engine/text';
import { COMMANDS, FIX_ALL_KIND } from './protocol';
import { keyOfDiagnostic, toTextEdits, type AnalysedDocument } from './diagnostics';
import { fileSuppressionEdit } from './file-suppression';

export interface EditTarget {
  uri: string;
  /** the document version the edits apply to; the client rejects them once the text moved on */
  version: number;
  /** the client understands `documentChanges` (versioned edits) */
  documentChanges: boolean;
  /** the client can create files in a workspace edit (`resourceOperations` includes `create`) */
  createFiles?: boolean;
  /** an open document's buffer and version, by file path: other files a fix edits may be open and unsaved */
  openDocument?: (fileName: string) => { text: string; version: number } | undefined;
}

export function workspaceEdit(target: EditTarget, edits: TextEdit[]): WorkspaceEdit {
  if (target.documentChanges) {
    return { documentChanges: [{ textDocument: { uri: target.uri, version: target.version }, edits }] };
  }
  return { changes: { [target.uri]: edits } };
}

/**
 * A fix that also writes other files (a worker module, a helper it creates, the callers of a chain made
 * async): CreateFile operations, then edits of the other files — versioned against the buffer when the
 * file is open (the fix was computed from that buffer: the server's workspace overlays open documents),
 * else unversioned against the disk — then the analysed document's versioned edit. Undefined when the
 * client cannot apply that: the action is left out.
 */
export function multiFileEdit(target: EditTarget, lines: LineIndex, fix: Fix): WorkspaceEdit | undefined {
  if (!target.documentChanges || !target.createFiles || !fix.otherFiles) return undefined;
  const creates: CreateFile[] = [];
  const edits: TextDocumentEdit[] = [];
  for (const change of fix.otherFiles) {
    const uri = pathToFileURL(change.fileName).href;
    let text = '';
    let version: number | null = null;
    const open = change.create ? undefined : target.openDocument?.(change.fileName);
    if (change.create) creates.push({ kind: 'create', uri, options: { ignoreIfExists: false } });
    else if (open) ({ text, version } = open);
    else {
      try {
        text = fs.readFileSync(change.fileName, 'utf8');
      } catch {
        return undefined;
      }
    }
    edits.push({ textDocument: { uri, version }, edits: toTextEdits(new LineIndex(text), change.edits) });
  }
  const own: TextDocumentEdit = { textDocument: { uri: target.uri, version: target.version }, edits: toTextEdits(lines, fix.edits) };
  return { documentChanges: [...creates, ...edits, own] };
}

/** Does a request restricted to `only` want actions of `kind`? (`source` wants `source.fixAll.x`) */
export function wants(only: readonly string[] | undefined, kind: string): boolean {
  return only === undefined || only.some((o) => kind === o || kind.startsWith(`${o}.`));
}

export function disableForLineTitle(rule: string): string {
  return `Disable ${rule} for this line`;
}
export function disableForFileTitle(rule: string): string {
  return `Disable ${rule} for this file`;
}
export function showDocumentationTitle(rule: string): string {
  return `Show documentation for ${rule}`;
}

/**
 * Turns a fix's edits (offsets into the analysed text) into a WorkspaceEdit; undefined when they
 * cannot be applied (a notebook fix that crosses a cell boundary).
 */
export type EditBuilder = (edits: readonly EngineEdit[]) => WorkspaceEdit | undefined;

/**
 * The quick fixes for the diagnostics the client asked about (those of the analysed version only).
 * `build` writes the edits (by default into `target`); a notebook passes one that spreads them over
 * its cells, and then multi-file fixes are not offered.
 */
export function quickFixes(doc: AnalysedDocument, diagnostics: readonly Diagnostic[], target: EditTarget, build?: EditBuilder): CodeAction[] {
  const toEdit: EditBuilder = build ?? ((edits) => workspaceEdit(target, toTextEdits(doc.lines, edits)));
  const actions: CodeAction[] = [];
  // the same suppression or docs action for two findings on one line is one action to the user
  const seen = new Set<string>();
  const push = (action: CodeAction, dedupeKey: string | undefined): void => {
    if (dedupeKey !== undefined) {
      if (seen.has(dedupeKey)) return;
      seen.add(dedupeKey);
    }
    actions.push(action);
  };
  const fixAction = (fix: Fix, diagnostic: Diagnostic, preferred: boolean): CodeAction | undefined => {
    const edit = fix.otherFiles ? (build ? undefined : multiFileEdit(target, doc.lines, fix)) : toEdit(fix.edits);
    if (!edit) return undefined;
    return { title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], ...(preferred ? { isPreferred: true } : {}), edit };
  };

  const matched: Array<{ finding: Finding; diagnostic: Diagnostic }> = [];
  for (const diagnostic of diagnostics) {
    const key = keyOfDiagnostic(diagnostic);
    const finding = key === undefined ? undefined : doc.findings.get(key);
    if (finding) matched.push({ finding, diagnostic });
  }

  for (const { finding, diagnostic } of matched) {
    const preferred = finding.fixes.find((f) => f.safe);
    for (const fix of finding.fixes) {
      const action = fix.edits.length > 0 ? fixAction(fix, diagnostic, fix === preferred) : undefined;
      if (action) push(action, undefined);
    }
  }
  for (const { finding, diagnostic } of matched) {
    const s = finding.suppression;
    const edit = s && s.edits.length > 0 ? toEdit(s.edits) : undefined;
    if (s && edit) {
      push(
        { title: disableForLineTitle(finding.rule), kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], edit },
        `line:${finding.rule}:${JSON.stringify(s.edits)}`,
      );
    }
  }
  for (const { finding, diagnostic } of matched) {
    const edit = toEdit([fileSuppressionEdit(doc.family, doc.lines, doc.suppressions, finding.rule)]);
    if (!edit) continue;
    push({ title: disableForFileTitle(finding.rule), kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], edit }, `file:${finding.rule}`);
  }
  for (const { finding, diagnostic } of matched) {
    // the command opens docs/rules/<id>.md; unused-suppression has none (the diagnostic links the README)
    if (finding.rule === UNUSED_SUPPRESSION) continue;
    const title = showDocumentationTitle(finding.rule);
    push(
      {
        title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        command: { title, command: COMMANDS.showRuleDocumentation, arguments: [finding.rule] },
      },
      `docs:${finding.rule}`,
    );
  }
  return actions;
}

/**
 * The minimal single edit that turns `before` into `after`: one TextEdit over the changed middle,
 * so the editor keeps the cursor and folding state outside it.
 */
export function replaceChangedRange(before: string, after: string): { start: number; end: number; newText: string } | undefined {
  if (before === after) return undefined;
  let prefix = 0;
  const max = Math.min(before.length, after.length);
  while (prefix < max && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  // never split a surrogate pair or a \r\n
  if (prefix > 0 && prefix < before.length && isLowSurrogateOrLf(before, prefix)) prefix--;
  let suffix = 0;
  while (
    suffix < max - prefix &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  ) {
    suffix++;
  }
  if (suffix > 0 && isLowSurrogateOrLf(before, before.length - suffix)) suffix--;
  return { start: prefix, end: before.length - suffix, newText: after.slice(prefix, after.length - suffix) };
}

function isLowSurrogateOrLf(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  const prev = text.charCodeAt(i - 1);
  return (c >= 0xdc00 && c <= 0xdfff && prev >= 0xd800 && prev <= 0xdbff) || (c === 10 && prev === 13);
}

export function fixAllAction(edit: WorkspaceEdit, count: number): CodeAction {
  return {
    title: count === 1 ? 'Fix the safely fixable loopguard problem' : `Fix all ${count} safely fixable loopguard problems`,
    kind: FIX_ALL_KIND,
    edit,
  };
}
