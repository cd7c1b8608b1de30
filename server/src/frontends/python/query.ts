// The one tree-sitter query the Python front end runs per file, compiled once per process.
//
// A query walks the tree inside WASM and hands back only the nodes we ask for, which is far cheaper
// than visiting nodes from JavaScript. The patterns capture positions; everything else (names,
// argument lists, parameter lists) is read from the text between those positions (scan.ts). Each
// pattern's index is its meaning: the builder switches on `PATTERN[i]`, never on capture names.

import { Query, type Language } from 'web-tree-sitter';

/** What a match of each pattern means. Every pattern's main capture is called @node (and @name for bindings). */
export type PatternKind =
  | 'def'
  | 'class'
  | 'lambda'
  | 'call'
  | 'call-genexp'
  | 'await'
  | 'import'
  | 'import-as'
  | 'from'
  | 'from-as'
  | 'from-star'
  | 'assign'
  | 'attr-assign'
  | 'bind'
  | 'with-call'
  | 'comprehension'
  | 'comprehension-var'
  | 'global'
  | 'nonlocal';

const PATTERNS: ReadonlyArray<readonly [PatternKind, string]> = [
  // names, parameters and where the body starts are read from the text
  ['def', '(function_definition) @node'],
  ['class', '(class_definition) @node'],
  ['lambda', '(lambda) @node'],
  // the callee's start is read backwards from the `(` (scan.ts), so only the argument list is captured
  ['call', '(call arguments: (argument_list) @args)'],
  ['call-genexp', '(call arguments: (generator_expression) @args)'],
  ['await', '(await (call) @node)'],
  ['await', '(await (parenthesized_expression (call) @node))'],
  ['import', '(import_statement name: (dotted_name) @node)'],
  ['import-as', '(import_statement name: (aliased_import name: (dotted_name) @node alias: (identifier) @name))'],
  ['from', '(import_from_statement module_name: (_) @module name: (dotted_name) @node)'],
  ['from-as', '(import_from_statement module_name: (_) @module name: (aliased_import name: (dotted_name) @node alias: (identifier) @name))'],
  ['from-star', '(import_from_statement module_name: (_) @module (wildcard_import) @node)'],
  // `x = …`, `x: T = …`, `self.x = …`: the annotation and right-hand side are read from the text
  ['assign', '(assignment left: (identifier) @name)'],
  ['attr-assign', '(assignment left: (attribute) @node)'],
  // other bindings: the name becomes local to its scope (comprehension variables stay in the comprehension)
  ['bind', '(augmented_assignment left: (identifier) @name)'],
  ['bind', '(pattern_list (identifier) @name)'],
  ['bind', '(tuple_pattern (identifier) @name)'],
  ['bind', '(list_pattern (identifier) @name)'],
  ['bind', '(list_splat_pattern (identifier) @name)'],
  ['bind', '(for_statement left: (identifier) @name)'],
  ['bind', '(as_pattern_target (identifier) @name)'],
  ['bind', '(as_pattern_target (tuple (identifier) @name))'],
  ['bind', '(as_pattern_target (list (identifier) @name))'],
  ['bind', '(named_expression name: (identifier) @name)'],
  ['bind', '(delete_statement (identifier) @name)'],
  ['bind', '(delete_statement (expression_list (identifier) @name))'],
  ['bind', '(case_pattern (dotted_name . (identifier) @name .))'],
  ['bind', '(keyword_pattern (dotted_name . (identifier) @name .))'],
  ['bind', '(splat_pattern (identifier) @name)'],
  ['bind', '(as_pattern (case_pattern) (identifier) @name)'],
  ['with-call', '(with_item value: (as_pattern (call) @node alias: (as_pattern_target (identifier) @name)))'],
  ['with-call', '(with_item value: (as_pattern (await (call) @node) alias: (as_pattern_target (identifier) @name)))'],
  // comprehension variables are local to their comprehension
  ['comprehension', '(list_comprehension) @node'],
  ['comprehension', '(set_comprehension) @node'],
  ['comprehension', '(dictionary_comprehension) @node'],
  ['comprehension', '(generator_expression) @node'],
  ['comprehension-var', '(for_in_clause left: (identifier) @name)'],
  ['comprehension-var', '(for_in_clause left: (pattern_list (identifier) @name))'],
  ['comprehension-var', '(for_in_clause left: (tuple_pattern (identifier) @name))'],
  ['global', '(global_statement (identifier) @name)'],
  ['nonlocal', '(nonlocal_statement (identifier) @name)'],
];

export const PATTERN_KINDS: readonly PatternKind[] = PATTERNS.map(([k]) => k);

export interface CompiledQueries {
  main: Query;
  errors: Query;
}

let compiled: CompiledQueries | undefined;

export function pythonQueries(language: Language): CompiledQueries {
  compiled ??= {
    main: new Query(language, PATTERNS.map(([, p]) => p).join('\n')),
    errors: new Query(language, '(ERROR) @error (MISSING) @missing'),
  };
  return compiled;
}
