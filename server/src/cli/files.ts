// Which files `loopguard check` looks at: the paths given (files are always taken, folders walked),
// skipping dependency folders, VCS folders, virtual environments, caches and build output.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** Folder names never entered when walking (Ruff's default excludes plus Node's). */
export const EXCLUDED_DIRS: ReadonlySet<string> = new Set([
  'node_modules', '.git', '.hg', '.svn', '.bzr', '.direnv', '.eggs', '.mypy_cache', '.nox', '.pants.d', '.pytype',
  '.ruff_cache', '.pytest_cache', '.tox', '.venv', 'venv', '__pypackages__', '__pycache__', '_build', 'buck-out',
  'dist', 'site-packages', '.vscode-test', '.next', '.nuxt', '.yarn', 'bower_components',
]);

function isVirtualEnv(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'pyvenv.cfg'));
}

export interface CollectedFiles {
  files: string[];
  /** paths that do not exist or cannot be read */
  missing: string[];
}

export function collectFiles(paths: readonly string[], isSupported: (file: string) => boolean): CollectedFiles {
  const files = new Set<string>();
  const missing: string[] = [];
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      missing.push(dir);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!EXCLUDED_DIRS.has(e.name) && !isVirtualEnv(full)) walk(full);
      } else if (e.isFile() && isSupported(full)) files.add(full);
    }
  };
  for (const p of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      missing.push(p);
      continue;
    }
    if (stat.isDirectory()) walk(p);
    else if (stat.isFile()) files.add(p); // named explicitly: analysed even when unsupported-looking
  }
  return { files: [...files], missing };
}
