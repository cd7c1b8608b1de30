// Loads web-tree-sitter and the Python grammar (WASM, no native build). The .wasm files are copied
// next to the bundle at build time (esbuild.mjs) and found relative to __dirname, so the extension
// works from one VSIX on every platform; from source (tests) they resolve from node_modules.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser } from 'web-tree-sitter';

function locate(fileName: string, packagePath: string): string {
  const bundled = path.join(__dirname, fileName);
  if (fs.existsSync(bundled)) return bundled;
  return require.resolve(packagePath);
}

let loaded: Promise<Language> | undefined;

/** The Python grammar, loaded once per process. */
export function loadPythonLanguage(): Promise<Language> {
  loaded ??= (async () => {
    const runtime = locate('tree-sitter.wasm', 'web-tree-sitter/tree-sitter.wasm');
    await Parser.init({ locateFile: () => runtime });
    return Language.load(locate('tree-sitter-python.wasm', 'tree-sitter-python/tree-sitter-python.wasm'));
  })();
  return loaded;
}
