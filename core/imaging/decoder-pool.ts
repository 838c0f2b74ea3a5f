// Worker threads that decode frames, so that neither the desktop app's main process nor the
// browser-shell host ever blocks on a codec. Requests for the image on screen go before prefetch
// requests; a request already queued or running for the same frame is shared, not repeated.
// A worker that dies fails only the frames it held, and a fresh one takes its place.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { AmurError } from '../common/errors.js';
import { startWorker } from '../common/worker.js';
import type { ImageFrame } from '../contract/imaging.js';
import { sourcePath, type FileSource } from '../vault/file-cipher.js';
import type { DecodeReply, DecodeRequest } from './decoder.worker.js';

export type Priority = 'display' | 'prefetch';

interface Job {
  key: string;
  source: FileSource;
  frame: number;
  priority: Priority;
  promise: Promise<ImageFrame>;
  resolve: (f: ImageFrame) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  running: Map<number, Job>;
  dead: boolean;
}

/** Frames decoded at once by one worker: two, so that reading one file overlaps decoding another. */
const PER_WORKER = 2;

/** One worker per core beyond the one the host's own thread uses, 1 to 4. */
export function defaultDecoderCount(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

export class DecoderPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly byKey = new Map<string, Job>();
  private nextId = 0;
  private closed = false;

  constructor(size = defaultDecoderCount()) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /** Resolves once every worker has loaded its codecs. */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.ready));
  }

  private spawn(): Slot {
    let markReady!: () => void;
    const slot: Slot = {
      worker: startWorker(new URL('./decoder.worker.ts', import.meta.url)),
      ready: new Promise<void>((r) => (markReady = r)),
      running: new Map(),
      dead: false,
    };
    slot.worker.on('message', (m: DecodeReply | { ready: true }) => {
      if (!('id' in m)) {
        markReady();
        return;
      }
      const job = slot.running.get(m.id);
      if (!job) return;
      slot.running.delete(m.id);
      this.byKey.delete(job.key);
      if (m.error) {
        job.reject(m.error.code === 'internal' ? new AmurError('imaging.decoderFailed', { detail: String(m.error.params.detail) }) : new AmurError(m.error.code, m.error.params));
      } else {
        job.resolve(m.frame);
      }
      this.pump();
    });
    const fail = (why: string) => {
      if (slot.dead) return;
      slot.dead = true;
      markReady();
      for (const job of slot.running.values()) {
        this.byKey.delete(job.key);
        job.reject(new AmurError('imaging.decoderFailed', { detail: why }));
      }
      slot.running.clear();
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) {
        this.slots[i] = this.spawn();
        this.pump();
      }
    };
    slot.worker.on('error', (e) => fail(e.message));
    slot.worker.on('exit', (code) => {
      if (!this.closed) fail(`decoder exited with code ${code}`);
    });
    return slot;
  }

  decode(source: FileSource, frame: number, priority: Priority = 'display'): Promise<ImageFrame> {
    if (this.closed) return Promise.reject(new AmurError('imaging.decoderFailed', { detail: 'closed' }));
    const key = `${frame}\u0000${sourcePath(source)}`;
    const existing = this.byKey.get(key);
    if (existing) {
      // A prefetch that the reader has now scrolled to moves to the front.
      if (priority === 'display' && existing.priority === 'prefetch') {
        existing.priority = 'display';
        const i = this.queue.indexOf(existing);
        if (i >= 0) {
          this.queue.splice(i, 1);
          this.enqueue(existing);
        }
      }
      return existing.promise;
    }
    let resolve!: Job['resolve'];
    let reject!: Job['reject'];
    const promise = new Promise<ImageFrame>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: Job = { key, source, frame, priority, promise, resolve, reject };
    this.byKey.set(key, job);
    this.enqueue(job);
    this.pump();
    return promise;
  }

  /** Display requests go after other display requests and before every prefetch. */
  private enqueue(job: Job): void {
    if (job.priority === 'prefetch') {
      this.queue.push(job);
      return;
    }
    const firstPrefetch = this.queue.findIndex((j) => j.priority === 'prefetch');
    this.queue.splice(firstPrefetch < 0 ? this.queue.length : firstPrefetch, 0, job);
  }

  /** Frames waiting for a worker (not counting those being decoded). */
  get pending(): number {
    return this.queue.length;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot: Slot | undefined;
      for (const s of this.slots) {
        if (!s.dead && s.running.size < PER_WORKER && (!slot || s.running.size < slot.running.size)) slot = s;
      }
      if (!slot) return;
      const job = this.queue.shift()!;
      const id = ++this.nextId;
      slot.running.set(id, job);
      slot.worker.postMessage({ id, source: job.source, frame: job.frame } satisfies DecodeRequest);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue) job.reject(new AmurError('imaging.decoderFailed', { detail: 'closed' }));
    this.queue.length = 0;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
