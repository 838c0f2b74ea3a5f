// The report service the UI talks to through the contract: templates, drafts kept in the draft store
// (saved atomically after every change the editor sends, with the viewer's measurements as they are
// in the store), and signing with a stored identity into
// AMUR_HOME/reports/signed/<SR SOPInstanceUID>/. Everything heavy (PDF rendering, signatures) runs
// in the host process, never in the renderer.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { assertMaySign, auditSignature, queueSignedReport } from '../cases/reporting.js';
import { getAgreement } from '../agreements/index.js';
import { AmurError } from '../common/errors.js';
import { draftMeasurementsFromStore } from '../measurements/draft-sync.js';
import { Emitter } from '../common/emitter.js';
import type { ReportService, SignedReportSummary, SignerSummary } from '../contract/reports.js';
import { listIdentities, openIdentity } from '../signing/index.js';
import type { StudyStore } from '../store/store.js';
import { readPart10 } from './dcmjs.js';
import { validateDraft, type ReportDraft } from './draft.js';
import { DraftStore, signedReportsDir, type DraftSummary } from './drafts.js';
import { newDraftForStudy } from './new-draft.js';
import { REPORT_FILES, signDraftInto } from './sign.js';
import { listTemplates, type ReportTemplate } from './template.js';

export class LocalReportService implements ReportService {
  private readonly drafts: DraftStore;
  private readonly signedDir: string;
  /** The draft each signed report was made from, by SR UID: an amendment starts from it. */
  private readonly sourcesDir: string;
  private readonly didSave = new Emitter<DraftSummary>();
  private readonly didSign = new Emitter<SignedReportSummary>();
  readonly onDidSaveDraft = this.didSave.event;
  readonly onDidSignReport = this.didSign.event;

  constructor(private readonly store: StudyStore, private readonly home: string) {
    this.drafts = new DraftStore(home);
    this.signedDir = signedReportsDir(home);
    this.sourcesDir = join(home, 'reports', 'sources');
  }

  async listTemplates(): Promise<ReportTemplate[]> {
    return listTemplates();
  }

  async createDraft(StudyInstanceUID: string, options: { templateId?: string; reader?: 'ru' | 'en'; amends?: string } = {}): Promise<ReportDraft> {
    const amends = options.amends ? this.signedSrPath(options.amends) : undefined;
    let d = newDraftForStudy(this.store, StudyInstanceUID, { templateId: options.templateId, reader: options.reader, amends });
    const source = options.amends ? this.source(options.amends) : undefined;
    if (source && source.study.StudyInstanceUID === StudyInstanceUID) {
      // An amendment starts as what was signed: the radiologist changes what needs changing.
      d = {
        ...d,
        template: source.template,
        languages: source.languages,
        findings: source.findings,
        texts: source.texts,
        impression: source.impression,
        aiFindings: source.aiFindings.filter((a) => a.status !== 'proposed'),
        observer: source.observer,
      };
    }
    this.didSave.fire(this.drafts.save(d));
    return d;
  }

  async listDrafts(StudyInstanceUID: string): Promise<DraftSummary[]> {
    return this.drafts.list(StudyInstanceUID);
  }

  async getDraft(draftId: string): Promise<ReportDraft> {
    return this.drafts.load(draftId);
  }

  async saveDraft(draft: ReportDraft): Promise<DraftSummary> {
    const saved = this.drafts.save(this.withMeasurements(draft));
    this.didSave.fire(saved);
    return saved;
  }

  async listSigners(): Promise<SignerSummary[]> {
    return listIdentities(this.home).map((i) => ({
      name: i.name,
      keyAlgorithm: i.keyAlgorithm,
      subject: i.certificate.subject,
      validTo: i.certificate.validTo,
    }));
  }

  async signDraft(draftId: string, signer: string, passphrase: string): Promise<SignedReportSummary> {
    const draft = this.withMeasurements(this.drafts.load(draftId));
    const { template } = validateDraft(draft, draftId);
    const identity = openIdentity(signer, passphrase, this.home);
    const partnerCase = assertMaySign(this.store, this.home, draft.study.StudyInstanceUID, identity.certificate);
    // Signed into a pending folder, then the folder is renamed to the SR's UID in one step.
    const pending = join(this.signedDir, `.pending-${draftId}`);
    rmSync(pending, { recursive: true, force: true });
    // Trusted time from the agreement's TSA; offline, the outbox time-stamps before delivery.
    const tsaUrl = partnerCase ? getAgreement(this.home, partnerCase.agreementId).tsaUrl : undefined;
    const signed = await signDraftInto(draft, template, identity, pending, { path: draftId, ...(tsaUrl ? { tsaUrl } : {}) });
    const dir = join(this.signedDir, signed.sr.SOPInstanceUID);
    try {
      renameSync(pending, dir);
    } catch (e) {
      rmSync(pending, { recursive: true, force: true });
      throw new AmurError('reports.outUnwritable', { path: dir, detail: (e as Error).message }, { cause: e });
    }
    try {
      mkdirSync(this.sourcesDir, { recursive: true });
      const tmp = join(this.sourcesDir, `.${signed.sr.SOPInstanceUID}.tmp`);
      writeFileSync(tmp, JSON.stringify(draft));
      renameSync(tmp, join(this.sourcesDir, `${signed.sr.SOPInstanceUID}.json`));
    } catch {
      // Without it an amendment starts empty; the signed report itself is complete.
    }
    auditSignature(this.store, draft.study.StudyInstanceUID, signed, identity.certificate, Boolean(draft.predecessor));
    if (partnerCase) {
      queueSignedReport(this.store, partnerCase, { ...signed, dir, files: signed.files.map((f) => join(dir, basename(f))) });
    }
    this.drafts.remove(draftId);
    const summary = this.summary(dir)!;
    this.didSign.fire(summary);
    return summary;
  }

  async listSignedReports(StudyInstanceUID: string): Promise<SignedReportSummary[]> {
    if (!existsSync(this.signedDir)) return [];
    return readdirSync(this.signedDir)
      .filter((n) => !n.startsWith('.'))
      .map((n) => this.summary(join(this.signedDir, n)))
      .filter((s): s is SignedReportSummary => !!s && s.StudyInstanceUID === StudyInstanceUID)
      .sort((a, b) => b.verifiedAt.localeCompare(a.verifiedAt));
  }

  private signedSrPath(SOPInstanceUID: string): string {
    const p = join(this.signedDir, SOPInstanceUID, REPORT_FILES.sr);
    if (!/^[0-9.]+$/.test(SOPInstanceUID) || !existsSync(p)) throw new AmurError('reports.signedNotFound', { report: SOPInstanceUID });
    return p;
  }

  /**
   * Measurements are made in the viewer and kept by the measurement service; a draft carries them
   * as they are in the store when it is saved or signed, so the signed report lists what the
   * viewer shows, whatever the editor last sent.
   */
  private withMeasurements(d: ReportDraft): ReportDraft {
    return { ...d, measurements: draftMeasurementsFromStore(this.store, d.study.StudyInstanceUID) };
  }

  private source(SOPInstanceUID: string): ReportDraft | undefined {
    try {
      const raw = JSON.parse(readFileSync(join(this.sourcesDir, `${SOPInstanceUID}.json`), 'utf8'));
      return validateDraft(raw, SOPInstanceUID).draft;
    } catch {
      return undefined;
    }
  }

  private summary(dir: string): SignedReportSummary | undefined {
    try {
      const { dataset: ds } = readPart10(readFileSync(join(dir, REPORT_FILES.sr)), { untilTag: '7FE00010' });
      const pred = ds.PredecessorDocumentsSequence?.[0]?.ReferencedSeriesSequence?.[0]?.ReferencedSOPSequence?.[0];
      const vdt = String(ds.VerifyingObserverSequence?.[0]?.VerificationDateTime ?? '').trim();
      const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(vdt);
      return {
        StudyInstanceUID: String(ds.StudyInstanceUID),
        SOPInstanceUID: String(ds.SOPInstanceUID),
        dir,
        files: readdirSync(dir).sort(),
        verifiedAt: m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : '',
        ...(pred ? { predecessor: String(pred.ReferencedSOPInstanceUID) } : {}),
      };
    } catch {
      return undefined;
    }
  }
}
