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

export interface ScopeRule {
  Modality: string[];
  BodyPartExamined: string[];
  ViewPosition: string[];
  PhotometricInterpretation: string[];
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
  outputs: { score: Record<string, unknown>; cam?: { shape: unknown[]; heatmap_scale?: number } & Record<string, unknown> };
  operating_points: { balanced: number; high_sensitivity: number };
  metrics: { auroc: number | null; auroc_ci95: [number | null, number | null]; sensitivity: number | null; specificity: number | null; n: number };
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
  const str = (v: unknown) => typeof v === 'string' && v.length > 0;
  if (!str(m.id) || !str(m.version) || !str(m.file)) fail(dir, 'id, version and file are required');
  if (!/^[0-9a-f]{64}$/.test(m.sha256 ?? '')) fail(dir, 'sha256 must be 64 lowercase hex digits');
  if (m.file.includes('/') || m.file.includes('\\') || m.file.startsWith('.')) fail(dir, 'file must be a plain file name inside the package');
  if (!Array.isArray(m.labels) || m.labels.length !== 1) fail(dir, 'exactly one label is supported');
  if (!/assistive/i.test(m.intended_use ?? '')) fail(dir, 'intended_use must state that the model is assistive');
  for (const k of ['Modality', 'BodyPartExamined', 'ViewPosition', 'PhotometricInterpretation'] as const) {
    if (!Array.isArray(m.scope?.[k]) || m.scope[k].length === 0) fail(dir, `scope.${k} must list accepted values`);
  }
  const shape = m.input?.shape;
  if (!Array.isArray(shape) || shape.length !== 4 || shape[1] !== 1 || shape[2] !== shape[3]) fail(dir, 'input.shape must be [1, 1, N, N]');
  const n = m.preprocessing?.normalisation;
  if (!(typeof n?.mean === 'number' && typeof n?.std === 'number' && n.std > 0)) fail(dir, 'preprocessing.normalisation needs mean and std');
  const op = m.operating_points;
  if (!(typeof op?.balanced === 'number' && typeof op?.high_sensitivity === 'number')) fail(dir, 'operating_points needs balanced and high_sensitivity');
  return m;
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
