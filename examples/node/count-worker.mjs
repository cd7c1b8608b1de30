// The worker of shared-counter.mjs: it updates the shared counts through Atomics, which is not reported.
import { parentPort, workerData } from 'node:worker_threads';

const counts = new Int32Array(workerData);
for (let i = 0; i < 1000; i++) Atomics.add(counts, 0, 1);
parentPort.postMessage('done');
