// The TriageService of the contract: triages stored studies with the selected model on the worker
// pool, stores one result per study, and, attached to the StudyService, triages what an import
// brought in, in the background. A study's score is the highest of its in-scope images; studies
// with none are "not-applicable" with the reason, failures are "error" with the reason: never silent.
import type { StudyService, Unsubscribe } from '../contract/services.js';
import type { StudyTriageResult, TriageMetrics, TriageModelSummary, TriageService } from '../contract/triage.js';
import { Emitter } from '../common/emitter.js';
import { AmurError, isAmurError, type ErrorParams } from '../common/errors.js';
import type { Language } from '../i18n/index.js';
import type { StudyStore } from '../store/store.js';
import { hashStatus, listInstalledModels, readVerifiedModel, selectModel, type InstalledModel, type Population, type PopulationMetrics } from './models.js';
import { TriagePool } from './pool.js';
import { TriageResults, withReason, type StoredTriage } from './results.js';
import type { InstanceOutcome } from './runner.js';

export interface LocalTriageServiceOptions {
  env?: NodeJS.ProcessEnv;
  lang?: Language;
  /** Worker count; the machine's default when absent. */
  poolSize?: number;
  /** Use this model id rather than the default choice (see selectModel). */
  modelId?: string;
}

const metricsOf = (x: PopulationMetrics): TriageMetrics => ({
  population: x.population, auroc: x.auroc, auroc_ci95: x.auroc_ci95, sensitivity: x.sensitivity, specificity: x.specificity, n: x.n,
});

/**
 * Folds the per-image outcomes of one study into its result. The study's score is its best image's,
 * judged at the operating points of that image's population; a result with no score carries the
 * headline population's (the contract always has operating points).
 */
export function studyResult(StudyInstanceUID: string, model: InstalledModel, outcomes: InstanceOutcome[], now = new Date()): StoredTriage {
  const m = model.manifest;
  const opsOf = (p: Population) => ({ balanced: p.operating_points.balanced, high_sensitivity: p.operating_points.high_sensitivity });
  const headline = m.populations.find((p) => p.id === m.metrics.population) ?? m.populations[0];
  const base = {
    StudyInstanceUID,
    model: { id: m.id, version: m.version, sha256: m.sha256 },
    operatingPoints: opsOf(headline),
    instances: {
      done: outcomes.filter((o) => o.status === 'done').length,
      notApplicable: outcomes.filter((o) => o.status === 'not-applicable').length,
      error: outcomes.filter((o) => o.status === 'error').length,
    },
    triagedAt: now.toISOString(),
  };
  let best: Extract<InstanceOutcome, { status: 'done' }> | undefined;
  for (const o of outcomes) if (o.status === 'done' && (!best || o.score > best.score)) best = o;
  if (best) {
    const population = m.populations.find((p) => p.id === best.population);
    // The outcomes come from this very manifest; an unknown id is a bug, stored as an error.
    if (!population) throw new Error(`population "${best.population}" is not in the manifest of ${m.id} ${m.version}`);
    const op = opsOf(population);
    const side = Math.round(Math.sqrt(best.heatmap.length));
    return {
      ...base,
      status: 'done',
      operatingPoints: op,
      population: population.id,
      findings: [{ label: m.labels[0], score: best.score, positive: best.score >= op.balanced, positiveAtHighSensitivity: best.score >= op.high_sensitivity }],
      SOPInstanceUID: best.SOPInstanceUID,
      heatmap: side * side === best.heatmap.length && side > 0 ? { SOPInstanceUID: best.SOPInstanceUID, rows: side, columns: side, values: best.heatmap } : undefined,
    };
  }
  const failed = outcomes.find((o) => o.status === 'error');
  if (failed && failed.status === 'error') {
    return { ...base, status: 'error', findings: [], reasonCode: failed.code, reasonParams: { ...failed.params, SOPInstanceUID: failed.SOPInstanceUID } };
  }
  const na = outcomes.find((o) => o.status === 'not-applicable');
  if (na && na.status === 'not-applicable') return { ...base, status: 'not-applicable', findings: [], reasonCode: na.code, reasonParams: na.params };
  return { ...base, status: 'not-applicable', findings: [], reasonCode: 'triage.noImages', reasonParams: { StudyInstanceUID } };
}

export class LocalTriageService implements TriageService {
  private readonly didTriage = new Emitter<StudyTriageResult>();
  readonly onDidTriageStudy = this.didTriage.event;
  private readonly results: TriageResults;
  private pool?: TriagePool;
  private queue: string[] = [];
  private draining?: Promise<void>;
  private closed = false;

  constructor(
    private readonly store: StudyStore,
    private readonly options: LocalTriageServiceOptions = {},
  ) {
    this.results = new TriageResults(store.db);
  }

  private get env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  /** The model to use now; its file is checked here too so a refused model fails before any work. */
  model(): InstalledModel {
    const model = selectModel(this.env, this.options.modelId);
    readVerifiedModel(model);
    return model;
  }

  private getPool(): TriagePool {
    this.pool ??= new TriagePool(this.options.poolSize);
    return this.pool;
  }

  /** Triages one study now (all its images in parallel on the pool) and stores the result. */
  async triageStudy(StudyInstanceUID: string, model: InstalledModel = this.model()): Promise<StoredTriage> {
    const series = this.store.listSeries(StudyInstanceUID);
    if (series.length === 0) throw new AmurError('triage.unknownStudy', { StudyInstanceUID });
    const scopeModalities = model.manifest.scope.Modality.map((v) => v.toUpperCase());
    const pool = this.getPool();
    const jobs: Promise<InstanceOutcome>[] = [];
    for (const s of series) {
      const modality = (s.Modality ?? '').trim().toUpperCase();
      for (const inst of this.store.listInstances(s.SeriesInstanceUID)) {
        // Modality is a series attribute: a CT series is ruled out without opening its files.
        if (!scopeModalities.includes(modality)) {
          const params: ErrorParams = { keyword: 'Modality', expected: scopeModalities.join(', ') };
          if (modality) params.value = modality;
          jobs.push(Promise.resolve({
            status: 'not-applicable', SOPInstanceUID: inst.SOPInstanceUID, code: modality ? 'triage.outOfScope' : 'triage.outOfScopeMissing', params,
          }));
          continue;
        }
        const file = this.store.instanceFile(inst.SOPInstanceUID);
        if (!file) {
          jobs.push(Promise.resolve({ status: 'error', SOPInstanceUID: inst.SOPInstanceUID, code: 'triage.fileMissing', params: { SOPInstanceUID: inst.SOPInstanceUID } }));
          continue;
        }
        jobs.push(pool.triage(model, file, inst.SOPInstanceUID));
      }
    }
    let outcomes: InstanceOutcome[];
    let result: StoredTriage;
    try {
      outcomes = await Promise.all(jobs);
      result = studyResult(StudyInstanceUID, model, outcomes);
    } catch (e) {
      // The model itself could not be used (refused hash, failed load, dead worker): the study
      // carries that error so the worklist shows it, rather than silently having no AI result.
      const code = isAmurError(e) ? e.code : 'internal';
      const params: ErrorParams = isAmurError(e) ? e.params : { detail: e instanceof Error ? e.message : String(e) };
      result = { ...studyResult(StudyInstanceUID, model, []), status: 'error', reasonCode: code, reasonParams: params };
    }
    // A host shutting down closes the store under a study still in the pool: drop that result.
    if (this.closed) return result;
    this.results.put(result);
    this.didTriage.fire(withReason(result, this.options.lang ?? 'en'));
    return result;
  }

  /**
   * Triages the studies, several at a time so that every worker has an image to work on (most
   * radiograph studies hold one or two images), and answers in the order asked.
   */
  async triageStudies(StudyInstanceUIDs: string[]): Promise<StudyTriageResult[]> {
    const model = this.model();
    const out: StudyTriageResult[] = new Array(StudyInstanceUIDs.length);
    let next = 0;
    const lane = async () => {
      while (next < StudyInstanceUIDs.length) {
        const i = next++;
        out[i] = withReason(await this.triageStudy(StudyInstanceUIDs[i], model), this.options.lang ?? 'en');
      }
    };
    await Promise.all(Array.from({ length: Math.min(StudyInstanceUIDs.length, this.getPool().size * 2) }, lane));
    return out;
  }

  /** Studies with no result from the current model file. */
  untriaged(): string[] {
    const m = selectModel(this.env, this.options.modelId).manifest;
    return this.results.untriaged(m);
  }

  async getStudyTriage(StudyInstanceUID: string): Promise<StudyTriageResult | null> {
    const id = selectModel(this.env, this.options.modelId).manifest.id;
    const r = this.results.get(StudyInstanceUID, id);
    return r ? withReason(r, this.options.lang ?? 'en') : null;
  }

  async listStudyTriage(): Promise<StudyTriageResult[]> {
    const id = selectModel(this.env, this.options.modelId).manifest.id;
    return this.results.list(id).map((r) => withReason(r, this.options.lang ?? 'en'));
  }

  async listModels(): Promise<TriageModelSummary[]> {
    return listModelSummaries(this.env);
  }

  // ---- background triage after import ------------------------------------------------------

  /** Triages, in the background and one study at a time, every study an import touches. */
  attach(studies: Pick<StudyService, 'onDidChangeStudies'>): Unsubscribe {
    return studies.onDidChangeStudies(({ StudyInstanceUIDs }) => this.enqueue(StudyInstanceUIDs));
  }

  enqueue(StudyInstanceUIDs: string[]): void {
    if (this.closed) return;
    for (const uid of StudyInstanceUIDs) if (!this.queue.includes(uid)) this.queue.push(uid);
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length && !this.closed) {
      const uid = this.queue.shift()!;
      try {
        await this.triageStudy(uid);
      } catch (e) {
        // No usable model, or the study vanished meanwhile: the first is stored where possible by
        // triageStudy; here only a study that is gone, or no model at all, lands.
        if (this.closed || (isAmurError(e) && e.code === 'triage.unknownStudy')) continue;
        try {
          const r = studyResult(uid, selectModel(this.env, this.options.modelId), []);
          const failed: StoredTriage = { ...r, status: 'error', reasonCode: isAmurError(e) ? e.code : 'internal', reasonParams: isAmurError(e) ? e.params : { detail: String(e) } };
          this.results.put(failed);
          this.didTriage.fire(withReason(failed, this.options.lang ?? 'en'));
        } catch {
          // No model installed at all: there is no model to name in a result; listModels says so.
        }
      }
    }
  }

  /** Resolves when the background queue is empty (for hosts that must wait, and for tests). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue = [];
    await this.draining;
    await this.pool?.close();
    this.pool = undefined;
  }
}

export function listModelSummaries(env: NodeJS.ProcessEnv = process.env): TriageModelSummary[] {
  return listInstalledModels(env).models.map((m) => ({
    id: m.manifest.id,
    version: m.manifest.version,
    sha256: m.manifest.sha256,
    task: m.manifest.task,
    labels: m.manifest.labels,
    origin: m.origin,
    hashStatus: hashStatus(m).status,
    intendedUse: m.manifest.intended_use,
    metrics: metricsOf(m.manifest.metrics),
    populations: m.manifest.populations.map((p) => ({
      id: p.id, description: p.description, ageYears: p.age_years, views: p.ViewPosition, metrics: metricsOf(p.metrics),
    })),
  }));
}
