// What one audit event is (product rule 7): who did what, when, on which workstation, under which
// agreement, to which studies, and how it ended. It carries identifiers (Study Instance UIDs, the
// agreement's ID, the signer's certificate name), never patient names, IDs or report text: the
// audit trail is exported and forwarded to the hospital, so it must be safe to send. The UI reads
// a study's events through AuditService.

/** Every kind of access or transfer Amur records. */
export const AUDIT_ACTIONS = [
  'application.start',
  'application.stop',
  'agreement.import',
  'study.import',
  'study.pull',
  'study.open',
  'study.view',
  'study.export',
  'report.draft',
  'report.sign',
  'report.amend',
  'report.deliver',
  'hospital.send',
  'hospital.receive',
  'hospital.reidentify',
  'verification.failure',
  'access.refused',
  'study.purge',
  'key.change',
  'audit.export',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** DICOM/ATNA EventOutcomeIndicator: 0 success, 4 minor failure, 8 serious failure, 12 major failure. */
export const AUDIT_OUTCOMES = ['success', 'minorFailure', 'seriousFailure', 'majorFailure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Who acted, in which capacity: the reading radiologist's workstation, the hospital's IT side, or the application itself. */
export const AUDIT_ROLES = ['reader', 'hospital', 'system'] as const;
export type AuditRole = (typeof AUDIT_ROLES)[number];

/** What a caller records; the log adds the sequence number, the time and the chain. */
export interface AuditRecord {
  action: AuditAction;
  outcome: AuditOutcome;
  /** The signer's certificate subject (CN) when a signing identity acted, otherwise the OS user. */
  user?: string;
  role: AuditRole;
  /** The agreement the action was under, when there is one. */
  agreement?: string;
  /** Study Instance UIDs the action touched (as the side recording it knows them). */
  studies?: string[];
  /**
   * Non-identifying facts: counts, a reason code, the peer (an exchange's or PACS's host), a
   * SOP Instance UID of a report. Never a patient's name or ID, never free text a user typed.
   */
  detail?: Record<string, string | number | boolean>;
}

/** One stored event, as `amur audit` shows, verifies and exports it. */
export interface AuditEvent {
  /** 1, 2, 3, … in the order the events were written. */
  seq: number;
  /** UTC, ISO 8601 with milliseconds (2026-12-07T08:00:00.000Z). */
  time: string;
  action: AuditAction;
  outcome: AuditOutcome;
  user: string;
  role: AuditRole;
  /** The workstation's name (host name) that recorded the event. */
  workstation: string;
  agreement?: string;
  studies: string[];
  detail: Record<string, string | number | boolean>;
}

export interface AuditService {
  /** The events that touched one study, oldest first: who opened, viewed, signed and sent it, and when. */
  listStudyAudit(StudyInstanceUID: string): Promise<AuditEvent[]>;
}
