// What a `loopguard check` run produced, in the shape every output format reads, and the exit code
// it earns.

import type { AnalysisResult } from '../engine/engine';
import type { Finding, Severity, SeveritySetting } from '../engine/finding';
import { cellPosition, type NotebookSource } from '../notebooks/notebook';

export interface FileReport {
  /** path as shown to the user: relative to the working directory, with forward slashes */
  file: string;
  /** absolute path (SARIF needs to know whether `file` is relative to the working directory) */
  path?: string;
  result: AnalysisResult;
  /**
   * A `.ipynb` file: `result` is about its code cells concatenated (notebooks/notebook.ts); `cellNumbers`
   * holds each code cell's 1-based number among all the notebook's cells.
   */
  notebook?: { source: NotebookSource; cellNumbers: number[] };
}

export interface RunReport {
  files: FileReport[];
  durationMs: number;
  /** fixes applied by --fix */
  fixed: number;
  /** the working directory the display paths are relative to (SARIF's %SRCROOT%) */
  cwd?: string;
  /** each rule's effective severity after --rule/--select/--ignore (SARIF's configuration overrides) */
  severities?: Readonly<Record<string, SeveritySetting>>;
}

/** 1-based line/column (UTF-16 columns) of a finding, as every format prints it. */
export function findingLocation(result: AnalysisResult, f: Finding): { line: number; column: number; endLine: number; endColumn: number } {
  const s = result.lines.position(f.span.start);
  const e = result.lines.position(f.span.end);
  return { line: s.line + 1, column: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1 };
}

/**
 * Where a finding is, as the text and JSON formats print it: in a notebook, the cell (1-based, among
 * all cells) and the line/column within it; elsewhere what findingLocation says.
 */
export function reportLocation(file: FileReport, f: Finding): { line: number; column: number; endLine: number; endColumn: number; cell?: number } {
  if (!file.notebook) return findingLocation(file.result, f);
  const { source, cellNumbers } = file.notebook;
  const s = cellPosition(source, f.span.start);
  const e = cellPosition(source, Math.max(f.span.start, Math.min(f.span.end, source.cells[s.cell].end)));
  return { cell: cellNumbers[s.cell], line: s.line + 1, column: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1 };
}

export function countFindings(report: RunReport): number {
  return report.files.reduce((n, f) => n + f.result.findings.length, 0);
}

export function countBySeverity(report: RunReport): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0, hint: 0 };
  for (const f of report.files) for (const x of f.result.findings) counts[x.severity]++;
  return counts;
}

export interface ExitPolicy {
  /** --max-warnings: when set, only errors and more than this many warnings fail the run */
  maxWarnings?: number;
}

/**
 * 0 or 1. By default every finding fails the run: the rules default to `warning`, so ESLint's
 * "only errors fail" would let CI pass on everything Loopguard reports (and `.ci/run` relies on exit 1
 * for the examples). `--max-warnings n` opts into ESLint's budget: errors fail, more than n warnings
 * fail, info and hint never do.
 */
export function exitCodeFor(report: RunReport, policy: ExitPolicy = {}): 0 | 1 {
  if (policy.maxWarnings === undefined) return countFindings(report) > 0 ? 1 : 0;
  const counts = countBySeverity(report);
  return counts.error > 0 || counts.warning > policy.maxWarnings ? 1 : 0;
}
