// --format github: GitHub Actions workflow commands, one `::error|warning|notice file=…::message`
// line per finding, which the runner turns into annotations on the pull request's diff. Escaping
// follows @actions/core: `%`, CR and LF in the message; also `:` and `,` in property values.

import type { Severity } from '../../engine/finding';
import { findingLocation, type RunReport } from '../report';

const COMMAND: Record<Severity, 'error' | 'warning' | 'notice'> = { error: 'error', warning: 'warning', info: 'notice', hint: 'notice' };

export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function command(name: string, props: ReadonlyArray<readonly [string, string | number]>, message: string): string {
  const list = props.map(([k, v]) => `${k}=${escapeProperty(String(v))}`).join(',');
  return `::${name}${list ? ' ' + list : ''}::${escapeData(message)}`;
}

export function formatGithub(report: RunReport): string {
  const lines: string[] = [];
  for (const { file, result } of report.files) {
    for (const e of result.ruleErrors) {
      lines.push(command('error', [['file', file], ['title', `loopguard internal error in ${e.rule}`]], e.error.split('\n')[0]));
    }
    for (const f of result.findings) {
      const loc = findingLocation(result, f);
      lines.push(
        command(
          COMMAND[f.severity],
          [
            ['file', file],
            ['line', loc.line],
            ['col', loc.column],
            ['endLine', loc.endLine],
            ['endColumn', loc.endColumn],
            ['title', f.rule],
          ],
          f.message,
        ),
      );
    }
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}
