// The catalogue's record of a study's report drafts and signed reports (study_reports, migration 8):
// the facts its reading status is derived from (status.ts). The report service and `amur report
// draft|sign` write here; nothing else does. A report of a study that is not in the store (a draft
// file for a purged study) records nothing.
import type { StudyStore } from '../store/store.js';

function studyId(store: StudyStore, StudyInstanceUID: string): number | undefined {
  return store.db.prepare('SELECT id FROM studies WHERE StudyInstanceUID = ?').pluck().get(StudyInstanceUID) as number | undefined;
}

/** A draft of the study exists (made, or saved again). True when the study is in the store. */
export function recordDraft(store: StudyStore, StudyInstanceUID: string, draftId: string, now = new Date()): boolean {
  const id = studyId(store, StudyInstanceUID);
  if (id === undefined) return false;
  store.db.prepare(`INSERT INTO study_reports (kind, ref, study_id, recorded_at) VALUES ('draft', ?, ?, ?)
    ON CONFLICT (kind, ref) DO NOTHING`).run(draftId, id, now.toISOString());
  return true;
}

/** A report of the study was signed (from the draft `draftId`, whose row goes: it is no longer a draft). */
export function recordSigned(store: StudyStore, StudyInstanceUID: string, srInstanceUID: string, draftId?: string, now = new Date()): boolean {
  const id = studyId(store, StudyInstanceUID);
  if (id === undefined) return false;
  store.db.transaction(() => {
    store.db.prepare(`INSERT INTO study_reports (kind, ref, study_id, recorded_at) VALUES ('signed', ?, ?, ?)
      ON CONFLICT (kind, ref) DO NOTHING`).run(srInstanceUID, id, now.toISOString());
    if (draftId !== undefined) store.db.prepare("DELETE FROM study_reports WHERE kind = 'draft' AND ref = ?").run(draftId);
  })();
  return true;
}


/**
 * Studies whose status may change with no one touching them: a report in the outbox (delivered by
 * the app's courier or by `amur deliver` in another process) and a partner's case (its deadline passes).
 */
export function studiesOfPartners(store: StudyStore): string[] {
  return store.db.prepare('SELECT StudyInstanceUID FROM outbox UNION SELECT StudyInstanceUID FROM cases').pluck().all() as string[];
}
