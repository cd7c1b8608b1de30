// How a Python fix writes a qualified name (`asyncio.sleep`, `trio.to_thread.run_sync`,
// `functools.partial`) at a call site, and the `import` it needs when the file has none.
//
// Reused, in order: a module the file already imports under some name visible at the call
// (`import asyncio as aio` → `aio.sleep`), the name itself (`from asyncio import sleep` → `sleep`).
// Otherwise `import <module>` is added — only when that name is free at the call site — after the
// last import of the file's first top-level import block, else after the module docstring and
// `from __future__` imports, else before the first statement. Never inside a function.

import type { TextEdit } from '../../engine/finding';
import type { LineIndex } from '../../engine/text';
import type { PythonFileFacts } from '../../frontends/python/facts';

export class ImportPlanner {
  private readonly modules = new Set<string>();

  constructor(
    private readonly facts: PythonFileFacts,
    private readonly lines: LineIndex,
    private readonly scope: number,
  ) {}

  /**
   * The text that names `qualified` at the call site, or undefined when no spelling is safe there.
   * `module` is what to import when nothing does yet (default: the first segment; `concurrent.futures`
   * must be imported as a whole, its package does not load it).
   */
  reference(qualified: string, module?: string): string | undefined {
    const { facts, scope } = this;
    const segs = qualified.split('.');
    const bound = (name: string, target: string) => {
      const m = facts.meaning(name, scope);
      return m.kind === 'qualified' && m.name === target;
    };
    for (let k = 1; k < segs.length; k++) {
      const prefix = segs.slice(0, k).join('.');
      const rest = segs.slice(k).join('.');
      for (const name of facts.importNames(prefix)) if (bound(name, prefix)) return `${name}.${rest}`;
    }
    for (const name of facts.importNames(qualified)) if (bound(name, qualified)) return name;
    const root = segs[0];
    const wanted = module ?? root;
    if (this.modules.has(wanted)) return qualified;
    if (facts.meaning(root, scope).kind !== 'unbound') return undefined;
    this.modules.add(wanted);
    return qualified;
  }

  /** The edit that adds the planned imports: undefined when none are needed, null when there is no place for them. */
  edit(): TextEdit | undefined | null {
    if (this.modules.size === 0) return undefined;
    const { lines } = this;
    const eol = lines.eol;
    const text = [...this.modules].sort().map((m) => `import ${m}`).join(eol);
    const stmts = this.facts.moduleStatements();
    if (stmts.length === 0) return null;
    const isImport = (i: number) => stmts[i]?.kind === 'import' || stmts[i]?.kind === 'future';
    const first = stmts.findIndex((_, i) => isImport(i));
    if (first >= 0) {
      let last = first;
      while (isImport(last + 1)) last++;
      const at = lines.lineEnd(lines.position(stmts[last].end).line);
      return { start: at, end: at, newText: `${eol}${text}` };
    }
    if (stmts[0].kind === 'docstring') {
      const at = lines.lineEnd(lines.position(stmts[0].end).line);
      return { start: at, end: at, newText: `${eol}${eol}${text}` };
    }
    const at = lines.lineStart(lines.position(stmts[0].start).line);
    // PEP 8: two blank lines before a top-level def or class, one otherwise
    return { start: at, end: at, newText: `${text}${eol}${eol}${stmts[0].kind === 'def' ? eol : ''}` };
  }
}
