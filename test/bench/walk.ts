// The benchmark corpora's file lists: a sorted, deterministic walk (the same files in every run).

import * as fs from 'node:fs';
import * as path from 'node:path';

/** Appends to `out` the files under `dir` that `accept` takes, in name order, not entering folders `skipDir` names. */
export function walk(dir: string, accept: (f: string) => boolean, out: string[], skipDir: (name: string) => boolean): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!skipDir(e.name)) walk(full, accept, out, skipDir);
    } else if (e.isFile() && accept(full)) out.push(full);
  }
}
