// Parity: the shipped ONNX model, run by onnxruntime-node exactly as the runtime runs it, gives the
// scores and class activation maps the trained PyTorch model gave the same inputs (recorded by
// models/cxr-pneumonia/train/train.py in parity.json), within 1e-4.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { readManifest, sha256Hex } from '../core/triage/models.js';
import { toInputTensor } from '../core/triage/preprocess.js';
import { ModelRunner } from '../core/triage/runner.js';
import { REPO_ROOT } from './shared-data.js';
import { readPng } from './triage-fixtures.js';

const MODEL_DIR = join(REPO_ROOT, 'models', 'cxr-pneumonia');
const parity: {
  model_sha256: string;
  inputs: { filename: string; label: string; score: number; cam_mean: number; cam_0_0: number; cam_8_8: number }[];
} = JSON.parse(readFileSync(join(MODEL_DIR, 'train', 'parity.json'), 'utf8'));

describe('ONNX parity with the trained PyTorch model', () => {
  const manifest = readManifest(MODEL_DIR);
  let runner: ModelRunner;
  let bare: ort.InferenceSession;
  before(async () => {
    runner = await ModelRunner.load({ manifest, modelPath: join(MODEL_DIR, manifest.file) });
    bare = await ort.InferenceSession.create(join(MODEL_DIR, manifest.file));
  });
  after(async () => {
    await runner.release();
    await bare.release();
  });

  it('records were made from the shipped file', () => {
    assert.equal(parity.model_sha256, manifest.sha256);
    assert.equal(sha256Hex(readFileSync(join(MODEL_DIR, manifest.file))), manifest.sha256);
    assert.ok(parity.inputs.length >= 6);
    assert.ok(parity.inputs.some((p) => p.label === 'pneumonia') && parity.inputs.some((p) => p.label === 'normal'));
  });

  it('reproduces score and CAM for every recorded input through the runtime preprocessing', async () => {
    for (const p of parity.inputs) {
      const { width, height, grey } = readPng(p.filename);
      const data = Float32Array.from(grey, (v) => v / 255);
      const tensor = toInputTensor({ width, height, data, notes: [] }, 256, manifest.preprocessing.normalisation);
      const out = await runner.run(tensor);
      assert.ok(Math.abs(out.score - p.score) < 1e-4, `${p.filename}: ${out.score} vs ${p.score}`);
      assert.equal(out.cam.length, 16 * 16);
      const mean = out.cam.reduce((a, b) => a + b, 0) / out.cam.length;
      assert.ok(Math.abs(mean - p.cam_mean) < 1e-4, `${p.filename} cam mean ${mean} vs ${p.cam_mean}`);
      assert.ok(Math.abs(out.cam[0] - p.cam_0_0) < 1e-4);
      assert.ok(Math.abs(out.cam[8 * 16 + 8] - p.cam_8_8) < 1e-4);
      // The CAM is what the score is made of: sigmoid(mean of the map) is the score.
      assert.ok(Math.abs(1 / (1 + Math.exp(-mean)) - out.score) < 1e-5);
    }
  });

  it('agrees with a bare session on the same tensor (the runtime adds nothing to the model)', async () => {
    const p = parity.inputs[0];
    const { width, height, grey } = readPng(p.filename);
    const tensor = toInputTensor({ width, height, data: Float32Array.from(grey, (v) => v / 255), notes: [] }, 256, manifest.preprocessing.normalisation);
    const viaRunner = await runner.run(tensor);
    const viaBare = await bare.run({ image: new ort.Tensor('float32', tensor, [1, 1, 256, 256]) });
    assert.equal(viaRunner.score, (viaBare.score.data as Float32Array)[0]);
  });
});
