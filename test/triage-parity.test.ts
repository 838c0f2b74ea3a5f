// Parity: the shipped ONNX model, run by onnxruntime-node exactly as the runtime runs it, gives the
// scores, out-of-distribution distances and class activation maps the trained PyTorch networks gave
// the same inputs (recorded by models/cxr-pneumonia/train/train.py in parity.json), for both
// populations: the adult 256x256 PNGs and the paediatric 224x224 JPEGs the runtime enlarges.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { readManifest, sha256Hex } from '../core/triage/models.js';
import { toInputTensor } from '../core/triage/preprocess.js';
import { ModelRunner } from '../core/triage/runner.js';
import { REPO_ROOT } from './shared-data.js';
import { populationImage, readGreyImages } from './triage-fixtures.js';

const MODEL_DIR = join(REPO_ROOT, 'models', 'cxr-pneumonia');
const parity: {
  model_sha256: string;
  inputs: { population: string; filename: string; label: string; score: number[]; ood: number[]; cam_mean: number; cam_0_0: number; cam_8_8: number }[];
} = JSON.parse(readFileSync(join(MODEL_DIR, 'train', 'parity.json'), 'utf8'));

describe('ONNX parity with the trained PyTorch networks', () => {
  const manifest = readManifest(MODEL_DIR);
  const P = manifest.populations.length;
  let runner: ModelRunner;
  let bare: ort.InferenceSession;
  let tensors: Float32Array[];
  before(async () => {
    runner = await ModelRunner.load({ manifest, modelPath: join(MODEL_DIR, manifest.file) });
    bare = await ort.InferenceSession.create(join(MODEL_DIR, manifest.file));
    const imgs = readGreyImages(parity.inputs.map((p) => populationImage(p.population, p.filename)));
    tensors = imgs.map(({ width, height, grey }) =>
      toInputTensor({ width, height, data: Float32Array.from(grey, (v) => v / 255), notes: [] }, 256, manifest.preprocessing.normalisation));
  });
  after(async () => {
    await runner.release();
    await bare.release();
  });

  it('records were made from the shipped file, for every population', () => {
    assert.equal(parity.model_sha256, manifest.sha256);
    assert.equal(sha256Hex(readFileSync(join(MODEL_DIR, manifest.file))), manifest.sha256);
    for (const pop of manifest.populations) {
      const mine = parity.inputs.filter((p) => p.population === pop.id);
      assert.ok(mine.some((p) => p.label === 'pneumonia') && mine.some((p) => p.label === 'normal'), pop.id);
    }
  });

  it("reproduces each population's score, OOD distances and CAM through the runtime preprocessing", async () => {
    for (const [i, p] of parity.inputs.entries()) {
      const idx = manifest.populations.findIndex((x) => x.id === p.population);
      const out = await runner.run(tensors[i], idx);
      assert.ok(Math.abs(out.score - p.score[idx]) < 1e-4, `${p.filename}: ${out.score} vs ${p.score[idx]}`);
      assert.equal(out.ood!.length, P);
      for (let k = 0; k < P; k++) assert.ok(Math.abs(out.ood![k] - p.ood[k]) <= 1e-3 * Math.max(1, p.ood[k]), `${p.filename} ood[${k}] ${out.ood![k]} vs ${p.ood[k]}`);
      assert.equal(out.cam.length, 16 * 16);
      const mean = out.cam.reduce((a, b) => a + b, 0) / out.cam.length;
      assert.ok(Math.abs(mean - p.cam_mean) < 1e-4, `${p.filename} cam mean ${mean} vs ${p.cam_mean}`);
      assert.ok(Math.abs(out.cam[0] - p.cam_0_0) < 1e-4);
      assert.ok(Math.abs(out.cam[8 * 16 + 8] - p.cam_8_8) < 1e-4);
      // The CAM is what the score is made of: the population's calibration of the map's mean.
      const { a, b } = manifest.populations[idx].calibration!;
      assert.ok(Math.abs(1 / (1 + Math.exp(-(a * mean + b))) - out.score) < 1e-4);
    }
  });

  it('agrees with a bare session on the same tensor (the runtime adds nothing to the model)', async () => {
    for (const [i, p] of parity.inputs.entries()) {
      const idx = manifest.populations.findIndex((x) => x.id === p.population);
      const viaRunner = await runner.run(tensors[i], idx);
      const viaBare = await bare.run({ image: new ort.Tensor('float32', tensors[i], [1, 1, 256, 256]) });
      assert.equal(viaRunner.score, (viaBare.score.data as Float32Array)[idx]);
    }
  });
});
