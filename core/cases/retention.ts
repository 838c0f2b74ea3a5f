// Retention (product rule 8): a partner's study stays on the workstation only while it is needed.
// Once every signed report of the case has been delivered, it is kept for the agreement's
// retentionDays after the last delivery, then purged: its instance files and catalogue rows (with
// its AI results and measurements), its case, its outbox items and their copies, its drafts and
// its signed reports. The audit trail keeps the record of it (by UID), as it must.
//
// A study from local media has no agreement and no delivery, so nothing here touches it; a case
// with a report still waiting, failed or never written is kept however old it is.
//
// Order and crash-safety: the files that only the catalogue points to go last (removeInstances
// commits the rows, then removes the files, and reconcile removes any a crash leaves behind); then
// the study's key is shredded (crypto-shredding: whatever of its sealed files a disk still holds,
// or a copy of them, can no longer be opened by anyone); the case row is removed last of all, so a
// purge cut off halfway is found due again and completed.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_RETENTION_DAYS, getAgreement } from '../agreements/index.js';
import { audit } from '../audit/index.js';
import { DraftStore } from '../reports/drafts.js';
import { SignedReports } from '../reports/signed.js';
import type { StudyStore } from '../store/store.js';

export interface PurgeCandidate {
  StudyInstanceUID: string;
  agreementId: string;
  /** The last delivery of the case's reports. */
  deliveredAt: string;
  retentionDays: number;
  /** deliveredAt + retentionDays: from then on the study is purged. */
  purgeAt: string;
  /** Where retentionDays came from: the agreement, or the default when the agreement is gone or unreadable. */
  retentionFrom: 'agreement' | 'default';
}

export interface PurgedStudy extends PurgeCandidate {
  instances: number;
  reports: number;
  drafts: number;
  /** The study's data key was destroyed by this purge (false in a dry run, or when it had none left). */
  keyShredded: boolean;
}

export interface PurgeResult {
  dryRun: boolean;
  purged: PurgedStudy[];
}

const DAY_MS = 86_400_000;

/** The cases whose reports were all delivered, with when each is due; due or not. */
export function retentionOf(store: StudyStore, home: string): PurgeCandidate[] {
  const rows = store.db.prepare(`
    SELECT c.StudyInstanceUID AS study, c.agreement_id AS agreement, max(o.delivered_at) AS deliveredAt
    FROM cases c JOIN outbox o ON o.StudyInstanceUID = c.StudyInstanceUID
    GROUP BY c.StudyInstanceUID
    HAVING sum(o.status <> 'delivered') = 0`).all() as { study: string; agreement: string; deliveredAt: string }[];
  const days = new Map<string, { days: number; from: 'agreement' | 'default' }>();
  const retention = (id: string) => {
    let r = days.get(id);
    if (!r) {
      try {
        r = { days: getAgreement(home, id).retentionDays, from: 'agreement' };
      } catch {
        // The agreement was removed or no longer verifies: its data must still go, on the default term.
        r = { days: DEFAULT_RETENTION_DAYS, from: 'default' };
      }
      days.set(id, r);
    }
    return r;
  };
  return rows.map((r) => {
    const ret = retention(r.agreement);
    return {
      StudyInstanceUID: r.study,
      agreementId: r.agreement,
      deliveredAt: r.deliveredAt,
      retentionDays: ret.days,
      purgeAt: new Date(Date.parse(r.deliveredAt) + ret.days * DAY_MS).toISOString(),
      retentionFrom: ret.from,
    };
  });
}

/** Purges every study whose retention has ended (or, with dryRun, says which it would). */
export function purge(store: StudyStore, home: string, options: { now?: Date; dryRun?: boolean } = {}): PurgeResult {
  const now = options.now ?? new Date();
  const due = retentionOf(store, home).filter((c) => Date.parse(c.purgeAt) <= now.getTime());
  const result: PurgeResult = { dryRun: !!options.dryRun, purged: [] };
  for (const c of due) {
    const counts = options.dryRun ? countStudy(store, c.StudyInstanceUID) : purgeStudy(store, c.StudyInstanceUID);
    result.purged.push({ ...c, ...counts });
    if (!options.dryRun) {
      audit(home, {
        action: 'study.purge', outcome: 'success', role: 'system', agreement: c.agreementId, studies: [c.StudyInstanceUID],
        detail: {
          instances: counts.instances, reports: counts.reports, drafts: counts.drafts, keyShredded: counts.keyShredded,
          retentionDays: c.retentionDays, deliveredAt: c.deliveredAt,
        },
      });
    }
  }
  return result;
}

/** The signed reports of a case: each went into the outbox, named by its SR's SOP Instance UID. */
function signedReportsOf(store: StudyStore, StudyInstanceUID: string): { dir: string; sr: string[] }[] {
  return (store.db.prepare('SELECT dir, instances FROM outbox WHERE StudyInstanceUID = ?').all(StudyInstanceUID) as
    { dir: string; instances: string }[]).map((r) => ({
    dir: r.dir,
    sr: (JSON.parse(r.instances) as { SOPInstanceUID: string; SOPClassUID: string }[])
      .filter((i) => i.SOPClassUID.startsWith('1.2.840.10008.5.1.4.1.1.88.')).map((i) => i.SOPInstanceUID),
  }));
}

type Counts = Pick<PurgedStudy, 'instances' | 'reports' | 'drafts' | 'keyShredded'>;

function countStudy(store: StudyStore, StudyInstanceUID: string): Counts {
  return {
    instances: store.instancesOfStudy(StudyInstanceUID).length,
    reports: signedReportsOf(store, StudyInstanceUID).length,
    drafts: new DraftStore(store).idsOfStudy(StudyInstanceUID).length,
    keyShredded: false,
  };
}

/** The reports kept for the study under AMUR_HOME/reports/signed: those it queued, and any its files' locators name. */
function keptReportsOf(signed: SignedReports, queued: string[], StudyInstanceUID: string): string[] {
  const kept = new Set(queued);
  for (const sr of signed.list()) {
    try {
      if (signed.studyOf(sr) === StudyInstanceUID) kept.add(sr);
    } catch {
      // Not readable as a report of this vault: not this study's to remove.
    }
  }
  return [...kept];
}

function purgeStudy(store: StudyStore, StudyInstanceUID: string): Counts {
  // Every draft of the study goes, also one that no longer opens.
  const drafts = new DraftStore(store);
  const ownDrafts = drafts.idsOfStudy(StudyInstanceUID);
  for (const d of ownDrafts) drafts.remove(d);
  const reports = signedReportsOf(store, StudyInstanceUID);
  const signed = new SignedReports(store);
  for (const sr of keptReportsOf(signed, reports.flatMap((r) => r.sr), StudyInstanceUID)) signed.remove(sr);
  for (const r of reports) rmSync(join(store.root, r.dir), { recursive: true, force: true });
  const instances = store.removeInstances(store.instancesOfStudy(StudyInstanceUID));
  // Before the case row: a shred refused because another process was reading ('vault.shredIncomplete')
  // leaves the case due, and the next purge shreds again.
  const keyShredded = store.keys.shred(StudyInstanceUID);
  store.db.transaction(() => {
    store.db.prepare('DELETE FROM outbox WHERE StudyInstanceUID = ?').run(StudyInstanceUID);
    store.db.prepare('DELETE FROM cases WHERE StudyInstanceUID = ?').run(StudyInstanceUID);
  }).immediate();
  return { instances, reports: reports.length, drafts: ownDrafts.length, keyShredded };
}
