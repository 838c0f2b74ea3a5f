// One model loaded into onnxruntime (CPU) and the whole per-image pipeline around it: read the
// file, judge the scope from its header, decode, preprocess, run, postprocess. It runs inside a
// triage worker thread (triage.worker.ts); the benchmark also drives its stages one by one.
import * as ort from 'onnxruntime-node';
import { AmurError, isAmurError } from '../common/errors.js';
import { readDicomHeaderFromBytes } from '../dicom/header.js';
import type { ModelManifest } from './models.js';
import { readVerifiedModel } from './models.js';
import { decodeGreyImage, type GreyImage } from './pixels.js';
import { toInputTensor } from './preprocess.js';
import { judgeScope } from './scope.js';
import { readSource, sourcePath, type FileSource } from '../vault/file-cipher.js';

/** Milliseconds spent in each stage of one image. */
export interface StageTimings {
  read: number;
  decode: number;
  preprocess: number;
  run: number;
  postprocess: number;
}

/** The outcome for one instance; errors travel as code + params (AmurError does not survive postMessage). */
export type InstanceOutcome =
  | { status: 'done'; SOPInstanceUID: string; score: number; heatmap: number[]; notes: string[]; timings: StageTimings }
  | { status: 'not-applicable' | 'error'; SOPInstanceUID: string; code: string; params: Record<string, string | number> };

export interface ModelOutput {
  score: number;
  /** The raw class activation map, row-major. */
  cam: Float32Array;
}

/**
 * The heatmap the viewer overlays: the CAM's positive part (where the evidence for the label is),
 * divided by the model's fixed heatmap scale (manifest outputs.cam.heatmap_scale) and capped at 1, so
 * that a low-scoring image shows faint heat rather than a red spot of its own maximum; without a
 * scale, by the image's own maximum. Rounded to 3 decimals to keep stored results small.
 */
export function heatmapFromCam(cam: Float32Array, scale?: number): number[] {
  let max = 0;
  for (const v of cam) if (v > max) max = v;
  const by = scale && scale > 0 ? scale : max;
  return Array.from(cam, (v) => (by > 0 && v > 0 ? Math.round(Math.min(1, v / by) * 1000) / 1000 : 0));
}

export class ModelRunner {
  readonly manifest: ModelManifest;
  readonly size: number;
  private readonly session: ort.InferenceSession;

  private constructor(manifest: ModelManifest, session: ort.InferenceSession) {
    this.manifest = manifest;
    this.session = session;
    this.size = manifest.input.shape[2];
  }

  /** Verifies the model's SHA-256 and creates the session from the very bytes that were hashed. */
  static async load(model: { manifest: ModelManifest; modelPath: string }, intraOpNumThreads = 1): Promise<ModelRunner> {
    const bytes = readVerifiedModel(model);
    try {
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: ['cpu'],
        intraOpNumThreads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
      return new ModelRunner(model.manifest, session);
    } catch (e) {
      throw new AmurError('triage.modelLoadFailed', { id: model.manifest.id, path: model.modelPath, detail: e instanceof Error ? e.message : String(e) });
    }
  }

  /**
   * Decoded grey image -> normalised input tensor. A fresh buffer per image: a worker interleaves
   * requests at every await, and onnxruntime reads the tensor while another image is being prepared.
   */
  preprocess(img: GreyImage): Float32Array {
    return toInputTensor(img, this.size, this.manifest.preprocessing.normalisation);
  }

  /** The bare model call on a prepared tensor; also what the benchmark compares the pipeline with. */
  async run(tensor: Float32Array): Promise<ModelOutput> {
    const feeds = { [this.manifest.input.name]: new ort.Tensor('float32', tensor, [1, 1, this.size, this.size]) };
    const out = await this.session.run(feeds);
    const score = (out.score.data as Float32Array)[0];
    const cam = out.cam ? (out.cam.data as Float32Array) : new Float32Array(0);
    return { score, cam };
  }

  /** The whole pipeline for one stored file. Never throws: every failure becomes an outcome. */
  async triageFile(source: FileSource, SOPInstanceUID = ''): Promise<InstanceOutcome> {
    try {
      const t0 = performance.now();
      const path = sourcePath(source);
      const bytes = await readSource(source);
      const header = await readDicomHeaderFromBytes(bytes, { path });
      const uid = header.attributes.SOPInstanceUID ?? SOPInstanceUID;
      const scope = judgeScope(header.attributes, this.manifest.scope);
      if (!scope.inScope) {
        return scope.value
          ? { status: 'not-applicable', SOPInstanceUID: uid, code: 'triage.outOfScope', params: { keyword: scope.keyword, value: scope.value, expected: scope.expected } }
          : { status: 'not-applicable', SOPInstanceUID: uid, code: 'triage.outOfScopeMissing', params: { keyword: scope.keyword, expected: scope.expected } };
      }
      const t1 = performance.now();
      const img = await decodeGreyImage(bytes, path);
      const t2 = performance.now();
      const tensor = this.preprocess(img);
      const t3 = performance.now();
      const { score, cam } = await this.run(tensor);
      const t4 = performance.now();
      if (!Number.isFinite(score) || score < 0 || score > 1) throw new AmurError('triage.badOutput', { id: this.manifest.id, value: String(score) });
      const heatmap = heatmapFromCam(cam, this.manifest.outputs.cam?.heatmap_scale);
      const t5 = performance.now();
      return {
        status: 'done', SOPInstanceUID: uid, score, heatmap, notes: img.notes,
        timings: { read: t1 - t0, decode: t2 - t1, preprocess: t3 - t2, run: t4 - t3, postprocess: t5 - t4 },
      };
    } catch (e) {
      if (isAmurError(e)) return { status: 'error', SOPInstanceUID, code: e.code, params: e.params };
      return { status: 'error', SOPInstanceUID, code: 'internal', params: { detail: e instanceof Error ? e.message : String(e) } };
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
