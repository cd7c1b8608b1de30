// --format json: the stable machine-readable shape (version 1). Changing it is a breaking change.

import { countFindings, reportLocation, type RunReport } from '../report';

export interface JsonFinding {
  file: string;
  rule: string;
  severity: string;
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** `.ipynb` files only: the cell (1-based, among all cells); line and column are then within the cell */
  cell?: number;
  fixes: Array<{ title: string; safe: boolean }>;
}

export interface JsonReport {
  version: 1;
  findings: JsonFinding[];
  summary: { files: number; findings: number; durationMs: number };
}

export function toJson(report: RunReport): JsonReport {
  const findings: JsonFinding[] = [];
  for (const entry of report.files) {
    const { file, result } = entry;
    for (const f of result.findings) {
      findings.push({
        file,
        rule: f.rule,
        severity: f.severity,
        message: f.message,
        ...reportLocation(entry, f),
        fixes: f.fixes.map((x) => ({ title: x.title, safe: x.safe })),
      });
    }
  }
  return {
    version: 1,
    findings,
    summary: { files: report.files.length, findings: countFindings(report), durationMs: Math.round(report.durationMs) },
  };
}

export function formatJson(report: RunReport): string {
  return JSON.stringify(toJson(report), null, 2) + '\n';
}
