// Analysis of large documents off the server's thread. The engine is synchronous: a 3 MB file keeps
// the thread busy for seconds, and during that time no other document is analysed and no request is
// answered. Documents of OFF_THREAD_CHARS characters or more go to one worker thread
// (lsp/analysis-worker.ts) instead, one at a time; the server's thread stays free for everything else.
//
// Stale work is cancelled: a job waiting for the worker is dropped when a newer one for the same
// document arrives, and when the worker is busy with an older version of that document it is
// terminated (a parse cannot be interrupted any other way) and started again for the new one.
// A worker that dies fails its job with a message and is replaced on the next job.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AnalysisResult, SourceInput } from '../engine/engine';
import type { Settings } from '../engine/config';
import { LineIndex } from '../engine/text';

/** Documents this long or longer (UTF-16 code units) are analysed off the thread: ~100–200 ms of analysis. */
export const OFF_THREAD_CHARS = 100_000;

export interface OffThreadRequest {
  id: number;
  /** without `project`: its fileExists is a function, which postMessage cannot clone */
  input: SourceInput;
  settings: Settings;
  /** the input had project facts: the worker looks them up again for input.fileName */
  withProject?: boolean;
}

export type OffThreadResponse =
  | { id: number; result: Omit<AnalysisResult, 'lines'>; error?: undefined }
  | { id: number; error: string; result?: undefined };

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
  resolve: (r: AnalysisResult) => void;
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

  /** Analyses `input` with `settings` in the worker. `key` (the document) identifies what a newer job supersedes. */
  analyse(key: string, input: SourceInput, settings: Settings): Promise<AnalysisResult> {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i].key === key) this.queue.splice(i, 1)[0].reject(new Superseded());
    }
    if (this.running?.key === key) this.restart(new Superseded());
    const id = this.nextId++;
    const { project, ...plain } = input;
    const request: OffThreadRequest = { id, input: plain, settings, ...(project ? { withProject: true } : {}) };
    const promise = new Promise<AnalysisResult>((resolve, reject) => {
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
