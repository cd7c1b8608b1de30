// Python front end (tree-sitter). STUB: replaced by the real implementation.
import { Parser } from 'web-tree-sitter';
import type { Frontend } from '../frontend';
import { loadPythonLanguage } from './parser';

export async function createPythonFrontend(): Promise<Frontend> {
  const language = await loadPythonLanguage();
  const parser = new Parser();
  parser.setLanguage(language);
  return {
    family: 'python',
    extensions: ['.py', '.pyi'],
    languageIds: ['python'],
    parse(input) {
      const tree = parser.parse(input.text);
      return {
        model: {
          family: 'python', languageId: 'python', fileName: input.fileName, text: input.text,
          scopes: [{ id: 0, kind: 'module', name: undefined, reason: undefined, span: { start: 0, end: input.text.length }, parent: undefined, headSpan: { start: 0, end: 0 } }],
          calls: [], comments: [], syntaxProblems: [],
          fixer: { build: () => undefined, suppress: () => ({ title: 'Disable', edits: [] }) },
        },
        dispose: () => tree?.delete(),
      };
    },
  };
}
