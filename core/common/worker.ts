// Starts a worker thread on a TypeScript module. Node's workers do not inherit the tsx loader the
// main thread runs under, so a tiny JS bootstrap registers it first and then imports the module.
import { Worker, type WorkerOptions } from 'node:worker_threads';

const bootstrap = new URL('./worker-bootstrap.mjs', import.meta.url);

export function startWorker(module: URL, options: WorkerOptions = {}): Worker {
  return new Worker(bootstrap, {
    ...options,
    workerData: { __amurEntry: module.href, ...(options.workerData ?? {}) },
  });
}
