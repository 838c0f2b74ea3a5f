// Starts a worker thread on a TypeScript module. Node's workers do not inherit the tsx loader the
// main thread runs under, so a tiny JS bootstrap registers it first and then imports the module.
import { Worker, type WorkerOptions } from 'node:worker_threads';

const bootstrap = new URL('./worker-bootstrap.mjs', import.meta.url);

export function startWorker(module: URL, options: WorkerOptions = {}): Worker {
  return new Worker(bootstrap, {
    // Flags that only make sense for the main thread (--input-type, given to `node -e`) stop a worker
    // from starting at all.
    execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')),
    ...options,
    workerData: { __amurEntry: module.href, ...(options.workerData ?? {}) },
  });
}
