// IPython syntax in notebook cells that is not Python: line magics (`%pip install x`, `%time f()`),
// shell escapes (`!ls`, `files = !ls`), help (`?x`, `x??`) and cell magics (`%%time`). They are blanked
// out — the same number of UTF-16 code units, so every offset stays valid — before the Python parser
// sees the text. A blanked line that sits in an indented block becomes `pass` (padded with spaces):
// an empty block would be a syntax error.
//
// Cell magics whose body is Python (`%%time`, `%%timeit`, `%%capture`, …) lose only their first line;
// any other cell magic (`%%bash`, `%%writefile`, `%%html`) makes the whole cell something else, and
// the whole cell is blanked (as Ruff does, we do not analyse what is not Python).

import type { Span } from '../engine/model';

const PYTHON_CELL_MAGICS = new Set(['time', 'timeit', 'capture', 'prun', 'debug', 'python', 'python3', 'pypy']);

/** `%magic`, `!cmd`, `?x`, `name = !cmd`, `name = %magic`, `x?`/`x??` (help), at the start of a logical line */
const MAGIC_LINE = /^[ \t]*(?:[%!?]|[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[%!]|[A-Za-z_][\w.]*\?{1,2}[ \t]*$)/;

function blank(chars: string[], start: number, end: number, text: string): void {
  for (let i = start; i < end; i++) if (text[i] !== '\n' && text[i] !== '\r') chars[i] = ' ';
}

/** The text with every cell's IPython-only lines blanked; `cells` are the cells' spans in `text`. */
export function blankMagics(text: string, cells: readonly Span[]): string {
  if (!/[%!?]/.test(text)) return text;
  const chars = text.split('');
  let changed = false;
  for (const cell of cells) {
    const body = text.slice(cell.start, cell.end);
    const first = /^[ \t]*%%([A-Za-z_]\w*)?/.exec(body);
    if (first) {
      changed = true;
      if (PYTHON_CELL_MAGICS.has(first[1] ?? '')) {
        const eol = body.search(/\r?\n|$/);
        blank(chars, cell.start, cell.start + eol, text);
      } else {
        blank(chars, cell.start, cell.end, text);
        continue;
      }
    }
    let offset = cell.start;
    let continued = false;
    for (const line of body.split('\n')) {
      const start = offset;
      offset += line.length + 1;
      if (start === cell.start && first) continue;
      const content = line.endsWith('\r') ? line.slice(0, -1) : line;
      if (!continued && !MAGIC_LINE.test(content)) continue;
      changed = true;
      blank(chars, start, start + content.length, text);
      // a magic continued with a trailing backslash goes on the next line
      continued = content.endsWith('\\');
      const indent = /^[ \t]*/.exec(content)?.[0].length ?? 0;
      if (indent > 0 && content.length - indent >= 4 && !continuedFrom(text, start)) {
        chars.splice(start + indent, 4, 'p', 'a', 's', 's');
      }
    }
  }
  return changed ? chars.join('') : text;
}

/** whether the line starting at `start` continues a magic (the previous line ended in a backslash) */
function continuedFrom(text: string, start: number): boolean {
  let i = start - 1;
  if (text[i] === '\n') i--;
  if (text[i] === '\r') i--;
  return i >= 0 && text[i] === '\\';
}
