// The decisions the runner takes on the model's outputs: which score column applies to the chosen
// population, and the image-based out-of-distribution check (manifest "ood"), on fake outputs; and
// the refusal to load a model that lacks the "ood" output its manifest declares (the shipped file).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isAmurError } from '../common/errors.js';
import { t } from '../i18n/index.js';
import { BUNDLED_MODELS_DIR } from './models.js';
import { columnFor, ModelRunner, outOfDistribution } from './runner.js';
import { twoPopulationManifest } from './test-manifest.js';

const f32 = (...v: number[]) => Float32Array.from(v);
function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isAmurError(e), String(e));
    return e.code;
  }
  assert.fail('no error');
}

describe('score column', () => {
  it('takes the only column whatever the population, or the population\'s column of P', () => {
    assert.equal(columnFor(f32(0.25), 1, 2, 'score', 'm'), 0.25);
    assert.equal(columnFor(f32(0.25, 0.75), 0, 2, 'score', 'm'), 0.25);
    assert.equal(columnFor(f32(0.25, 0.75), 1, 2, 'score', 'm'), 0.75);
  });

  it('refuses any other shape', () => {
    assert.equal(code(() => columnFor(f32(0.1, 0.2, 0.3), 0, 2, 'score', 'm')), 'triage.badOutputShape');
    assert.equal(code(() => columnFor(f32(), 0, 1, 'score', 'm')), 'triage.badOutputShape');
  });
});

describe('out-of-distribution decision', () => {
  const m = twoPopulationManifest(); // thresholds: paediatric 512, adult 300

  it('scores an image within its own population\'s threshold, refuses one beyond it', () => {
    assert.equal(outOfDistribution(m, { ood: f32(512, 9999) }, 0), undefined);
    assert.equal(outOfDistribution(m, { ood: f32(9999, 299.9) }, 1), undefined);
    assert.deepEqual(outOfDistribution(m, { ood: f32(612.34, 0) }, 0), { distance: 612.3, threshold: 512, population: 'paediatric' });
    assert.deepEqual(outOfDistribution(m, { ood: f32(0, 300.06) }, 1), { distance: 300.1, threshold: 300, population: 'adult' });
  });

  it('is no check at all without "ood" in the manifest', () => {
    const plain = { ...m, ood: undefined };
    assert.equal(outOfDistribution(plain, {}, 0), undefined);
    assert.equal(outOfDistribution(plain, { ood: f32(1e9, 1e9) }, 1), undefined);
  });

  it('never passes an image on a missing, short or non-numeric distance', () => {
    assert.equal(code(() => outOfDistribution(m, {}, 0)), 'triage.badOutputShape');
    assert.equal(code(() => outOfDistribution(m, { ood: f32(1) }, 0)), 'triage.badOutputShape');
    assert.equal(code(() => outOfDistribution(m, { ood: f32(Number.NaN, 1) }, 0)), 'triage.badDistance');
    assert.equal(code(() => outOfDistribution(m, { ood: f32(1, Number.POSITIVE_INFINITY) }, 1)), 'triage.badDistance');
  });

  it('says in plain words why there is no score, in the three languages', () => {
    const params = outOfDistribution(m, { ood: f32(612.34, 0) }, 0)!;
    assert.equal(t('errors.triage.outOfDistribution', params, 'en'),
      'This image does not look like the chest radiographs the model was validated on (distance 612.3, limit 512), so no score is given');
    assert.match(t('errors.triage.outOfDistribution', params, 'ru'), /не похоже на рентгенограммы грудной клетки.*612\.3.*512/);
    assert.match(t('errors.triage.outOfDistribution', params, 'zh-CN'), /胸部 X 线片不相似.*612\.3.*512/);
  });
});

describe('loading a model', () => {
  it('refuses a model without the "ood" output its manifest declares', async () => {
    // The shipped file (verified by its real sha256) has score, cam and ood; this manifest names
    // an output it does not have.
    const manifest = twoPopulationManifest();
    manifest.ood = { ...manifest.ood!, output: 'distance' };
    await assert.rejects(ModelRunner.load({ manifest, modelPath: join(BUNDLED_MODELS_DIR, 'cxr-pneumonia', manifest.file) }), (e) => {
      assert.ok(isAmurError(e) && e.code === 'triage.modelLoadFailed');
      assert.match(String(e.params.detail), /the model has no output distance \(it has score, cam, ood\)/);
      return true;
    });
  });
});
