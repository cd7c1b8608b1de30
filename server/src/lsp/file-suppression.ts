// "Disable <rule> for this file": the file-level suppression comment, written where the language
// allows a comment to lead the file without changing its meaning. An existing file-level directive
// that names other rules is extended instead of adding a second one.

import type { TextEdit } from '../engine/finding';
import type { LanguageFamily } from '../engine/model';
import type { Suppression } from '../engine/suppression';
import type { LineIndex } from '../engine/text';

// PEP 263: an encoding declaration only counts on line 1 or 2, so nothing may be inserted above it.
const PY_CODING = /^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+/;

function directive(family: LanguageFamily, rule: string): string {
  return family === 'python' ? `# loopguard: ignore-file[${rule}]` : `// loopguard-ignore-file ${rule}`;
}

/** The line before which a leading comment can go: after a shebang and, in Python, an encoding line. */
function firstFreeLine(family: LanguageFamily, lines: LineIndex): number {
  let line = 0;
  if (lines.lineText(0).startsWith('#!')) line = 1;
  if (family === 'python') {
    while (line < 2 && line < lines.lineCount && PY_CODING.test(lines.lineText(line))) line++;
  }
  return line;
}

export function fileSuppressionEdit(family: LanguageFamily, lines: LineIndex, suppressions: readonly Suppression[], rule: string): TextEdit {
  const existing = suppressions.find((s) => s.scope === 'file' && s.rules.length > 0);
  if (existing) {
    // Python's list is bracketed (`ignore-file[a]`): the new id goes before the `]`
    if (family === 'python') return { start: existing.end - 1, end: existing.end - 1, newText: `, ${rule}` };
    const text = existing.comment.text.slice(existing.start - existing.comment.span.start, existing.end - existing.comment.span.start);
    const trimmedEnd = existing.end - (text.length - text.trimEnd().length);
    return { start: trimmedEnd, end: trimmedEnd, newText: ` ${rule}` };
  }
  const line = firstFreeLine(family, lines);
  const comment = directive(family, rule);
  if (line >= lines.lineCount) {
    // the file is only a shebang/encoding line without a final line break
    const end = lines.lineEnd(lines.lineCount - 1);
    return { start: end, end, newText: `${lines.eol}${comment}` };
  }
  const at = lines.lineStart(line);
  return { start: at, end: at, newText: `${comment}${lines.eol}` };
}
