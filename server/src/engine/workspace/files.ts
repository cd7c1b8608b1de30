// Which files make up a workspace for the project model: the TS/JS/Python files under its roots,
// minus what is not the project's own source — dependency folders, virtual environments, VCS folders
// and caches (the CLI's EXCLUDED_DIRS), build output (`dist`, `build`, `out`, each tsconfig's
// `outDir`) and whatever the `.gitignore` files along the way ignore (nested ones apply to their own
// directory, as git does). Project-config `exclude` globs are applied by the workspace's configFor.

import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { EXCLUDED_DIRS } from '../../cli/files';

/** Build output folder names skipped on top of the CLI's exclusions. */
const BUILD_DIRS: ReadonlySet<string> = new Set(['dist', 'build', 'out']);

interface GitIgnore {
  dir: string;
  rules: Ignore;
}

function readGitignore(dir: string): GitIgnore | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, '.gitignore'), 'utf8');
  } catch {
    return undefined;
  }
  return { dir, rules: ignore().add(text) };
}

/** A tsconfig's `compilerOptions.outDir`, absolute; tolerant of comments and trailing commas. */
function tsconfigOutDir(dir: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, 'tsconfig.json'), 'utf8');
  } catch {
    return undefined;
  }
  const m = /"outDir"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(text);
  return m ? path.resolve(dir, m[1]) : undefined;
}

function ignoredBy(stack: readonly GitIgnore[], full: string, isDir: boolean): boolean {
  for (const g of stack) {
    const rel = path.relative(g.dir, full).split(path.sep).join('/');
    if (rel && !rel.startsWith('..') && g.rules.ignores(isDir ? `${rel}/` : rel)) return true;
  }
  return false;
}

/** The workspace's source files under `roots`, sorted, each once. */
export function listWorkspaceFiles(roots: readonly string[], isSupported: (file: string) => boolean): string[] {
  const files = new Set<string>();
  const outDirs = new Set<string>();
  const walk = (dir: string, stack: readonly GitIgnore[]): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    // read only the files the listing has: a failed read per directory costs an exception each
    const own = entries.some((e) => e.name === '.gitignore') ? readGitignore(dir) : undefined;
    const here = own ? [...stack, own] : stack;
    const outDir = entries.some((e) => e.name === 'tsconfig.json') ? tsconfigOutDir(dir) : undefined;
    if (outDir) outDirs.add(outDir);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (EXCLUDED_DIRS.has(e.name) || BUILD_DIRS.has(e.name) || outDirs.has(full)) continue;
        if (fs.existsSync(path.join(full, 'pyvenv.cfg')) || ignoredBy(here, full, true)) continue;
        walk(full, here);
      } else if (e.isFile() && isSupported(full) && !ignoredBy(here, full, false)) files.add(full);
    }
  };
  for (const root of roots) walk(path.resolve(root), []);
  return [...files].sort();
}
