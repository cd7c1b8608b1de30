// --format text (default): one line per finding, `file:line:col: severity rule message`, like the
// compilers and Ruff's concise output, so terminals and editors can jump to it; then a summary.

import { countFindings, reportLocation, type RunReport } from '../report';

export interface TextOptions {
  color: boolean;
}

const SGR = { reset: '\x1b[0m', bold: '\x1b[1m', dim: '\x1b[2m', red: '\x1b[31m', yellow: '\x1b[33m', cyan: '\x1b[36m' };

export function formatText(report: RunReport, opts: TextOptions): string {
  const c = (code: string, s: string) => (opts.color ? code + s + SGR.reset : s);
  const lines: string[] = [];
  let fixable = 0;
  /** files not analysed, by reason: generated/minified (loopguard.skipGenerated), too large */
  const skipped = new Map<string, number>();
  for (const entry of report.files) {
    const { file, result } = entry;
    if (result.skipped && result.family !== undefined) {
      lines.push(`${file}: skipped: ${result.skipped}`);
      const why = result.skipped.includes('skipGenerated') ? 'generated or minified' : result.skipped.includes('maxFileSize') ? 'too large' : 'other';
      skipped.set(why, (skipped.get(why) ?? 0) + 1);
    }
    for (const e of result.ruleErrors) lines.push(`${file}: internal error in rule ${e.rule} (please report): ${e.error.split('\n')[0]}`);
    for (const f of result.findings) {
      const loc = reportLocation(entry, f);
      const sev = f.severity === 'error' ? c(SGR.red, 'error') : f.severity === 'warning' ? c(SGR.yellow, 'warning') : c(SGR.cyan, f.severity);
      const safe = f.fixes.some((x) => x.safe);
      if (safe) fixable++;
      // a notebook cell as Ruff prints it: `file.ipynb:cell 3:2:5`
      const where = loc.cell === undefined ? file : `${file}:cell ${loc.cell}`;
      lines.push(`${c(SGR.bold, where)}:${loc.line}:${loc.column}: ${sev} ${c(SGR.dim, f.rule)} ${f.message}${safe ? ' [fixable]' : ''}`);
    }
  }
  const n = countFindings(report);
  const files = `${report.files.length} file${report.files.length === 1 ? '' : 's'}`;
  const fixed = report.fixed > 0 ? `, fixed ${report.fixed}` : '';
  if (skipped.size > 0) {
    const n = [...skipped.values()].reduce((a, b) => a + b, 0);
    lines.push(`skipped: ${n} file${n === 1 ? '' : 's'} not analysed (${[...skipped].map(([why, k]) => `${k} ${why}`).join(', ')})`);
  }
  if (n === 0) lines.push(`No problems found in ${files}${fixed}.`);
  else {
    const hint = fixable > 0 ? ` (${fixable} fixable with --fix)` : '';
    lines.push(`Found ${n} problem${n === 1 ? '' : 's'} in ${files}${fixed}${hint}.`);
  }
  return lines.join('\n') + '\n';
}
