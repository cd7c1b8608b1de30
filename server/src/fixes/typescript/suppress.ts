// "Disable <rule> for this line" for JS/TS: a suppression comment that silences the finding and never
// breaks the code around it.
//
// In order of preference: add the rule to a directive that already covers the line; a
// `// loopguard-ignore-next-line <rule>` line above (`{/* … */}` when the line is a JSX child); a
// trailing `// loopguard-ignore-line <rule>` when the line starts inside a template literal or JSX text
// but does not end in one; and, when both ends of the line are inside a template (a call inside
// `${…}` on a line of template text), a `/* loopguard-ignore-line <rule> */` right before the call,
// which is code by definition.

import type { TextEdit } from '../../engine/finding';
import type { Span } from '../../engine/model';
import { parseSuppressions } from '../../engine/suppression';
import type { LineIndex } from '../../engine/text';
import type { TsFileFacts } from '../../frontends/typescript/facts';

export function suppressionEdit(facts: TsFileFacts, lines: LineIndex, span: Span, rule: string): TextEdit {
  const { text, trivia } = facts;
  const line = lines.position(span.start).line;
  const eol = lines.eol;

  for (const s of parseSuppressions('javascript', facts.comments, lines)) {
    const covers = (s.scope === 'next-line' && s.line === line - 1) || (s.scope === 'line' && s.line === line);
    if (!covers || s.rules.length === 0 || s.rules.includes(rule)) continue;
    // after the last id: a ` -- reason` may follow the list
    let end = s.ids[s.ids.length - 1]?.end ?? s.end;
    while (end > s.start && /\s/.test(text[end - 1])) end--;
    return { start: end, end, newText: `, ${rule}` };
  }

  const lineStart = lines.lineStart(line);
  const indent = /^[ \t]*/.exec(lines.lineText(line))?.[0] ?? '';
  const startContext = trivia.contextAt(lineStart);
  if (startContext === 'code') {
    return { start: lineStart, end: lineStart, newText: `${indent}// loopguard-ignore-next-line ${rule}${eol}` };
  }
  if (startContext === 'jsx-text') {
    // only where the line's content is a JSX child (element or `{…}`), not text: JSX drops
    // whitespace that holds a line break, so `{/* … */}` on a line of its own changes nothing that renders
    const jsx = trivia.jsxTextAt(lineStart);
    if (jsx && jsx.end === lineStart + indent.length) {
      return { start: lineStart, end: lineStart, newText: `${indent}{/* loopguard-ignore-next-line ${rule} */}${eol}` };
    }
  }
  const lineEnd = lines.lineEnd(line);
  const endContext = trivia.contextAt(lineEnd);
  if (endContext === 'code' || (endContext === 'comment' && trivia.commentAt(lineEnd > 0 ? lineEnd - 1 : 0)?.text.startsWith('//'))) {
    return { start: lineEnd, end: lineEnd, newText: ` // loopguard-ignore-line ${rule}` };
  }
  return { start: span.start, end: span.start, newText: `/* loopguard-ignore-line ${rule} */ ` };
}
