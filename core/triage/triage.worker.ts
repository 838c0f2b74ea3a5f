// A triage worker thread: keeps loaded models (one onnxruntime session per model file and hash)
// and runs the per-image pipeline for each task of the TriagePool, so inference never blocks the
// main thread.
import { workerData } from 'node:worker_threads';
import { serveTasks } from '../common/pool-worker.js';
import type { ModelManifest } from './models.js';
import { ModelRunner } from './runner.js';
import type { TriageTask } from './pool.js';

const threads: number = workerData?.intraOpNumThreads ?? 1;
const sessions = new Map<string, Promise<ModelRunner>>();

function runnerFor(model: { manifest: ModelManifest; modelPath: string }): Promise<ModelRunner> {
  // Keyed by path and expected hash: a changed manifest or file gives a fresh verified load.
  const key = `${model.modelPath}\n${model.manifest.sha256}`;
  let r = sessions.get(key);
  if (!r) {
    r = ModelRunner.load(model, threads);
    sessions.set(key, r);
    // A failed load is not cached, so fixing the file and retrying works without a restart.
    r.catch(() => sessions.delete(key));
  }
  return r;
}

await serveTasks(async (t: TriageTask) => (await runnerFor(t.model)).triageFile(t.source, t.SOPInstanceUID));
