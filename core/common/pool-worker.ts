// The worker side of core/common/pool.ts: runs each task the pool sends through a handler and
// answers with its result or its error (an AmurError does not survive structured cloning, so it
// is sent as its code and parameters and rebuilt by the pool; anything else as 'internal').
import { parentPort, type Transferable } from 'node:worker_threads';
import { isAmurError } from './errors.js';
import type { PoolMessage, PoolRequest } from './pool.js';

/** A result with the objects to move (not copy) back to the pool, such as decoded pixels. */
export class Transfer<R> {
  constructor(
    readonly result: R,
    readonly list: readonly Transferable[],
  ) {}
}

/**
 * Serves the pool's tasks, then tells it this worker is ready; call it once `prepare` (loading
 * codecs, say) is done, so that the first task does not pay for it.
 */
export async function serveTasks<T, R>(handler: (task: T) => Promise<R | Transfer<R>>, prepare?: () => Promise<void>): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('serveTasks runs in a worker thread');
  if (prepare) await prepare();
  port.on('message', async ({ id, task }: PoolRequest<T>) => {
    let reply: PoolMessage<R>;
    let transfer: readonly Transferable[] = [];
    try {
      const r = await handler(task);
      if (r instanceof Transfer) {
        reply = { id, result: r.result };
        transfer = r.list;
      } else {
        reply = { id, result: r };
      }
    } catch (e) {
      reply = isAmurError(e)
        ? { id, error: { code: e.code, params: e.params } }
        : { id, error: { code: 'internal', params: { detail: e instanceof Error ? e.message : String(e) } } };
    }
    port.postMessage(reply, transfer);
  });
  port.postMessage({ ready: true } satisfies PoolMessage<R>);
}
