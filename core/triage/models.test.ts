// Manifest validation: the format of cxr-pneumonia 2.0.0 (populations, optional ood, metrics that
// name their population) is what the runtime reads; a manifest without it, or with a population
// that cannot be used, is refused with triage.invalidManifest and a detail that says what is wrong.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isAmurError } from '../common/errors.js';
import { BUNDLED_MODELS_DIR, readManifest } from './models.js';
import { shippedManifestJson, twoPopulationJson } from './test-manifest.js';

const root = mkdtempSync(join(tmpdir(), 'amur-manifest-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function read(json: unknown) {
  const dir = join(root, String(n++));
  mkdirSync(dir);
  writeFileSync(join(dir, 'manifest.json'), typeof json === 'string' ? json : JSON.stringify(json));
  return readManifest(dir);
}

/** The detail of the refusal, which must be triage.invalidManifest. */
function refusal(json: unknown): string {
  try {
    read(json);
  } catch (e) {
    assert.ok(isAmurError(e) && e.code === 'triage.invalidManifest', String(e));
    return String(e.params.detail);
  }
  assert.fail('the manifest was accepted');
}

function broken(edit: (m: Record<string, any>) => void): string {
  const m = twoPopulationJson();
  edit(m);
  return refusal(m);
}

describe('model manifest', () => {
  it('reads the shipped manifest: one adult population, no ood', () => {
    const m = readManifest(join(BUNDLED_MODELS_DIR, 'cxr-pneumonia'));
    assert.ok(m.populations.length >= 1);
    assert.equal(m.metrics.population, m.populations.find((p) => p.id === m.metrics.population)?.id);
  });

  it('reads a two-population manifest with an ood output', () => {
    const m = read(twoPopulationJson());
    assert.deepEqual(m.populations.map((p) => [p.id, p.age_years, p.ViewPosition, p.ood_threshold]), [
      ['paediatric', [1, 5], ['AP'], 512], ['adult', [18, 85], ['AP', 'PA'], 300],
    ]);
    assert.equal(m.ood?.output, 'ood');
    assert.equal(m.metrics.population, 'paediatric');
  });

  it('needs no top-level operating_points, and a manifest without populations is refused, old or not', () => {
    const old = shippedManifestJson();
    delete old.populations;
    old.operating_points = { balanced: 0.6, high_sensitivity: 0.3 };
    assert.match(refusal(old), /^populations is required/);
    assert.match(broken((m) => { m.populations = []; }), /^populations is required/);
    assert.match(broken((m) => { m.populations = { adult: {} }; }), /^populations is required/);
  });

  it('refuses a population without what the runtime uses, naming it', () => {
    assert.match(broken((m) => { delete m.populations[1].id; }), /populations\[1\]\.id is required/);
    assert.match(broken((m) => { m.populations[1].id = 'paediatric'; m.populations[1].metrics.population = 'paediatric'; }), /"paediatric" is used twice/);
    assert.match(broken((m) => { m.populations[0].description = ''; }), /populations\[0\]\.description is required/);
    assert.match(broken((m) => { delete m.populations[0].operating_points.high_sensitivity; }), /populations\[0\]\.operating_points needs balanced and high_sensitivity/);
    assert.match(broken((m) => { m.populations[0].operating_points.balanced = '0.6'; }), /populations\[0\]\.operating_points/);
    assert.match(broken((m) => { m.populations[1].ViewPosition = []; }), /populations\[1\]\.ViewPosition must list/);
    assert.match(broken((m) => { m.populations[1].ViewPosition = ['PA', 'LL']; }), /populations\[1\]\.ViewPosition LL is not in scope\.ViewPosition/);
    assert.match(broken((m) => { m.populations[0].ood_threshold = 'high'; }), /populations\[0\]\.ood_threshold must be a number/);
  });

  it('refuses age bands that are not whole years with min <= max, or that overlap', () => {
    for (const bad of [[5, 1], [1.5, 5], [1], [1, 5, 7], '1-5', [-1, 5], [1, null]]) {
      assert.match(broken((m) => { m.populations[0].age_years = bad; }), /populations\[0\]\.age_years must be \[min, max\]/, JSON.stringify(bad));
    }
    assert.match(broken((m) => { m.populations[1].age_years = [5, 85]; }), /populations\[0\] and populations\[1\] have overlapping age_years/);
    // A band of one year is a band.
    const one = twoPopulationJson();
    one.populations[0].age_years = [3, 3];
    assert.deepEqual(read(one).populations[0].age_years, [3, 3]);
  });

  it('refuses metrics that do not name their population', () => {
    assert.match(broken((m) => { delete m.populations[0].metrics; }), /populations\[0\]\.metrics is required/);
    assert.match(broken((m) => { delete m.populations[0].metrics.population; }), /populations\[0\]\.metrics\.population must name/);
    assert.match(broken((m) => { m.populations[0].metrics.population = 'adult'; }), /populations\[0\]\.metrics\.population is "adult", not the population's id "paediatric"/);
    assert.match(broken((m) => { m.populations[0].metrics.auroc_ci95 = [0.9]; }), /populations\[0\]\.metrics needs auroc, auroc_ci95/);
    assert.match(broken((m) => { delete m.metrics; }), /^metrics is required/);
    assert.match(broken((m) => { delete m.metrics.population; }), /^metrics\.population must name/);
    assert.match(broken((m) => { m.metrics.population = 'elderly'; }), /metrics\.population "elderly" is none of the populations/);
  });

  it('with ood, needs its output name and a threshold for every population; without, no threshold is needed', () => {
    assert.match(broken((m) => { delete m.populations[1].ood_threshold; }), /populations\[1\]\.ood_threshold is required, since the manifest has "ood"/);
    assert.match(broken((m) => { m.ood = { method: 'x' }; }), /ood\.output must name/);
    const plain = twoPopulationJson();
    delete plain.ood;
    for (const p of plain.populations) delete p.ood_threshold;
    assert.equal(read(plain).ood, undefined);
  });

  it('refuses what is not a JSON object', () => {
    assert.match(refusal('null'), /must be a JSON object/);
    assert.match(refusal('[]'), /must be a JSON object/);
    assert.match(refusal('{'), /JSON/);
  });
});
