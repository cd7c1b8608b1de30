// ProjectFacts for a file on disk: what the nearest package.json says about its package (dependencies,
// module type). Read, never executed; cached per package.json path and invalidated by its mtime, so the
// language server pays one stat per directory level per analysis.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProjectFacts } from '../frontends/frontend';

interface Cached {
  mtimeMs: number;
  facts: ProjectFacts | undefined;
}

const cache = new Map<string, Cached>();

function fileExists(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function names(v: unknown): string[] {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.keys(v) : [];
}

function read(manifest: string): ProjectFacts | undefined {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const pkg = json as Record<string, unknown>;
  return {
    root: path.dirname(manifest),
    dependencies: [...new Set([...names(pkg.dependencies), ...names(pkg.devDependencies)])],
    moduleType: pkg.type === 'module' ? 'module' : 'commonjs',
    fileExists,
  };
}

/**
 * The facts of the package `fileName` belongs to, or undefined when it is not an absolute path of a
 * file with a package.json above it (untitled documents, virtual files) or that package.json is unreadable.
 */
export function projectFactsFor(fileName: string): ProjectFacts | undefined {
  if (!path.isAbsolute(fileName)) return undefined;
  for (let dir = path.dirname(fileName); ; ) {
    const manifest = path.join(dir, 'package.json');
    let mtimeMs: number | undefined;
    try {
      const st = fs.statSync(manifest);
      if (st.isFile()) mtimeMs = st.mtimeMs;
    } catch {
      // no package.json here: look further up
    }
    if (mtimeMs !== undefined) {
      const hit = cache.get(manifest);
      if (hit && hit.mtimeMs === mtimeMs) return hit.facts;
      const facts = read(manifest);
      cache.set(manifest, { mtimeMs, facts });
      return facts;
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
