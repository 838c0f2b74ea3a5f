// A case is a study a partner hospital sent under an agreement: which agreement, the hospital's
// request and consent reference, the priority, when it was sent and so when the report is due.
// The hospital writes these into every de-identified instance (caseAttributes below); the reader's
// store keeps them in the cases table (migration 4), keyed by the de-identified StudyInstanceUID.
import type { StudyStore } from '../store/store.js';

export type Priority = 'routine' | 'urgent';
export const PRIORITIES: readonly Priority[] = ['routine', 'urgent'];

export interface CaseRecord {
  StudyInstanceUID: string;
  agreementId: string;
  /** The partner hospital's Latin name, as the agreement gives it. */
  partner: string;
  requestId: string;
  consentRef: string;
  priority: Priority;
  /** ISO 8601 UTC: when the hospital sent the study. */
  receivedAt: string;
  /** ISO 8601 UTC: receivedAt + the agreement's turnaround for the priority. */
  deadlineAt: string;
  exchangeUrl: string;
  /** When every instance of the study had arrived in the store; absent while a pull is incomplete. */
  pulledAt?: string;
}

/**
 * The DICOM attributes that carry a case inside each de-identified instance: the Clinical Trial
 * Subject and Study modules (PS3.3 C.7.1.3, C.7.2.3), which exist to say under which protocol a
 * de-identified study was shared. The priority and the time of sending have no standard home
 * there; they are the Time Point Description, written as "<priority> <YYYYMMDDTHHMMSSZ>".
 */
export const CASE_TAGS = {
  sponsor: '00120010', // Clinical Trial Sponsor Name: the partner hospital
  agreementId: '00120020', // Clinical Trial Protocol ID
  protocolName: '00120021', // Clinical Trial Protocol Name
  siteId: '00120030', // Clinical Trial Site ID
  subjectId: '00120040', // Clinical Trial Subject ID: the patient's pseudonym
  requestId: '00120050', // Clinical Trial Time Point ID: the hospital's request
  timePoint: '00120051', // Clinical Trial Time Point Description: priority and time sent
  consentRef: '00120082', // Clinical Trial Protocol Ethics Committee Approval Number: consent
} as const;

export interface CaseAttributes {
  agreementId: string;
  partner: string;
  requestId: string;
  consentRef: string;
  priority: Priority;
  sentAt: Date;
  subjectId: string;
}

/** The keyword → value pairs a de-identified instance gets for its case. */
export function caseAttributes(c: CaseAttributes): Record<string, string> {
  return {
    ClinicalTrialSponsorName: c.partner.slice(0, 64),
    ClinicalTrialProtocolID: c.agreementId,
    ClinicalTrialProtocolName: 'Amur teleradiology',
    ClinicalTrialSiteID: '',
    ClinicalTrialSiteName: '',
    ClinicalTrialSubjectID: c.subjectId,
    ClinicalTrialTimePointID: c.requestId,
    ClinicalTrialTimePointDescription: `${c.priority} ${compactUtc(c.sentAt)}`,
    ClinicalTrialProtocolEthicsCommitteeApprovalNumber: c.consentRef,
  };
}

function compactUtc(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** Reads priority and time sent back from a Time Point Description; undefined when it is not Amur's. */
export function parseTimePoint(text: string): { priority: Priority; sentAt: Date } | undefined {
  const m = /^(routine|urgent) (\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text.trim());
  if (!m) return undefined;
  const sentAt = new Date(Date.UTC(+m[2]!, +m[3]! - 1, +m[4]!, +m[5]!, +m[6]!, +m[7]!));
  if (Number.isNaN(sentAt.getTime())) return undefined;
  return { priority: m[1] as Priority, sentAt };
}

// ---- the reader's cases table ---------------------------------------------------------------

interface CaseRow {
  StudyInstanceUID: string;
  agreement_id: string;
  partner: string;
  request_id: string;
  consent_ref: string;
  priority: Priority;
  received_at: string;
  deadline_at: string;
  exchange_url: string;
  pulled_at: string | null;
}

function fromRow(r: CaseRow): CaseRecord {
  return {
    StudyInstanceUID: r.StudyInstanceUID,
    agreementId: r.agreement_id,
    partner: r.partner,
    requestId: r.request_id,
    consentRef: r.consent_ref,
    priority: r.priority,
    receivedAt: r.received_at,
    deadlineAt: r.deadline_at,
    exchangeUrl: r.exchange_url,
    ...(r.pulled_at ? { pulledAt: r.pulled_at } : {}),
  };
}

/** Records a case (before its instances arrive); an existing case keeps its first record. */
export function recordCase(store: StudyStore, c: CaseRecord): void {
  store.db.prepare(`
    INSERT INTO cases (StudyInstanceUID, agreement_id, partner, request_id, consent_ref, priority, received_at, deadline_at,
      exchange_url, pulled_at, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)
    ON CONFLICT (StudyInstanceUID) DO NOTHING`).run(
    c.StudyInstanceUID, c.agreementId, c.partner, c.requestId, c.consentRef, c.priority, c.receivedAt, c.deadlineAt,
    c.exchangeUrl, new Date().toISOString());
}

export function markPulled(store: StudyStore, StudyInstanceUID: string, at = new Date()): void {
  store.db.prepare('UPDATE cases SET pulled_at = ? WHERE StudyInstanceUID = ?').run(at.toISOString(), StudyInstanceUID);
}

export function getCase(store: StudyStore, StudyInstanceUID: string): CaseRecord | undefined {
  const r = store.db.prepare('SELECT * FROM cases WHERE StudyInstanceUID = ?').get(StudyInstanceUID) as CaseRow | undefined;
  return r && fromRow(r);
}

export function listCases(store: StudyStore): CaseRecord[] {
  return (store.db.prepare('SELECT * FROM cases ORDER BY deadline_at').all() as CaseRow[]).map(fromRow);
}
