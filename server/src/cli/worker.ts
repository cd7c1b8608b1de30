// A worker of `loopguard check --jobs N` (bundled to dist/cli-worker.js; cli/parallel.ts runs the pool,
// explains the design and holds what a worker does with a file, fileJobRunner, which the main thread
// runs too). This module only connects it to the port.
//
// For tests only: LOOPGUARD_CLI_FAULT_INJECT=<file name> makes the worker throw on files of that base
// name, and LOOPGUARD_CLI_FAULT_INJECT=exit:<file name> makes it exit, as a crash would.

import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { Engine } from '../engine/engine';
import { fileJobRunner, type WorkerJob, type WorkerOutcome, type WorkerReply, type WorkerSetup } from './parallel';

function fault(file: string): void {
  const spec = process.env.LOOPGUARD_CLI_FAULT_INJECT;
  if (!spec) return;
  const exit = spec.startsWith('exit:');
  if (path.basename(file) !== (exit ? spec.slice(5) : spec)) return;
  if (exit) process.exit(70);
  throw new Error(`fault injected on ${path.basename(file)} (LOOPGUARD_CLI_FAULT_INJECT)`);
}

function serve(): void {
  const port = parentPort;
  if (!port) return;
  // jobs may arrive before the engine is ready: they queue behind its creation
  const runner = Engine.create().then((engine) => fileJobRunner(engine, workerData as WorkerSetup));
  port.on('message', (job: WorkerJob) => {
    void runner.then((run) => {
      let outcome: WorkerOutcome;
      try {
        fault(job.file);
        outcome = run(job);
      } catch (e) {
        outcome = { kind: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
      }
      port.postMessage({ id: job.id, outcome } satisfies WorkerReply);
    });
  });
}

serve();
