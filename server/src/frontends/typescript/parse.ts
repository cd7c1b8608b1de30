// Parsing for the TypeScript/JavaScript front end: which dialect a file is, the parse itself, and the
// parser's own syntax errors.

import * as path from 'node:path';
import ts from 'typescript';
import type { SyntaxProblem } from '../../engine/model';

const KIND_BY_LANGUAGE_ID: Record<string, ts.ScriptKind> = {
  typescript: ts.ScriptKind.TS,
  typescriptreact: ts.ScriptKind.TSX,
  javascript: ts.ScriptKind.JS,
  javascriptreact: ts.ScriptKind.JSX,
};

const KIND_BY_EXTENSION: Record<string, ts.ScriptKind> = {
  '.ts': ts.ScriptKind.TS,
  '.mts': ts.ScriptKind.TS,
  '.cts': ts.ScriptKind.TS,
  '.tsx': ts.ScriptKind.TSX,
  '.js': ts.ScriptKind.JS,
  '.mjs': ts.ScriptKind.JS,
  '.cjs': ts.ScriptKind.JS,
  '.jsx': ts.ScriptKind.JSX,
};

/** The editor's language id wins (an untitled buffer has no extension); then the extension; then TS. */
export function scriptKindFor(fileName: string, languageId: string | undefined): ts.ScriptKind {
  // (TypeScript parses JSX in every JavaScript file, so `javascript` loses nothing against `javascriptreact`)
  if (languageId !== undefined && KIND_BY_LANGUAGE_ID[languageId] !== undefined) return KIND_BY_LANGUAGE_ID[languageId];
  return KIND_BY_EXTENSION[path.extname(fileName).toLowerCase()] ?? ts.ScriptKind.TS;
}

export function languageIdFor(kind: ts.ScriptKind): string {
  switch (kind) {
    case ts.ScriptKind.TSX:
      return 'typescriptreact';
    case ts.ScriptKind.JS:
      return 'javascript';
    case ts.ScriptKind.JSX:
      return 'javascriptreact';
    default:
      return 'typescript';
  }
}

const OPTIONS: ts.CreateSourceFileOptions = {
  languageVersion: ts.ScriptTarget.Latest,
  // JSDoc is never read: not parsing it makes the parse about 15% faster
  jsDocParsingMode: ts.JSDocParsingMode.ParseNone,
};

export function parseSource(fileName: string, text: string, kind: ts.ScriptKind): ts.SourceFile {
  return ts.createSourceFile(fileName, text, OPTIONS, false, kind);
}

/**
 * The parser's own diagnostics. `parseDiagnostics` is not in the public typings, but the only public
 * route (a Program and `getSyntacticDiagnostics`) costs a program per file; the property has been
 * there since TypeScript 1.x. If it ever disappears, we report no syntax problems rather than crash.
 */
export function syntaxProblems(sf: ts.SourceFile): SyntaxProblem[] {
  const diags = (sf as unknown as { parseDiagnostics?: readonly ts.DiagnosticWithLocation[] }).parseDiagnostics;
  if (!Array.isArray(diags)) return [];
  return diags.map((d) => ({
    span: { start: d.start, end: d.start + d.length },
    message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  }));
}
