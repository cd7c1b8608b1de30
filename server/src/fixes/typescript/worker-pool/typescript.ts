// The worker-pool extraction written for a TypeScript file (`.ts`, `.mts`, `.cts`).
//
// Module format: `.mts` is ESM, `.cts` CommonJS, `.ts` what tsconfig's `module` says (ESM or CommonJS;
// Node16/NodeNext or unset: the package's `type`). The source is always written with `import`; what
// differs is how the file finds its own directory at run time: `new URL('./x.worker.js', import.meta.url)`
// or `join(__dirname, 'x.worker.js')`.
//
// The worker module is `<base>.worker.ts` (`.mts`/`.cts`) and is referred to at run time by its compiled
// name (`.js`/`.mjs`/`.cjs`) — the convention TypeScript itself uses for relative imports under nodenext —
// so the reference is right after tsc, whose outDir mirrors the source tree. The call site names the
// module's type with a type query (`runInWorker<typeof import('./x.worker.js'), 'fn'>`), which also puts
// the worker module into the compilation, with no run-time import. The pool helper
// (`loopguard-worker-pool.ts`) maps a compiled name that does not exist to the `.ts` next to it, so the
// same reference works from source (tsx; its workers also get tsx's hooks, see pool-helper.ts). With
// piscina, whose workers load the file they are given, the file picks the worker module's source name when
// it is itself running from source (its own `import.meta.url` / `__filename` ends in `.ts`) — which helps
// where the runtime loads TypeScript in workers; tsx on Node 20 does not for piscina's (its ESM hooks are
// main-thread only there), so under tsx on Node 20 a piscina fix runs only after tsc.
//
// The helper must be part of the compilation, under `rootDir`: it goes to tsconfig's `rootDir`, else the
// static part of its first `include` pattern (`src` for `src/**/*`), else the tsconfig's directory,
// else the package root. A bundled package (esbuild, webpack, vite) has no worker module next to its
// bundle: not detected, documented in the rule's "Fix safety".

import * as path from 'node:path';
import ts from 'typescript';
import type { FileChange, TextEdit } from '../../../engine/finding';
import type { ProjectFacts } from '../../../frontends/frontend';
import type { SafetyRatedFix } from '../../fixer';
import { ImportPlanner, newPlan } from '../imports';
import { usesName } from './def-use';
import { HELPER_BASENAME, camel, piscinaBinding, relativeSpecifier, replacementStatement, type Extraction } from './extraction';
import { tsHelperSource } from './pool-helper';
import { typeWorkerInputs } from './types';

const SK = ts.SyntaxKind;

/** How the file writes relative specifiers: `./x.js` (nodenext style), `./x.ts`, or `./x`. */
export type Convention = 'js' | 'ts' | 'none';

export const COMPILED: Readonly<Record<string, string>> = { '.ts': '.js', '.mts': '.mjs', '.cts': '.cjs' };

/** The extension convention of the file's own relative imports and exports; undefined when it has none. */
export function relativeConvention(sf: ts.SourceFile): Convention | undefined {
  for (const s of sf.statements) {
    let spec: ts.Expression | undefined;
    if (s.kind === SK.ImportDeclaration || s.kind === SK.ExportDeclaration) spec = (s as ts.ImportDeclaration).moduleSpecifier;
    else if (s.kind === SK.ImportEqualsDeclaration) {
      const ref = (s as ts.ImportEqualsDeclaration).moduleReference;
      if (ref.kind === SK.ExternalModuleReference) spec = ref.expression;
    }
    if (!spec || !ts.isStringLiteral(spec) || !/^\.\.?(?:\/|$)/.test(spec.text)) continue;
    const ext = path.posix.extname(spec.text).toLowerCase();
    if (['.js', '.mjs', '.cjs', '.jsx'].includes(ext)) return 'js';
    if (['.ts', '.mts', '.cts', '.tsx'].includes(ext)) return 'ts';
    if (['.json', '.css', '.scss', '.svg', '.node', '.wasm', '.html'].includes(ext)) continue;
    return 'none';
  }
  return undefined;
}

/** The static directory part of an include pattern: `src` for `src/**\/*`, `lib` for `lib/main.ts`. */
function staticPrefix(pattern: string): string {
  const parts = pattern.replace(/^\$\{configDir\}\/?/, '').split('/');
  const fixed: string[] = [];
  for (const part of parts) {
    if (/[*?[\]{}]/.test(part)) return fixed.join('/');
    fixed.push(part);
  }
  // no wildcard: a directory, or a file whose directory is the prefix
  const last = fixed[fixed.length - 1] ?? '';
  if (/\.[cm]?[jt]sx?$/i.test(last)) fixed.pop();
  return fixed.join('/');
}

/** Where the TypeScript pool helper goes: somewhere tsc compiles without moving the output's root. */
export function tsHelperDir(project: ProjectFacts): string {
  const tc = project.tsconfig;
  if (!tc) return project.root;
  if (tc.rootDir !== undefined) return tc.rootDir;
  const first = tc.include?.[0];
  if (first !== undefined) return path.resolve(tc.dir, staticPrefix(first));
  return tc.dir;
}

/** Is this file ESM? undefined when its module format is one the fix does not write for (AMD, UMD, System). */
export function isEsm(ext: string, project: ProjectFacts): boolean | undefined {
  if (ext === '.mts') return true;
  if (ext === '.cts') return false;
  switch (project.tsconfig?.module) {
    case 'esm':
      return true;
    case 'commonjs':
      return false;
    case 'other':
      return undefined;
    default:
      return project.moduleType === 'module';
  }
}

/** The specifier of the file's own `import { runInWorker } from '…/loopguard-worker-pool…'`, if it has one. */
export function helperImport(sf: ts.SourceFile): string | undefined {
  for (const s of sf.statements) {
    if (s.kind !== SK.ImportDeclaration) continue;
    const imp = s as ts.ImportDeclaration;
    const nb = imp.importClause?.namedBindings;
    if (
      ts.isStringLiteral(imp.moduleSpecifier) && imp.moduleSpecifier.text.includes(HELPER_BASENAME) &&
      nb?.kind === SK.NamedImports && nb.elements.some((e) => e.name.text === 'runInWorker' && !e.propertyName)
    ) return imp.moduleSpecifier.text;
  }
  return undefined;
}

export function writeTypeScript(x: Extraction, ext: string): SafetyRatedFix | undefined {
  const { facts, project, analysis, exportName, dir, base, eol, loopStart, node, site } = x;
  const { sf, text, fileName } = facts;
  const { inputs, outputs } = analysis;
  const esm = isEsm(ext, project);
  if (esm === undefined) return undefined;
  // verbatimModuleSyntax forbids `import`/`export` in CommonJS output: it would need `import x = require()`
  if (!esm && project.tsconfig?.verbatimModuleSyntax) return undefined;
  const jsExt = COMPILED[ext];
  // `.mts`/`.cts` are never found without their extension
  let convention = relativeConvention(sf) ?? (esm ? 'js' : 'none');
  if (convention === 'none' && ext !== '.ts') convention = 'js';
  const specifier = (withoutExt: string): string =>
    convention === 'js' ? withoutExt + jsExt : convention === 'ts' ? withoutExt + ext : withoutExt;

  const planner = new ImportPlanner(facts);
  const { quote: q, semi } = planner.importStyle();
  const str = (s: string): string => `${q}${s}${q}`;

  const typing = typeWorkerInputs(x, specifier(`./${base}`), q, semi);
  if (!typing) return undefined;

  const workerName = `${base}.worker`;
  const workerFile = path.join(dir, workerName + ext);
  const runtimeName = workerName + jsExt;
  const moduleType = `typeof import(${str(specifier(`./${workerName}`))})`;

  // the worker function: its return type is inferred from its body
  const params = inputs.length ? `{ ${inputs.join(', ')} }: ${typing.paramType}` : '';
  const ret = outputs.length ? `${eol}  return { ${outputs.join(', ')} };` : '';
  const fnText = `export function ${exportName}(${params}) {${eol}${x.loopText}${ret}${eol}}${eol}`;
  const usePiscina = project.dependencies.includes('piscina');
  const otherFiles: FileChange[] = [];
  if (project.fileExists(workerFile)) {
    // its imports are unknown here: a type import could clash with one it has
    if (typing.typeImports.length > 0) return undefined;
    otherFiles.push({ fileName: workerFile, edits: [{ start: 0, end: 0, newText: `${fnText}${eol}` }] });
  } else {
    const header = [
      `// Functions run in worker threads, moved here by Loopguard from ${path.basename(fileName)}: they run off the event loop.`,
      usePiscina
        ? `// ${path.basename(fileName)} refers to this module by its compiled name, ${runtimeName}, or by this name when it runs from source.`
        : `// ${path.basename(fileName)} refers to this module by its compiled name, ${runtimeName}; its worker pool loads this file when that one does not exist.`,
      '',
      ...typing.typeImports,
      ...(typing.typeImports.length ? [''] : []),
    ];
    otherFiles.push({ fileName: workerFile, create: true, edits: [{ start: 0, end: 0, newText: header.join(eol) + eol + fnText }] });
  }

  const plan = newPlan();
  let dirRef: string;
  if (esm) dirRef = 'import.meta.url';
  else {
    const join = planner.refAt(site.lex, loopStart, { module: 'path', name: 'join' }, plan);
    if (join === undefined) return undefined;
    dirRef = join;
  }
  const data = inputs.length ? `{ ${inputs.join(', ')} }` : 'undefined';
  let call: string;
  if (usePiscina) {
    let piscina = piscinaBinding(sf);
    if (piscina === null) return undefined;
    // the named export: a default import of piscina's CommonJS typings is its module object under nodenext
    piscina ??= planner.refAt(site.lex, loopStart, { module: 'piscina', name: 'Piscina' }, plan);
    if (piscina === undefined) return undefined;
    const pool = `${camel(base)}Pool`;
    if (!new RegExp(`\\b(?:const|let|var)\\s+${pool}\\s*=\\s*new\\s+${piscina}\\b`).test(text)) {
      if (usesName(sf, pool)) return undefined;
      const filename = esm
        ? `new URL(import.meta.url.endsWith(${str(ext)}) ? ${str(`./${workerName}${ext}`)} : ${str(`./${runtimeName}`)}, import.meta.url).href`
        : `${dirRef}(__dirname, __filename.endsWith(${str(ext)}) ? ${str(workerName + ext)} : ${str(runtimeName)})`;
      plan.statements.push(`const ${pool} = new ${piscina}({ filename: ${filename} })${semi}`);
    }
    const run = `await ${pool}.run(${data}, { name: ${str(exportName)} })`;
    call = outputs.length ? `${run} as ReturnType<${moduleType}.${exportName}>` : run;
  } else {
    // the helper this file already imports (an earlier fix of it), wherever that is; else a new one
    const imported = helperImport(sf);
    const helperDir = imported === undefined ? tsHelperDir(project) : path.dirname(path.resolve(dir, imported));
    const helperFile = path.join(helperDir, HELPER_BASENAME + ext);
    if (imported === undefined) {
      if (usesName(sf, 'runInWorker')) return undefined;
      const spec = specifier(relativeSpecifier(dir, path.join(helperDir, HELPER_BASENAME)));
      plan.statements.push(`import { runInWorker } from ${str(spec)}${semi}`);
    }
    if (!project.fileExists(helperFile)) {
      otherFiles.push({ fileName: helperFile, create: true, edits: [{ start: 0, end: 0, newText: tsHelperSource(eol) }] });
    }
    const moduleRef = esm ? `new URL(${str(`./${runtimeName}`)}, ${dirRef}).href` : `${dirRef}(__dirname, ${str(runtimeName)})`;
    call = `await runInWorker<${moduleType}, ${str(exportName)}>(${moduleRef}, ${str(exportName)}, ${data})`;
  }

  const edits: TextEdit[] = planner.finish(plan);
  if (edits.some((e) => e.start > loopStart)) return undefined;
  edits.push({ start: loopStart, end: node.end, newText: replacementStatement(x, call) });
  return { title: `Move the loop into a worker thread (\`${exportName}\` in ${workerName}${ext})`, safe: false, edits, otherFiles };
}
