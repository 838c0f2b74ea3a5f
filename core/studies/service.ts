// The StudyService of the contract, over the local store and the importer: what the desktop app's
// main process and the browser-shell host expose to the UI. It owns no state beyond the store.
import { audit } from '../audit/index.js';
import { activeAgreement } from '../cases/access.js';
import { getCase } from '../cases/cases.js';
import { Emitter } from '../common/emitter.js';
import { AmurError } from '../common/errors.js';
import type { MeasurementService } from '../contract/measurements.js';
import type { ReportService } from '../contract/reports.js';
import type { StudyService, Unsubscribe } from '../contract/services.js';
import type { ImportProgress, ImportSummary, InstanceSummary, SeriesSummary, SourceSummary, StudyStatus, StudySummary } from '../contract/studies.js';
import { defaultPoolSize, HeaderPool } from '../importer/header-pool.js';
import { importPaths, type ImportOptions } from '../importer/importer.js';
import type { Language } from '../i18n/index.js';
import type { StudyStore } from '../store/store.js';

export interface LocalStudyServiceOptions {
  /** Language of rejection reasons. */
  lang?: Language;
  /** Source of imported studies; local media when absent. */
  source?: SourceSummary;
  /** Passed to the importer (worker count, zip limits); workers 0 reads headers on the host's thread. */
  importOptions?: Omit<ImportOptions, 'onProgress' | 'lang' | 'source' | 'pool'>;
  /** AMUR_HOME, where the agreements are: a partner's study opens only under its active agreement. */
  home?: string;
}

export class LocalStudyService implements StudyService {
  private readonly progress = new Emitter<ImportProgress>();
  private readonly changed = new Emitter<{ StudyInstanceUIDs: string[] }>();
  private readonly statusChanged = new Emitter<{ StudyInstanceUID: string; status: StudyStatus }>();
  /** The status each study was last listed or announced with: a change is announced once. */
  private readonly knownStatus = new Map<string, StudyStatus>();
  /** Header readers kept across imports: starting a worker costs about a second. */
  private pool?: HeaderPool;
  private readonly viewedStudies = new Set<string>();
  private readonly studyOfInstance = new Map<string, string>();
  readonly onDidImportProgress = this.progress.event;
  readonly onDidChangeStudies = this.changed.event;
  readonly onDidChangeStudyStatus = this.statusChanged.event;

  constructor(
    private readonly store: StudyStore,
    private readonly options: LocalStudyServiceOptions = {},
  ) {}

  async listStudies(): Promise<StudySummary[]> {
    const list = this.store.listStudies();
    for (const s of list) this.knownStatus.set(s.StudyInstanceUID, s.status);
    return list;
  }

  /**
   * Derives the statuses of studies again after something happened to them that may change it
   * (core/studies/status.ts), and announces those that did change.
   */
  refreshStatus(StudyInstanceUIDs: Iterable<string>, now = new Date()): void {
    for (const uid of new Set(StudyInstanceUIDs)) {
      const s = this.store.listStudies(now, uid)[0];
      if (!s || this.knownStatus.get(uid) === s.status) continue;
      this.knownStatus.set(uid, s.status);
      this.statusChanged.fire({ StudyInstanceUID: uid, status: s.status });
    }
  }

  /**
   * Follows what moves a study's status in this process: measurements kept or undone, drafts saved,
   * reports signed. Delivery happens in the outbox (maybe in another process): the host calls
   * refreshStatus after each delivery round.
   */
  follow(sources: {
    measurements?: Pick<MeasurementService, 'onDidChangeMeasurements'>;
    reports?: Pick<ReportService, 'onDidSaveDraft' | 'onDidSignReport'>;
  }): Unsubscribe {
    const offs = [
      sources.measurements?.onDidChangeMeasurements((e) => this.refreshStatus([e.StudyInstanceUID])),
      sources.reports?.onDidSaveDraft((d) => this.refreshStatus([d.StudyInstanceUID])),
      sources.reports?.onDidSignReport((r) => this.refreshStatus([r.StudyInstanceUID])),
    ];
    return () => { for (const off of offs) off?.(); };
  }

  async listSeries(StudyInstanceUID: string): Promise<SeriesSummary[]> {
    // Opening a study starts here: a partner's study only while its agreement is in force (rule 1).
    const c = this.options.home !== undefined ? getCase(this.store, StudyInstanceUID) : undefined;
    try {
      if (c) activeAgreement(this.options.home!, c.agreementId);
    } catch (e) {
      audit(this.store.home, { action: 'access.refused', outcome: 'minorFailure', role: 'reader', agreement: c?.agreementId, studies: [StudyInstanceUID],
        detail: { code: e instanceof AmurError ? e.code : 'error' } });
      throw e;
    }
    const series = this.store.listSeries(StudyInstanceUID);
    if (series.length) {
      audit(this.store.home, { action: 'study.open', outcome: 'success', role: 'reader', agreement: c?.agreementId, studies: [StudyInstanceUID] });
      // Viewing is recorded anew after each opening, at the first image shown.
      this.viewedStudies.delete(StudyInstanceUID);
    }
    return series;
  }

  /**
   * The imaging service calls this for every frame it serves: the first image shown of a study
   * (after it was opened) is an audited view. The study of an instance is looked up once.
   */
  noteFrameShown(SOPInstanceUID: string): void {
    let study = this.studyOfInstance.get(SOPInstanceUID);
    if (study === undefined) {
      study = this.store.studyOfInstance(SOPInstanceUID) ?? '';
      this.studyOfInstance.set(SOPInstanceUID, study);
    }
    if (!study || this.viewedStudies.has(study)) return;
    this.viewedStudies.add(study);
    audit(this.store.home, { action: 'study.view', outcome: 'success', role: 'reader', agreement: getCase(this.store, study)?.agreementId, studies: [study] });
  }

  async listInstances(SeriesInstanceUID: string): Promise<InstanceSummary[]> {
    return this.store.listInstances(SeriesInstanceUID);
  }

  async importPaths(paths: string[]): Promise<ImportSummary> {
    // The UI's arguments arrive over IPC or HTTP: checked here, whatever the caller's types said.
    if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string' || p === '')) {
      throw new AmurError('import.badArguments', {});
    }
    return this.run(paths, {});
  }

  /**
   * The browser shell's uploads: a folder whose files the host sealed under its own key as they
   * arrived (cli/host/uploads.ts). Host-side only: not a method of the contract.
   */
  async importSealedFolder(dir: string, key: Buffer): Promise<ImportSummary> {
    return this.run([dir], { sealedUnder: { root: dir, key } });
  }

  private async run(paths: string[], extra: Pick<ImportOptions, 'sealedUnder'>): Promise<ImportSummary> {
    const workers = this.options.importOptions?.workers ?? defaultPoolSize();
    if (!this.pool && workers > 0) this.pool = new HeaderPool(workers, true);
    const summary = await importPaths(this.store, paths, {
      ...this.options.importOptions,
      pool: this.pool,
      lang: this.options.lang,
      source: this.options.source,
      onProgress: (p) => this.progress.fire(p),
      ...extra,
    });
    if (summary.imported > 0) this.changed.fire({ StudyInstanceUIDs: summary.studies });
    return summary;
  }

  /** Stops the header-reading workers (the store is the caller's to close). */
  async dispose(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }
}
