// The project model: every TS/JS/Python file of a workspace reduced to its facts (facts.ts), imports
// resolved to files (the per-family ModuleResolvers), and the function summaries over the whole call
// graph (summaries.ts). The CLI builds one over the disk; the language server over the disk with its
// open documents overlaid (WorkspaceHost.readFile).
//
// API, for the CLI and the language server:
//   const ws = new Workspace({ host, roots, engine, configFor, resolvers });
//   await ws.scan(files?, onProgress?)   // files: default listWorkspaceFiles(roots) (files.ts)
//   ws.update(fileName, text | undefined, facts?) → Set<string>   // an edit, a new file, a deleted file (undefined)
//   engine.analyse(input, config, rules, ws, onFacts?)    // rules ask ws.callee() for calls to helpers
//   ws.recording()                 → a view of ws that records what an analysis asks, to check it later
//
// One parse per file: `update` and `scan` take facts computed elsewhere from the same text (Engine.analyse's
// onFacts), so the language server and the CLI need not parse a file once for the model and once for
// the rules.
//   ws.callee(fileName, call)      → CalleeSummary | undefined   // what a call site reaches
//   ws.summaryAt(fileName, position) → the function defined there and its summary (hover)
//   ws.dependents(fileName)        → files with calls resolved into this one
//
// `update` returns the files whose findings may change: the file itself, and the files whose calls
// now reach a different function or a function whose summary changed (transitively, since a summary
// change is followed up the whole graph). An edit that leaves the file's facts as they were (a
// comment, a body change that blocks as before) returns only the file itself.
//
// An update costs the edited file's parse plus what the edit can reach, not the workspace: the edges
// are resolved again only for the file itself and, when its exports changed, for the files whose
// imports were resolved through it (`consultedBy`); the summaries are updated incrementally
// (SummaryGraph) from the functions whose node changed. A file that appears or disappears can change
// what any import resolves to: then every file's edges are resolved again (still no full solve).
//
// Memory: per file only its facts (functions, evidence, edges with positions, exports) — never the
// text, the tree or the model; facts are recomputed only when the content hash changes.

import { hash } from 'node:crypto';
import * as fs from 'node:fs';
import type { AnalysisConfig } from '../config';
import type { Engine } from '../engine';
import type { Call, ImportedName } from '../model';
import { factsKey, functionFacts, type FileFacts, type FunctionFacts } from './facts';
import { listWorkspaceFiles } from './files';
import { createJsResolver } from './resolve-js';
import { createPythonResolver } from './resolve-python';
import { asCalled, sameNode, SummaryGraph, type SolvedSummary, type SummaryNode } from './summaries';
import type { CalleeSummary, Location, ModuleResolver, Position, WorkspaceHost } from './types';

/**
 * The questions an analysis may ask a workspace (recording()). Anything else it reads — the constructor's
 * options, private state — the view passes through unrecorded; a new public query belongs here.
 */
export const QUERIES: ReadonlySet<string> = new Set(['fileNames', 'has', 'callee', 'calleeSummary', 'summary', 'summaryAt', 'functions', 'dependents', 'resolveImport', 'readFile', 'callSitesOf']);

/**
 * An answer as text, for recording(): sets sorted, undefined distinct from every value — except an
 * empty object, which only summary() returns and which tells a caller what undefined does (no evidence).
 */
export function answerText(value: unknown): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Set) && Object.keys(value).length === 0) return '(undefined)';
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof Set ? [...(v as Set<unknown>)].sort() : v)) ?? '(undefined)';
}

/**
 * A view of `workspace` that hands every query asked through it (QUERIES: method name, arguments, answer)
 * to `onQuery` before returning the answer, with a way to ask the same again later. Everything else passes
 * through unrecorded.
 * Workspace.recording() and the CLI's worker threads (cli/parallel.ts) record what an analysis asked with it.
 */
export function queryView(
  workspace: Workspace,
  onQuery: (method: string, args: unknown[], answer: unknown, askAgain: () => unknown) => void,
): Workspace {
  return new Proxy(workspace, {
    get: (target, prop, receiver) => {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || !QUERIES.has(prop)) return value;
      const method = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        const answer = method.apply(target, args);
        onQuery(prop, args, answer, () => method.apply(target, args));
        return answer;
      };
    },
  });
}

/** How deep re-exports (`export { f } from './x'`, `export * from`) are followed. */
export const MAX_REEXPORT_DEPTH = 8;

export interface WorkspaceOptions {
  host: WorkspaceHost;
  /** absolute paths of the workspace folders */
  roots: readonly string[];
  engine: Engine;
  /** the analysis configuration of a file (catalogue, options), or undefined when it is excluded */
  configFor: (fileName: string) => AnalysisConfig | undefined;
  /** default: the JS/TS and Python resolvers over `host` and `roots` (createResolvers) */
  resolvers?: readonly InvalidatingResolver[];
}

/** A resolver that caches what it found on disk, and can be told to forget it. */
export type InvalidatingResolver = ModuleResolver & { invalidate?(fileName?: string): void };

/** The two languages' resolvers over one host. */
export function createResolvers(host: WorkspaceHost, roots: readonly string[]): InvalidatingResolver[] {
  return [createJsResolver(host, roots), createPythonResolver(host, roots)];
}

/** The disk, with some files' texts replaced (the CLI's --stdin-filename; tests). */
export function diskHost(overlay: ReadonlyMap<string, string> = new Map()): WorkspaceHost {
  const stat = (f: string) => {
    try {
      // most probes of module resolution miss: an exception per miss cost more than the stat itself
      return fs.statSync(f, { throwIfNoEntry: false });
    } catch {
      return undefined;
    }
  };
  return {
    readFile(fileName) {
      const over = overlay.get(fileName);
      if (over !== undefined) return over;
      try {
        return fs.readFileSync(fileName, 'utf8');
      } catch {
        return undefined;
      }
    },
    fileExists: (f) => overlay.has(f) || stat(f)?.isFile() === true,
    directoryExists: (f) => stat(f)?.isDirectory() === true,
  };
}

interface FileEntry {
  hash: string;
  facts: FileFacts;
}

export function nodeKey(fileName: string, scope: number): string {
  return `${fileName}#${scope}`;
}

function splitKey(key: string): { fileName: string; scope: number } {
  const i = key.lastIndexOf('#');
  return { fileName: key.slice(0, i), scope: Number(key.slice(i + 1)) };
}

function hashOf(text: string): string {
  return hash('sha1', text, 'base64');
}

export class Workspace {
  private readonly files = new Map<string, FileEntry>();
  private graph = new SummaryGraph();
  /** resolver answers per importing file: `specifier\0path` → file and rest of the path */
  private readonly resolved = new Map<string, Map<string, { fileName: string; path: readonly string[] } | null>>();
  /** per file, the node keys its edges resolve to (in edge order), for dependents and change detection */
  private edgeTargets = new Map<string, string[]>();
  /** per file, the files whose exports resolving its edges read (the import targets, re-exports on the way) */
  private consulted = new Map<string, ReadonlySet<string>>();
  /** the reverse: per file, the files whose edges' resolution read its exports */
  private consultedBy = new Map<string, Set<string>>();
  /** while one file's edges are resolved: the files resolveImport reads */
  private tracking: Set<string> | undefined;
  private readonly resolvers: ReadonlyMap<string, InvalidatingResolver>;

  constructor(private readonly options: WorkspaceOptions) {
    const resolvers = options.resolvers ?? createResolvers(options.host, options.roots);
    this.resolvers = new Map(resolvers.map((r) => [r.family, r]));
  }

  get roots(): readonly string[] {
    return this.options.roots;
  }

  /** The files the workspace knows, in no particular order. */
  fileNames(): string[] {
    return [...this.files.keys()];
  }

  has(fileName: string): boolean {
    return this.files.has(fileName);
  }

  /**
   * Reads and summarises `files` (default: the workspace's files, files.ts). Gives the event loop a
   * turn every few files so a language server stays responsive; `onProgress(done, total)` after each.
   */
  async scan(
    files?: readonly string[],
    onProgress?: (done: number, total: number) => void,
    /** a file's facts from its text (default: Engine.facts), e.g. from an analysis that parses it anyway */
    factsOf?: (fileName: string, text: string, config: AnalysisConfig) => FileFacts | undefined,
  ): Promise<void> {
    const list = files ?? listWorkspaceFiles(this.options.roots, (f) => this.options.engine.supports(f));
    let done = 0;
    for (const file of list) {
      const text = this.options.host.readFile(file);
      this.load(file, text, factsOf && text !== undefined ? (config) => factsOf(file, text, config) : undefined);
      done++;
      onProgress?.(done, list.length);
      if (done % 50 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.resolved.clear();
    this.recompute();
  }

  /**
   * A file's new text (an edit, a created file) or undefined (deleted). Returns the files whose
   * findings may change, the file itself included. `facts`: the facts of `text` when the caller has
   * them (Engine.analyse's onFacts), so it is not parsed again.
   */
  update(fileName: string, text: string | undefined, facts?: FileFacts): Set<string> {
    const affected = new Set<string>([fileName]);
    const before = this.files.get(fileName);
    if (text !== undefined && before && before.hash === hashOf(text)) return affected;
    const oldKey = before ? factsKey(before.facts) : undefined;
    this.load(fileName, text, facts && (() => facts));
    const after = this.files.get(fileName);
    const newKey = after ? factsKey(after.facts) : undefined;
    if (oldKey === newKey) return affected;
    // a file that appears or disappears can change what any import resolves to
    if ((before === undefined) !== (after === undefined)) {
      for (const r of this.resolvers.values()) r.invalidate?.(fileName);
      this.resolved.clear();
    }
    // the files whose edges may now resolve differently
    const again = new Set<string>();
    if ((before === undefined) !== (after === undefined)) for (const f of this.files.keys()) again.add(f);
    else if (before && after && JSON.stringify(before.facts.exports) !== JSON.stringify(after.facts.exports)) {
      for (const f of this.consultedBy.get(fileName) ?? []) again.add(f);
    }
    again.delete(fileName);
    const removed: string[] = [];
    const upserted: SummaryNode[] = [];
    const newKeys = new Set<string>();
    if (after) {
      const { nodes, targets, consulted } = this.nodesOf(fileName, after.facts);
      for (const n of nodes) {
        newKeys.add(n.key);
        const old = this.graph.node(n.key);
        if (!old || !sameNode(old, n)) upserted.push(n);
      }
      this.setResolution(fileName, targets, consulted);
    } else this.setResolution(fileName, undefined, undefined);
    for (const fn of before?.facts.functions ?? []) {
      const key = nodeKey(fileName, fn.scope);
      if (!newKeys.has(key)) removed.push(key);
    }
    for (const file of again) {
      const facts = this.files.get(file)?.facts;
      if (!facts) continue;
      const { nodes, targets, consulted } = this.nodesOf(file, facts);
      const old = this.edgeTargets.get(file);
      if (!old || old.length !== targets.length || old.some((t, i) => t !== targets[i])) {
        affected.add(file);
        for (const n of nodes) {
          const known = this.graph.node(n.key);
          if (!known || !sameNode(known, n)) upserted.push(n);
        }
      }
      this.setResolution(file, targets, consulted);
    }
    for (const key of this.graph.update(removed, upserted)) {
      for (const caller of this.graph.callersOf(key)) affected.add(splitKey(caller).fileName);
    }
    return affected;
  }

  /**
   * A view of this workspace for one analysis that records every question asked through it (and the
   * answer), and `unchanged()`, which tells whether the workspace would answer them all the same now.
   * The CLI analyses a file during the scan, before the other files are known, and keeps the result
   * when nothing the analysis asked came out different once the scan is complete.
   */
  recording(): { workspace: Workspace; unchanged: () => boolean } {
    const checks: Array<() => boolean> = [];
    const view = queryView(this, (_method, _args, answer, askAgain) => {
      const text = answerText(answer);
      checks.push(() => answerText(askAgain()) === text);
    });
    return { workspace: view, unchanged: () => checks.every((check) => check()) };
  }

  /**
   * What the call reaches: a function of the same file (Call.target) or a resolved import. A generator's
   * evidence only when the call iterates it there (Call.iterated): otherwise the call runs none of it.
   */
  callee(fileName: string, call: Pick<Call, 'target' | 'imported' | 'iterated'>): (CalleeSummary & SolvedSummary) | undefined {
    let key: string | undefined;
    if (call.target !== undefined) key = nodeKey(fileName, call.target);
    else if (call.imported) key = this.resolveImport(fileName, call.imported);
    const summary = key === undefined ? undefined : this.calleeSummary(key);
    return summary && asCalled(summary, call.iterated);
  }

  /** The summary of a node, with the callee's name and definition. */
  calleeSummary(key: string): (CalleeSummary & SolvedSummary) | undefined {
    const fn = this.functionOf(key);
    if (!fn) return undefined;
    return { ...this.graph.get(key), name: fn.name ?? '(anonymous)', definition: fn.definition };
  }

  /** The summary of a node as solved over the workspace (empty for functions that do not propagate). */
  summary(key: string): SolvedSummary | undefined {
    return this.graph.get(key);
  }

  /** The function whose name (definition) is at `position`, with its summary: what a hover shows. */
  summaryAt(fileName: string, position: Position): CalleeSummary | undefined {
    const facts = this.files.get(fileName)?.facts;
    if (!facts) return undefined;
    const before = (a: Position, b: Position) => a.line < b.line || (a.line === b.line && a.character <= b.character);
    const fn = facts.functions.find((f) => before(f.definition.start, position) && before(position, f.definition.end));
    return fn && this.calleeSummary(nodeKey(fileName, fn.scope));
  }

  /** The functions of a file, as facts (for hover and the LSP's own bookkeeping). */
  functions(fileName: string): readonly FunctionFacts[] {
    return this.files.get(fileName)?.facts.functions ?? [];
  }

  /** Files with at least one call resolved into `fileName`. */
  dependents(fileName: string): Set<string> {
    const out = new Set<string>();
    const prefix = `${fileName}#`;
    for (const [file, targets] of this.edgeTargets) {
      if (file !== fileName && targets.some((t) => t.startsWith(prefix) && !t.slice(prefix.length).includes('#'))) out.add(file);
    }
    return out;
  }

  /**
   * The node an imported name reaches: the resolver finds the file, then the file's exports lead to a
   * function, following re-exports up to MAX_REEXPORT_DEPTH. Undefined when any step fails.
   */
  resolveImport(fromFile: string, imported: ImportedName, depth = 0): string | undefined {
    if (depth > MAX_REEXPORT_DEPTH) return undefined;
    const target = this.resolveModule(fromFile, imported);
    if (!target) return undefined;
    this.tracking?.add(target.fileName);
    const facts = this.files.get(target.fileName)?.facts;
    if (!facts) return undefined;
    const [name = 'default', ...rest] = target.path;
    for (const exp of facts.exports) {
      if (exp.name !== name) continue;
      if (exp.from) return this.resolveImport(target.fileName, { specifier: exp.from.specifier, path: [...exp.from.path, ...rest] }, depth + 1);
      if (exp.scope !== undefined && rest.length === 0) return nodeKey(target.fileName, exp.scope);
      return undefined;
    }
    // `export * from './x'`: the name may come from any of them (`default` never does)
    if (name === 'default') return undefined;
    for (const exp of facts.exports) {
      if (exp.name !== '*' || !exp.from) continue;
      const found = this.resolveImport(target.fileName, { specifier: exp.from.specifier, path: [...target.path] }, depth + 1);
      if (found) return found;
    }
    return undefined;
  }

  private resolveModule(fromFile: string, imported: ImportedName): { fileName: string; path: readonly string[] } | undefined {
    // a file the workspace has not loaded (an untitled buffer, stdin) still resolves by its extension
    const family = this.files.get(fromFile)?.facts.family ?? (/\.(py|pyi|ipynb)$/i.test(fromFile) ? 'python' : 'javascript');
    const resolver = this.resolvers.get(family);
    if (!resolver) return undefined;
    let cache = this.resolved.get(fromFile);
    if (!cache) this.resolved.set(fromFile, (cache = new Map()));
    const key = `${imported.specifier}\0${imported.path.join('\0')}`;
    let hit = cache.get(key);
    if (hit === undefined) {
      hit = resolver.resolve(imported.specifier, imported.path, fromFile) ?? null;
      cache.set(key, hit);
    }
    return hit ?? undefined;
  }

  private functionOf(key: string): FunctionFacts | undefined {
    const { fileName, scope } = splitKey(key);
    const facts = this.files.get(fileName)?.facts;
    return facts && functionFacts(facts, scope);
  }

  private load(fileName: string, text: string | undefined, factsOf?: (config: AnalysisConfig) => FileFacts | undefined): void {
    if (text === undefined) {
      this.files.delete(fileName);
      this.resolved.delete(fileName);
      return;
    }
    const hash = hashOf(text);
    if (this.files.get(fileName)?.hash === hash) return;
    const config = this.options.configFor(fileName);
    const facts = config && (factsOf ? factsOf(config) : this.options.engine.facts({ fileName, text }, config));
    if (facts) this.files.set(fileName, { hash, facts });
    else this.files.delete(fileName);
    this.resolved.delete(fileName);
  }

  /** The whole graph: every file's edges resolved, every summary solved (a scan). */
  private recompute(): void {
    const nodes: SummaryNode[] = [];
    this.edgeTargets = new Map();
    this.consulted = new Map();
    this.consultedBy = new Map();
    for (const [fileName, { facts }] of this.files) {
      const file = this.nodesOf(fileName, facts);
      for (const n of file.nodes) nodes.push(n);
      this.setResolution(fileName, file.targets, file.consulted);
    }
    this.graph = new SummaryGraph(nodes);
  }

  /** A file's summary nodes, its edges resolved; the node keys they reach (edge order) and the files read. */
  private nodesOf(fileName: string, facts: FileFacts): { nodes: SummaryNode[]; targets: string[]; consulted: Set<string> } {
    const consulted = new Set<string>();
    const targets: string[] = [];
    this.tracking = consulted;
    try {
      const nodes = facts.functions.map(
        (fn): SummaryNode => ({
          key: nodeKey(fileName, fn.scope),
          kind: fn.kind,
          ...(fn.generator ? { generator: true } : {}),
          ...(fn.blocks ? { blocks: fn.blocks } : {}),
          ...(fn.heavy ? { heavy: fn.heavy } : {}),
          edges: fn.edges.map((e) => {
            const callee = e.target !== undefined ? nodeKey(fileName, e.target) : e.imported ? this.resolveImport(fileName, e.imported) : undefined;
            targets.push(callee ?? '');
            return { callee, hop: { label: e.label, location: e.location }, ...(e.iterates ? { iterates: true } : {}) };
          }),
        }),
      );
      return { nodes, targets, consulted };
    } finally {
      this.tracking = undefined;
    }
  }

  private setResolution(fileName: string, targets: string[] | undefined, consulted: ReadonlySet<string> | undefined): void {
    for (const f of this.consulted.get(fileName) ?? []) this.consultedBy.get(f)?.delete(fileName);
    if (!targets || !consulted) {
      this.edgeTargets.delete(fileName);
      this.consulted.delete(fileName);
      return;
    }
    this.edgeTargets.set(fileName, targets);
    this.consulted.set(fileName, consulted);
    for (const f of consulted) {
      let set = this.consultedBy.get(f);
      if (!set) this.consultedBy.set(f, (set = new Set()));
      set.add(fileName);
    }
  }

  // ── Queries for fixes that edit other files ("make the chain async", fixes/chain-async.ts) ──

  /** A file's current text as the workspace reads it (an open document's buffer, else the disk). */
  readFile(fileName: string): string | undefined {
    return this.options.host.readFile(fileName);
  }

  /**
   * The calls, made synchronously and not awaited, that resolve to the function `key` (nodeKey): the
   * callee expression's location and the calling function's node key. From the facts as last loaded:
   * a fix parses the files itself and uses this to check that it found every one of them.
   */
  callSitesOf(key: string): Array<{ caller: string; location: Location }> {
    const out: Array<{ caller: string; location: Location }> = [];
    for (const [fileName, targets] of this.edgeTargets) {
      if (!targets.includes(key)) continue;
      let i = 0;
      for (const fn of this.files.get(fileName)?.facts.functions ?? []) {
        for (const edge of fn.edges) if (targets[i++] === key) out.push({ caller: nodeKey(fileName, fn.scope), location: edge.location });
      }
    }
    return out;
  }
}
