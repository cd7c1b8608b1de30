// The contract between rules and the per-language fix builders.
//
// A rule knows *what* to do (from catalogue data: "replace with the awaited twin fs/promises.readFile",
// "offload to a thread"); the language's FileFixer knows *how* to write it in this file (import
// style, parentheses around `await`, which async library the file uses, indentation).

import type { TextEdit } from '../engine/finding';
import type { Call, Span } from '../engine/model';
import type { FixSpec } from '../engine/catalogue';

export interface BuiltFix {
  title: string;
  edits: TextEdit[];
}

export interface FileFixer {
  /**
   * Builds the edits for a catalogue fix of a call, or undefined when this fix cannot be written
   * correctly here (e.g. `await` is not legal at the call site, or the arguments cannot be carried over).
   */
  build(call: Call, spec: FixSpec): BuiltFix | undefined;
  /** A comment that suppresses `rule` for the line(s) of `span`, reusing an existing suppression comment. */
  suppress(span: Span, rule: string): BuiltFix;
}
