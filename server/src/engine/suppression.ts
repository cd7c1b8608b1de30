// Suppression comments, both languages:
//   TS/JS   // loopguard-ignore-next-line <ids>   // loopguard-ignore-line <ids>   // loopguard-ignore-file <ids>
//   Python  # loopguard: ignore[<ids>]            # loopguard: ignore-next-line[<ids>]   # loopguard: ignore-file[<ids>]
// <ids> is a comma-separated list of rule ids; an empty list means every rule.

import type { Comment, LanguageFamily } from './model';
import type { LineIndex } from './text';

export type SuppressionScope = 'line' | 'next-line' | 'file';

export interface Suppression {
  scope: SuppressionScope;
  /** rule ids; empty means all rules */
  rules: string[];
  /** the line the comment is on (0-based) */
  line: number;
  /** the comment that holds the directive */
  comment: Comment;
  /** the directive itself inside the comment, as offsets into the document */
  start: number;
  end: number;
}

const JS_DIRECTIVE = /loopguard-ignore-(next-line|line|file)\b([^\n*]*)/g;
const PY_DIRECTIVE = /loopguard:\s*ignore(?:-(next-line|file))?(?:\[([^\]]*)\])?/g;

function splitIds(list: string | undefined): string[] {
  return (list ?? '')
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter((s) => /^[a-z][a-z0-9-]*$/.test(s));
}

export function parseSuppressions(family: LanguageFamily, comments: readonly Comment[], lines: LineIndex): Suppression[] {
  const out: Suppression[] = [];
  for (const comment of comments) {
    if (!comment.text.includes('loopguard')) continue;
    const re = family === 'python' ? PY_DIRECTIVE : JS_DIRECTIVE;
    re.lastIndex = 0;
    for (let m = re.exec(comment.text); m; m = re.exec(comment.text)) {
      const kind = m[1];
      const scope: SuppressionScope =
        family === 'python' ? (kind === 'next-line' ? 'next-line' : kind === 'file' ? 'file' : 'line') : (kind as SuppressionScope);
      const start = comment.span.start + m.index;
      out.push({
        scope,
        rules: splitIds(m[2]),
        line: lines.position(start).line,
        comment,
        start,
        end: start + m[0].length,
      });
    }
  }
  return out;
}

/** Finds the suppression that silences `rule` on `line`, if any. */
export function findSuppression(suppressions: readonly Suppression[], rule: string, line: number): Suppression | undefined {
  for (const s of suppressions) {
    if (s.rules.length > 0 && !s.rules.includes(rule)) continue;
    if (s.scope === 'file') return s;
    if (s.scope === 'line' && s.line === line) return s;
    if (s.scope === 'next-line' && s.line + 1 === line) return s;
  }
  return undefined;
}
