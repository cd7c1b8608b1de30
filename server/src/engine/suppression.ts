// Suppression comments, both languages:
//   TS/JS   // loopguard-ignore-next-line <ids>   // loopguard-ignore-line <ids>   // loopguard-ignore-file <ids>
//   Python  # loopguard: ignore[<ids>]            # loopguard: ignore-next-line[<ids>]   # loopguard: ignore-file[<ids>]
// <ids> is a comma-separated list of rule ids; an empty list means every rule. In TS/JS, ` -- ` ends
// the list (ESLint style): `// loopguard-ignore-line a -- why` names `a` only.
//
// Also the pseudo-rule `unused-suppression` (Ruff's RUF100): a directive that silenced nothing in
// this analysis, or that names an unknown rule id, is itself a finding, with a safe fix that removes
// the ids (or the whole comment). It is not a registry rule — it judges the other rules' results —
// so its id, messages and fixes live here; the engine runs it after the rules.

import type { Finding, Severity, TextEdit } from './finding';
import type { Comment, LanguageFamily, Span } from './model';
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
  /** each id of `rules` with where it is written (document offsets) */
  ids: SuppressedId[];
}

export interface SuppressedId {
  id: string;
  start: number;
  end: number;
}

const JS_DIRECTIVE = /loopguard-ignore-(next-line|line|file)\b([^\n*]*)/g;
const PY_DIRECTIVE = /loopguard:\s*ignore(?:-(next-line|file))?(?:\[([^\]]*)\])?/g;

const RULE_ID = /^[a-z][a-z0-9-]*$/;

/** The ids of a directive's list that starts at document offset `offset`. */
function splitIds(list: string | undefined, offset: number, family: LanguageFamily): SuppressedId[] {
  if (!list) return [];
  const reason = family === 'python' ? -1 : list.search(/(?:^|\s)--(?:\s|$)/);
  const body = reason >= 0 ? list.slice(0, reason) : list;
  const out: SuppressedId[] = [];
  for (const m of body.matchAll(/[^,\s]+/g)) {
    if (RULE_ID.test(m[0])) out.push({ id: m[0], start: offset + m.index, end: offset + m.index + m[0].length });
  }
  return out;
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
      const end = start + m[0].length;
      const list = m[2];
      // the list ends the match, before Python's closing `]`
      const listStart = list === undefined ? end : end - list.length - (family === 'python' ? 1 : 0);
      const ids = splitIds(list, listStart, family);
      out.push({ scope, rules: ids.map((i) => i.id), line: lines.position(start).line, comment, start, end, ids });
    }
  }
  return out;
}

function silences(s: Suppression, rule: string, line: number): boolean {
  if (s.rules.length > 0 && !s.rules.includes(rule)) return false;
  return s.scope === 'file' || (s.scope === 'line' && s.line === line) || (s.scope === 'next-line' && s.line + 1 === line);
}

/** Finds the suppression that silences `rule` on `line`, if any. */
export function findSuppression(suppressions: readonly Suppression[], rule: string, line: number): Suppression | undefined {
  return suppressions.find((s) => silences(s, rule, line));
}

/** Every suppression that silences `rule` on `line`: all of them count as used (none is reported as unused). */
export function suppressionsFor(suppressions: readonly Suppression[], rule: string, line: number): Suppression[] {
  return suppressions.filter((s) => silences(s, rule, line));
}

// ---------------------------------------------------------------------------------------------
// unused-suppression

export const UNUSED_SUPPRESSION = 'unused-suppression';
export const UNUSED_SUPPRESSION_DEFAULT: Severity = 'warning';

export const UNUSED_SUPPRESSION_MESSAGES = {
  unused: 'This suppression silences nothing: there is no {{rules}} finding here.',
  unknownRule: '`{{rule}}` is not a loopguard rule id; this suppression silences nothing.',
} as const;

/** What the engine knows after running the rules on one file. */
export interface SuppressionUsage {
  family: LanguageFamily;
  text: string;
  lines: LineIndex;
  suppressions: readonly Suppression[];
  /** the rule ids each suppression silenced a finding of */
  used: ReadonlyMap<Suppression, ReadonlySet<string>>;
  /** every rule id there is (a directive naming another is `unknownRule`) */
  known: ReadonlySet<string>;
  /** the rules that ran on this file and finished: only directives for these can be unused */
  ran: ReadonlySet<string>;
  /** every rule for this language ran: only then can a directive naming no rule be unused */
  allRan: boolean;
  severity: Severity;
  /** "Disable unused-suppression for this line" */
  suppress(span: Span): Finding['suppression'];
}

function render(template: string, data: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => data[k] ?? '');
}

export interface UnusedSuppression {
  finding: Finding;
  /** the directive the finding is about: it cannot silence its own finding (`# loopguard: ignore` silences nothing) */
  directive: Suppression;
}

/**
 * The `unused-suppression` findings of one file, before their own suppression is applied (the
 * engine silences them like any finding: `ignore-file[unused-suppression]` turns them off for a file).
 * Directives that name `unused-suppression` itself are never reported.
 */
export function unusedSuppressions(u: SuppressionUsage): UnusedSuppression[] {
  const out: UnusedSuppression[] = [];
  const finding = (s: Suppression, messageId: keyof typeof UNUSED_SUPPRESSION_MESSAGES, data: Record<string, string>, span: Span, remove: ReadonlySet<string>): UnusedSuppression => ({
    directive: s,
    finding: {
      rule: UNUSED_SUPPRESSION,
      messageId,
      data,
      message: render(UNUSED_SUPPRESSION_MESSAGES[messageId], data),
      severity: u.severity,
      span,
      fixes: [{ title: removalTitle(s, remove), safe: true, edits: [removalEdit(u, s, remove)] }],
      suppression: u.suppress(span),
    },
  });
  for (const s of u.suppressions) {
    const used = u.used.get(s);
    if (s.rules.includes(UNUSED_SUPPRESSION)) continue;
    if (s.ids.length === 0) {
      if (u.allRan && !used) out.push(finding(s, 'unused', { rules: 'loopguard' }, { start: s.start, end: s.end }, new Set()));
      continue;
    }
    const unused: SuppressedId[] = [];
    for (const id of s.ids) {
      if (!u.known.has(id.id)) {
        out.push(finding(s, 'unknownRule', { rule: id.id }, { start: id.start, end: id.end }, new Set([id.id])));
      } else if (u.ran.has(id.id) && !used?.has(id.id)) unused.push(id);
    }
    if (unused.length === 0) continue;
    const names = [...new Set(unused.map((i) => i.id))];
    const span = unused.length === 1 && s.ids.length > 1 ? { start: unused[0].start, end: unused[0].end } : { start: s.start, end: s.end };
    out.push(finding(s, 'unused', { rules: names.map((n) => `\`${n}\``).join(', ') }, span, new Set(names)));
  }
  return out;
}

function removalTitle(s: Suppression, remove: ReadonlySet<string>): string {
  const left = s.ids.filter((i) => !remove.has(i.id));
  if (s.ids.length > 0 && left.length > 0) return `Remove ${[...remove].map((r) => `\`${r}\``).join(', ')} from the suppression comment`;
  return 'Remove the unused suppression comment';
}

/** Removes the ids from the directive's list, or the whole directive when none would remain. */
function removalEdit(u: SuppressionUsage, s: Suppression, remove: ReadonlySet<string>): TextEdit {
  const left = s.ids.filter((i) => !remove.has(i.id));
  if (s.ids.length > 0 && left.length > 0) {
    const first = s.ids[0].start;
    const last = s.ids[s.ids.length - 1].end;
    const sep = u.text.slice(first, last).includes(',') ? ', ' : ' ';
    return { start: first, end: last, newText: left.map((i) => i.id).join(sep) };
  }
  return removeDirective(u, s);
}

/**
 * The directive goes. When it is all its comment says, the comment goes — with the whitespace
 * before it when it trails code, with its line when it is alone on it. Otherwise only the directive
 * goes (and the `#` that started it, in a Python comment that holds something else before it:
 * `# noqa: E501  # loopguard: ignore[x]` keeps `# noqa: E501`).
 */
function removeDirective(u: SuppressionUsage, s: Suppression): TextEdit {
  const { text, lines } = u;
  const c = s.comment;
  const before = text.slice(c.span.start, s.start);
  const after = text.slice(s.end, c.span.end);
  const markerOnly = /^(?:#|\/\/|\/\*)\s*$/.test(before);
  const afterTrimmed = after.trim();
  if (markerOnly && afterTrimmed.startsWith('#')) {
    // `# loopguard: ignore[x]  # noqa` → `# noqa`
    return { start: c.span.start, end: s.end + after.indexOf('#'), newText: '' };
  }
  if (!markerOnly) {
    let start = s.start;
    if (u.family === 'python') {
      const hash = before.lastIndexOf('#');
      if (hash > 0 && before.slice(hash + 1).trim() === '') start = c.span.start + hash;
    }
    while (start > c.span.start && /[ \t]/.test(text[start - 1])) start--;
    return { start, end: s.end, newText: '' };
  }
  const startLine = lines.position(c.span.start).line;
  const endLine = lines.position(c.span.end).line;
  const lineStart = lines.lineStart(startLine);
  const lineEnd = lines.lineEnd(endLine);
  const pre = text.slice(lineStart, c.span.start);
  const post = text.slice(c.span.end, lineEnd);
  if (pre.trim() === '' && post.trim() === '') {
    if (endLine + 1 < lines.lineCount) return { start: lineStart, end: lines.lineStart(endLine + 1), newText: '' };
    // the last line: take the line break before it instead
    return { start: startLine > 0 ? lines.lineEnd(startLine - 1) : lineStart, end: lineEnd, newText: '' };
  }
  if (post.trim() === '') return { start: c.span.start - (pre.length - pre.trimEnd().length), end: lineEnd, newText: '' };
  // a block comment between code: the comment and the space after it
  const trailing = /^[ \t]*/.exec(post)?.[0].length ?? 0;
  return { start: c.span.start, end: c.span.end + trailing, newText: '' };
}
