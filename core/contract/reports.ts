// Reporting as the UI and the CLI see it: templates, drafts (autosaved by the host after every
// change), and signing a draft into the SR, the Encapsulated PDF and the PDF. The template and draft
// shapes are defined here, once, and the report writers (core/reports) use them as they are.
import type { ExportedFile } from './measurements.js';
import type { Event } from './event.js';

/** The languages a report is written and shown in: the partner's (zh-CN) and the reader's. */
export type ReportLanguage = 'zh-CN' | 'ru' | 'en';

// ---- templates (assets/templates; validated by core/reports/template.ts) ------------------------

/** Text in every language Amur reports in. */
export type LangText = Record<ReportLanguage, string>;

/** A coded concept as DICOM writes it: Code Value, Coding Scheme Designator, Code Meaning. */
export interface Code {
  value: string;
  scheme: string;
  meaning: string;
}

export interface TemplateFinding {
  id: string;
  /** First: the concept recorded; the rest: equivalents. Empty: uncoded (see README). */
  codes: Code[];
  text: LangText;
  /**
   * Findings of the same pick list that cannot be reported together with this one (a report saying
   * "no abnormality" and "pleural effusion" contradicts itself), by id; "*" stands for every other
   * finding of the list. The relation holds both ways; signing refuses a report that breaks it.
   */
  excludes?: string[];
}

export type SectionKind = 'findings' | 'text' | 'impression';

export interface TemplateSection {
  id: string;
  kind: SectionKind;
  /** The section heading (CID 7001). */
  heading: Code;
  title: LangText;
  findings?: TemplateFinding[];
}

export interface ReportTemplate {
  id: string;
  version: string;
  title: LangText;
  modalities: string[];
  sections: TemplateSection[];
}

// ---- the draft (README "Report draft"; validated by core/reports/draft.ts) ------------------------

export type ReaderLanguage = 'ru' | 'en';

/** One image the report is about (the SR's evidence), by its SOP identity. */
export interface InstanceReference {
  SOPClassUID: string;
  SOPInstanceUID: string;
}

export interface SeriesReference {
  SeriesInstanceUID: string;
  Modality: string;
  instances: InstanceReference[];
}

/** The study as the store holds it: the SR and the PDF copy the Patient and Study modules from here. */
export interface StudyReference {
  StudyInstanceUID: string;
  StudyID: string;
  StudyDate: string;
  StudyTime: string;
  AccessionNumber: string;
  StudyDescription: string;
  ReferringPhysicianName: string;
  PatientName: string;
  PatientID: string;
  IssuerOfPatientID: string;
  PatientBirthDate: string;
  PatientSex: string;
  series: SeriesReference[];
}

/** Free text, with the language it was written in. */
export interface LanguageText {
  lang: ReportLanguage;
  text: string;
}

export interface SectionText extends LanguageText {
  /** The template section id it belongs to (e.g. "history", "findings", "recommendations"). */
  section: string;
}

/** A selected pick-list finding, by its id in the template's findings section. */
export interface SelectedFinding {
  id: string;
}

export type MeasurementKind = 'length' | 'area' | 'mean' | 'stdDev' | 'min' | 'max';
export type MeasurementUnit = 'mm' | 'mm2' | 'HU' | '1';

export interface MeasurementValue {
  kind: MeasurementKind;
  value: number;
  unit: MeasurementUnit;
}

/**
 * One measurement group (TID 1501): the numbers taken from one region of one image. The graphic is
 * in image pixel coordinates (column, row pairs), as SCOORD stores it.
 */
export interface Measurement {
  /** Tracking Unique Identifier: stays the same when the measurement is edited or re-reported. */
  trackingUID: string;
  /** Tracking Identifier: the short label the radiologist sees ("Nodule 1"). */
  label: string;
  /** Optional template finding the measurement belongs to. */
  findingId?: string;
  values: MeasurementValue[];
  image: InstanceReference & { frame?: number };
  graphic: { type: 'POINT' | 'POLYLINE' | 'ELLIPSE' | 'CIRCLE'; points: number[] };
}

/** An AI model, identified as the product requires: name, version and the hash of its weights. */
export interface ModelIdentity {
  name: string;
  version: string;
  sha256: string;
}

/**
 * A finding the AI proposed. It is assistive: it enters the signed report only when the
 * radiologist accepts it, and then carries the model's identity; a draft with undecided
 * proposals cannot be signed.
 */
export interface AiFinding {
  id: string;
  model: ModelIdentity;
  /** The template finding the model proposes. */
  findingId: string;
  /** The model's score in [0, 1], shown to the radiologist; informative only. */
  score?: number;
  status: 'proposed' | 'accepted' | 'rejected';
}

export interface Observer {
  /** DICOM Person Name (family^given...). */
  name: string;
  organization: string;
}

/** The signed SR an amendment replaces. */
export interface PredecessorReference extends InstanceReference {
  StudyInstanceUID: string;
  SeriesInstanceUID: string;
}

export interface ReportDraft {
  format: 'amur.report-draft/1';
  draftId: string;
  /** ISO 8601 UTC. */
  createdAt: string;
  study: StudyReference;
  template: { id: string; version: string };
  languages: { partner: 'zh-CN'; reader: ReaderLanguage };
  findings: SelectedFinding[];
  texts: SectionText[];
  impression: LanguageText[];
  measurements: Measurement[];
  aiFindings: AiFinding[];
  /**
   * Ignored when the report is signed: the SR and the PDF name the person and organisation of the
   * signing certificate (see ReportService.signingIdentity). Kept so that drafts stay readable.
   */
  observer: Observer;
  predecessor?: PredecessorReference;
}

export interface DraftSummary {
  draftId: string;
  StudyInstanceUID: string;
  templateId: string;
  /** ISO 8601 UTC of the last save. */
  savedAt: string;
  /** Set for an amendment: the SR it replaces. */
  predecessor?: string;
}

/**
 * One reason a draft cannot be signed (core/reports/problems.ts). `code` is stable (its text is
 * `errors.<code>` in assets/i18n); `field` says where in the draft ("findings[1]", "aiFindings[0]",
 * "texts[2].lang", "impression[0].lang", "signer" for the certificate); `params` are plain ids and
 * language codes; `message` is the reason in each language, naming findings by their label and
 * sections by their title, as the editor shows it beside the Sign button.
 */
export interface DraftProblem {
  code: string;
  field: string;
  params: Record<string, string | number>;
  message: LangText;
}

/**
 * Who a signature by a stored identity names as the reading radiologist: the person and
 * organisation of its certificate's subject, which the SR and the PDF will say; not editable.
 */
export interface SigningObserver {
  /** The stored identity's name (as listSigners gives it). */
  signer: string;
  /** DICOM Person Name (Surname^Given, or the common name as one component); empty if none. */
  name: string;
  /** The name as the signed PDF prints it. */
  displayName: string;
  organization: string;
  commonName: string;
  /** The certificate's subject on one line. */
  subject: string;
}

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
  /** Who a signature by this stored identity names as the reading radiologist (shown before signing). */
  signingIdentity(signer: string): Promise<SigningObserver>;
  /**
   * Every reason the saved draft could not be signed now, all together (empty: it can be signed);
   * with a signer, also what its certificate lacks. signDraft refuses with the same list.
   */
  validateDraft(draftId: string, signer?: string): Promise<DraftProblem[]>;
  /**
   * The PDF that signing the saved draft with this stored identity would sign, rendered now without
   * a signature and marked as a preview (the report UID and the signing time come at signing).
   */
  previewDraft(draftId: string, signer: string): Promise<ExportedFile>;
  /**
   * Marks every text of the saved draft whose language contradicts its script with the language it
   * is written in (the CLI's `report sign --retag`), saves it and returns it; only on the user's word.
   */
  retagDraft(draftId: string): Promise<ReportDraft>;
  /**
   * Stores a signing identity from a PKCS#12 file (its bytes) opened with its passphrase, under
   * `name`; refused, and nothing stored or replaced, for a wrong passphrase, a file that is not
   * PKCS#12, a certificate that cannot sign now (expired, not yet valid) or a name already taken.
   */
  importSigner(p12: Uint8Array, passphrase: string, options: { name: string; fileName?: string }): Promise<SignerSummary>;
  /** Signs a saved draft with a stored identity; the draft is removed once the report is signed. */
  signDraft(draftId: string, signer: string, passphrase: string): Promise<SignedReportSummary>;
  listSignedReports(StudyInstanceUID: string): Promise<SignedReportSummary[]>;
  /**
   * One file of a signed report kept here (one of its `files`, e.g. report.pdf), opened from its
   * sealed copy for the UI to show or save; reading it is audited.
   */
  getSignedReportFile(SOPInstanceUID: string, fileName: string): Promise<ExportedFile>;
  /** A draft was saved (by this window or another). */
  onDidSaveDraft: Event<DraftSummary>;
  /** A report was signed (its draft is gone from then on). */
  onDidSignReport: Event<SignedReportSummary>;
}
