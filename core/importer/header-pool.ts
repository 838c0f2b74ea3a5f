// A small pool of worker threads that read DICOM headers, so that a process hosting the UI never
// blocks on parsing while a large study is imported. Requests are spread over the workers by how
// many each has in flight; a worker that dies (a reader bug, an exhausted stack) fails only the
// files it held, and a fresh one takes its place. Where workers cannot run at all (one that dies
// before it is ready, or too many deaths), the pool reads on the calling thread instead: slower
// for a UI, but an import never hangs on a pool that keeps respawning.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { AmurError, type ErrorParams } from '../common/errors.js';
import { startWorker } from '../common/worker.js';
import type { DicomHeader } from '../dicom/attributes.js';
import { readDicomHeaderFromFile } from '../dicom/header.js';

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
  ready: boolean;
}

/** Workers that may die after starting (each failing only its own files) before the pool stops respawning. */
const MAX_RESPAWNS = 8;

/** Workers for a machine: one per core beyond the one the importer's own thread uses, 1 to 4. */
export function defaultPoolSize(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

export class HeaderPool {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed = false;
  private respawns = 0;
  /** Set when workers cannot be used here; reads then run on the calling thread. */
  private inline = false;

  /**
   * @param unref let the process exit while the pool idles (a long-lived pool in a host process).
   * @param workerModule the worker's code (tests pass one that fails, to exercise the fallbacks).
   */
  constructor(
    readonly size = defaultPoolSize(),
    private readonly unref = false,
    private readonly workerModule = new URL('./header.worker.ts', import.meta.url),
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const slot: Slot = {
      worker: startWorker(this.workerModule),
      pending: new Map(),
      dead: false,
      ready: false,
    };
    if (this.unref) slot.worker.unref();
    slot.worker.on('message', (m: HeaderReply | { ready: true }) => {
      if (!('id' in m)) {
        slot.ready = true;
        return;
      }
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (this.unref && slot.pending.size === 0) slot.worker.unref();
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
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      if (this.closed) return;
      if (!slot.ready || ++this.respawns > MAX_RESPAWNS) {
        // Workers cannot run here: read everything on this thread from now on, the held files too.
        this.inline = true;
        for (const [, p] of slot.pending) readDicomHeaderFromFile(p.path).then(p.resolve, p.reject);
        slot.pending.clear();
        return;
      }
      for (const [, p] of slot.pending) p.reject(new AmurError('import.readerFailed', { path: p.path, detail: why }));
      slot.pending.clear();
      this.slots.push(this.spawn());
    };
    slot.worker.on('error', (e) => fail(e.message));
    slot.worker.on('exit', (code) => {
      if (!this.closed) fail(`worker exited with code ${code}`);
    });
    return slot;
  }

  /** False once the pool has fallen back to reading on the calling thread. */
  get usesWorkers(): boolean {
    return !this.inline;
  }

  read(path: string): Promise<DicomHeader> {
    if (this.closed) return Promise.reject(new Error('header pool closed'));
    if (this.inline || this.slots.length === 0) return readDicomHeaderFromFile(path);
    let slot = this.slots[0];
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      // An idle pool must not keep its process alive, but one with work must, or a process whose
      // only pending work is a header read would exit mid-import.
      if (this.unref && slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, { path, resolve, reject });
      slot.worker.postMessage({ id, path } satisfies HeaderRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
