// A study's result from its images' outcomes when the model has populations: the best image's
// score is judged at its own population's operating points, and the result names the population;
// the stored result keeps it (triage_results.population, migration 6).
import assert from 'node:assert/strict';
import Database from 'better-sqlite3-multiple-ciphers';
import { describe, it } from 'node:test';
import { migrations } from '../store/migrations.js';
import type { InstalledModel } from './models.js';
import { TriageResults } from './results.js';
import type { InstanceOutcome } from './runner.js';
import { studyResult } from './service.js';
import { twoPopulationManifest } from './test-manifest.js';

const model: InstalledModel = { manifest: twoPopulationManifest(), dir: '/nowhere', modelPath: '/nowhere/model.onnx', origin: 'bundled' };
const timings = { read: 0, decode: 0, preprocess: 0, run: 0, postprocess: 0 };
const done = (SOPInstanceUID: string, score: number, population: string): InstanceOutcome =>
  ({ status: 'done', SOPInstanceUID, score, heatmap: [0, 0.5, 1, 0], notes: [], timings, population });
const now = new Date('2026-05-01T10:00:00Z');

describe('study result with populations', () => {
  it('judges the best image at its population\'s operating points and names the population', () => {
    // Adult: balanced 0.7, high sensitivity 0.4. Paediatric: 0.61 and 0.33.
    const adult = studyResult('1.2.3', model, [done('1', 0.65, 'adult'), { status: 'not-applicable', SOPInstanceUID: '2', code: 'triage.outOfScope', params: {} }], now);
    assert.equal(adult.status, 'done');
    assert.equal(adult.population, 'adult');
    assert.deepEqual(adult.operatingPoints, { balanced: 0.7, high_sensitivity: 0.4 });
    assert.deepEqual(adult.findings, [{ label: 'pneumonia', score: 0.65, positive: false, positiveAtHighSensitivity: true }]);
    assert.deepEqual(adult.instances, { done: 1, notApplicable: 1, error: 0 });

    const child = studyResult('1.2.4', model, [done('3', 0.65, 'paediatric')], now);
    assert.equal(child.population, 'paediatric');
    assert.deepEqual(child.operatingPoints, { balanced: 0.61, high_sensitivity: 0.33 });
    assert.equal(child.findings[0].positive, true);
    assert.equal(child.SOPInstanceUID, '3');
    assert.deepEqual(child.heatmap, { SOPInstanceUID: '3', rows: 2, columns: 2, values: [0, 0.5, 1, 0] });
  });

  it('takes the highest score, and that image\'s population', () => {
    const r = studyResult('1.2.5', model, [done('a', 0.5, 'paediatric'), done('b', 0.8, 'adult')], now);
    assert.equal(r.SOPInstanceUID, 'b');
    assert.equal(r.population, 'adult');
  });

  it('a study with no score names no population and carries the headline population\'s operating points', () => {
    const na = studyResult('1.2.6', model, [{ status: 'not-applicable', SOPInstanceUID: 'x', code: 'triage.outOfDistribution', params: { distance: 600, threshold: 512, population: 'paediatric' } }], now);
    assert.equal(na.status, 'not-applicable');
    assert.equal(na.reasonCode, 'triage.outOfDistribution');
    assert.equal(na.population, undefined);
    assert.deepEqual(na.operatingPoints, { balanced: 0.61, high_sensitivity: 0.33 }); // metrics.population is paediatric
  });

  it('refuses an outcome whose population the manifest does not have', () => {
    assert.throws(() => studyResult('1.2.7', model, [done('a', 0.5, 'elderly')], now), /population "elderly" is not in the manifest/);
  });

  it('is stored with its population and read back the same', () => {
    const db = new Database(':memory:');
    for (const m of migrations) m.up(db);
    db.prepare("INSERT INTO sources (id, kind, name, created_at) VALUES ('s', 'media', 'media', '2026-01-01')").run();
    db.prepare("INSERT INTO patients (patient_key, source_id) VALUES ('p', 's')").run();
    for (const uid of ['1.2.3', '1.2.6']) db.prepare("INSERT INTO studies (StudyInstanceUID, patient_id, source_id, imported_at) VALUES (?, 1, 's', '2026-01-01')").run(uid);
    const results = new TriageResults(db);
    const r = studyResult('1.2.3', model, [done('1', 0.65, 'adult')], now);
    assert.ok(results.put(r));
    assert.deepEqual(results.get('1.2.3', model.manifest.id), r);
    const na = studyResult('1.2.6', model, [], now);
    results.put(na);
    assert.equal(results.get('1.2.6', model.manifest.id)!.population, undefined);
    db.close();
  });
});
