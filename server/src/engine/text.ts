// Offsets ↔ line/column. Offsets and columns are UTF-16 code units, lines and columns 0-based
// (the CLI adds 1 when it prints).

export interface Position {
  line: number;
  character: number;
}

/**
 * The line starts of the text indexed last, shared with the next index of the same text: fixes build
 * an index of their own per finding (chain-async's callAt), and on a large file each build rescans it.
 * The arrays are never written after they are built; the one text kept alive is the last one indexed.
 */
let lastIndexed: { text: string; starts: number[] } | undefined;

export class LineIndex {
  private computed: number[] | undefined;

  constructor(private readonly text: string) {}

  /**
   * Offset of the first character of each line. Built on first use: the engine makes one index per
   * analysis, and most files have no finding and no suppression comment to place.
   */
  private get starts(): number[] {
    if (this.computed) return this.computed;
    const { text } = this;
    // the same string object compares at once; an equal copy costs one native comparison, not a rescan
    if (lastIndexed !== undefined && lastIndexed.text.length === text.length && lastIndexed.text === text) return (this.computed = lastIndexed.starts);
    const starts = [0];
    if (text.indexOf('\r') < 0) {
      // the common case, found natively: only \n breaks lines
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    } else {
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 10 /* \n */) starts.push(i + 1);
        else if (c === 13 /* \r */) {
          if (text.charCodeAt(i + 1) === 10) i++;
          starts.push(i + 1);
        }
      }
    }
    lastIndexed = { text, starts };
    return (this.computed = starts);
  }

  get lineCount(): number {
    return this.starts.length;
  }

  position(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - this.starts[lo] };
  }

  offset(pos: Position): number {
    if (pos.line >= this.starts.length) return this.text.length;
    if (pos.line < 0) return 0;
    const start = this.starts[pos.line];
    return Math.min(start + Math.max(0, pos.character), this.lineEnd(pos.line));
  }

  lineStart(line: number): number {
    return this.starts[Math.max(0, Math.min(line, this.starts.length - 1))];
  }

  /** offset of the end of the line's content (before its line break) */
  lineEnd(line: number): number {
    if (line + 1 >= this.starts.length) return this.text.length;
    let end = this.starts[line + 1];
    if (this.text.charCodeAt(end - 1) === 10) end--;
    if (this.text.charCodeAt(end - 1) === 13) end--;
    return end;
  }

  lineText(line: number): string {
    return this.text.slice(this.lineStart(line), this.lineEnd(line));
  }

  /** the line break the file mostly uses, for inserted lines */
  get eol(): string {
    return /\r\n/.test(this.text.slice(0, 10_000)) ? '\r\n' : '\n';
  }
}
