// "Run `helper()` in a worker thread": a call, in an async function, to a helper that is CPU-heavy (or
// blocks) — of another module or an export of this file — runs whole in a worker. The worker module next
// to the file (`<base>.worker.mjs` / `.cjs` / `.ts`, the loop extraction's module) gets an exported wrapper
// that loads the helper's module and calls the helper with the arguments:
//
//     export async function scoreInWorker(args) {
//       const { score } = await import('./kernel.mjs');
//       return score(...args);
//     }
//
// and the call becomes `await runInWorker(url, 'scoreInWorker', [req.n])` (or `await <pool>.run([…], { name })`
// with piscina). In JavaScript the wrapper loads the helper's module itself (a dynamic `import()`,
// `require` in CommonJS), so adding it to an existing worker module can clash with nothing there. The
// module is named with the calling file's own specifier: the worker module sits in the same directory, so
// it resolves the same way (relative paths, package exports, tsconfig paths). TypeScript gets the typed
// variant, as the loop extraction does: a static import (under tsx on Node 20 a worker's TypeScript is
// loaded through require hooks, which a dynamic `import()` would bypass) under a name the worker module
// does not use yet, `export function scoreInWorker(args: Parameters<typeof score>)`, and a call that names
// the worker module's type (`runInWorker<typeof import('./x.worker.js'), 'scoreInWorker'>`); an import of
// the calling file that only this call used is removed (tsc would elide it; noUnusedLocals would reject it).
// A worker module that exists already is read from disk: the same wrapper is reused, a clashing name
// gets a number.
//
// Refused: a call that is not a plain `helper(…)` / `ns.helper(…)` of an import or of a function the file
// exports (methods and other `this`-bound calls), spread or optional calls, type arguments, arguments that
// obviously do not survive a structured clone (functions, classes, `this`, `arguments`, class instances),
// a call where `await` is not legal (a sync callback), `.tsx` files, and — for a function of the file
// itself, which the worker then loads — a file whose top level does more than declare things (it would
// run again in the worker: a server would start twice). Always unsafe: the helper runs in a fresh
// instance of its module, in another thread; what it reads of module state is that instance's.

import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import type { FileChange, TextEdit } from '../../../engine/finding';
import type { Call } from '../../../engine/model';
import type { LineIndex } from '../../../engine/text';
import type { TsFileFacts } from '../../../frontends/typescript/facts';
import { SITE_AWAITED, SITE_AWAIT_ILLEGAL, SITE_NEEDS_PARENS, SITE_STATEMENT, type CallSite } from '../../../frontends/typescript/walker';
import type { HelperSource, SafetyRatedFix } from '../../fixer';
import { ImportPlanner, newPlan } from '../imports';
import { ensureParents, resolve, usesName } from './def-use';
import { HELPER_BASENAME, camel, piscinaBinding, relativeSpecifier } from './extraction';
import { topInsertion } from './index';
import { helperSource as jsPoolSource, tsHelperSource } from './pool-helper';
import { COMPILED, helperImport, isEsm, relativeConvention, tsHelperDir } from './typescript';

const SK = ts.SyntaxKind;
const JS_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);
const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);

/** Built-in classes whose instances a structured clone carries unchanged. */
const CLONEABLE_CLASSES = new Set([
  'Map', 'Set', 'Date', 'RegExp', 'Array', 'ArrayBuffer', 'DataView', 'Error', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray',
  'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
]);

/** What the wrapper imports and how it names the helper. */
interface Target {
  /** the module specifier, as the calling file writes it (or its own name) */
  specifier: string;
  /** the export: a name, `default`, or undefined for the CommonJS module itself (`module.exports = f`) */
  exportName: string | undefined;
  /** the wrapper's local name for the helper */
  local: string;
}

export function helperCallToWorker(facts: TsFileFacts, lines: LineIndex, site: CallSite, call: Call, source: HelperSource): SafetyRatedFix | undefined {
  const { sf, fileName, project } = facts;
  const ext = path.extname(fileName).toLowerCase();
  const isTs = TS_EXTENSIONS.has(ext) && !fileName.toLowerCase().endsWith(`.d${ext}`);
  if (!project || !path.isAbsolute(fileName) || (!JS_EXTENSIONS.has(ext) && !isTs)) return undefined;
  if (site.node.kind !== SK.CallExpression || call.awaited || facts.scopes[call.scope]?.kind !== 'async') return undefined;
  if ((site.flags & (SITE_AWAITED | SITE_AWAIT_ILLEGAL)) !== 0) return undefined;
  const node = site.node as ts.CallExpression;
  if ((node.flags & ts.NodeFlags.OptionalChain) !== 0 || node.typeArguments) return undefined;
  ensureParents(sf);
  if (!node.arguments.every(cloneable)) return undefined;
  const target = targetOf(facts, node, source, isTs);
  if (!target) return undefined;

  const esm = isTs ? isEsm(ext, project) : ext === '.mjs' || (ext === '.js' && project.moduleType === 'module');
  if (esm === undefined || (isTs && !esm && project.tsconfig?.verbatimModuleSyntax)) return undefined;
  const dir = path.dirname(fileName);
  const base = path.basename(fileName, path.extname(fileName));
  const eol = lines.eol;
  const workerExt = isTs ? ext : esm ? '.mjs' : '.cjs';
  const workerFile = path.join(dir, `${base}.worker${workerExt}`);
  // TypeScript refers to modules by their compiled names (see typescript.ts)
  const jsExt = isTs ? COMPILED[ext] : workerExt;
  let convention = isTs ? (relativeConvention(sf) ?? (esm ? 'js' : 'none')) : 'js';
  if (convention === 'none' && ext !== '.ts') convention = 'js';
  const tsSpecifier = (withoutExt: string): string => (convention === 'js' ? withoutExt + jsExt : convention === 'ts' ? withoutExt + ext : withoutExt);
  if (source.kind === 'self') target.specifier = isTs ? tsSpecifier(`./${base}`) : `./${path.basename(fileName)}`;

  const planner = new ImportPlanner(facts);
  const { quote: q, semi } = isTs ? planner.importStyle() : { quote: "'", semi: ';' };
  const str = (s: string): string => `${q}${s}${q}`;

  // the wrapper, and its name: a new one, or the same wrapper an earlier fix put there
  const existing = project.fileExists(workerFile) ? readText(workerFile) : undefined;
  if (project.fileExists(workerFile) && existing === undefined) return undefined;
  const free = (name: string) => !(existing !== undefined && new RegExp(`\\b${name.replace(/\$/g, '\\$')}\\b`).test(existing));
  // TypeScript: a static import (tsx on Node 20 loads a worker's TypeScript through require hooks, which
  // a dynamic import() would bypass) under a name the worker module does not use yet, or its own import
  let importLine: string | undefined;
  let local = target.local;
  if (isTs) {
    const importOf = (name: string): string => {
      const clause = target.exportName === 'default' ? name : target.exportName === name ? `{ ${name} }` : `{ ${target.exportName} as ${name} }`;
      return `import ${clause} from ${str(target.specifier)}${semi}`;
    };
    for (let k = 2; !(existing?.includes(importOf(local)) ?? false) && !free(local); k++) local = `${target.local}${k}`;
    importLine = importOf(local);
  }
  const wrapperText = (name: string): string => {
    let body: string[];
    if (isTs) body = [`export function ${name}(args: Parameters<typeof ${local}>) {`, `  return ${local}(...args)${semi}`, '}'];
    else {
      const binding = target.exportName === undefined
        ? (esm ? `{ default: ${local} }` : local)
        : target.exportName === local ? `{ ${local} }` : `{ ${target.exportName}: ${local} }`;
      const load = esm ? `await import(${str(target.specifier)})` : `require(${str(target.specifier)})`;
      body = [`${esm ? 'export ' : ''}async function ${name}(args) {`, `  const ${binding} = ${load}${semi}`, `  return ${local}(...args)${semi}`, '}'];
      if (!esm) body.push(`exports.${name} = ${name};`);
    }
    return body.join(eol) + eol;
  };
  const baseName = `${camel(target.local)}InWorker`;
  let wrapper = baseName;
  let reuse = false;
  for (let k = 2; ; k++) {
    if (existing !== undefined && existing.includes(wrapperText(wrapper)) && (importLine === undefined || existing.includes(importLine))) {
      reuse = true;
      break;
    }
    if (free(wrapper) && !usesName(sf, wrapper) && wrapper !== local) break;
    wrapper = `${baseName}${k}`;
  }

  const otherFiles: FileChange[] = [];
  const workerName = `${base}.worker`;
  const runtimeName = workerName + jsExt;
  if (existing === undefined) {
    const header = [
      `// Functions run in worker threads, moved here by Loopguard from ${path.basename(fileName)}: they run off the event loop.`,
      ...(isTs ? [`// ${path.basename(fileName)} refers to this module by its compiled name, ${runtimeName}; its worker pool loads this file when that one does not exist.`] : []),
      '',
      ...(importLine ? [importLine, ''] : []),
    ];
    otherFiles.push({ fileName: workerFile, create: true, edits: [{ start: 0, end: 0, newText: header.join(eol) + eol + wrapperText(wrapper) }] });
  } else if (!reuse) {
    // at the top: imports and function declarations hoist
    const imports = importLine && !existing.includes(importLine) ? `${importLine}${eol}` : '';
    otherFiles.push({ fileName: workerFile, edits: [{ start: 0, end: 0, newText: `${imports}${wrapperText(wrapper)}${eol}` }] });
  }

  const args = node.arguments.length === 0 ? '[]' : `[${facts.text.slice(node.arguments[0].getStart(sf), node.arguments[node.arguments.length - 1].end)}]`;
  const callStart = node.getStart(sf);
  const usePiscina = project.dependencies.includes('piscina');
  const plan = newPlan();
  const top: string[] = [];
  let dirRef = 'import.meta.url';
  if (isTs && !esm) {
    const join = planner.refAt(site.lex, callStart, { module: 'path', name: 'join' }, plan);
    if (join === undefined) return undefined;
    dirRef = join;
  }
  const moduleType = `typeof import(${str(isTs ? tsSpecifier(`./${workerName}`) : `./${runtimeName}`)})`;
  let replacement: string;
  if (usePiscina) {
    let piscina = piscinaBinding(sf);
    if (piscina === null) return undefined;
    if (piscina === undefined) {
      if (isTs) piscina = planner.refAt(site.lex, callStart, { module: 'piscina', name: 'Piscina' }, plan);
      else {
        if (usesName(sf, 'Piscina')) return undefined;
        top.push(esm ? `import Piscina from 'piscina';` : `const Piscina = require('piscina');`);
        piscina = 'Piscina';
      }
    }
    if (piscina === undefined) return undefined;
    const pool = `${camel(base)}Pool`;
    if (!new RegExp(`\\b(?:const|let|var)\\s+${pool}\\s*=\\s*new\\s+${piscina}\\b`).test(facts.text)) {
      if (usesName(sf, pool)) return undefined;
      const filename = isTs
        ? esm
          ? `new URL(import.meta.url.endsWith(${str(ext)}) ? ${str(`./${workerName}${ext}`)} : ${str(`./${runtimeName}`)}, import.meta.url).href`
          : `${dirRef}(__dirname, __filename.endsWith(${str(ext)}) ? ${str(workerName + ext)} : ${str(runtimeName)})`
        : esm
          ? `new URL('./${runtimeName}', import.meta.url).href`
          : `require('node:path').join(__dirname, '${runtimeName}')`;
      (isTs ? plan.statements : top).push(`const ${pool} = new ${piscina}({ filename: ${filename} })${semi}`);
    }
    const run = `await ${pool}.run(${args}, { name: ${str(wrapper)} })`;
    // piscina's result is `any`: name the helper's result type
    replacement = isTs && (site.flags & SITE_STATEMENT) === 0 ? `(${run} as Awaited<ReturnType<${moduleType}[${str(wrapper)}]>>)` : run;
  } else {
    const imported = isTs ? helperImport(sf) : undefined;
    const helperDir = !isTs ? project.root : imported === undefined ? tsHelperDir(project) : path.dirname(path.resolve(dir, imported));
    const helperFile = path.join(helperDir, HELPER_BASENAME + workerExt);
    if (isTs) {
      if (imported === undefined) {
        if (usesName(sf, 'runInWorker')) return undefined;
        plan.statements.push(`import { runInWorker } from ${str(tsSpecifier(relativeSpecifier(dir, path.join(helperDir, HELPER_BASENAME))))}${semi}`);
      }
    } else if (!facts.text.includes(`${HELPER_BASENAME}${workerExt}`)) {
      if (usesName(sf, 'runInWorker')) return undefined;
      const spec = relativeSpecifier(dir, helperFile);
      top.push(esm ? `import { runInWorker } from '${spec}';` : `const { runInWorker } = require('${spec}');`);
    }
    if (!project.fileExists(helperFile)) {
      otherFiles.push({ fileName: helperFile, create: true, edits: [{ start: 0, end: 0, newText: isTs ? tsHelperSource(eol) : jsPoolSource(esm, eol) }] });
    }
    const moduleRef = isTs
      ? esm ? `new URL(${str(`./${runtimeName}`)}, ${dirRef}).href` : `${dirRef}(__dirname, ${str(runtimeName)})`
      : esm ? `new URL('./${runtimeName}', import.meta.url).href` : `require('node:path').join(__dirname, '${runtimeName}')`;
    const typeArgs = isTs ? `<${moduleType}, ${str(wrapper)}>` : '';
    replacement = `await runInWorker${typeArgs}(${moduleRef}, ${str(wrapper)}, ${args})`;
  }
  if ((site.flags & SITE_NEEDS_PARENS) !== 0 && !replacement.startsWith('(')) replacement = `(${replacement})`;

  const edits: TextEdit[] = isTs ? planner.finish(plan) : [];
  if (top.length) edits.push(topInsertion({ facts, eol }, top.join(eol)));
  // TypeScript: an import only this call used would be unused (an error under noUnusedLocals); tsc
  // elides such an import anyway, so dropping it changes nothing at run time
  const dropped = isTs && source.kind === 'import' ? unusedImport(facts, node, source.imported.specifier, edits, eol) : undefined;
  if (dropped) edits.push(dropped);
  if (edits.some((e) => e.start > callStart)) return undefined;
  edits.push({ start: callStart, end: node.end, newText: replacement });
  const shown = facts.text.slice(node.expression.getStart(sf), node.expression.end);
  return { title: `Run \`${shown}()\` in a worker thread (\`${wrapper}\` in ${workerName}${workerExt})`, safe: false, edits, otherFiles };
}

/**
 * The edit that removes the import binding the call's callee reads (`score` of `import { score } from
 * './kernel.js'`), when the call is its only use; undefined otherwise. `others`: the fix's other edits;
 * one that inserts new imports right after the declaration is adjusted to take its line.
 */
function unusedImport(facts: TsFileFacts, node: ts.CallExpression, specifier: string, others: TextEdit[], eol: string): TextEdit | undefined {
  const { sf, text } = facts;
  const callee = node.expression;
  const root = callee.kind === SK.PropertyAccessExpression ? (callee as ts.PropertyAccessExpression).expression : callee;
  if (root.kind !== SK.Identifier) return undefined;
  const name = (root as ts.Identifier).text;
  let uses = 0;
  const count = (n: ts.Node): void => {
    if (n.kind === SK.Identifier && (n as ts.Identifier).text === name) uses++;
    else ts.forEachChild(n, count);
  };
  for (const s of sf.statements) {
    if (s.kind === SK.ImportDeclaration) {
      // the import's own binding is no use; a type-only import's names are not values
      continue;
    }
    count(s);
  }
  if (uses !== 1) return undefined;
  for (const s of sf.statements) {
    if (s.kind !== SK.ImportDeclaration) continue;
    const imp = s as ts.ImportDeclaration;
    const clause = imp.importClause;
    if (!clause || clause.isTypeOnly || !ts.isStringLiteral(imp.moduleSpecifier) || imp.moduleSpecifier.text !== specifier) continue;
    const nb = clause.namedBindings;
    const whole = (): TextEdit => {
      const start = imp.getStart(sf);
      // new imports inserted on a line of their own right after it take its place
      const after = others.find((e) => e.start === imp.end && e.end === imp.end);
      if (after?.newText.startsWith(eol)) {
        after.newText = after.newText.slice(eol.length);
        return { start, end: imp.end, newText: '' };
      }
      const lineBreak = text.startsWith(eol, imp.end) && !after ? eol.length : 0;
      return { start, end: imp.end + lineBreak, newText: '' };
    };
    if (clause.name?.text === name) {
      if (!nb) return whole();
      return { start: clause.name.getStart(sf), end: nb.getStart(sf), newText: '' };
    }
    if (nb?.kind === SK.NamespaceImport && nb.name.text === name) return clause.name ? undefined : whole();
    if (nb?.kind === SK.NamedImports) {
      const els = nb.elements;
      const i = els.findIndex((e) => e.name.text === name);
      if (i < 0) continue;
      if (els.length === 1) return clause.name ? { start: clause.name.end, end: nb.end, newText: '' } : whole();
      return i === 0 ? { start: els[0].getStart(sf), end: els[1].getStart(sf), newText: '' } : { start: els[i - 1].end, end: els[i].end, newText: '' };
    }
  }
  return undefined;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The module and export the wrapper loads, or undefined when the call is not a plain call of one. */
function targetOf(facts: TsFileFacts, node: ts.CallExpression, source: HelperSource, isTs: boolean): Target | undefined {
  const callee = node.expression;
  const written = callee.kind === SK.Identifier ? (callee as ts.Identifier).text : undefined;
  const localFor = (name: string | undefined): string => {
    const n = name !== undefined && name !== 'default' && IDENTIFIER.test(name) ? name : written;
    return n === undefined || n === 'args' ? 'helper' : n;
  };
  if (source.kind === 'self') {
    // the worker loads this very file: its top level must only declare things
    if (written === undefined || !inertModule(facts.sf)) return undefined;
    return { specifier: '', exportName: source.exportName, local: localFor(source.exportName) };
  }
  const { specifier, path: names } = source.imported;
  if (names.length > 1) return undefined;
  if (names.length === 0) {
    // `const go = require('./go'); go()`: the CommonJS module is the function
    if (isTs || written === undefined) return undefined;
    return { specifier, exportName: undefined, local: localFor(undefined) };
  }
  const name = names[0];
  if (callee.kind === SK.PropertyAccessExpression) {
    const pa = callee as ts.PropertyAccessExpression;
    if (pa.expression.kind !== SK.Identifier || pa.name.text !== name) return undefined;
  } else if (written === undefined) return undefined;
  return { specifier, exportName: name, local: localFor(name) };
}

/** An argument whose value obviously survives a structured clone (nothing in it is a function, class or `this`). */
function cloneable(arg: ts.Expression): boolean {
  let ok = true;
  const visit = (n: ts.Node): void => {
    if (!ok) return;
    switch (n.kind) {
      case SK.SpreadElement:
        if (n === arg) ok = false;
        break;
      case SK.ArrowFunction:
      case SK.FunctionExpression:
      case SK.ClassExpression:
      case SK.ThisKeyword:
      case SK.SuperKeyword:
      case SK.MethodDeclaration:
      case SK.GetAccessor:
      case SK.SetAccessor:
        ok = false;
        return;
      case SK.Identifier: {
        const id = n as ts.Identifier;
        if (id.text === 'arguments') ok = false;
        const d = resolve(id);
        if (d && (d.kind === 'function' || d.kind === 'class')) ok = false;
        return;
      }
      case SK.NewExpression: {
        const callee = (n as ts.NewExpression).expression;
        if (callee.kind !== SK.Identifier || !CLONEABLE_CLASSES.has((callee as ts.Identifier).text) || resolve(callee as ts.Identifier)) {
          ok = false;
          return;
        }
        break;
      }
      case SK.PropertyAccessExpression:
        // `a.b`: only the object is a value reference
        visit((n as ts.PropertyAccessExpression).expression);
        return;
      case SK.PropertyAssignment:
        visit((n as ts.PropertyAssignment).initializer);
        return;
    }
    ts.forEachChild(n, visit);
  };
  visit(arg);
  return ok;
}

/** A top level that only declares things (imports, functions, classes, types, constants): loading it runs nothing. */
function inertModule(sf: ts.SourceFile): boolean {
  return sf.statements.every((s) => {
    switch (s.kind) {
      case SK.ImportDeclaration:
      case SK.ExportDeclaration:
      case SK.ImportEqualsDeclaration:
      case SK.FunctionDeclaration:
      case SK.ClassDeclaration:
      case SK.InterfaceDeclaration:
      case SK.TypeAliasDeclaration:
      case SK.EnumDeclaration:
      case SK.ModuleDeclaration:
      case SK.EmptyStatement:
        return true;
      case SK.ExportAssignment:
        return inertExpression((s as ts.ExportAssignment).expression);
      case SK.VariableStatement:
        return (s as ts.VariableStatement).declarationList.declarations.every((d) => !d.initializer || inertExpression(d.initializer));
      case SK.ExpressionStatement: {
        const e = (s as ts.ExpressionStatement).expression;
        if (ts.isStringLiteral(e)) return true; // 'use strict'
        // `module.exports = …`, `exports.f = …`
        if (e.kind !== SK.BinaryExpression || (e as ts.BinaryExpression).operatorToken.kind !== SK.EqualsToken) return false;
        const { left, right } = e as ts.BinaryExpression;
        return /^(?:module\.)?exports\b/.test(left.getText(sf)) && inertExpression(right);
      }
      default:
        return false;
    }
  });
}

function inertExpression(e: ts.Expression): boolean {
  switch (e.kind) {
    case SK.NumericLiteral:
    case SK.BigIntLiteral:
    case SK.StringLiteral:
    case SK.NoSubstitutionTemplateLiteral:
    case SK.RegularExpressionLiteral:
    case SK.TrueKeyword:
    case SK.FalseKeyword:
    case SK.NullKeyword:
    case SK.Identifier:
    case SK.ArrowFunction:
    case SK.FunctionExpression:
    case SK.ClassExpression:
      return true;
    case SK.ParenthesizedExpression:
    case SK.AsExpression:
    case SK.SatisfiesExpression:
    case SK.NonNullExpression:
      return inertExpression((e as ts.ParenthesizedExpression).expression);
    case SK.PrefixUnaryExpression:
      return inertExpression((e as ts.PrefixUnaryExpression).operand);
    case SK.BinaryExpression:
      return inertExpression((e as ts.BinaryExpression).left) && inertExpression((e as ts.BinaryExpression).right);
    case SK.PropertyAccessExpression:
      return inertExpression((e as ts.PropertyAccessExpression).expression);
    case SK.TemplateExpression:
      return (e as ts.TemplateExpression).templateSpans.every((span) => inertExpression(span.expression));
    case SK.ArrayLiteralExpression:
      return (e as ts.ArrayLiteralExpression).elements.every((el) => (el.kind === SK.SpreadElement ? inertExpression((el as ts.SpreadElement).expression) : inertExpression(el)));
    case SK.ObjectLiteralExpression:
      return (e as ts.ObjectLiteralExpression).properties.every((p) =>
        p.kind === SK.PropertyAssignment ? inertExpression(p.initializer) : p.kind !== SK.SpreadAssignment || inertExpression(p.expression),
      );
    case SK.CallExpression: {
      // `require('x')`: loading a module is what an import does too
      const c = e as ts.CallExpression;
      return c.expression.kind === SK.Identifier && (c.expression as ts.Identifier).text === 'require' && c.arguments.length === 1 && ts.isStringLiteral(c.arguments[0]);
    }
    case SK.NewExpression: {
      const n = e as ts.NewExpression;
      return n.expression.kind === SK.Identifier && CLONEABLE_CLASSES.has((n.expression as ts.Identifier).text) && (n.arguments ?? []).every(inertExpression);
    }
    default:
      return false;
  }
}
