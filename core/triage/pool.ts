// Worker threads that run triage, sized for the machine: one worker per core beyond the one the
// host's own thread needs (1 to 4), each onnxruntime session single-threaded, so a busy triage never
// takes the last core from the UI. It is the common worker pool (core/common/pool.ts): requests go
// to the least busy worker; a worker that dies fails only the requests it held and a fresh one takes
// its place. Each worker keeps its loaded sessions, so a model is verified and loaded once per
// worker, not once per image.
import { availableParallelism } from 'node:os';
import { AmurError } from '../common/errors.js';
import { WorkerPool } from '../common/pool.js';
import { sourcePath, type FileSource } from '../vault/file-cipher.js';
import type { ModelManifest } from './models.js';
import type { InstanceOutcome } from './runner.js';

export interface TriageTask {
  model: { manifest: ModelManifest; modelPath: string };
  source: FileSource;
  SOPInstanceUID: string;
}

/** Images one worker holds at once: the next file is read while one is inferred. */
const PER_WORKER = 2;

export function defaultTriagePoolSize(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

export class TriagePool {
  readonly size: number;
  private readonly pool: WorkerPool<TriageTask, InstanceOutcome>;

  constructor(size = defaultTriagePoolSize()) {
    this.size = size;
    this.pool = new WorkerPool<TriageTask, InstanceOutcome>({
      module: new URL('./triage.worker.ts', import.meta.url),
      size,
      perWorker: PER_WORKER,
      workerData: { intraOpNumThreads: 1 },
      workerDied: (t, why) => new AmurError('triage.workerFailed', { path: sourcePath(t.source), detail: why }),
      closedError: () => new Error('triage pool closed'),
    });
  }

  /**
   * Triages one stored file. Resolves with the outcome (done / not-applicable / error for that
   * image); rejects only when the model itself cannot be used (hash mismatch, load failure).
   */
  triage(model: { manifest: ModelManifest; modelPath: string }, source: FileSource, SOPInstanceUID = ''): Promise<InstanceOutcome> {
    return this.pool.run({ model: { manifest: model.manifest, modelPath: model.modelPath }, source, SOPInstanceUID });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
