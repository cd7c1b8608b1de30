// Notebook cells in the Python model: a cell whose top-level code awaits (`await`, `async for`,
// `async with` outside any def) runs that code on the event loop — IPython compiles such a cell as a
// coroutine and runs it in the kernel's loop. Such a cell becomes an `async` scope of its own (child
// of the module, spanning the cell) and the module-level calls and loops in it move into it, so every
// rule sees them as event-loop code. Names still bind and resolve in the module: the front end
// resolved them before this split, and the fixer asks with the module's id (`lexicalScope`).

import type { Call, FunctionScope, Loop, Span } from '../engine/model';

export interface CellScopes {
  /** the ids of the cell scopes added to `scopes` */
  added: ReadonlySet<number>;
  /** the scope the front end's name tables know for `scope` (the module for a cell scope) */
  lexicalScope(scope: number): number;
}

/**
 * Adds a scope per awaiting cell and moves module-level calls and loops into it. `isTopLevelAwait`
 * says whether the `await`/`async` keyword at an offset is one (a keyword token, in module-level code).
 */
export function splitCellScopes(
  text: string,
  cells: readonly Span[],
  scopes: FunctionScope[],
  calls: Call[],
  loops: Loop[],
  isTopLevelAwait: (offset: number) => boolean,
): CellScopes {
  const added = new Set<number>();
  for (const cell of cells) {
    if (!awaits(text, cell, isTopLevelAwait)) continue;
    const id = scopes.length;
    scopes.push({
      id,
      kind: 'async',
      // cells are numbered differently by each client (all cells, code cells, execution counts): no name
      name: undefined,
      reason: 'notebook cell with top-level await',
      span: { start: cell.start, end: cell.end },
      parent: 0,
      headSpan: { start: cell.start, end: cell.start },
    });
    added.add(id);
    const inCell = (s: Span) => cell.start <= s.start && s.start < cell.end;
    for (const c of calls) if (c.scope === 0 && inCell(c.span)) c.scope = id;
    for (const l of loops) if (l.scope === 0 && inCell(l.span)) l.scope = id;
  }
  return { added, lexicalScope: (scope) => (added.has(scope) ? 0 : scope) };
}

const AWAIT_WORD = /\b(?:await|async)\b/g;

function awaits(text: string, cell: Span, isTopLevelAwait: (offset: number) => boolean): boolean {
  const body = text.slice(cell.start, cell.end);
  AWAIT_WORD.lastIndex = 0;
  for (let m = AWAIT_WORD.exec(body); m; m = AWAIT_WORD.exec(body)) {
    if (isTopLevelAwait(cell.start + m.index)) return true;
  }
  return false;
}
