// What rules produce and what the LSP and CLI layers consume. No LSP types here: the lsp/ layer
// turns these into Diagnostics and CodeActions, the cli/ layer into text, JSON or SARIF.

import type { Span } from './model';
import type { Location } from './workspace/types';

export type Severity = 'error' | 'warning' | 'info' | 'hint';
export type SeveritySetting = Severity | 'off';

export interface TextEdit {
  /** offsets in UTF-16 code units into the analysed text */
  start: number;
  end: number;
  newText: string;
}

export interface Fix {
  /** the code-action title, e.g. "Replace with `await fs.promises.readFile(…)`" */
  title: string;
  /**
   * A safe fix keeps the program's behaviour (other than no longer blocking) and may be applied
   * without review: by `loopguard check --fix` and fix-all. Unsafe fixes are only offered one by one.
   */
  safe: boolean;
  /** edits to the analysed file; non-overlapping, any order */
  edits: TextEdit[];
  /**
   * Changes to other files (a worker module, a helper the fix creates). A fix with other files is
   * never safe: --fix and fix-all apply single-file fixes only; the LSP offers it as one WorkspaceEdit.
   */
  otherFiles?: FileChange[];
}

/** What a multi-file fix does to a file other than the analysed one. */
export interface FileChange {
  /** absolute path */
  fileName: string;
  /** a new file: its edits insert into the empty text */
  create?: boolean;
  edits: TextEdit[];
}

export interface Finding {
  rule: string;
  /** the key into the rule's message table; tests assert this, never the prose */
  messageId: string;
  /** the placeholders the message was rendered with */
  data: Record<string, string>;
  message: string;
  severity: Severity;
  span: Span;
  /** real fixes, best first; the first safe one is the preferred fix */
  fixes: Fix[];
  /** "Disable <rule> for this line": a suppression comment; never applied by --fix */
  suppression: Fix | undefined;
  /**
   * Other places that explain the finding, in order: for a call to a helper that blocks, each hop of
   * the chain down to the blocking call. The LSP sends them as relatedInformation.
   */
  related?: RelatedInformation[];
}

/** A place in any file of the workspace and what it has to do with the finding. */
export interface RelatedInformation {
  message: string;
  location: Location;
}

/** Applies non-overlapping edits to a text. Throws on overlap: that is a bug in a fix builder. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let pos = 0;
  for (const e of sorted) {
    if (e.start < pos) throw new Error(`overlapping edits at offset ${e.start}`);
    out += text.slice(pos, e.start) + e.newText;
    pos = e.end;
  }
  return out + text.slice(pos);
}
