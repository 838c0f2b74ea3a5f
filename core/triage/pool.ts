// Worker threads that run triage, sized for the machine: one worker per core beyond the one the
// host's own thread needs (1 to 4), each onnxruntime session single-threaded, so a busy triage never
// takes the last core from the UI. Requests go to the worker with the fewest in flight; a worker
// that dies fails only the requests it held and a fresh one takes its place. Each worker keeps its
// loaded sessions, so a model is verified and loaded once per worker, not once per image.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { AmurError, type ErrorParams } from '../common/errors.js';
import { startWorker } from '../common/worker.js';
import { sourcePath, type FileSource } from '../vault/file-cipher.js';
import type { ModelManifest } from './models.js';
import type { InstanceOutcome } from './runner.js';

export interface TriageRequest {
  id: number;
  model: { manifest: ModelManifest; modelPath: string };
  source: FileSource;
  SOPInstanceUID: string;
}
export type TriageReply =
  | { id: number; outcome: InstanceOutcome; error?: undefined }
  | { id: number; outcome?: undefined; error: { code: string; params: ErrorParams } };

interface Pending {
  path: string;
  resolve: (o: InstanceOutcome) => void;
  reject: (e: unknown) => void;
}
interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  dead: boolean;
}

export function defaultTriagePoolSize(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

export class TriagePool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed = false;

  constructor(size = defaultTriagePoolSize()) {
    this.size = size;
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = startWorker(new URL('./triage.worker.ts', import.meta.url), { workerData: { intraOpNumThreads: 1 } });
    const slot: Slot = { worker, pending: new Map(), dead: false };
    worker.on('message', (m: TriageReply | { ready: true }) => {
      if (!('id' in m)) return;
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (m.error) p.reject(m.error.code === 'internal' ? new Error(String(m.error.params.detail)) : new AmurError(m.error.code, m.error.params));
      else p.resolve(m.outcome);
    });
    const fail = (why: string) => {
      if (slot.dead) return;
      slot.dead = true;
      for (const [, p] of slot.pending) p.reject(new AmurError('triage.workerFailed', { path: p.path, detail: why }));
      slot.pending.clear();
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) this.slots[i] = this.spawn();
    };
    worker.on('error', (e) => fail(e.message));
    worker.on('exit', (code) => {
      if (!this.closed) fail(`worker exited with code ${code}`);
    });
    return slot;
  }

  /**
   * Triages one stored file. Resolves with the outcome (done / not-applicable / error for that
   * image); rejects only when the model itself cannot be used (hash mismatch, load failure).
   */
  triage(model: { manifest: ModelManifest; modelPath: string }, source: FileSource, SOPInstanceUID = ''): Promise<InstanceOutcome> {
    const path = sourcePath(source);
    if (this.closed) return Promise.reject(new Error('triage pool closed'));
    let slot = this.slots[0];
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { path, resolve, reject });
      slot.worker.postMessage({ id, model: { manifest: model.manifest, modelPath: model.modelPath }, source, SOPInstanceUID } satisfies TriageRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
