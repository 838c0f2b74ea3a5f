// One model loaded into onnxruntime (CPU) and the whole per-image pipeline around it: read the
// file, judge the scope and choose the population from its header, decode, preprocess, run, refuse
// an image unlike the population's training images (manifest "ood"), postprocess. It runs inside a
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
  | {
      status: 'done'; SOPInstanceUID: string; score: number; heatmap: number[]; notes: string[]; timings: StageTimings;
      /** The id of the population (manifest "populations") whose operating points apply. */
      population: string;
    }
  | { status: 'not-applicable' | 'error'; SOPInstanceUID: string; code: string; params: Record<string, string | number> };

export interface ModelOutput {
  /** The score for the population asked for: its column when "score" has one per population, else the only one. */
  score: number;
  /** The raw class activation map, row-major. */
  cam: Float32Array;
  /** The out-of-distribution distances, one per population (manifest "ood"); absent without one. */
  ood?: Float32Array;
}

/**
 * Population p's part of a per-image output with `channels` channels: either one channel (the same
 * whatever the population) or one per population (a package with one network per population);
 * anything else is a model that does not fit its manifest.
 */
function channelFor(data: Float32Array, channels: number, p: number, populations: number, output: string, id: string): Float32Array {
  if (channels === 1) return data;
  if (channels !== populations) throw new AmurError('triage.badOutputShape', { id, output, actual: channels, expected: populations === 1 ? '1' : `1 or ${populations}` });
  const per = data.length / channels;
  return data.subarray(p * per, (p + 1) * per);
}

/** The score of population p ("score" is [1, 1] or [1, P]). */
export function columnFor(values: Float32Array, p: number, populations: number, output: string, id: string): number {
  return channelFor(values, values.length, p, populations, output, id)[0];
}

/** The class activation map of population p ("cam" is [1, 1, H, W] or [1, P, H, W]). */
export function camFor(cam: ort.Tensor, p: number, populations: number, id: string): Float32Array {
  return channelFor(cam.data as Float32Array, cam.dims.length === 4 ? cam.dims[1] : 1, p, populations, 'cam', id);
}

/**
 * The image-based check (manifest "ood"): the image's distance from population p's training
 * images, against that population's ood_threshold. Returns the figures of a refusal, or undefined
 * when the image may be scored (or the manifest has no "ood"). A distance that is not a number is
 * an error, never a pass.
 */
export function outOfDistribution(manifest: Pick<ModelManifest, 'id' | 'ood' | 'populations'>, output: Pick<ModelOutput, 'ood'>, p: number):
  { distance: number; threshold: number; population: string } | undefined {
  if (!manifest.ood) return undefined;
  const P = manifest.populations.length;
  const population = manifest.populations[p];
  if (!output.ood || output.ood.length !== P) {
    throw new AmurError('triage.badOutputShape', { id: manifest.id, output: manifest.ood.output, actual: output.ood?.length ?? 0, expected: String(P) });
  }
  const distance = output.ood[p];
  if (!Number.isFinite(distance)) throw new AmurError('triage.badDistance', { id: manifest.id, value: String(distance) });
  const threshold = population.ood_threshold!;
  if (distance <= threshold) return undefined;
  return { distance: Math.round(distance * 10) / 10, threshold, population: population.id };
}

/**
 * The heatmap the viewer overlays: the CAM's positive part (where the evidence for the label is),
 * divided by a fixed heatmap scale (see heatmapScale) and capped at 1, so
 * that a low-scoring image shows faint heat rather than a red spot of its own maximum; without a
 * scale, by the image's own maximum. Rounded to 3 decimals to keep stored results small.
 */
export function heatmapFromCam(cam: Float32Array, scale?: number): number[] {
  let max = 0;
  for (const v of cam) if (v > max) max = v;
  const by = scale && scale > 0 ? scale : max;
  return Array.from(cam, (v) => (by > 0 && v > 0 ? Math.round(Math.min(1, v / by) * 1000) / 1000 : 0));
}

/** The display scale of population p's heatmap: its own (a network per population), else the model's. */
export function heatmapScale(manifest: Pick<ModelManifest, 'populations' | 'outputs'>, p: number): number | undefined {
  return manifest.populations[p]?.heatmap_scale ?? manifest.outputs.cam?.heatmap_scale;
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

  /**
   * Verifies the model's SHA-256 and creates the session from the very bytes that were hashed. A
   * model without the outputs its manifest declares ("score", and the "ood" output when the
   * manifest has "ood") is refused here: skipping the image-based check silently would score images
   * the manifest says must be checked first.
   */
  static async load(model: { manifest: ModelManifest; modelPath: string }, intraOpNumThreads = 1): Promise<ModelRunner> {
    const bytes = readVerifiedModel(model);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        executionProviders: ['cpu'],
        intraOpNumThreads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
    } catch (e) {
      throw new AmurError('triage.modelLoadFailed', { id: model.manifest.id, path: model.modelPath, detail: e instanceof Error ? e.message : String(e) });
    }
    const wanted = ['score', ...(model.manifest.ood ? [model.manifest.ood.output] : [])];
    const missing = wanted.filter((name) => !session.outputNames.includes(name));
    if (missing.length) {
      await session.release();
      throw new AmurError('triage.modelLoadFailed', {
        id: model.manifest.id, path: model.modelPath, detail: `the model has no output ${missing.join(', ')} (it has ${session.outputNames.join(', ')})`,
      });
    }
    return new ModelRunner(model.manifest, session);
  }

  /**
   * Decoded grey image -> normalised input tensor. A fresh buffer per image: a worker interleaves
   * requests at every await, and onnxruntime reads the tensor while another image is being prepared.
   */
  preprocess(img: GreyImage): Float32Array {
    return toInputTensor(img, this.size, this.manifest.preprocessing.normalisation);
  }

  /**
   * The bare model call on a prepared tensor, for population p (index in manifest "populations");
   * also what the benchmark compares the pipeline with.
   */
  async run(tensor: Float32Array, p = 0): Promise<ModelOutput> {
    const feeds = { [this.manifest.input.name]: new ort.Tensor('float32', tensor, [1, 1, this.size, this.size]) };
    const out = await this.session.run(feeds);
    const P = this.manifest.populations.length;
    const score = columnFor(out.score.data as Float32Array, p, P, 'score', this.manifest.id);
    const cam = out.cam ? camFor(out.cam, p, P, this.manifest.id) : new Float32Array(0);
    const oodName = this.manifest.ood?.output;
    const ood = oodName && out[oodName] ? (out[oodName].data as Float32Array) : undefined;
    return ood ? { score, cam, ood } : { score, cam };
  }

  /** The whole pipeline for one stored file. Never throws: every failure becomes an outcome. */
  async triageFile(source: FileSource, SOPInstanceUID = ''): Promise<InstanceOutcome> {
    try {
      const t0 = performance.now();
      const path = sourcePath(source);
      const bytes = await readSource(source);
      const header = await readDicomHeaderFromBytes(bytes, { path });
      const uid = header.attributes.SOPInstanceUID ?? SOPInstanceUID;
      const scope = judgeScope(header.attributes, this.manifest.scope, this.manifest.populations);
      if (!scope.inScope) return { status: 'not-applicable', SOPInstanceUID: uid, code: scope.code, params: scope.params };
      const p = scope.population.index;
      const t1 = performance.now();
      const img = await decodeGreyImage(bytes, path);
      const t2 = performance.now();
      const tensor = this.preprocess(img);
      const t3 = performance.now();
      const output = await this.run(tensor, p);
      const t4 = performance.now();
      // An image unlike the population's training images gets no score at all, not a flagged one.
      const ood = outOfDistribution(this.manifest, output, p);
      if (ood) return { status: 'not-applicable', SOPInstanceUID: uid, code: 'triage.outOfDistribution', params: ood };
      const { score, cam } = output;
      if (!Number.isFinite(score) || score < 0 || score > 1) throw new AmurError('triage.badOutput', { id: this.manifest.id, value: String(score) });
      const heatmap = heatmapFromCam(cam, heatmapScale(this.manifest, p));
      const t5 = performance.now();
      return {
        status: 'done', SOPInstanceUID: uid, score, heatmap, notes: img.notes, population: scope.population.id,
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
