// "Disable <rule> for this line" for Python: a suppression comment that silences the finding and
// never breaks the code around it.
//
// In order of preference: add the rule to a directive that already covers the line
// (`# loopguard: ignore[a]` → `# loopguard: ignore[a, <rule>]`); a trailing
// `  # loopguard: ignore[<rule>]`; when the line ends inside a multi-line string or with a backslash
// continuation (where a comment cannot go), `# loopguard: ignore-next-line[<rule>]` on a new line
// above with the line's indentation, if the line does not start inside a string or continuation.

import type { TextEdit } from '../../engine/finding';
import type { Span } from '../../engine/model';
import { parseSuppressions } from '../../engine/suppression';
import type { LineIndex } from '../../engine/text';
import type { PythonFileFacts } from '../../frontends/python/facts';

export function suppressionEdit(facts: PythonFileFacts, lines: LineIndex, span: Span, rule: string): TextEdit | undefined {
  const { text } = facts;
  const line = lines.position(span.start).line;

  for (const s of parseSuppressions('python', facts.comments, lines)) {
    const covers = (s.scope === 'next-line' && s.line === line - 1) || (s.scope === 'line' && s.line === line);
    if (!covers || s.rules.length === 0 || s.rules.includes(rule)) continue;
    // the directive ends with `]` when it lists rules
    if (text.charCodeAt(s.end - 1) !== 93 /* ] */) continue;
    return { start: s.end - 1, end: s.end - 1, newText: `, ${rule}` };
  }

  const lineEnd = lines.lineEnd(line);
  const endsInCode = !facts.insideString(lineEnd) && !endsWithContinuation(lines, line);
  if (endsInCode) return { start: lineEnd, end: lineEnd, newText: `  # loopguard: ignore[${rule}]` };

  const lineStart = lines.lineStart(line);
  const startsInCode = !facts.insideString(lineStart) && (line === 0 || !endsWithContinuation(lines, line - 1));
  if (!startsInCode) return undefined;
  const indent = /^[ \t]*/.exec(lines.lineText(line))?.[0] ?? '';
  return { start: lineStart, end: lineStart, newText: `${indent}# loopguard: ignore-next-line[${rule}]${lines.eol}` };
}

/** A backslash at the very end of the line joins it to the next one; a comment cannot follow it. */
function endsWithContinuation(lines: LineIndex, line: number): boolean {
  return lines.lineText(line).endsWith('\\');
}
