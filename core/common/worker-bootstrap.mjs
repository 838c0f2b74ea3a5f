// Entry of every Amur worker thread. In the compiled application (bin/compile.mjs) the worker's
// module is already JavaScript (a `new URL('./x.worker.ts', import.meta.url)` is compiled to the
// x.worker.js beside it) and is imported as it is; run from the sources, the module is TypeScript
// and the thread registers tsx first, since workers do not inherit the main thread's loader.
import { workerData } from 'node:worker_threads';

const entry = workerData.__amurEntry;
if (entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(entry);
