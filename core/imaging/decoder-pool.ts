// Worker threads that decode frames, so that neither the desktop app's main process nor the
// browser-shell host ever blocks on a codec. It is the common worker pool (core/common/pool.ts)
// with the viewer's policies: requests for the image on screen go before prefetch requests; a
// request already queued or running for the same frame is shared, not repeated. A worker that dies
// fails only the frames it held, and a fresh one takes its place.
import { availableParallelism } from 'node:os';
import { AmurError } from '../common/errors.js';
import { WorkerPool, type PoolJob } from '../common/pool.js';
import type { DocumentContent, ImageFrame, ImagePlane } from '../contract/imaging.js';
import { sourcePath, type FileSource } from '../vault/file-cipher.js';

export type Priority = 'display' | 'prefetch';

/**
 * A frame to decode; or, with `read`, an instance's image planes (its header only) or its content
 * as a document (SR, Encapsulated PDF, SEG), read on the same threads so the host's stays free.
 */
export interface DecodeTask {
  source: FileSource;
  frame: number;
  read?: 'planes' | 'document';
}

type DecodeResult = ImageFrame | ImagePlane[] | DocumentContent;

/** Frames decoded at once by one worker: two, so that reading one file overlaps decoding another. */
const PER_WORKER = 2;
const RANK: Record<Priority, number> = { display: 1, prefetch: 0 };

/** One worker per core beyond the one the host's own thread uses, 1 to 4. */
export function defaultDecoderCount(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

export class DecoderPool {
  private readonly pool: WorkerPool<DecodeTask, DecodeResult>;
  /** Frames queued or being decoded, by file and frame. */
  private readonly byKey = new Map<string, { job: PoolJob<DecodeResult>; priority: Priority }>();

  constructor(size = defaultDecoderCount()) {
    this.pool = new WorkerPool<DecodeTask, DecodeResult>({
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
      return existing.job.promise as Promise<ImageFrame>;
    }
    const job = this.pool.submit({ source, frame }, { priority: RANK[priority] });
    this.byKey.set(key, { job, priority });
    const forget = () => {
      if (this.byKey.get(key)?.job === job) this.byKey.delete(key);
    };
    job.promise.then(forget, forget);
    return job.promise as Promise<ImageFrame>;
  }

  /** The image planes of every frame of an instance, behind every frame asked for on screen. */
  planes(source: FileSource): Promise<ImagePlane[]> {
    return this.pool.submit({ source, frame: 0, read: 'planes' }, { priority: RANK.prefetch }).promise as Promise<ImagePlane[]>;
  }

  /** An instance read as a document, as soon as a worker is free (the reader asked for it). */
  document(source: FileSource): Promise<DocumentContent> {
    return this.pool.submit({ source, frame: 0, read: 'document' }, { priority: RANK.display }).promise as Promise<DocumentContent>;
  }

  /** Frames waiting for a worker (not counting those being decoded). */
  get pending(): number {
    return this.pool.pending;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
