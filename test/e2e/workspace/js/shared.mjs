import { Worker } from 'node:worker_threads';

const buffer = new SharedArrayBuffer(4);
const shared = new Int32Array(buffer);
const worker = new Worker(new URL('./count.mjs', import.meta.url), { workerData: buffer });
worker.on('message', () => {
  shared[0]++;
});
