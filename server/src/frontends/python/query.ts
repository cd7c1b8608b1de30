// The query for syntax problems, compiled once per process. It runs only on trees that report an
// error (rootNode.hasError), so a clean file pays nothing for it.

import { Query, type Language } from 'web-tree-sitter';

let compiled: Query | undefined;

export function syntaxProblemQuery(language: Language): Query {
  compiled ??= new Query(language, '(ERROR) @error (MISSING) @missing');
  return compiled;
}
