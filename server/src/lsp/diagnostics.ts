// Findings → LSP diagnostics, and the per-document record that links each diagnostic to its
// fixes (vscode-eslint / bash-language-server style): fixes are computed while validating, kept
// with the document version they were computed for, and code actions only look them up.

import { pathToFileURL } from 'node:url';
import { DiagnosticSeverity, DiagnosticTag, type Diagnostic, type DiagnosticRelatedInformation, type Range, type TextEdit } from 'vscode-languageserver';
import type { Finding, Severity, TextEdit as EngineEdit } from '../engine/finding';
import type { LanguageFamily, Span } from '../engine/model';
import { UNUSED_SUPPRESSION, type Suppression } from '../engine/suppression';
import type { LineIndex } from '../engine/text';
import { ruleDocsUrl } from '../rules/registry';

export const DIAGNOSTIC_SOURCE = 'loopguard';

/** unused-suppression is no registry rule and has no docs page: the README's section documents it */
const UNUSED_SUPPRESSION_DOCS = 'https://github.com/loopguard/loopguard#suppression-comments';

export function docsUrl(rule: string): string {
  return rule === UNUSED_SUPPRESSION ? UNUSED_SUPPRESSION_DOCS : ruleDocsUrl(rule);
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** What `Diagnostic.data` carries: the key of the finding in its document's record. */
export interface DiagnosticData {
  key: string;
}

/** One validated version of a document: its findings, keyed as their diagnostics are. */
export interface AnalysedDocument {
  uri: string;
  version: number;
  family: LanguageFamily;
  /** the analysed text's line index: converts the findings' offsets for this version only */
  lines: LineIndex;
  suppressions: readonly Suppression[];
  findings: ReadonlyMap<string, Finding>;
}

export function toRange(lines: LineIndex, span: Span): Range {
  return { start: lines.position(span.start), end: lines.position(span.end) };
}

export function toTextEdits(lines: LineIndex, edits: readonly EngineEdit[]): TextEdit[] {
  return edits.map((e) => ({ range: toRange(lines, { start: e.start, end: e.end }), newText: e.newText }));
}

/**
 * The key that links a diagnostic to its finding. Built from what a diagnostic itself shows (rule and
 * range), so a client that drops `data` still finds the fixes.
 */
export function findingKey(rule: string, range: Range): string {
  return `${rule}@${range.start.line}:${range.start.character}-${range.end.line}:${range.end.character}`;
}

function isDiagnosticData(v: unknown): v is DiagnosticData {
  return typeof v === 'object' && v !== null && typeof (v as { key?: unknown }).key === 'string';
}

/** The key of a diagnostic the client sent back, or undefined when it is not one of ours. */
export function keyOfDiagnostic(d: Diagnostic): string | undefined {
  if (d.source !== DIAGNOSTIC_SOURCE || typeof d.code !== 'string') return undefined;
  return isDiagnosticData(d.data) ? d.data.key : findingKey(d.code, d.range);
}

export interface DiagnosticsResult {
  diagnostics: Diagnostic[];
  findings: Map<string, Finding>;
}

function toRelated(r: NonNullable<Finding['related']>[number]): DiagnosticRelatedInformation {
  return { message: r.message, location: { uri: pathToFileURL(r.location.fileName).href, range: { start: r.location.start, end: r.location.end } } };
}

export function toDiagnostics(findings: readonly Finding[], lines: LineIndex): DiagnosticsResult {
  const diagnostics: Diagnostic[] = [];
  const byKey = new Map<string, Finding>();
  for (const f of findings) {
    const range = toRange(lines, f.span);
    let key = findingKey(f.rule, range);
    // Two findings of one rule on one range would be one diagnostic to the user; keep both
    // reachable anyway rather than silently dropping the second one's fixes.
    for (let n = 2; byKey.has(key); n++) key = `${findingKey(f.rule, range)}#${n}`;
    byKey.set(key, f);
    const data: DiagnosticData = { key };
    diagnostics.push({
      range,
      severity: SEVERITY[f.severity],
      source: DIAGNOSTIC_SOURCE,
      code: f.rule,
      codeDescription: { href: docsUrl(f.rule) },
      message: f.message,
      // editors fade an unused suppression comment, as they do unused code
      ...(f.rule === UNUSED_SUPPRESSION ? { tags: [DiagnosticTag.Unnecessary] } : {}),
      // the chain of calls down to the blocking call, hop by hop (clients without support ignore it)
      ...(f.related?.length ? { relatedInformation: f.related.map(toRelated) } : {}),
      data,
    });
  }
  return { diagnostics, findings: byKey };
}
