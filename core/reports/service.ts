// The report service the UI talks to through the contract: templates, drafts kept in the draft store
// (saved atomically after every change the editor sends, with the viewer's measurements as they are
// in the store), and signing with a stored identity into
// AMUR_HOME/reports/signed/<SR SOPInstanceUID>/. Drafts and signed reports are kept sealed under
// their study's key (drafts.ts, signed.ts) and opened here for the UI. Everything heavy (PDF
// rendering, signatures) runs in the host process, never in the renderer.
import { renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { assertMaySign, auditSignature, queueSignedReport } from '../cases/reporting.js';
import { getAgreement } from '../agreements/index.js';
import { audit } from '../audit/index.js';
import { getCase } from '../cases/cases.js';
import { AmurError } from '../common/errors.js';
import { draftMeasurementsFromStore } from '../measurements/draft-sync.js';
import { Emitter } from '../common/emitter.js';
import type { ExportedFile } from '../contract/measurements.js';
import type { DraftProblem, ReportService, SignedReportSummary, SignerSummary, SigningObserver } from '../contract/reports.js';
import { assertUsableForSigning, identityCertificate, importIdentity, listIdentities, observerFromCertificate, openIdentity, readPkcs12 } from '../signing/index.js';
import type { StudyStore } from '../store/store.js';
import { recordDraft, recordSigned } from '../studies/reports.js';
import { validateDraft, type ReportDraft } from './draft.js';
import { DraftStore, type DraftSummary } from './drafts.js';
import { newDraftForStudy, predecessorFromSR } from './new-draft.js';
import { draftProblems, retagLanguages } from './problems.js';
import { REPORT_FILES, renderReportPreview, signDraftInto } from './sign.js';
import { SignedReports } from './signed.js';
import { listTemplates, type ReportTemplate } from './template.js';

/** The media types of a signed report's files, as the UI offers them for saving. */
const MEDIA_TYPES: Record<string, string> = { '.pdf': 'application/pdf', '.dcm': 'application/dicom', '.json': 'application/json' };

/** A PKCS#12 file holds a key and a few certificates: anything far larger is not one. */
const MAX_PKCS12_BYTES = 1 << 20;

export class LocalReportService implements ReportService {
  private readonly drafts: DraftStore;
  /** The signed reports kept here, with the draft each was made from (an amendment starts from it). */
  private readonly signed: SignedReports;
  private readonly didSave = new Emitter<DraftSummary>();
  private readonly didSign = new Emitter<SignedReportSummary>();
  readonly onDidSaveDraft = this.didSave.event;
  readonly onDidSignReport = this.didSign.event;

  constructor(private readonly store: StudyStore, private readonly home: string = store.home) {
    this.drafts = new DraftStore(store);
    this.signed = new SignedReports(store);
    this.recordKeptReports();
  }

  /**
   * Drafts and signed reports kept here before the catalogue recorded them (migration 8) count for
   * their study's status too; recording one twice changes nothing.
   */
  private recordKeptReports(): void {
    for (const d of this.drafts.list()) recordDraft(this.store, d.StudyInstanceUID, d.draftId);
    for (const sr of this.signed.list()) {
      try {
        recordSigned(this.store, this.signed.studyOf(sr), sr);
      } catch {
        // A report whose study's key was shredded (purged) has no study to count for.
      }
    }
  }

  async listTemplates(): Promise<ReportTemplate[]> {
    return listTemplates();
  }

  async createDraft(StudyInstanceUID: string, options: { templateId?: string; reader?: 'ru' | 'en'; amends?: string } = {}): Promise<ReportDraft> {
    const predecessor = options.amends
      ? predecessorFromSR(this.signed.read(options.amends, REPORT_FILES.sr).bytes, join(this.signed.folder(options.amends), REPORT_FILES.sr))
      : undefined;
    let d = newDraftForStudy(this.store, StudyInstanceUID, { templateId: options.templateId, reader: options.reader, predecessor });
    const source = options.amends ? this.signed.source(options.amends) : undefined;
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
    const saved = this.drafts.save(d);
    recordDraft(this.store, StudyInstanceUID, d.draftId);
    this.didSave.fire(saved);
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
    recordDraft(this.store, saved.StudyInstanceUID, saved.draftId);
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

  async signingIdentity(signer: string): Promise<SigningObserver> {
    const { name, displayName, organization, commonName, subject } = observerFromCertificate(identityCertificate(signer, this.home));
    return { signer, name, displayName, organization, commonName, subject };
  }

  async validateDraft(draftId: string, signer?: string): Promise<DraftProblem[]> {
    const draft = this.withMeasurements(this.drafts.load(draftId));
    const { template } = validateDraft(draft, draftId);
    return draftProblems(draft, template, signer ? observerFromCertificate(identityCertificate(signer, this.home)) : undefined);
  }

  async previewDraft(draftId: string, signer: string): Promise<ExportedFile> {
    const draft = this.withMeasurements(this.drafts.load(draftId));
    const { template } = validateDraft(draft, draftId);
    const pdf = await renderReportPreview(draft, template, identityCertificate(signer, this.home));
    return { fileName: 'report-preview.pdf', mediaType: 'application/pdf', bytes: new Uint8Array(pdf.buffer, pdf.byteOffset, pdf.byteLength) };
  }

  async retagDraft(draftId: string): Promise<ReportDraft> {
    const { draft: saved, template } = validateDraft(this.withMeasurements(this.drafts.load(draftId)), draftId);
    const { draft } = retagLanguages(saved, template);
    this.didSave.fire(this.drafts.save(draft));
    return draft;
  }

  async importSigner(p12: Uint8Array, passphrase: string, options: { name: string; fileName?: string }): Promise<SignerSummary> {
    const path = options.fileName || options.name;
    if (p12.byteLength > MAX_PKCS12_BYTES) throw new AmurError('signing.badPkcs12', { path });
    // An identity that could not sign today is not worth keeping: refused before anything is stored.
    assertUsableForSigning(readPkcs12(p12, passphrase, path).certificate);
    const i = importIdentity(p12, passphrase, { name: options.name, home: this.home, path });
    return { name: i.name, keyAlgorithm: i.keyAlgorithm, subject: i.certificate.subject, validTo: i.certificate.validTo };
  }

  async signDraft(draftId: string, signer: string, passphrase: string): Promise<SignedReportSummary> {
    const draft = this.withMeasurements(this.drafts.load(draftId));
    const { template } = validateDraft(draft, draftId);
    const identity = openIdentity(signer, passphrase, this.home);
    const partnerCase = assertMaySign(this.store, this.home, draft.study.StudyInstanceUID, identity.certificate);
    // Signed into a pending folder, sealed under the study's key, then the folder is renamed to the
    // SR's UID in one step.
    const StudyInstanceUID = draft.study.StudyInstanceUID;
    const pending = join(this.signed.dir, `.pending-${draftId}`);
    rmSync(pending, { recursive: true, force: true });
    // Trusted time from the agreement's TSA; offline, the outbox time-stamps before delivery.
    const tsaUrl = partnerCase ? getAgreement(this.home, partnerCase.agreementId).tsaUrl : undefined;
    const signed = await signDraftInto(draft, template, identity, pending, {
      path: draftId, seal: this.signed.sealer(StudyInstanceUID), ...(tsaUrl ? { tsaUrl } : {}),
    });
    const srUID = signed.sr.SOPInstanceUID;
    const dir = join(this.signed.dir, srUID);
    try {
      renameSync(pending, dir);
    } catch (e) {
      rmSync(pending, { recursive: true, force: true });
      throw new AmurError('reports.outUnwritable', { path: dir, detail: (e as Error).message }, { cause: e });
    }
    try {
      this.signed.keepSource(srUID, draft);
    } catch {
      // Without it an amendment starts empty; the signed report itself is complete.
    }
    auditSignature(this.store, StudyInstanceUID, signed, identity.certificate, Boolean(draft.predecessor));
    if (partnerCase) {
      // The outbox seals its own copies (under the same key, bound to the item): it is given the plaintext.
      queueSignedReport(this.store, partnerCase, { ...signed, dir, files: signed.files.map((f) => join(dir, basename(f))) },
        (path) => this.signed.read(srUID, basename(path)).bytes);
    }
    // The study's status follows (core/studies/status.ts): no longer this draft, a signed report.
    recordSigned(this.store, StudyInstanceUID, srUID, draftId);
    this.drafts.remove(draftId);
    const summary = this.signed.summary(srUID)!;
    this.didSign.fire(summary);
    return summary;
  }

  async listSignedReports(StudyInstanceUID: string): Promise<SignedReportSummary[]> {
    return this.signed.list()
      .filter((sr) => {
        try {
          // Only this study's reports are opened: the locator says whose each is.
          return this.signed.studyOf(sr) === StudyInstanceUID;
        } catch {
          return false;
        }
      })
      .map((sr) => this.signed.summary(sr))
      .filter((s): s is SignedReportSummary => !!s && s.StudyInstanceUID === StudyInstanceUID)
      .sort((a, b) => b.verifiedAt.localeCompare(a.verifiedAt));
  }

  /** A file of a signed report (the PDF to show or save), opened; reading it is audited as an export. */
  async getSignedReportFile(SOPInstanceUID: string, fileName: string): Promise<ExportedFile> {
    const { StudyInstanceUID, bytes } = this.signed.read(SOPInstanceUID, fileName);
    audit(this.home, {
      action: 'study.export', outcome: 'success', role: 'reader', agreement: getCase(this.store, StudyInstanceUID)?.agreementId,
      studies: [StudyInstanceUID], detail: { report: SOPInstanceUID, file: fileName },
    });
    const ext = /\.[a-z]+$/.exec(fileName)?.[0] ?? '';
    return { fileName, mediaType: MEDIA_TYPES[ext] ?? 'application/octet-stream', bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  }

  /**
   * Measurements are made in the viewer and kept by the measurement service; a draft carries them
   * as they are in the store when it is saved or signed, so the signed report lists what the
   * viewer shows, whatever the editor last sent.
   */
  private withMeasurements(d: ReportDraft): ReportDraft {
    return { ...d, measurements: draftMeasurementsFromStore(this.store, d.study.StudyInstanceUID) };
  }
}
