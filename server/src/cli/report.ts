// What a `loopguard check` run produced, in the shape every output format reads.

import type { AnalysisResult } from '../engine/engine';
import type { Finding } from '../engine/finding';

export interface FileReport {
  /** path as shown to the user: relative to the working directory, with forward slashes */
  file: string;
  result: AnalysisResult;
}

export interface RunReport {
  files: FileReport[];
  durationMs: number;
  /** fixes applied by --fix */
  fixed: number;
}

/** 1-based line/column (UTF-16 columns) of a finding, as every format prints it. */
export function findingLocation(result: AnalysisResult, f: Finding): { line: number; column: number; endLine: number; endColumn: number } {
  const s = result.lines.position(f.span.start);
  const e = result.lines.position(f.span.end);
  return { line: s.line + 1, column: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1 };
}

export function countFindings(report: RunReport): number {
  return report.files.reduce((n, f) => n + f.result.findings.length, 0);
}
