// Worker threads sharing memory. Run `npx loopguard check examples/`.
import { Worker } from 'node:worker_threads';

const buffer = new SharedArrayBuffer(8);
const counts = new Int32Array(buffer);
counts[1] = 42; // before any worker exists: not reported

const worker = new Worker(new URL('./count-worker.mjs', import.meta.url), { workerData: buffer });
worker.on('message', () => {
  // the worker increments the same element: this update can be lost
  counts[0]++;
});
