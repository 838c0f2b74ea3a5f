// A study's reading status, derived from what happened to it, never stored as a state of its own:
// the catalogue keeps the facts (measurements, report drafts and signed reports in study_reports,
// the outbox's deliveries, a case's deadline) and this one function turns them into the badge the
// worklist shows and `amur studies --json` prints. Stored states drift from the facts (a draft
// discarded, a measurement undone); facts do not.
import type { StudyStatus } from '../contract/studies.js';

export interface StudyStatusFacts {
  /** At least one measurement of the study is kept (undone ones are gone from the store). */
  measurements: boolean;
  /** A report draft was made for it (the report editor's autosave, or `amur report draft`). */
  drafts: boolean;
  /** A report of the study was signed (here or by `amur report sign`). */
  signed: boolean;
  /** Outbox items of the study: all of them, and those that reached the partner's exchange. */
  outbox: number;
  delivered: number;
  /** ISO 8601 UTC deadline of the partner's case, if the study is one. */
  deadlineAt?: string | null;
}

/** The order the statuses go through; overdue is "new or in progress, past the deadline". */
export const STUDY_STATUSES: readonly StudyStatus[] = ['new', 'in-progress', 'overdue', 'reported', 'delivered'];

/**
 * delivered: every signed report queued for the partner reached its exchange (an amendment still
 * waiting makes the study reported again); reported: a signed report exists or is queued;
 * overdue: a case past its deadline with nothing signed; in progress: a measurement or a draft;
 * otherwise new.
 */
export function deriveStudyStatus(f: StudyStatusFacts, now: Date = new Date()): StudyStatus {
  if (f.outbox > 0 && f.delivered === f.outbox) return 'delivered';
  if (f.signed || f.outbox > 0) return 'reported';
  if (f.deadlineAt && f.deadlineAt < now.toISOString()) return 'overdue';
  if (f.measurements || f.drafts) return 'in-progress';
  return 'new';
}

/** Reported and delivered studies are read: the worklist puts them below every unread one. */
export function isRead(status: StudyStatus | undefined): boolean {
  return status === 'reported' || status === 'delivered';
}
