// Builds the bundles: dist/client.js (the VS Code extension; `vscode` stays external),
// dist/server.js (the language server, with dist/analysis-worker.js), dist/cli.js (the `loopguard`
// command, with dist/cli-worker.js), and copies the
// tree-sitter WASM files next to them (the Python front end loads them relative to __dirname).
// `node esbuild.mjs --watch` rebuilds on change.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const outdir = 'dist';

/** @type {esbuild.BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  external: ['vscode'],
  // web-tree-sitter ships its ESM build to `import`; in a CommonJS bundle import.meta.url must be
  // provided, or its Node loader cannot create `require`
  define: { 'import.meta.url': '__loopguard_import_meta_url' },
  banner: { js: "const __loopguard_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
};

const entries = [
  { entryPoints: { client: 'client/src/extension.ts' } },
  { entryPoints: { server: 'server/src/server.ts' } },
  // large documents are analysed in a worker thread (server/src/lsp/off-thread.ts)
  { entryPoints: { 'analysis-worker': 'server/src/lsp/analysis-worker.ts' } },
  { entryPoints: { cli: 'server/src/cli/main.ts' } },
  // `loopguard check --jobs n` parses and analyses on worker threads (server/src/cli/parallel.ts)
  { entryPoints: { 'cli-worker': 'server/src/cli/worker.ts' } },
].filter((e) => fs.existsSync(Object.values(e.entryPoints)[0]));

fs.mkdirSync(outdir, { recursive: true });
for (const [from, to] of [
  [require.resolve('web-tree-sitter/tree-sitter.wasm'), 'tree-sitter.wasm'],
  [require.resolve('tree-sitter-python/tree-sitter-python.wasm'), 'tree-sitter-python.wasm'],
]) {
  fs.copyFileSync(from, path.join(outdir, to));
}

if (watch) {
  for (const e of entries) await (await esbuild.context({ ...common, ...e, outdir })).watch();
} else {
  await Promise.all(entries.map((e) => esbuild.build({ ...common, ...e, outdir })));
}
