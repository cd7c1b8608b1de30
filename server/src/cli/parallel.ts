// `loopguard check --jobs N`: the scan's parses on a pool of worker threads (cli/worker.ts, bundled
// to dist/cli-worker.js), with output identical to the in-process path.
//
// Each worker reads a file, parses it once and sends back its project-model facts (FileFacts) and,
// for a checked file, its analysis made against an empty Workspace: every cross-file question answers
// "unknown". The worker records the questions the analysis asked and the answers it got (the queries of
// Workspace.recording, as data: a recording's checks are closures and cannot cross threads). The main
// thread loads every file's facts into the one Workspace (no second parse), then keeps a worker's
// result only when every recorded question gets the same answer from the complete workspace; the
// other files are analysed again on the main thread, exactly as the in-process path does. An analysis
// is a function of its text, its configuration and the answers it got, so a kept result is the result
// the complete workspace would give.
//
// A file the worker fails on (an exception outside a rule, the worker dying) is reported as an
// internal error for that file, like a rule's, and the run goes on; a dead worker is replaced.

import { hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { configForFile, type FileConfig, type Settings } from '../engine/config';
import type { AnalysisResult, Engine } from '../engine/engine';
import { projectFactsFor } from '../engine/project';
import { findProjectConfig, readProjectFile, type ProjectConfig } from '../engine/project-config';
import type { FileFacts } from '../engine/workspace/facts';
import { answerText, diskHost, queryView, Workspace } from '../engine/workspace/workspace';

/** Threads used by default on a machine with at least MIN_DEFAULT_PARALLEL_CORES cores: one per core, at most this many. */
export const MAX_DEFAULT_JOBS = 8;

/**
 * Below this many cores the default is one thread. A single-threaded run already keeps a second core
 * busy with V8's background compilation and garbage collection (measured on 100k lines of JS: main
 * thread 1.5 s of CPU, V8's helper threads 1.7 s), and each worker costs ~0.8 s of CPU before it pays
 * (loading the bundle and the parsers, warming its JIT up): on 2 cores --jobs 2 was slower at every
 * size measured (100k lines of JS: 2.3 s against 1.9 s; of Python: 1.85 s against 1.67 s).
 */
export const MIN_DEFAULT_PARALLEL_CORES = 4;

/**
 * Below these sizes the run stays on one thread even with --jobs: a worker is ready ~0.4 s after it
 * starts and costs ~0.8 s of CPU, as much as a single thread spends on ~1 MB of code.
 * LOOPGUARD_PARALLEL_MIN_FILES=<n> replaces both limits with "at least n files" (0: always; for tests).
 */
export const PARALLEL_MIN_FILES = 50;
export const PARALLEL_MIN_BYTES = 1_000_000;

export function availableCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

export function defaultJobs(cores: number = availableCores()): number {
  return cores < MIN_DEFAULT_PARALLEL_CORES ? 1 : Math.min(MAX_DEFAULT_JOBS, cores);
}

/** Whether a run over `files` (the checked files, an estimate of the project model's) is worth `jobs` threads. */
export function worthParallel(files: readonly string[], jobs: number): boolean {
  if (jobs <= 1) return false;
  const forced = process.env.LOOPGUARD_PARALLEL_MIN_FILES;
  const minFiles = forced !== undefined && /^\d+$/.test(forced) ? Number(forced) : PARALLEL_MIN_FILES;
  if (files.length < Math.max(1, minFiles)) return false;
  if (forced !== undefined) return true;
  let bytes = 0;
  for (const f of files) {
    try {
      bytes += fs.statSync(f).size;
    } catch {
      // unreadable: the run reports it later
    }
    if (bytes >= PARALLEL_MIN_BYTES) return true;
  }
  return false;
}

/**
 * A file's configuration as the CLI computes it: its project file (or --config's, or none with
 * --isolated), then the flags. `cwd` plays the workspace folder: the default test file globs are
 * relative to it for files no project file governs.
 */
export function fileConfig(file: string, flags: Settings, isolated: boolean, explicit: ProjectConfig | undefined, find: (file: string) => ProjectConfig | undefined, cwd: string): FileConfig {
  const project = isolated ? undefined : (explicit ?? find(file));
  return configForFile({ fileName: file, settings: flags, settingsBase: cwd, project });
}

export function textHash(text: string): string {
  return hash('sha1', text, 'base64');
}

// ── The protocol ──

export interface WorkerSetup {
  roots: readonly string[];
  flags: Settings;
  isolated: boolean;
  /** --config's file (already validated by the main thread) */
  explicitConfig: string | undefined;
  /** the run's working directory (fileConfig) */
  cwd: string;
}

export interface WorkerJob {
  id: number;
  file: string;
  /** a checked file: analysed as well; otherwise only its facts (a file of the project model) */
  analyse: boolean;
}

/** A workspace query and its answer as answerText writes it. */
export interface Question {
  method: string;
  args: unknown[];
  answer: string;
}

export type WorkerOutcome =
  /** the file could not be read: the main thread reads it again and reports that as the in-process path does */
  | { kind: 'unreadable' }
  /** excluded by its project file: no facts, not checked */
  | { kind: 'excluded' }
  | {
      kind: 'done';
      hash: string;
      facts: FileFacts | undefined;
      /** for a checked file; `questions` undefined when a question could not be recorded as data */
      analysis?: { result: Omit<AnalysisResult, 'lines'>; questions: Question[] | undefined };
    }
  | { kind: 'failed'; error: string };

export interface WorkerReply {
  id: number;
  outcome: WorkerOutcome;
}

/** Whether the complete workspace answers every recorded question as the worker's empty one did. */
export function sameAnswers(workspace: Workspace, questions: readonly Question[]): boolean {
  const queries = workspace as unknown as Record<string, (...args: unknown[]) => unknown>;
  return questions.every((q) => typeof queries[q.method] === 'function' && answerText(queries[q.method].apply(workspace, q.args)) === q.answer);
}

// ── One file, in a worker or on the main thread ──

/**
 * A view of `workspace` that records each query, its arguments and its answer. Undefined questions
 * when an argument is not plain data (it could not be asked again on the main thread): the result is
 * then never kept.
 */
export function recorder(workspace: Workspace): { workspace: Workspace; questions: () => Question[] | undefined } {
  const questions: Question[] = [];
  let unrecordable = false;
  const view = queryView(workspace, (method, args, answer) => {
    if (unrecordable) return;
    try {
      questions.push({ method, args: structuredClone(args), answer: answerText(answer) });
    } catch {
      unrecordable = true;
    }
  });
  return { workspace: view, questions: () => (unrecordable ? undefined : questions) };
}

/** What a worker does with a job; the main thread, which takes jobs too, runs the same. */
export function fileJobRunner(engine: Engine, setup: WorkerSetup): (job: Omit<WorkerJob, 'id'>) => WorkerOutcome {
  const explicit = setup.explicitConfig === undefined ? undefined : readProjectFile(setup.explicitConfig, true);
  const configOf = (file: string) => {
    const fc = fileConfig(file, setup.flags, setup.isolated, explicit, findProjectConfig, setup.cwd);
    return fc.excludedBy === undefined ? fc.config : undefined;
  };
  // knows no file: every cross-file question answers "unknown"; its resolvers still cache what they find
  const empty = new Workspace({ host: diskHost(), roots: setup.roots, engine, configFor: configOf });
  return ({ file, analyse }) => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return { kind: 'unreadable' };
    }
    const config = configOf(file);
    if (config === undefined) return { kind: 'excluded' };
    if (!analyse) return { kind: 'done', hash: textHash(text), facts: engine.facts({ fileName: file, text }, config) };
    const project = projectFactsFor(file);
    const view = recorder(empty);
    let facts: FileFacts | undefined;
    const r = engine.analyse({ fileName: file, text, ...(project ? { project } : {}) }, config, undefined, view.workspace, (f) => (facts = f));
    const { lines: _lines, ...result } = r;
    return { kind: 'done', hash: textHash(text), facts, analysis: { result, questions: view.questions() } };
  };
}

// ── The pool ──

/**
 * The worker script: the bundle next to this one, or — running from source (the tests, `node --import tsx`)
 * — a bootstrap that registers tsx's CommonJS loader in the worker and requires worker.ts (Node 20 does
 * not apply the main thread's `--import tsx` to a worker's entry).
 */
function workerScript(): { file: string; eval?: true } | undefined {
  const bundled = path.join(__dirname, 'cli-worker.js');
  if (fs.existsSync(bundled)) return { file: bundled };
  const source = path.join(__dirname, 'worker.ts');
  if (!fs.existsSync(source)) return undefined;
  return { file: `require('tsx/cjs/api').register(); require(${JSON.stringify(source)});`, eval: true };
}

/**
 * `size` worker threads, started before the main thread knows the files (it loads its own engine
 * meanwhile: a worker takes ~300 ms to load the bundle and its parsers), then given every job at once
 * by run(). Dispose() ends the workers when run() is not called.
 */
export class Pool {
  private readonly workers: Array<{ worker: Worker; answered: number; ended: boolean }> = [];
  private onMessage: ((slot: number, reply: WorkerReply) => void) | undefined;
  private onDeath: ((slot: number, why: string) => void) | undefined;
  /** replies and deaths before run(): only a death can come (no job has gone out) */
  private early: Array<{ slot: number; why: string }> = [];

  private constructor(
    private readonly script: { file: string; eval?: true },
    private readonly setup: WorkerSetup,
  ) {}

  /** Undefined when no worker can be started (no bundle, no source). */
  static start(size: number, setup: WorkerSetup): Pool | undefined {
    const script = workerScript();
    if (!script || size < 1) return undefined;
    const pool = new Pool(script, setup);
    for (let i = 0; i < size; i++) pool.spawn();
    return pool;
  }

  dispose(): void {
    for (const w of this.workers) this.end(w);
  }

  private end(w: { worker: Worker; ended: boolean }): void {
    if (w.ended) return;
    w.ended = true;
    void w.worker.terminate();
  }

  private spawn(): number {
    const slot = this.workers.length;
    const worker = new Worker(this.script.file, { workerData: this.setup, ...(this.script.eval ? { eval: true, execArgv: [] } : {}) });
    const entry = { worker, answered: 0, ended: false };
    this.workers.push(entry);
    worker.on('message', (reply: WorkerReply) => {
      entry.answered++;
      this.onMessage?.(slot, reply);
    });
    const died = (why: string) => {
      if (entry.ended) return;
      entry.ended = true;
      if (this.onDeath) this.onDeath(slot, why);
      else this.early.push({ slot, why });
    };
    worker.on('error', (e) => died(e instanceof Error ? (e.stack ?? e.message) : String(e)));
    worker.on('exit', (code) => died(`exit code ${code}`));
    return slot;
  }

  /**
   * Runs every job on the workers and on this thread (`local`, one file at a time between the workers'
   * messages), so no core waits while the workers finish starting. Resolves with each file's outcome.
   * A file goes to a worker a few at a time, so a slow file holds up only its own thread.
   */
  async run(list: readonly Omit<WorkerJob, 'id'>[], local: (job: Omit<WorkerJob, 'id'>) => WorkerOutcome): Promise<Map<string, WorkerOutcome>> {
    const outcomes = new Map<string, WorkerOutcome>();
    const queue: WorkerJob[] = list.map((j, id) => ({ ...j, id }));
    // enough queued per worker to keep it busy while this thread is inside a file and cannot feed it
    const IN_FLIGHT = 4;
    let pending = queue.length;
    let next = 0;
    /** jobs a dead worker held but had not started */
    const retry: WorkerJob[] = [];
    /** workers that died before answering anything: a worker that cannot start must not be restarted forever */
    let barren = 0;
    const running = new Map<number, Map<number, WorkerJob>>();
    /** wakes this thread when it waits for the workers' last files */
    let wake: (() => void) | undefined;
    const signal = () => {
      wake?.();
      wake = undefined;
    };
    const finish = (job: WorkerJob, outcome: WorkerOutcome) => {
      if (outcomes.has(job.file)) return;
      outcomes.set(job.file, outcome);
      pending--;
      signal();
    };
    const take = (): WorkerJob | undefined => retry.shift() ?? (next < queue.length ? queue[next++] : undefined);
    const feed = (slot: number) => {
      const entry = this.workers[slot];
      let held = running.get(slot);
      if (!held) running.set(slot, (held = new Map()));
      while (!entry.ended && held.size < IN_FLIGHT) {
        const job = take();
        if (!job) break;
        held.set(job.id, job);
        entry.worker.postMessage(job);
      }
      if (held.size === 0) this.end(entry);
    };
    this.onMessage = (slot, reply) => {
      const job = running.get(slot)?.get(reply.id);
      if (!job) return;
      running.get(slot)?.delete(reply.id);
      finish(job, reply.outcome);
      feed(slot);
    };
    this.onDeath = (slot, why) => {
      if (this.workers[slot].answered === 0) barren++;
      // a worker takes its messages in order: the oldest job is the one it died on; the others go elsewhere
      const held = [...(running.get(slot)?.values() ?? [])].sort((a, b) => a.id - b.id);
      running.delete(slot);
      const [culprit, ...rest] = held;
      if (culprit) finish(culprit, { kind: 'failed', error: `the analysis worker stopped: ${why}` });
      retry.push(...rest);
      // a worker that cannot start is not restarted forever: this thread takes the rest
      if (barren < 3 && (retry.length > 0 || next < queue.length)) feed(this.spawn());
      signal();
    };
    for (const { slot, why } of this.early.splice(0)) this.onDeath(slot, why);
    for (let slot = 0; slot < this.workers.length; slot++) if (!this.workers[slot].ended) feed(slot);
    // this thread's share: one file at a time, the workers' messages handled in between
    while (pending > 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const job = take();
      if (!job) {
        // the workers hold the last files; one that dies hands its files back (retry)
        if (pending > 0) await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      let outcome: WorkerOutcome;
      try {
        outcome = local(job);
      } catch (e) {
        outcome = { kind: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
      }
      finish(job, outcome);
    }
    this.dispose();
    return outcomes;
  }
}
