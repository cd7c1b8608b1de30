// Analysis of large documents off the server's thread. The engine is synchronous: a 3 MB file keeps
// the thread busy for seconds, and during that time no other document is analysed and no request is
// answered. Documents of OFF_THREAD_CHARS characters or more go to one worker thread
// (lsp/analysis-worker.ts) instead, one at a time; the server's thread stays free for everything else.
//
// Stale work is cancelled: a job waiting for the worker is dropped when a newer one for the same
// document arrives, and when the worker is busy with an older version of that document it is
// terminated (a parse cannot be interrupted any other way) and started again for the new one.
// A worker that dies fails its job with a message and is replaced on the next job.
//
// Calls into other files: the Workspace lives on the server's thread and cannot be shared, so a job
// carries a CalleeTable — what the Workspace answers for the document's imports (resolved, by specifier
// and imported name) and the summaries of the functions they reach — and in the worker a TableWorkspace
// answers the engine from it. An import the table lacks resolves to nothing (never a guess). Calls to the
// document's own functions need no table: the engine summarises them from the text being analysed.
// The worker sends back the document's facts (for Workspace.update) and the imports it was asked about,
// so the server can tell whether the facts changed what the table would have said (tableAnswersHold).
// Not available in the worker: "make the chain async" (it parses the other files of the workspace).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AnalysisResult, SourceInput } from '../engine/engine';
import type { Settings } from '../engine/config';
import type { ImportedName } from '../engine/model';
import { LineIndex } from '../engine/text';
import type { FileFacts } from '../engine/workspace/facts';
import type { SolvedSummary } from '../engine/workspace/summaries';
import type { CalleeSummary, Location } from '../engine/workspace/types';
import type { Workspace } from '../engine/workspace/workspace';

/** Documents this long or longer (UTF-16 code units) are analysed off the thread: ~100–200 ms of analysis. */
export const OFF_THREAD_CHARS = 100_000;

export interface OffThreadRequest {
  id: number;
  /** without `project`: its fileExists is a function, which postMessage cannot clone */
  input: SourceInput;
  settings: Settings;
  /** the input had project facts: the worker looks them up again for input.fileName */
  withProject?: boolean;
  /** what the Workspace says about the document's calls into other files (ProjectModel.calleeTable) */
  table?: CalleeTable;
}

/** An analysis from the worker; with a table, also the document's facts and the imports the rules asked about. */
export type OffThreadResult = AnalysisResult & { facts?: FileFacts; asked?: ImportedName[] };

export type OffThreadResponse =
  | { id: number; result: Omit<OffThreadResult, 'lines'>; error?: undefined }
  | { id: number; error: string; result?: undefined };

/**
 * The Workspace's answers for one file's calls into other files, as plain data (postMessage clones it):
 * each import (importKey) → the node it resolves to, or null when it resolves to none; each node
 * reached → its summary. Built on the server's thread by ProjectModel.calleeTable.
 */
export interface CalleeTable {
  fileName: string;
  imports: Array<[string, string | null]>;
  summaries: Array<[string, CalleeSummary & SolvedSummary]>;
}

/** The key of an imported name in a CalleeTable (specifier and path; the resolver's own cache key). */
export function importKey(imported: ImportedName): string {
  return `${imported.specifier}\0${imported.path.join('\0')}`;
}

/**
 * A CalleeTable for `fileName` from `ws`: the imports its facts' calls name as the Workspace has them
 * (the document's last sync, else the disk) and `extra` ones (those an analysis of newer text asked
 * about), each resolved, and the summaries of the functions they reach.
 */
export function calleeTableOf(ws: Pick<Workspace, 'functions' | 'resolveImport' | 'calleeSummary'>, fileName: string, extra: readonly ImportedName[] = []): CalleeTable {
  const imports = new Map<string, string | null>();
  const summaries = new Map<string, CalleeSummary & SolvedSummary>();
  const add = (imported: ImportedName) => {
    const k = importKey(imported);
    if (imports.has(k)) return;
    const key = ws.resolveImport(fileName, imported);
    imports.set(k, key ?? null);
    // a call back into the document itself is summarised from its own text in the worker
    if (key === undefined || summaries.has(key) || key.startsWith(`${fileName}#`)) return;
    const summary = ws.calleeSummary(key);
    if (summary) summaries.set(key, summary);
  };
  for (const fn of ws.functions(fileName)) for (const e of fn.edges) if (e.imported) add(e.imported);
  for (const imported of extra) add(imported);
  return { fileName, imports: [...imports], summaries: [...summaries] };
}

/** The queries Engine.analyse makes of a Workspace (engine.ts: calleeResolver, chainFixer). */
export type CalleeQueries = Pick<Workspace, 'resolveImport' | 'summary' | 'calleeSummary' | 'fileNames' | 'readFile' | 'callSitesOf'>;

/**
 * A Workspace for the engine that answers only from a CalleeTable, and records the imports it was asked
 * about. Chain fixes are refused: no other file can be read (chain-async.ts gives up when the analysed
 * file cannot be read back), so only the single-file fixes remain.
 */
export class TableWorkspace implements CalleeQueries {
  private readonly imports: ReadonlyMap<string, string | null>;
  private readonly summaries: ReadonlyMap<string, CalleeSummary & SolvedSummary>;
  private readonly askedKeys = new Map<string, ImportedName>();

  constructor(private readonly table: CalleeTable) {
    this.imports = new Map(table.imports);
    this.summaries = new Map(table.summaries);
  }

  /** The imports asked about, each once. */
  get asked(): ImportedName[] {
    return [...this.askedKeys.values()];
  }

  /** This object as the engine's parameter type: it implements every query the engine makes (CalleeQueries). */
  asWorkspace(): Workspace {
    return this as unknown as Workspace;
  }

  resolveImport(fromFile: string, imported: ImportedName): string | undefined {
    if (fromFile !== this.table.fileName) return undefined;
    const key = importKey(imported);
    if (!this.askedKeys.has(key)) this.askedKeys.set(key, { specifier: imported.specifier, path: [...imported.path] });
    return this.imports.get(key) ?? undefined;
  }

  summary(key: string): SolvedSummary | undefined {
    const s = this.summaries.get(key);
    if (!s) return undefined;
    const { name: _name, definition: _definition, ...solved } = s;
    return solved;
  }

  calleeSummary(key: string): (CalleeSummary & SolvedSummary) | undefined {
    return this.summaries.get(key);
  }

  fileNames(): string[] {
    return [];
  }

  readFile(): string | undefined {
    return undefined;
  }

  callSitesOf(): Array<{ caller: string; location: Location }> {
    return [];
  }
}

/**
 * Whether `fresh` (built after the analysed text's facts reached the Workspace) answers every import in
 * `asked` as `sent` did: the same node, or none in both, and that node's summary the same.
 */
export function tableAnswersHold(sent: CalleeTable, fresh: CalleeTable, asked: readonly ImportedName[]): boolean {
  const before = new TableWorkspace(sent);
  const after = new TableWorkspace(fresh);
  for (const imported of asked) {
    const a = before.resolveImport(sent.fileName, imported);
    const b = after.resolveImport(fresh.fileName, imported);
    if (a !== b) return false;
    if (a !== undefined && JSON.stringify(before.calleeSummary(a)) !== JSON.stringify(after.calleeSummary(a))) return false;
  }
  return true;
}

/** The job was overtaken by a newer one for the same document; nothing to report. */
export class Superseded extends Error {
  constructor() {
    super('superseded by a newer version of the document');
  }
}

interface Job {
  id: number;
  key: string;
  request: OffThreadRequest;
  resolve: (r: OffThreadResult) => void;
  reject: (e: Error) => void;
}

export class OffThreadAnalyser {
  private worker: Worker | undefined;
  private running: Job | undefined;
  private readonly queue: Job[] = [];
  private nextId = 1;

  constructor(private readonly script: string) {}

  /** The analyser over the bundled worker next to this bundle, or undefined when there is none (running from sources). */
  static forBundle(dir: string = __dirname): OffThreadAnalyser | undefined {
    const script = path.join(dir, 'analysis-worker.js');
    return fs.existsSync(script) ? new OffThreadAnalyser(script) : undefined;
  }

  /**
   * Analyses `input` with `settings` in the worker. `key` (the document) identifies what a newer job
   * supersedes. With `table`, calls into other files are followed as far as it says, and the result
   * carries the document's facts and the imports asked about.
   */
  analyse(key: string, input: SourceInput, settings: Settings, table?: CalleeTable): Promise<OffThreadResult> {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i].key === key) this.queue.splice(i, 1)[0].reject(new Superseded());
    }
    if (this.running?.key === key) this.restart(new Superseded());
    const id = this.nextId++;
    const { project, ...plain } = input;
    const request: OffThreadRequest = { id, input: plain, settings, ...(project ? { withProject: true } : {}), ...(table ? { table } : {}) };
    const promise = new Promise<OffThreadResult>((resolve, reject) => {
      this.queue.push({ id, key, request, resolve, reject });
    });
    this.pump();
    return promise;
  }

  /** Forgets a document (closed): its pending or running job is dropped. */
  forget(key: string): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i].key === key) this.queue.splice(i, 1)[0].reject(new Superseded());
    }
    if (this.running?.key === key) this.restart(new Superseded());
  }

  dispose(): void {
    for (const job of this.queue.splice(0)) job.reject(new Superseded());
    this.restart(new Superseded());
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) return;
    const job = this.queue.shift() as Job;
    this.running = job;
    try {
      this.ensureWorker().postMessage(job.request);
    } catch (e) {
      // a request that cannot be sent fails alone; left running, it would hold up every later job
      this.running = undefined;
      job.reject(e instanceof Error ? e : new Error(String(e)));
      this.pump();
    }
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script);
    // the server may exit while a worker parses: it must not keep the process alive
    worker.unref();
    worker.on('message', (msg: OffThreadResponse) => {
      const job = this.running;
      if (!job || job.id !== msg.id || this.worker !== worker) return;
      this.running = undefined;
      if (msg.result) job.resolve({ ...msg.result, lines: new LineIndex(job.request.input.text) });
      else job.reject(new Error(msg.error));
      this.pump();
    });
    const died = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const job = this.running;
      this.running = undefined;
      job?.reject(new Error(`the analysis worker stopped: ${why}`));
      this.pump();
    };
    worker.on('error', (e) => died(e instanceof Error ? e.message : String(e)));
    worker.on('exit', (code) => died(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  /** Ends the running job with `reason` and terminates its worker; the next job starts a new one. */
  private restart(reason: Error): void {
    const worker = this.worker;
    const job = this.running;
    this.worker = undefined;
    this.running = undefined;
    job?.reject(reason);
    if (worker) void worker.terminate();
    this.pump();
  }
}
