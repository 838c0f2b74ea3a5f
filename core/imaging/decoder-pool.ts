// Worker threads that decode frames, so that neither the desktop app's main process nor the
// browser-shell host ever blocks on a codec. It is the common worker pool (core/common/pool.ts)
// with the viewer's policies: requests for the image on screen go before prefetch requests; a
// request already queued or running for the same frame is shared, not repeated. A worker that dies
// fails only the frames it held, and a fresh one takes its place.
import { availableParallelism } from 'node:os';
import { AmurError } from '../common/errors.js';
import { WorkerPool, type PoolJob } from '../common/pool.js';
import type { ImageFrame } from '../contract/imaging.js';
import { sourcePath, type FileSource } from '../vault/file-cipher.js';

export type Priority = 'display' | 'prefetch';

export interface DecodeTask {
  source: FileSource;
  frame: number;
}

/** Frames decoded at once by one worker: two, so that reading one file overlaps decoding another. */
const PER_WORKER = 2;
const RANK: Record<Priority, number> = { display: 1, prefetch: 0 };

/** One worker per core beyond the one the host's own thread uses, 1 to 4. */
export function defaultDecoderCount(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

export class DecoderPool {
  private readonly pool: WorkerPool<DecodeTask, ImageFrame>;
  /** Frames queued or being decoded, by file and frame. */
  private readonly byKey = new Map<string, { job: PoolJob<ImageFrame>; priority: Priority }>();

  constructor(size = defaultDecoderCount()) {
    this.pool = new WorkerPool<DecodeTask, ImageFrame>({
      module: new URL('./decoder.worker.ts', import.meta.url),
      size,
      perWorker: PER_WORKER,
      workerDied: (_t, why) => new AmurError('imaging.decoderFailed', { detail: why }),
      internalError: (_t, detail) => new AmurError('imaging.decoderFailed', { detail }),
      closedError: () => new AmurError('imaging.decoderFailed', { detail: 'closed' }),
    });
  }

  /** Resolves once every worker has loaded its codecs. */
  async ready(): Promise<void> {
    await this.pool.ready();
  }

  decode(source: FileSource, frame: number, priority: Priority = 'display'): Promise<ImageFrame> {
    const key = `${frame}\u0000${sourcePath(source)}`;
    const existing = this.byKey.get(key);
    if (existing) {
      // A prefetch that the reader has now scrolled to moves to the front.
      if (RANK[priority] > RANK[existing.priority]) {
        existing.priority = priority;
        existing.job.raise(RANK[priority]);
      }
      return existing.job.promise;
    }
    const job = this.pool.submit({ source, frame }, { priority: RANK[priority] });
    this.byKey.set(key, { job, priority });
    const forget = () => {
      if (this.byKey.get(key)?.job === job) this.byKey.delete(key);
    };
    job.promise.then(forget, forget);
    return job.promise;
  }

  /** Frames waiting for a worker (not counting those being decoded). */
  get pending(): number {
    return this.pool.pending;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
