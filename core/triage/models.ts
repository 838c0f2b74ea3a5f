// The installed triage models: the packages shipped in the repository's models/ folder and any a
// hospital adds under AMUR_HOME/models/. Each package is a folder with manifest.json and the model
// file; a model is used only when the file's SHA-256 equals the manifest's, checked on the very
// bytes that are then loaded (see readVerifiedModel), so a swapped or corrupted file is refused.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AmurError } from '../common/errors.js';
import { amurHome } from '../common/paths.js';
import type { TriageMetrics } from '../contract/triage.js';

export interface ScopeRule {
  Modality: string[];
  BodyPartExamined: string[];
  ViewPosition: string[];
  PhotometricInterpretation: string[];
}

/** Figures measured on data the model never trained on, for one population (as the contract shows them, plus calibration). */
export interface PopulationMetrics extends TriageMetrics {
  ece?: number | null;
}

/**
 * A patient population the model was validated for. Its index in `populations` is its column in the
 * "ood" output (and in "score" when that has one column per population).
 */
export interface Population {
  id: string;
  description: string;
  /** Inclusive bounds on whole years of age (the floor of the exact age). */
  age_years: [number, number];
  /** The views validated for this population (a subset of scope.ViewPosition). */
  ViewPosition: string[];
  operating_points: { balanced: number; high_sensitivity: number; how_chosen?: string };
  metrics: PopulationMetrics;
  /** The largest distance in this population's "ood" column that is still scored. */
  ood_threshold?: number;
  /** How the score was calibrated from the CAM's mean (documentation, and what the parity test checks). */
  calibration?: { a: number; b: number };
  /** The heatmap display scale of this population's CAM channel (else outputs.cam.heatmap_scale). */
  heatmap_scale?: number;
}

export interface ModelManifest {
  id: string;
  version: string;
  file: string;
  sha256: string;
  task: string;
  labels: string[];
  intended_use: string;
  scope: ScopeRule & { description?: string };
  input: { name: string; shape: [number, number, number, number]; type: 'float32' };
  preprocessing: { normalisation: { mean: number; std: number } } & Record<string, unknown>;
  outputs: {
    score: Record<string, unknown>;
    cam?: { shape: unknown[]; heatmap_scale?: number } & Record<string, unknown>;
    ood?: Record<string, unknown>;
  };
  /** At least one; chosen per instance by age (core/triage/scope.ts). */
  populations: Population[];
  /** Present when the model has an image-based out-of-distribution output (one column per population). */
  ood?: { output: string; method?: string; note?: string };
  /** The headline figures: a copy of one population's metrics. */
  metrics: PopulationMetrics;
}

export type HashStatus = 'ok' | 'mismatch' | 'missing-file';

export interface InstalledModel {
  manifest: ModelManifest;
  /** The package folder. */
  dir: string;
  modelPath: string;
  origin: 'bundled' | 'home';
}

/** The repository's models/ folder (the packages that ship with Amur). */
export const BUNDLED_MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

export function homeModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(amurHome(env), 'models');
}

function fail(dir: string, detail: string): never {
  throw new AmurError('triage.invalidManifest', { path: join(dir, 'manifest.json'), detail });
}

/** Reads and checks a package's manifest; every field the runtime relies on must be there. */
export function readManifest(dir: string): ModelManifest {
  let m: ModelManifest;
  try {
    m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ModelManifest;
  } catch (e) {
    fail(dir, e instanceof Error ? e.message : String(e));
  }
  if (!m || typeof m !== 'object' || Array.isArray(m)) fail(dir, 'the manifest must be a JSON object');
  const str = (v: unknown) => typeof v === 'string' && v.length > 0;
  if (!str(m.id) || !str(m.version) || !str(m.file)) fail(dir, 'id, version and file are required');
  if (!/^[0-9a-f]{64}$/.test(m.sha256 ?? '')) fail(dir, 'sha256 must be 64 lowercase hex digits');
  if (m.file.includes('/') || m.file.includes('\\') || m.file.startsWith('.')) fail(dir, 'file must be a plain file name inside the package');
  if (!Array.isArray(m.labels) || m.labels.length !== 1) fail(dir, 'exactly one label is supported');
  if (!/assistive/i.test(m.intended_use ?? '')) fail(dir, 'intended_use must state that the model is assistive');
  for (const k of ['Modality', 'BodyPartExamined', 'ViewPosition', 'PhotometricInterpretation'] as const) {
    if (!Array.isArray(m.scope?.[k]) || m.scope[k].length === 0 || !m.scope[k].every((v) => typeof v === 'string')) fail(dir, `scope.${k} must list accepted values`);
  }
  const shape = m.input?.shape;
  if (!Array.isArray(shape) || shape.length !== 4 || shape[1] !== 1 || shape[2] !== shape[3]) fail(dir, 'input.shape must be [1, 1, N, N]');
  const n = m.preprocessing?.normalisation;
  if (!(typeof n?.mean === 'number' && typeof n?.std === 'number' && n.std > 0)) fail(dir, 'preprocessing.normalisation needs mean and std');
  checkPopulations(dir, m);
  return m;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumberOrNull = (v: unknown) => v === null || isNumber(v);

/** The metrics block at `where` (populations[i].metrics, or the top-level metrics). */
function checkMetrics(dir: string, where: string, v: unknown): void {
  const x = v as Partial<PopulationMetrics> | undefined;
  if (!x || typeof x !== 'object') fail(dir, `${where} is required`);
  if (typeof x.population !== 'string' || x.population === '') fail(dir, `${where}.population must name the population the figures were measured on`);
  if (!isNumberOrNull(x.auroc) || !Array.isArray(x.auroc_ci95) || x.auroc_ci95.length !== 2 || !x.auroc_ci95.every(isNumberOrNull)
    || !isNumberOrNull(x.sensitivity) || !isNumberOrNull(x.specificity) || !isNumber(x.n)) {
    fail(dir, `${where} needs auroc, auroc_ci95 [low, high], sensitivity, specificity (numbers or null) and n`);
  }
}

/**
 * The populations (manifest format of cxr-pneumonia 2.0.0): each validated on its own, their age
 * bands disjoint (an age must choose one population), their views within the scope's, an
 * ood_threshold for each when the model has an "ood" output; the headline metrics name one of them.
 */
function checkPopulations(dir: string, m: ModelManifest): void {
  const pops = m.populations as unknown;
  if (!Array.isArray(pops) || pops.length === 0) fail(dir, 'populations is required: a list of at least one population (id, description, age_years, ViewPosition, operating_points, metrics)');
  if (m.ood !== undefined && (typeof m.ood !== 'object' || m.ood === null || typeof m.ood.output !== 'string' || m.ood.output === '')) {
    fail(dir, 'ood.output must name the model output that holds the out-of-distribution distances');
  }
  const scopeViews = m.scope.ViewPosition.map((v) => v.trim().toUpperCase());
  const seen = new Set<string>();
  (pops as Population[]).forEach((p, i) => {
    const at = `populations[${i}]`;
    if (!p || typeof p !== 'object') fail(dir, `${at} must be an object`);
    if (typeof p.id !== 'string' || p.id === '') fail(dir, `${at}.id is required`);
    if (seen.has(p.id)) fail(dir, `${at}.id "${p.id}" is used twice`);
    seen.add(p.id);
    if (typeof p.description !== 'string' || p.description === '') fail(dir, `${at}.description is required`);
    const a = p.age_years;
    if (!Array.isArray(a) || a.length !== 2 || !a.every((y) => Number.isInteger(y) && y >= 0) || a[0] > a[1]) {
      fail(dir, `${at}.age_years must be [min, max], whole years with 0 <= min <= max`);
    }
    if (!Array.isArray(p.ViewPosition) || p.ViewPosition.length === 0 || !p.ViewPosition.every((v) => typeof v === 'string' && v.trim() !== '')) {
      fail(dir, `${at}.ViewPosition must list the views validated for the population`);
    }
    const outside = p.ViewPosition.filter((v) => !scopeViews.includes(v.trim().toUpperCase()));
    if (outside.length) fail(dir, `${at}.ViewPosition ${outside.join(', ')} is not in scope.ViewPosition`);
    const op = p.operating_points;
    if (!(isNumber(op?.balanced) && isNumber(op?.high_sensitivity))) fail(dir, `${at}.operating_points needs balanced and high_sensitivity`);
    checkMetrics(dir, `${at}.metrics`, p.metrics);
    if (p.metrics.population !== p.id) fail(dir, `${at}.metrics.population is "${p.metrics.population}", not the population's id "${p.id}"`);
    if (p.ood_threshold !== undefined && !isNumber(p.ood_threshold)) fail(dir, `${at}.ood_threshold must be a number`);
    if (m.ood && p.ood_threshold === undefined) fail(dir, `${at}.ood_threshold is required, since the manifest has "ood"`);
    if (p.heatmap_scale !== undefined && !(isNumber(p.heatmap_scale) && p.heatmap_scale > 0)) fail(dir, `${at}.heatmap_scale must be a positive number`);
  });
  const bands = (pops as Population[]).map((p) => p.age_years);
  for (let i = 0; i < bands.length; i++) {
    for (let j = i + 1; j < bands.length; j++) {
      if (bands[i][0] <= bands[j][1] && bands[j][0] <= bands[i][1]) fail(dir, `populations[${i}] and populations[${j}] have overlapping age_years`);
    }
  }
  checkMetrics(dir, 'metrics', m.metrics);
  if (!seen.has(m.metrics.population)) fail(dir, `metrics.population "${m.metrics.population}" is none of the populations`);
}

/** Every model package found, bundled ones first; a folder with a broken manifest is reported, not skipped. */
export function listInstalledModels(env: NodeJS.ProcessEnv = process.env): { models: InstalledModel[]; broken: { dir: string; error: AmurError }[] } {
  const models: InstalledModel[] = [];
  const broken: { dir: string; error: AmurError }[] = [];
  const roots: [string, InstalledModel['origin']][] = [[BUNDLED_MODELS_DIR, 'bundled'], [homeModelsDir(env), 'home']];
  for (const [root, origin] of roots) {
    if (!existsSync(root)) continue;
    for (const name of readdirSync(root).sort()) {
      const dir = resolve(root, name);
      if (!statSync(dir).isDirectory() || !existsSync(join(dir, 'manifest.json'))) continue;
      try {
        const manifest = readManifest(dir);
        models.push({ manifest, dir, modelPath: join(dir, manifest.file), origin });
      } catch (e) {
        broken.push({ dir, error: e as AmurError });
      }
    }
  }
  return { models, broken };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function hashStatus(model: InstalledModel): { status: HashStatus; actual?: string } {
  if (!existsSync(model.modelPath)) return { status: 'missing-file' };
  const actual = sha256Hex(readFileSync(model.modelPath));
  return { status: actual === model.manifest.sha256 ? 'ok' : 'mismatch', actual };
}

/**
 * The model file's bytes, only if they hash to the manifest's sha256. The caller hands these same
 * bytes to onnxruntime, so nothing can change between the check and the load.
 */
export function readVerifiedModel(model: { manifest: ModelManifest; modelPath: string }): Uint8Array {
  if (!existsSync(model.modelPath)) {
    throw new AmurError('triage.modelFileMissing', { id: model.manifest.id, path: model.modelPath });
  }
  const bytes = readFileSync(model.modelPath);
  const actual = sha256Hex(bytes);
  if (actual !== model.manifest.sha256) {
    throw new AmurError('triage.modelHashMismatch', {
      id: model.manifest.id, path: model.modelPath, expected: model.manifest.sha256, actual,
    });
  }
  return bytes;
}

/**
 * The model to triage with: a hospital's own package under AMUR_HOME/models with the same id
 * replaces the bundled one (that is how a site installs a newer validated version); otherwise the
 * bundled model. `id` picks one explicitly.
 */
export function selectModel(env: NodeJS.ProcessEnv = process.env, id?: string): InstalledModel {
  const { models } = listInstalledModels(env);
  const pool = id ? models.filter((m) => m.manifest.id === id) : models;
  const chosen = pool.find((m) => m.origin === 'home') ?? pool[0];
  if (!chosen) throw new AmurError('triage.noModel', { id: id ?? '', path: homeModelsDir(env) });
  return chosen;
}
