// The contract of the project model (issue 6): the workspace's files, their imports resolved to files,
// a call graph, and per-function summaries ("may block", "CPU-heavy") with the chain that proves them.
//
// Front ends say what a file imports and exports (Call.imported, SourceModel.exports); a ModuleResolver
// per language family turns an import into a file of the workspace; the Workspace (workspace.ts) keeps
// per-file facts (facts.ts), computes summaries bottom-up (summaries.ts) and tells the LSP and the CLI
// which files an edit can change. Rules only ever see CalleeSummary through RuleContext.callee().

import type { LanguageFamily } from '../model';

/** 0-based line and UTF-16 character, as LSP positions. */
export interface Position {
  line: number;
  character: number;
}

/** A place in some file of the workspace (other files' text is not kept: positions, not offsets). */
export interface Location {
  /** absolute path */
  fileName: string;
  start: Position;
  end: Position;
}

/** One step of a chain: a call to a function, or the blocking API / heavy loop at its end. */
export interface Hop {
  /** what the message names: `loadConfig`, `readJson`, `fs.readFileSync`, `for (…) loop` */
  label: string;
  /** where it is: the call site inside the previous function, or the API call / loop at the end */
  location: Location;
}

/** Why a function may block the event loop or is CPU-heavy, as a chain of calls ending in the evidence. */
export interface Evidence {
  /**
   * From the function's first call on the way down to the evidence: for `loadConfig → readJson →
   * fs.readFileSync` seen from `loadConfig`, the hops are the call of `readJson` in loadConfig and the
   * call of `fs.readFileSync` in readJson. Never empty; the last hop is the evidence itself.
   */
  hops: Hop[];
}

export interface FunctionSummary {
  /** calls a blocking API synchronously (not awaited, not offloaded), directly or through callees */
  blocks?: Evidence;
  /** contains a CPU-heavy loop (cpu-loop-on-event-loop's heuristics), directly or through callees */
  heavy?: Evidence;
}

/** What a rule learns about the function a call reaches, when the project model can resolve it. */
export interface CalleeSummary extends FunctionSummary {
  /** the callee's name as the message shows it: `loadConfig`, `util.readAll` */
  name: string;
  /** where the callee is defined */
  definition: Location;
}

/** Resolves an import of one language family to a file of the workspace. */
export interface ModuleResolver {
  family: LanguageFamily;
  /**
   * The file that `specifier` names when imported from `fromFile`, and what is left of `path` once
   * submodules are taken off it (Python `from pkg import util; util.read_all()` → pkg/util.py with path
   * `['read_all']`). Undefined when it is not a file of the workspace (a package in node_modules, the
   * standard library, a virtual env) or cannot be found: such calls are never guessed at.
   */
  resolve(specifier: string, path: readonly string[], fromFile: string): { fileName: string; path: readonly string[] } | undefined;
}

/** How the workspace reads files: the LSP overlays open documents, the CLI reads the disk. */
export interface WorkspaceHost {
  /** the current text of a file (an open document's buffer, else the disk), or undefined */
  readFile(fileName: string): string | undefined;
  fileExists(fileName: string): boolean;
  directoryExists(fileName: string): boolean;
}
