// TypeScript/JavaScript front end (TypeScript compiler API). STUB: replaced by the real implementation.
import ts from 'typescript';
import type { Frontend } from '../frontend';

export function createTypeScriptFrontend(): Frontend {
  return {
    family: 'javascript',
    extensions: ['.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs', '.mts', '.cts'],
    languageIds: ['typescript', 'typescriptreact', 'javascript', 'javascriptreact'],
    parse(input) {
      ts.createSourceFile(input.fileName, input.text, ts.ScriptTarget.Latest, true);
      return {
        model: {
          family: 'javascript', languageId: input.languageId ?? 'typescript', fileName: input.fileName, text: input.text,
          scopes: [{ id: 0, kind: 'module', name: undefined, reason: undefined, span: { start: 0, end: input.text.length }, parent: undefined, headSpan: { start: 0, end: 0 } }],
          calls: [], comments: [], syntaxProblems: [],
          fixer: { build: () => undefined, suppress: () => ({ title: 'Disable', edits: [] }) },
        },
        dispose: () => undefined,
      };
    },
  };
}
