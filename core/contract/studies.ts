// The study catalogue as the UI and the CLI see it. Every field is named by its DICOM keyword so
// that a reader can match it to the standard (PS3.6) and to DICOMweb QIDO-RS results.

/** One study row of the worklist. */
export interface StudySummary {
  StudyInstanceUID: string;
  /** The full Person Name string, alphabetic=ideographic=phonetic groups kept. */
  PatientName: string;
  PatientID: string;
  PatientBirthDate: string;
  PatientSex: string;
  /** PatientAge (AS, e.g. "045Y") as the study's files state it; '' when they do not (see core/studies/age.ts). */
  PatientAge: string;
  StudyDate: string;
  StudyTime: string;
  AccessionNumber: string;
  StudyDescription: string;
  /** Modalities of the study's series, backslash-separated as in DICOM (e.g. "CT\\SR"). */
  ModalitiesInStudy: string;
  /** BodyPartExamined of the study's series (a series attribute), distinct, backslash-separated. */
  BodyPartExamined: string;
  NumberOfStudyRelatedSeries: number;
  NumberOfStudyRelatedInstances: number;
  /** Where the study came from: a partner hospital or local media. */
  source: SourceSummary;
  /** Reading status, derived from what happened to the study (core/studies/status.ts: measurements, drafts, signed reports, delivery, deadline). */
  status: StudyStatus;
  /** The case, for a study a partner sent under an agreement; absent for local media. */
  case?: StudyCase;
  /** ISO 8601 UTC time the study was first stored here. */
  importedAt: string;
}

export type StudyStatus = 'new' | 'in-progress' | 'reported' | 'delivered' | 'overdue';

/** A partner's request attached to a study (core/cases). */
export interface StudyCase {
  agreementId: string;
  partner: string;
  requestId: string;
  priority: 'routine' | 'urgent';
  /** ISO 8601 UTC. */
  receivedAt: string;
  /** ISO 8601 UTC: received + the agreement's turnaround for the priority. */
  deadlineAt: string;
}

export interface SourceSummary {
  id: string;
  kind: 'partner' | 'media';
  name: string;
}

export interface SeriesSummary {
  SeriesInstanceUID: string;
  StudyInstanceUID: string;
  Modality: string;
  SeriesNumber: number | null;
  SeriesDescription: string;
  BodyPartExamined: string;
  NumberOfSeriesRelatedInstances: number;
  /**
   * The SOP Instance UID of the series' first image in the viewer's order (Instance Number, then
   * UID; instances with pixels only), null when it has none: the viewer asks for that image while
   * it is still listing the series' instances.
   */
  firstImageUID: string | null;
}

export interface InstanceSummary {
  SOPInstanceUID: string;
  SOPClassUID: string;
  SeriesInstanceUID: string;
  InstanceNumber: number | null;
  TransferSyntaxUID: string;
  Rows: number | null;
  Columns: number | null;
  NumberOfFrames: number | null;
}

/** A file the importer refused, with a reason already in the reader's language. */
export interface RejectedFile {
  path: string;
  /** Stable machine code of the reason, e.g. "dicom.truncated". */
  code: string;
  reason: string;
  /** The reason's parameters (errors.<code> in assets/i18n), so a UI can word it in its own language. */
  params?: Record<string, string>;
}

/**
 * A file the importer stored although it is not quite as the standard wants (no SOP Instance UID, a
 * Series Instance UID that is not a UID, pixel data without their final delimiter): what Amur did
 * about it, in the reader's language (`message`) and as notices.<code> with `params` for a UI.
 */
export interface ImportNotice {
  path: string;
  /** e.g. "dicom.uidMissingDerived". */
  code: string;
  params: Record<string, string>;
  message: string;
}

export interface ImportProgress {
  /** Files found so far (walking folders, DICOMDIRs and archives). */
  seen: number;
  imported: number;
  duplicates: number;
  rejected: number;
  /** True once walking is finished, so `seen` is the final total. */
  walkDone: boolean;
}

export interface ImportSummary {
  imported: number;
  duplicates: number;
  rejected: RejectedFile[];
  /** StudyInstanceUIDs touched by this import (new or already known). */
  studies: string[];
  /** Files stored despite a defect, and what was done about it; absent or empty when there were none. */
  notices?: ImportNotice[];
}
