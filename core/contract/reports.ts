// Reporting as the UI and the CLI see it: templates, drafts (autosaved by the host after every
// change), and signing a draft into the SR, the Encapsulated PDF and the PDF. The draft and template
// shapes are the ones the report writers use (core/reports), re-exported here as types only.
export type { ReportDraft, AiFinding, Measurement, LanguageText, SectionText, StudyReference } from '../reports/draft.js';
export type { ReportTemplate, TemplateFinding, TemplateSection, Code, LangText } from '../reports/template.js';
export type { DraftSummary } from '../reports/drafts.js';
import type { ReportDraft } from '../reports/draft.js';
import type { Event } from './services.js';
import type { DraftSummary } from '../reports/drafts.js';
import type { ReportTemplate } from '../reports/template.js';

/** A signing identity stored under AMUR_HOME/identities (imported from a PKCS#12 file). */
export interface SignerSummary {
  name: string;
  keyAlgorithm: string;
  subject: string;
  validTo: string;
}

export interface SignedReportSummary {
  StudyInstanceUID: string;
  /** The SR's SOP Instance UID, which also names the report's folder. */
  SOPInstanceUID: string;
  /** Where the signed files are (AMUR_HOME/reports/signed/<SOPInstanceUID>/). */
  dir: string;
  files: string[];
  /** ISO 8601 UTC time of the signature. */
  verifiedAt: string;
  predecessor?: string;
}

/**
 * Drafts are identified by their draftId (a study may have several: a report and its amendments).
 * The editor calls saveDraft after every change (debounced); the host writes it atomically, so a
 * crash loses nothing that was saved.
 */
export interface ReportService {
  listTemplates(): Promise<ReportTemplate[]>;
  /** A new draft for a study (the AI's positive findings proposed), saved before it is returned. */
  createDraft(StudyInstanceUID: string, options?: { templateId?: string; reader?: 'ru' | 'en'; amends?: string }): Promise<ReportDraft>;
  listDrafts(StudyInstanceUID: string): Promise<DraftSummary[]>;
  getDraft(draftId: string): Promise<ReportDraft>;
  /** Saves the draft atomically (crash-safe); refuses one that does not fit its template. */
  saveDraft(draft: ReportDraft): Promise<DraftSummary>;
  listSigners(): Promise<SignerSummary[]>;
  /** Signs a saved draft with a stored identity; the draft is removed once the report is signed. */
  signDraft(draftId: string, signer: string, passphrase: string): Promise<SignedReportSummary>;
  listSignedReports(StudyInstanceUID: string): Promise<SignedReportSummary[]>;
  /** A draft was saved (by this window or another). */
  onDidSaveDraft: Event<DraftSummary>;
  /** A report was signed (its draft is gone from then on). */
  onDidSignReport: Event<SignedReportSummary>;
}
