// Small helpers the suites share for files on disk and positions in them: a temporary folder written
// from a name → text map, and the LSP range of a piece of text.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Range } from 'vscode-languageserver-protocol';

/**
 * A new temporary folder (`<tmpdir>/<prefix>…`) holding `files` (relative names, folders created as
 * needed). Its real path: the server and the CLI report real paths, which a symlinked tmpdir would not match.
 */
export function writeTree(prefix: string, files: Record<string, string>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** The range of the `nth` occurrence of `needle` in `text`, in LSP (UTF-16) positions. */
export function rangeOf(text: string, needle: string, nth = 0): Range {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    assert.ok(at >= 0, `"${needle}" (#${nth}) not in the text`);
  }
  const pos = (offset: number) => {
    const before = text.slice(0, offset);
    return { line: before.split('\n').length - 1, character: offset - (before.lastIndexOf('\n') + 1) };
  };
  return { start: pos(at), end: pos(at + needle.length) };
}
