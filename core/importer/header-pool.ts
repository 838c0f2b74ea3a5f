// A small pool of worker threads that read DICOM headers, so that a process hosting the UI never
// blocks on parsing while a large study is imported. Requests are spread over the workers by how
// many each has in flight; a worker that dies (a reader bug, an exhausted stack) fails only the
// files it held, and a fresh one takes its place.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { AmurError, type ErrorParams } from '../common/errors.js';
import { startWorker } from '../common/worker.js';
import type { DicomHeader } from '../dicom/attributes.js';

export interface HeaderRequest {
  id: number;
  path: string;
}
export type HeaderReply =
  | { id: number; header: DicomHeader; error?: undefined }
  | { id: number; header?: undefined; error: { code: string; params: ErrorParams } };

interface Slot {
  worker: Worker;
  pending: Map<number, { path: string; resolve: (h: DicomHeader) => void; reject: (e: unknown) => void }>;
  dead: boolean;
}

/** Workers for a machine: one per core beyond the one the importer's own thread uses, 1 to 4. */
export function defaultPoolSize(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

export class HeaderPool {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed = false;

  /**
   * @param unref let the process exit while the pool idles (a long-lived pool in a host process).
   */
  constructor(
    readonly size = defaultPoolSize(),
    private readonly unref = false,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const slot: Slot = { worker: startWorker(new URL('./header.worker.ts', import.meta.url)), pending: new Map(), dead: false };
    if (this.unref) slot.worker.unref();
    slot.worker.on('message', (m: HeaderReply | { ready: true }) => {
      if (!('id' in m)) return;
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (m.error) {
        p.reject(m.error.code === 'internal' ? new Error(String(m.error.params.detail)) : new AmurError(m.error.code, m.error.params));
      } else {
        p.resolve(m.header);
      }
    });
    const fail = (why: string) => {
      // 'error' is followed by 'exit': the slot is replaced once.
      if (slot.dead) return;
      slot.dead = true;
      for (const [, p] of slot.pending) p.reject(new AmurError('import.readerFailed', { path: p.path, detail: why }));
      slot.pending.clear();
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) this.slots[i] = this.spawn();
    };
    slot.worker.on('error', (e) => fail(e.message));
    slot.worker.on('exit', (code) => {
      if (!this.closed) fail(`worker exited with code ${code}`);
    });
    return slot;
  }

  read(path: string): Promise<DicomHeader> {
    if (this.closed) return Promise.reject(new Error('header pool closed'));
    let slot = this.slots[0];
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { path, resolve, reject });
      slot.worker.postMessage({ id, path } satisfies HeaderRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
