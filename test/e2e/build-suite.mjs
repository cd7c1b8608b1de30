// Bundles the extension-host suite (test/e2e/suite) with mocha into test/e2e/out/suite.js; `vscode` stays
// external (the extension host provides it).
import * as esbuild from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
await esbuild.build({
  entryPoints: [path.join(HERE, 'suite', 'index.ts')],
  outfile: path.join(HERE, 'out', 'suite.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  external: ['vscode'],
  logLevel: 'warning',
  // mocha's parallel mode resolves worker files at run time; the suite never runs in parallel
  logOverride: { 'require-resolve-not-external': 'silent' },
});
