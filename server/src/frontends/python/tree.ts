// Ancestors of a syntax node without Node.parent. In a broken file descendantForIndex can return a
// zero-width ERROR node, and Node.parent of one corrupts tree-sitter's WASM memory (web-tree-sitter
// 0.25.10: the tree's deletion then traps and later parses find nothing; see the fuzz regression
// python-zero-width-error.py). So code that needs what contains a node found by position walks down from
// the root to it through the children that cover it (no parent or sibling calls) and reads the
// ancestors off that path.

import type { Node } from 'web-tree-sitter';

/**
 * The nodes from `root` down to `target` (a node of the same tree), outermost first, `target` last;
 * undefined when it cannot be found under `root`. Only children whose span covers the target's are
 * entered, so the cost is the depth times the few siblings around the target's start.
 */
export function pathTo(root: Node, target: Node): Node[] | undefined {
  const path: Node[] = [];
  const start = target.startIndex;
  const end = target.endIndex;
  const find = (node: Node): boolean => {
    path.push(node);
    if (node.id === target.id) return true;
    // the first child that reaches the target's start (one that ends there, or a zero-width one,
    // included): children are in order, so by binary search over their indices
    const count = node.childCount;
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((node.child(mid)?.endIndex ?? start) < start) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < count; i++) {
      const child = node.child(i);
      if (!child) continue;
      if (child.startIndex > start) break;
      if (child.endIndex >= end && find(child)) return true;
    }
    path.pop();
    return false;
  };
  return find(root) ? path : undefined;
}

/** descendantForIndex(start, end) and its ancestors, outermost first (see pathTo). */
export function pathAt(root: Node, start: number, end = start): Node[] | undefined {
  const target = root.descendantForIndex(start, end);
  return target ? pathTo(root, target) : undefined;
}
