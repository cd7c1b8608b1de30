// "Make the chain async": the multi-file fix for a call, on the event loop, to a helper that blocks
// through a short chain of plain functions of the workspace (blocking-call-in-async's viaHelper
// finding). Every function of the chain becomes async, the blocking call at its end becomes its awaited
// twin (the per-file fixer's own `build()`, imports included), and every call of a converted function
// in the workspace gets `await`. Language-neutral: what a conversion looks like in one language is a
// ChainLanguage (fixes/python/chain-async.ts, fixes/typescript/chain-async.ts).
//
// The fix is never safe (callers now get a coroutine/promise; timing and exceptions move), and it is
// offered only when we can see every use of every converted function. It is refused when:
// - the chain is longer than MAX_CHAIN functions, leaves the workspace, or ends in an API without an
//   `await-twin` fix in the catalogue;
// - a converted function is not a plain function (a generator, a constructor, a property, decorated,
//   anonymous) — the language helper decides;
// - a converted function's name appears anywhere in the workspace where it is not its definition, an
//   import, or a call that resolves to it: a use as a value (a callback, `to_thread(f)`, a dict of
//   handlers), a same-named method on another object, a mention in a string — conservative on purpose:
//   a converted function we cannot see every use of would silently start returning a coroutine;
// - the function is part of a package's public interface (the language helper says which files make it
//   public — Python: a package's `__init__.py` defines or imports it; JS/TS: a non-private package's
//   package.json entry points define or re-export it): callers outside the workspace
//   cannot be seen;
// - a call site is in a function that is neither async nor in the chain (converting it too would
//   grow the chain without bound), at module level, or where `await` is not legal (a lambda, a
//   generator expression, a default argument, a class body);
// - the analysed text is not the workspace's copy of the file (call sites were found in that copy).

import type { EcosystemCatalogue, FixSpec } from '../engine/catalogue';
import { applyEdits, type FileChange, type Fix, type TextEdit } from '../engine/finding';
import type { Call, FunctionScope, LanguageFamily, SourceModel, Span } from '../engine/model';
import { LineIndex } from '../engine/text';
import type { Evidence, Location } from '../engine/workspace/types';
import type { ParsedSource } from '../frontends/frontend';
import { blockingApiOf } from '../rules/blocking-apis';
import { pythonChainLanguage } from './python/chain-async';
import { typescriptChainLanguage } from './typescript/chain-async';

/** Longest chain converted, in functions (the helper called plus the helpers it calls on the way). */
export const MAX_CHAIN = 3;

/** What the driver needs from the project: the workspace's files, a parser, and call resolution. */
export interface ChainProject {
  catalogue: EcosystemCatalogue;
  /** the workspace's files of the analysed file's language family */
  fileNames(): readonly string[];
  readFile(fileName: string): string | undefined;
  /** parses a text as the named file; undefined when no front end takes it */
  parse(fileName: string, text: string): ParsedSource | undefined;
  /** the node key (`file#scope`) of the function a call reaches, or undefined */
  resolve(fileName: string, call: Call): string | undefined;
  /** the workspace's recorded synchronous calls of a function (workspace.callSitesOf) */
  callSitesOf(key: string): ReadonlyArray<{ location: Location }>;
}

/** How one language writes the conversion. Edits are offsets into the model's text. */
export interface ChainLanguage {
  /** the edits that make `scope` async, or undefined when it cannot be converted */
  makeAsync(model: SourceModel, scope: FunctionScope): TextEdit[] | undefined;
  /** the edits that await `call` (in a model where its caller is already async), or undefined when `await` is illegal there */
  awaitCall(model: SourceModel, call: Call): TextEdit[] | undefined;
  /** the import statements of a file (and, in JS/TS, exports by name): a name mentioned in one is accounted for */
  importSpans(text: string, fileName: string): Span[];
  /** the comments of a file (SourceModel.comments holds only directives) */
  commentSpans(text: string, fileName: string): Span[];
  /** a file whose definitions and imports are a package's public interface */
  isPublicInterface(fileName: string): boolean;
}

/** The languages the fix is written for: one helper per family. */
export function chainLanguage(family: LanguageFamily): ChainLanguage | undefined {
  return family === 'python' ? pythonChainLanguage : family === 'javascript' ? typescriptChainLanguage : undefined;
}

interface ChainFunction {
  key: string;
  fileName: string;
  scope: FunctionScope;
  /** the name call sites write: the last part of `Class.method` */
  name: string;
}

function splitKey(key: string): { fileName: string; scope: number } {
  const i = key.lastIndexOf('#');
  return { fileName: key.slice(0, i), scope: Number(key.slice(i + 1)) };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function within(span: Span, offset: number): boolean {
  return span.start <= offset && offset < span.end;
}

/** Maps an offset of the text after `inserted` (sorted, pure insertions) back to the text before. */
function mapBack(inserted: readonly TextEdit[], offset: number): number | undefined {
  let delta = 0;
  for (const e of inserted) {
    const at = e.start + delta;
    if (offset <= at) break;
    if (offset < at + e.newText.length) return undefined; // inside inserted text
    delta += e.newText.length - (e.end - e.start);
  }
  return offset - delta;
}

/** Maps an offset of the text before `inserted` (sorted, pure insertions) to the text after. */
function mapForward(inserted: readonly TextEdit[], offset: number): number {
  let delta = 0;
  for (const e of inserted) {
    if (e.start > offset) break;
    delta += e.newText.length;
  }
  return offset + delta;
}

/**
 * The "make the chain async" fix for `call` (in `model`, the analysed file) to the function `calleeKey`
 * whose summary blocks with `evidence`, or undefined when it is refused (see the header).
 */
export function buildChainFix(
  project: ChainProject,
  language: ChainLanguage,
  model: SourceModel,
  call: Call,
  calleeKey: string,
  evidence: Evidence,
): Fix | undefined {
  if (evidence.hops.length > MAX_CHAIN) return undefined;
  // before parsing anything: the API at the end must have an awaited twin (its label is its name)
  const api = evidence.hops[evidence.hops.length - 1].label;
  const entry = project.catalogue.lookup(api) ?? project.catalogue.lookup(`builtins.${api}`);
  if (!entry?.fixes?.some((f) => f.kind === 'await-twin')) return undefined;
  if (project.readFile(model.fileName) !== model.text) return undefined;
  const parsed = new Map<string, ParsedSource | null>();
  const modelOf = (fileName: string): SourceModel | undefined => {
    if (fileName === model.fileName) return model;
    let p = parsed.get(fileName);
    if (p === undefined) {
      const text = project.readFile(fileName);
      p = (text !== undefined && project.parse(fileName, text)) || null;
      parsed.set(fileName, p);
    }
    return p?.model;
  };
  const scratch: ParsedSource[] = [];
  try {
    return build(project, language, model, call, calleeKey, evidence, modelOf, (fileName, text) => {
      const p = project.parse(fileName, text);
      if (p) scratch.push(p);
      return p?.model;
    });
  } finally {
    for (const p of parsed.values()) p?.dispose();
    for (const p of scratch) p.dispose();
  }
}

function callAt(model: SourceModel, lines: LineIndex, location: Location): Call | undefined {
  const start = lines.offset(location.start);
  const end = lines.offset(location.end);
  // `f(x).g()`: both calls' callees start at `f`; the location spans the callee it is about
  return model.calls.find((c) => c.calleeSpan.start === start && c.calleeSpan.end === end) ?? model.calls.find((c) => c.calleeSpan.start === start);
}

function build(
  project: ChainProject,
  language: ChainLanguage,
  analysed: SourceModel,
  call: Call,
  calleeKey: string,
  evidence: Evidence,
  modelOf: (fileName: string) => SourceModel | undefined,
  parseText: (fileName: string, text: string) => SourceModel | undefined,
): Fix | undefined {
  // 1. the chain's functions, by following each hop's call to the function it resolves to
  const chain: ChainFunction[] = [];
  let key: string | undefined = calleeKey;
  let spec: FixSpec | undefined;
  let blocking: { fileName: string; call: Call } | undefined;
  for (let i = 0; i < evidence.hops.length; i++) {
    if (key === undefined || chain.some((f) => f.key === key)) return undefined;
    const { fileName, scope: scopeId } = splitKey(key);
    const model = modelOf(fileName);
    const scope = model?.scopes[scopeId];
    if (!model || !scope || scope.kind !== 'sync' || !scope.name) return undefined;
    chain.push({ key, fileName, scope, name: scope.name.slice(scope.name.lastIndexOf('.') + 1) });
    const hopCall = callAt(model, new LineIndex(model.text), evidence.hops[i].location);
    if (!hopCall) return undefined;
    if (i < evidence.hops.length - 1) {
      key = project.resolve(fileName, hopCall);
      continue;
    }
    const api = blockingApiOf(model, project.catalogue, hopCall);
    spec = api?.fixes?.find((f) => f.kind === 'await-twin');
    blocking = { fileName, call: hopCall };
  }
  if (!spec || !blocking) return undefined;
  const keys = new Set(chain.map((f) => f.key));

  // 2. every mention of a converted function's name in the workspace is a definition, an import or a call to it
  const words = new RegExp(`\\b(?:${[...new Set(chain.map((f) => f.name))].map(escapeRegExp).join('|')})\\b`, 'g');
  const sites = new Map<string, Call[]>();
  for (const fileName of project.fileNames()) {
    const text = project.readFile(fileName);
    if (text === undefined) continue;
    words.lastIndex = 0;
    if (!words.test(text)) continue;
    const model = modelOf(fileName);
    if (!model) return undefined;
    const imports = language.importSpans(text, fileName);
    const comments = language.commentSpans(text, fileName);
    const definitions = chain.filter((f) => f.fileName === fileName).map((f) => f.scope.headSpan);
    if (definitions.length > 0 && language.isPublicInterface(fileName)) return undefined;
    const calls: Call[] = [];
    words.lastIndex = 0;
    for (let m = words.exec(text); m; m = words.exec(text)) {
      const at = m.index;
      if (comments.some((c) => within(c, at))) continue;
      if (definitions.some((d) => within(d, at))) continue;
      if (imports.some((s) => within(s, at))) {
        if (language.isPublicInterface(fileName)) return undefined;
        continue;
      }
      // the call whose callee ends with the name: in `f(x).g()` the name is in `g`'s callee too
      const c = model.calls.find((x) => within(x.calleeSpan, at) && x.calleeSpan.end === at + m[0].length);
      if (!c) return undefined; // used as a value, or a name we cannot tell apart
      const target = project.resolve(fileName, c);
      if (target === undefined) return undefined; // perhaps ours through a path we cannot follow
      if (!keys.has(target)) continue; // another function of the same name
      if (!calls.includes(c)) calls.push(c);
    }
    if (calls.length > 0) sites.set(fileName, calls);
  }
  // the workspace's own record of the calls must all have been found
  for (const f of chain) {
    for (const site of project.callSitesOf(f.key)) {
      const model = modelOf(site.location.fileName);
      const found = model && callAt(model, new LineIndex(model.text), site.location);
      if (!found || !sites.get(site.location.fileName)?.includes(found)) return undefined;
    }
  }
  if (!sites.get(analysed.fileName)?.some((c) => c.calleeSpan.start === call.calleeSpan.start)) return undefined;

  // 3. each call site may await: its function is async or converted, and the call not already awaited
  for (const [fileName, calls] of sites) {
    const model = modelOf(fileName);
    if (!model) return undefined;
    for (const c of calls) {
      const scope = model.scopes[c.scope];
      if (c.awaited || !scope) return undefined;
      const converted = chain.some((f) => f.fileName === fileName && f.scope.id === scope.id);
      if (scope.kind !== 'async' && !converted) return undefined;
    }
  }

  // 4. per file: make the chain's functions async, re-parse, await the calls and replace the blocking call
  const files = new Set([...sites.keys(), ...chain.map((f) => f.fileName)]);
  const changes: FileChange[] = [];
  for (const fileName of files) {
    const model = modelOf(fileName);
    if (!model) return undefined;
    const asyncEdits: TextEdit[] = [];
    for (const f of chain) {
      if (f.fileName !== fileName) continue;
      const edits = language.makeAsync(model, f.scope);
      if (!edits) return undefined;
      asyncEdits.push(...edits);
    }
    asyncEdits.sort((a, b) => a.start - b.start);
    if (asyncEdits.some((e) => e.end !== e.start)) return undefined; // only insertions map back simply
    const converted = parseText(fileName, applyEdits(model.text, asyncEdits));
    if (!converted) return undefined;
    const at = (c: Call) => {
      const start = mapForward(asyncEdits, c.calleeSpan.start);
      const end = mapForward(asyncEdits, c.calleeSpan.end);
      return converted.calls.find((x) => x.calleeSpan.start === start && x.calleeSpan.end === end);
    };
    const later: TextEdit[] = [];
    for (const c of sites.get(fileName) ?? []) {
      const moved = at(c);
      const edits = moved && language.awaitCall(converted, moved);
      if (!edits) return undefined;
      later.push(...edits);
    }
    if (blocking?.fileName === fileName) {
      const moved = at(blocking.call);
      const built = moved && converted.fixer.build(moved, spec);
      if (!built) return undefined;
      later.push(...built.edits);
    }
    const edits: TextEdit[] = [];
    for (const e of later) {
      const start = mapBack(asyncEdits, e.start);
      const end = mapBack(asyncEdits, e.end);
      if (start === undefined || end === undefined) return undefined;
      edits.push({ start, end, newText: e.newText });
    }
    // an import added at the very top goes before an `async` inserted at the same offset
    edits.push(...asyncEdits);
    let after: string;
    try {
      after = applyEdits(model.text, edits);
    } catch {
      return undefined;
    }
    const check = parseText(fileName, after);
    if (!check || check.syntaxProblems.length > model.syntaxProblems.length) return undefined;
    changes.push({ fileName, edits });
  }
  const own = changes.find((c) => c.fileName === analysed.fileName);
  const others = changes.filter((c) => c !== own);
  const names = chain.map((f) => f.name).join('` → `');
  const count = changes.length;
  return {
    title: `Make \`${names}\` async (${count} file${count === 1 ? '' : 's'})`,
    safe: false,
    edits: own?.edits ?? [],
    ...(others.length > 0 ? { otherFiles: others } : {}),
  };
}
