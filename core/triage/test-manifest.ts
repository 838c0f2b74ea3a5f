// For the unit tests of core/triage only: a manifest in the 2.0.0 format with two populations
// (children 1-5 on AP films, adults 18-85 on AP or PA) and an "ood" output, built on the shipped
// package's manifest so that every field the runtime reads is as real as it can be.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_MODELS_DIR, type ModelManifest, type Population } from './models.js';

export function shippedManifestJson(): Record<string, any> {
  return JSON.parse(readFileSync(join(BUNDLED_MODELS_DIR, 'cxr-pneumonia', 'manifest.json'), 'utf8'));
}

export const paediatric: Population = {
  id: 'paediatric',
  description: 'Children aged 1 to 5, anterior-posterior films',
  age_years: [1, 5],
  ViewPosition: ['AP'],
  operating_points: { balanced: 0.61, high_sensitivity: 0.33 },
  metrics: { population: 'paediatric', auroc: 0.97, auroc_ci95: [0.95, 0.98], sensitivity: 0.9, specificity: 0.9, n: 700, ece: 0.03 },
  ood_threshold: 512,
};

export const adult: Population = {
  id: 'adult',
  description: 'Adults, frontal chest radiographs',
  age_years: [18, 85],
  ViewPosition: ['AP', 'PA'],
  operating_points: { balanced: 0.7, high_sensitivity: 0.4 },
  metrics: { population: 'adult', auroc: 0.85, auroc_ci95: [0.75, 0.93], sensitivity: 0.6, specificity: 0.87, n: 77 },
  ood_threshold: 300,
};

/** The two-population manifest as JSON (a fresh copy each call, for tests that break it). */
export function twoPopulationJson(): Record<string, any> {
  const m = shippedManifestJson();
  delete m.operating_points;
  m.version = '2.0.0';
  m.populations = structuredClone([paediatric, adult]);
  m.ood = { output: 'ood', method: 'squared Mahalanobis distance' };
  m.metrics = structuredClone(paediatric.metrics);
  return m;
}

export function twoPopulationManifest(): ModelManifest {
  return twoPopulationJson() as ModelManifest;
}
