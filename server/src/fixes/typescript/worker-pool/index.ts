// "Move the loop into a worker thread": a CPU-heavy loop statement of an async function is extracted
// into an exported function of a worker module next to the file (`<basename>.worker.mjs` / `.cjs`, or
// `.worker.ts` / `.mts` / `.cts` for TypeScript) and the loop becomes
// `({ total, best } = await runInWorker(url, '<fn>', { n, xs, total, best }))` — through piscina when the
// package depends on it, else through a small `node:worker_threads` pool module the fix creates once per
// package (`<root>/loopguard-worker-pool.mjs` / `.cjs`; TypeScript: `loopguard-worker-pool.ts` inside the
// compilation, see typescript.ts).
//
// The loop's inputs travel by structured clone and its outputs come back the same way, so the fix is
// only written when a def-use pass over the loop (def-use.ts) proves that is all it needs: it reads
// variables (passed in), assigns variables (passed back when read elsewhere in the function) and mutates
// only objects it created itself. Anything else refuses the extraction (the yielding fix is still
// offered). TypeScript files (not `.tsx`) also need a type for every input (types.ts).
//
// Bundled packages (esbuild, webpack, vite, … putting everything in one file) are not detected: there
// the worker module is not next to the bundle, so the runtime reference would miss it. The rule's
// "Fix safety" docs say so.

import * as path from 'node:path';
import ts from 'typescript';
import type { FileChange, TextEdit } from '../../../engine/finding';
import type { LineIndex } from '../../../engine/text';
import type { TsFileFacts } from '../../../frontends/typescript/facts';
import type { LoopSite } from '../../../frontends/typescript/loops';
import type { SafetyRatedFix } from '../../fixer';
import { usesName } from './def-use';
import {
  HELPER_BASENAME, camel, piscinaBinding, prepareExtraction, relativeSpecifier, replacementStatement, type Extraction,
} from './extraction';
import { helperSource } from './pool-helper';
import { writeTypeScript } from './typescript';

export { HELPER_BASENAME } from './extraction';

const SK = ts.SyntaxKind;

const JS_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);
const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);

/** The extraction, or undefined when it cannot be written correctly here. */
export function moveToWorker(facts: TsFileFacts, lines: LineIndex, site: LoopSite): SafetyRatedFix | undefined {
  const ext = path.extname(facts.fileName).toLowerCase();
  // `.tsx`: JSX files are UI code, and a worker module of one would need a JSX-free twin of its types
  const isTs = TS_EXTENSIONS.has(ext) && !facts.fileName.toLowerCase().endsWith(`.d${ext}`);
  if (!JS_EXTENSIONS.has(ext) && !isTs) return undefined;
  const x = prepareExtraction(facts, lines, site);
  if (!x) return undefined;
  return isTs ? writeTypeScript(x, ext) : writeJavaScript(x, ext);
}

/** A plain JavaScript file: the worker module and the pool helper are JavaScript of the file's module style. */
function writeJavaScript(x: Extraction, ext: string): SafetyRatedFix | undefined {
  const { facts, project, analysis, exportName, dir, base, eol, loopStart, node } = x;
  const { sf, text, fileName } = facts;
  const { inputs, outputs } = analysis;
  const esm = ext === '.mjs' || (ext === '.js' && project.moduleType === 'module');
  const modExt = esm ? '.mjs' : '.cjs';
  const workerBase = `${base}.worker${modExt}`;
  const workerFile = path.join(dir, workerBase);

  // the worker function
  const params = inputs.length ? `{ ${inputs.join(', ')} }` : '';
  const ret = outputs.length ? `${eol}  return { ${outputs.join(', ')} };` : '';
  const fnText = `function ${exportName}(${params}) {${eol}${x.loopText}${ret}${eol}}${eol}`;
  const workerFileExists = project.fileExists(workerFile);
  const header = `// Functions run in worker threads, moved here by Loopguard from ${path.basename(fileName)}: they run off the event loop.${eol}${eol}`;
  const workerText = esm ? `export ${fnText}` : `${fnText}exports.${exportName} = ${exportName};${eol}`;
  // an existing worker module gets the function at its top: function declarations hoist
  const otherFiles: FileChange[] = [
    workerFileExists
      ? { fileName: workerFile, edits: [{ start: 0, end: 0, newText: `${workerText}${eol}` }] }
      : { fileName: workerFile, create: true, edits: [{ start: 0, end: 0, newText: header + workerText }] },
  ];

  const usePiscina = project.dependencies.includes('piscina');
  const moduleRef = esm ? `new URL('./${workerBase}', import.meta.url).href` : `require('node:path').join(__dirname, '${workerBase}')`;
  const data = `{ ${inputs.join(', ')} }`.replace('{  }', '{}');
  const top: string[] = [];
  let call: string;
  if (usePiscina) {
    const imported = piscinaBinding(sf);
    if (imported === null) return undefined;
    const piscina = imported ?? 'Piscina';
    if (imported === undefined) {
      if (usesName(sf, 'Piscina')) return undefined;
      top.push(esm ? `import Piscina from 'piscina';` : `const Piscina = require('piscina');`);
    }
    const pool = `${camel(base)}Pool`;
    if (!new RegExp(`\\b(?:const|let|var)\\s+${pool}\\s*=\\s*new\\s+${piscina}\\b`).test(text)) {
      if (usesName(sf, pool)) return undefined;
      top.push(`const ${pool} = new ${piscina}({ filename: ${moduleRef} });`);
    }
    call = `await ${pool}.run(${data}, { name: '${exportName}' })`;
  } else {
    const helperFile = path.join(project.root, `${HELPER_BASENAME}${modExt}`);
    const spec = relativeSpecifier(dir, helperFile);
    if (!text.includes(`${HELPER_BASENAME}${modExt}`)) {
      if (usesName(sf, 'runInWorker')) return undefined;
      top.push(esm ? `import { runInWorker } from '${spec}';` : `const { runInWorker } = require('${spec}');`);
    }
    if (!project.fileExists(helperFile)) {
      otherFiles.push({ fileName: helperFile, create: true, edits: [{ start: 0, end: 0, newText: helperSource(esm, eol) }] });
    }
    call = `await runInWorker(${moduleRef}, '${exportName}', ${data})`;
  }

  const edits: TextEdit[] = [];
  if (top.length) {
    const at = topInsertion(x, top.join(eol));
    if (at.start > loopStart) return undefined;
    edits.push(at);
  }
  edits.push({ start: loopStart, end: node.end, newText: replacementStatement(x, call) });
  return { title: `Move the loop into a worker thread (\`${exportName}\` in ${workerBase})`, safe: false, edits, otherFiles };
}

/** New top-level statements: after the last import / top-level require, else before the first statement. */
export function topInsertion(x: Pick<Extraction, 'facts' | 'eol'>, block: string): TextEdit {
  const { sf, text } = x.facts;
  let after: ts.Node | undefined;
  let first: ts.Node | undefined;
  for (const s of sf.statements) {
    if (s.kind === SK.ImportDeclaration || (s.kind === SK.VariableStatement && /\brequire\s*\(/.test(s.getText(sf)))) after = s;
    else if (s.kind === SK.ExpressionStatement && ts.isStringLiteral((s as ts.ExpressionStatement).expression)) after ??= s; // 'use strict'
    else if (!first) first = s;
  }
  if (after) return { start: after.end, end: after.end, newText: `${x.eol}${block}` };
  const offset = first ? first.getStart(sf) : text.length;
  return { start: offset, end: offset, newText: `${block}${x.eol}${x.eol}` };
}
