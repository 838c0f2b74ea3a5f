// A triage worker thread: keeps loaded models (one onnxruntime session per model file and hash)
// and runs the per-image pipeline for each request, so inference never blocks the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { isAmurError } from '../common/errors.js';
import type { ModelManifest } from './models.js';
import { ModelRunner } from './runner.js';
import type { TriageReply, TriageRequest } from './pool.js';

const port = parentPort!;
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

port.on('message', async (req: TriageRequest) => {
  let reply: TriageReply;
  try {
    const runner = await runnerFor(req.model);
    reply = { id: req.id, outcome: await runner.triageFile(req.source, req.SOPInstanceUID) };
  } catch (e) {
    reply = isAmurError(e)
      ? { id: req.id, error: { code: e.code, params: e.params } }
      : { id: req.id, error: { code: 'internal', params: { detail: e instanceof Error ? e.message : String(e) } } };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true });
