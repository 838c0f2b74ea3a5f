// Entry of every Amur worker thread: load TypeScript support only when needed, then the real module.
import { workerData } from 'node:worker_threads';

const entry = workerData.__amurEntry;
if (entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(entry);
