// A small pool of worker threads that read DICOM headers, so that a process hosting the UI never
// blocks on parsing while a large study is imported. It is the common worker pool
// (core/common/pool.ts) with the importer's policies: a worker that dies (a reader bug, an exhausted
// stack) fails only the files it held, by name, and a fresh one takes its place; where workers
// cannot run at all (one that dies before it is ready, or too many deaths), the pool reads on the
// calling thread instead: slower for a UI, but an import never hangs on a pool that keeps respawning.
import { availableParallelism } from 'node:os';
import { AmurError } from '../common/errors.js';
import { WorkerPool } from '../common/pool.js';
import type { DicomHeader } from '../dicom/attributes.js';
import { readDicomHeaderFromFile } from '../dicom/header.js';

/** Workers that may die after starting (each failing only its own files) before the pool stops respawning. */
const MAX_RESPAWNS = 8;
/** Files one worker reads at once: its reads are asynchronous, so several overlap. */
const PER_WORKER = 8;

/** Workers for a machine: one per core beyond the one the importer's own thread uses, 1 to 4. */
export function defaultPoolSize(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

export class HeaderPool {
  private readonly pool: WorkerPool<string, DicomHeader>;

  /**
   * @param unref let the process exit while the pool idles (a long-lived pool in a host process).
   * @param workerModule the worker's code (tests pass one that fails, to exercise the fallbacks).
   */
  constructor(
    readonly size = defaultPoolSize(),
    unref = false,
    workerModule = new URL('./header.worker.ts', import.meta.url),
  ) {
    this.pool = new WorkerPool<string, DicomHeader>({
      module: workerModule,
      size,
      perWorker: PER_WORKER,
      unrefWhenIdle: unref,
      maxRespawns: MAX_RESPAWNS,
      workerDied: (path, why) => new AmurError('import.readerFailed', { path, detail: why }),
      closedError: () => new Error('header pool closed'),
      fallback: (path) => readDicomHeaderFromFile(path),
    });
  }

  /** False once the pool has fallen back to reading on the calling thread. */
  get usesWorkers(): boolean {
    return this.pool.usesWorkers;
  }

  read(path: string): Promise<DicomHeader> {
    return this.pool.run(path);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
