// Resolves a Python import (Call.imported, ModuleExport.from) to a file of the workspace.
//
// What Python's path-based finder does, for the sources of a workspace: absolute modules are looked
// up in source roots — the directory above the importing file's top-level package (the script
// directory or the project root Python would put on sys.path), each workspace root and its `src/`
// (src layout) — and relative ones from the importing file's package. In a directory, a regular
// package (`a/__init__.py`) wins over a module (`a.py`), which wins over a namespace package (a bare
// directory `a/`); a regular package or module found in one root hides the same name in later roots,
// namespace portions are searched only when no root has one. `.pyi` stubs count when there is no
// `.py`. Then the names the call adds are taken off as long as they are submodules: `from pkg import
// util; util.read_all()` is `pkg/util.py` with `read_all` left when that file exists, else
// `pkg/__init__.py` with `util.read_all`.
//
// Virtual envs (`.venv`, `venv`, any directory with a `pyvenv.cfg`), `site-packages`, `node_modules`
// and `__pycache__` are never entered: what lives there is not the workspace's code. Lookups are
// cached (per directory and name, and per importing directory and specifier); `invalidate()` drops
// the caches when files or directories are created, deleted or renamed.

import * as path from 'node:path';
import type { ModuleResolver, WorkspaceHost } from './types';

export interface PythonModuleResolver extends ModuleResolver {
  /** Forget every cached lookup (call when Python files or directories appear, disappear or move). */
  invalidate(): void;
}

/** A module or package found on disk: its file (undefined for a namespace package) and, for packages, its directory. */
interface Found {
  file: string | undefined;
  dir: string | undefined;
}

const EXCLUDED_DIRS = new Set(['.venv', 'venv', 'site-packages', 'node_modules', '__pycache__', '.git', '.tox', '.nox']);
const IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u;

export function createPythonResolver(host: WorkspaceHost, roots: readonly string[]): PythonModuleResolver {
  const workspaceRoots = roots.map((r) => path.resolve(r));
  /** `dir\0name` → what `name` is inside `dir` (null: nothing) */
  const steps = new Map<string, Found | null>();
  /** `fromDir\0specifier` → what the specifier names from files in fromDir (null: nothing) */
  const specifiers = new Map<string, Found | null>();
  const packageRoots = new Map<string, string>();
  const entered = new Map<string, boolean>();
  let sourceRoots: string[] | undefined;

  const isPackage = (dir: string): string | undefined => {
    const py = path.join(dir, '__init__.py');
    if (host.fileExists(py)) return py;
    const pyi = path.join(dir, '__init__.pyi');
    return host.fileExists(pyi) ? pyi : undefined;
  };

  /** A directory whose contents may be the workspace's code. */
  const mayEnter = (dir: string): boolean => {
    let ok = entered.get(dir);
    if (ok === undefined) {
      ok = !EXCLUDED_DIRS.has(path.basename(dir)) && host.directoryExists(dir) && !host.fileExists(path.join(dir, 'pyvenv.cfg'));
      entered.set(dir, ok);
    }
    return ok;
  };

  /** `name` inside `dir`: a regular package, else a module, else a namespace package. */
  const step = (dir: string, name: string): Found | undefined => {
    const key = `${dir}\0${name}`;
    const hit = steps.get(key);
    if (hit !== undefined) return hit ?? undefined;
    let found: Found | null = null;
    if (IDENTIFIER.test(name)) {
      const sub = path.join(dir, name);
      const enter = mayEnter(sub);
      const init = enter ? isPackage(sub) : undefined;
      if (init) found = { file: init, dir: sub };
      else {
        const py = `${sub}.py`;
        const pyi = `${sub}.pyi`;
        if (host.fileExists(py)) found = { file: py, dir: undefined };
        else if (host.fileExists(pyi)) found = { file: pyi, dir: undefined };
        else if (enter) found = { file: undefined, dir: sub };
      }
    }
    steps.set(key, found);
    return found ?? undefined;
  };

  /** From `start`, the module the dotted names lead to. */
  const descend = (start: Found, names: readonly string[]): Found | undefined => {
    let cur: Found | undefined = start;
    for (const n of names) {
      if (cur.dir === undefined) return undefined;
      cur = step(cur.dir, n);
      if (!cur) return undefined;
    }
    return cur;
  };

  /** The directory above the top-level package that contains `dir` (or `dir` itself outside packages). */
  const packageRoot = (dir: string): string => {
    let hit = packageRoots.get(dir);
    if (hit === undefined) {
      hit = dir;
      while (isPackage(hit) !== undefined) {
        const up = path.dirname(hit);
        if (up === hit) break;
        hit = up;
      }
      packageRoots.set(dir, hit);
    }
    return hit;
  };

  const workspaceSourceRoots = (): string[] => {
    if (!sourceRoots) {
      sourceRoots = [];
      for (const r of workspaceRoots) {
        sourceRoots.push(r);
        const src = path.join(r, 'src');
        if (host.directoryExists(src)) sourceRoots.push(src);
      }
    }
    return sourceRoots;
  };

  const absolute = (fromDir: string, names: readonly string[]): Found | undefined => {
    if (names.includes('')) return undefined;
    const first = packageRoot(fromDir);
    const candidates = [first, ...workspaceSourceRoots().filter((r) => r !== first)];
    const namespaces: Found[] = [];
    for (const root of candidates) {
      const top = step(root, names[0]);
      if (!top) continue;
      // a regular package or a module hides the name in later roots
      if (top.file !== undefined) return descend(top, names.slice(1));
      namespaces.push(top);
    }
    for (const ns of namespaces) {
      const found = descend(ns, names.slice(1));
      if (found) return found;
    }
    return undefined;
  };

  const relative = (fromDir: string, specifier: string): Found | undefined => {
    let dots = 0;
    while (specifier.charCodeAt(dots) === 46 /* . */) dots++;
    let dir = fromDir;
    for (let i = 1; i < dots; i++) {
      const up = path.dirname(dir);
      if (up === dir) return undefined;
      dir = up;
    }
    const rest = specifier.slice(dots);
    const names = rest === '' ? [] : rest.split('.');
    if (names.includes('') || !mayEnter(dir)) return undefined;
    return descend({ file: isPackage(dir), dir }, names);
  };

  /** Under a workspace root, and not in an excluded directory below it (a relative import from inside a virtual env). */
  const inWorkspace = (file: string): boolean => {
    if (workspaceRoots.length === 0) return true;
    for (const r of workspaceRoots) {
      const rel = path.relative(r, file);
      if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
      if (!rel.split(path.sep).some((p) => EXCLUDED_DIRS.has(p))) return true;
    }
    return false;
  };

  return {
    family: 'python',
    resolve(specifier, names, fromFile) {
      const fromDir = path.dirname(path.resolve(fromFile));
      const key = `${fromDir}\0${specifier}`;
      let module = specifiers.get(key);
      if (module === undefined) {
        const isRelative = specifier.charCodeAt(0) === 46; /* . */
        module = (isRelative ? relative(fromDir, specifier) : absolute(fromDir, specifier.split('.'))) ?? null;
        specifiers.set(key, module);
      }
      if (!module) return undefined;
      // take the names that are submodules off the path
      let cur: Found = module;
      let i = 0;
      while (i < names.length && cur.dir !== undefined) {
        const next = step(cur.dir, names[i]);
        if (!next) break;
        cur = next;
        i++;
      }
      if (cur.file === undefined || !inWorkspace(cur.file)) return undefined;
      return { fileName: cur.file, path: i === 0 ? names : names.slice(i) };
    },
    invalidate() {
      steps.clear();
      specifiers.clear();
      packageRoots.clear();
      entered.clear();
      sourceRoots = undefined;
    },
  };
}
