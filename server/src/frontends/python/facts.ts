// What the Python fixer may ask about a file beyond the SourceModel: what a name means at a call
// site, which modules the file imports, where its top-level statements are, and a few syntactic
// questions about the places a fix edits. The answers that need the syntax tree are computed on
// demand (only for findings) while the tree is alive; after dispose() they answer conservatively.

import type { Node, Tree } from 'web-tree-sitter';
import type { Call, Comment, FunctionScope, Span } from '../../engine/model';
import type { Resolver } from './resolve';
import type { ScopeTable } from './scopes';
import { pathAt } from './tree';

export type NameMeaning =
  /** an import (or builtin) with this qualified name */
  | { kind: 'qualified'; name: string }
  /** bound to something else, or to something we cannot name */
  | { kind: 'local' }
  /** bound nowhere: a new top-level import may take the name */
  | { kind: 'unbound' };

export interface TopStatement {
  kind: 'docstring' | 'future' | 'import' | 'def' | 'other';
  start: number;
  end: number;
}

export interface PythonFileFacts {
  readonly text: string;
  readonly scopes: readonly FunctionScope[];
  readonly comments: readonly Comment[];
  /** what `name` means when read in scope `scope` */
  meaning(name: string, scope: number): NameMeaning;
  /** the local names that imports anywhere in the file bind to `qualified` (`asyncio` → `asyncio`, `aio`) */
  importNames(qualified: string): readonly string[];
  /** whether the file imports the top-level module `root` anywhere */
  importsModule(root: string): boolean;
  /** the module's top-level statements, in order (empty when the tree is gone) */
  moduleStatements(): readonly TopStatement[];
  /** a generator expression between the call and its function: `await` there would make it an async generator */
  inGeneratorExpression(call: Span): boolean;
  /** the call is the object of `.attr`, `[i]` or `(…)`: `await` in its place needs parentheses */
  needsParentheses(call: Span): boolean;
  /** the offset is inside a string literal (so a comment cannot start there) */
  insideString(offset: number): boolean;
  /** the file's calls (model order) */
  readonly calls: readonly Call[];
  /** the syntax node of one of `types` that covers exactly `span`, while the tree is alive */
  node(span: Span, types: readonly string[]): Node | undefined;
  /** the type of the value `name` holds in `scope`, when known (`concurrent.futures.ProcessPoolExecutor`) */
  instanceType(name: string, scope: number): string | undefined;
  /**
   * The function scope whose local `name` is, read from `scope`: `scope` itself or an enclosing def or
   * lambda; undefined when it is a module-level name, an import, a builtin or unbound.
   */
  functionLocal(name: string, scope: number): number | undefined;
  /** the names bound directly in the module scope */
  moduleNames(): readonly string[];
}

const FUNCTION_BOUNDARY = new Set(['function_definition', 'lambda', 'class_definition', 'module']);
const CALL = ['call'];

/**
 * On a path down to the smallest node covering `span` (pathAt): the index of the innermost node of one
 * of `types` spanning exactly `span`, looking up from the bottom only through nodes inside the span;
 * -1 when there is none.
 */
function innermost(path: readonly Node[], span: Span, types: readonly string[]): number {
  for (let i = path.length - 1; i >= 0; i--) {
    const n = path[i];
    if (types.includes(n.type) && n.startIndex === span.start && n.endIndex === span.end) return i;
    if (n.startIndex < span.start || n.endIndex > span.end) return -1;
  }
  return -1;
}

export class TreeFacts implements PythonFileFacts {
  private statements: TopStatement[] | undefined;
  private tree: Tree | undefined;

  constructor(
    readonly text: string,
    tree: Tree,
    readonly scopes: readonly FunctionScope[],
    readonly comments: readonly Comment[],
    private readonly resolver: Resolver,
    private readonly imports: ReadonlyMap<string, ReadonlySet<string>>,
    private readonly roots: ReadonlySet<string>,
    private readonly table: ScopeTable,
    readonly calls: readonly Call[],
  ) {
    this.tree = tree;
  }

  node(span: Span, types: readonly string[]): Node | undefined {
    if (!this.tree) return undefined;
    const path = pathAt(this.tree.rootNode, span.start, Math.max(span.start, span.end - 1));
    const i = path ? innermost(path, span, types) : -1;
    return i >= 0 ? path?.[i] : undefined;
  }

  instanceType(name: string, scope: number): string | undefined {
    const m = this.resolver.meaning(name, scope);
    return m.k === 'instance' ? m.type : undefined;
  }

  functionLocal(name: string, scope: number): number | undefined {
    let first = true;
    for (let s: number | undefined = scope; s !== undefined; s = this.table.get(s).parent) {
      const py = this.table.get(s);
      if (py.kind === 'module') return undefined;
      // a class body is visible only to code directly in it
      if (py.kind === 'class' && !first) continue;
      first = false;
      if (py.globals?.has(name)) return undefined;
      if (py.names.has(name)) return py.kind === 'class' ? undefined : s;
    }
    return undefined;
  }

  moduleNames(): readonly string[] {
    return [...this.table.get(0).names.keys()];
  }

  /** The tree is about to be deleted: answer from what is cached, conservatively otherwise. */
  detach(): void {
    this.tree = undefined;
  }

  meaning(name: string, scope: number): NameMeaning {
    const m = this.resolver.meaning(name, scope);
    if (m.k === 'qualified') return { kind: 'qualified', name: m.q };
    return m.k === 'unbound' ? { kind: 'unbound' } : { kind: 'local' };
  }

  importNames(qualified: string): readonly string[] {
    return [...(this.imports.get(qualified) ?? [])];
  }

  importsModule(root: string): boolean {
    return this.roots.has(root);
  }

  moduleStatements(): readonly TopStatement[] {
    if (this.statements) return this.statements;
    if (!this.tree) return [];
    const out: TopStatement[] = [];
    const cursor = this.tree.walk();
    try {
      if (cursor.gotoFirstChild()) {
        do {
          if (!cursor.nodeIsNamed) continue;
          const type = cursor.nodeType;
          if (type === 'comment') continue;
          const start = cursor.startIndex;
          const end = cursor.endIndex;
          let kind: TopStatement['kind'] = 'other';
          if (type === 'future_import_statement') kind = 'future';
          else if (type === 'import_statement' || type === 'import_from_statement') kind = 'import';
          else if (type === 'function_definition' || type === 'class_definition' || type === 'decorated_definition') kind = 'def';
          else if (type === 'expression_statement' && out.length === 0 && isDocstring(cursor.currentNode)) kind = 'docstring';
          out.push({ kind, start, end });
        } while (cursor.gotoNextSibling());
      }
    } finally {
      cursor.delete();
    }
    this.statements = out;
    return out;
  }

  /** The call node of exactly `span` and its ancestors, outermost first (the call last). */
  private callPath(span: Span): Node[] | undefined {
    if (!this.tree) return undefined;
    const path = pathAt(this.tree.rootNode, span.start, span.end);
    const i = path ? innermost(path, span, CALL) : -1;
    return i >= 0 ? path?.slice(0, i + 1) : undefined;
  }

  inGeneratorExpression(call: Span): boolean {
    const path = this.callPath(call);
    if (!path) return true; // cannot tell: do not offer `await`
    for (let i = path.length - 2; i >= 0; i--) {
      const n = path[i];
      if (n.type === 'generator_expression') return true;
      if (FUNCTION_BOUNDARY.has(n.type)) return false;
    }
    return false;
  }

  needsParentheses(call: Span): boolean {
    const path = this.callPath(call);
    const node = path?.[path.length - 1];
    const parent = path?.[path.length - 2];
    if (!node || !parent) return true;
    switch (parent.type) {
      case 'attribute':
        return parent.childForFieldName('object')?.startIndex === node.startIndex;
      case 'subscript':
        return parent.childForFieldName('value')?.startIndex === node.startIndex;
      case 'call':
        return parent.childForFieldName('function')?.startIndex === node.startIndex;
      default:
        return false;
    }
  }

  insideString(offset: number): boolean {
    if (!this.tree) return true;
    // Down from the root through the nodes that contain the offset, not up with .parent from
    // descendantForIndex(offset): in a broken file that can be a zero-width ERROR node, and Node.parent
    // of one corrupts tree-sitter's WASM memory (web-tree-sitter 0.25.10: deleting the tree then traps,
    // and later parses find nothing). The same strings are found: each one contains the offset.
    // A replacement field of an f-string counts as inside: a comment cannot start there either.
    // Node.children would marshal every child of every level into JS objects per call: a binary search
    // over the ordered children asks for a few (the last one starting before the offset is the only
    // one that can contain it)
    let node: Node = this.tree.rootNode;
    for (;;) {
      if (node.type === 'string') return true;
      let lo = 0;
      let hi = node.childCount - 1;
      let candidate: Node | null = null;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const c = node.child(mid);
        if (c !== null && c.startIndex < offset) {
          candidate = c;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (candidate === null || offset >= candidate.endIndex) return false;
      node = candidate;
    }
  }
}

function isDocstring(node: Node): boolean {
  if (node.namedChildCount !== 1) return false;
  const child = node.namedChild(0);
  return child !== null && (child.type === 'string' || child.type === 'concatenated_string');
}
