// What the hospital side remembers besides the re-identification map (core/deid): which
// de-identified instances reached the exchange (so a send cut off halfway resumes and never sends
// twice), the case of each de-identified study, and what became of every report that came back
// (filed once, or kept aside with the reason). One SQLite file under AMUR_HOME/hospital/, which
// never leaves the hospital: a SQLCipher database under its own subkey of the home's master key
// (it pairs original and de-identified study UIDs), encrypted in place when an earlier version
// left it in clear. The reports kept beside it are sealed files (./files.ts).
import type Database from 'better-sqlite3-multiple-ciphers';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorParams } from '../common/errors.js';
import type { Priority } from '../cases/cases.js';
import { openVaultDatabase } from '../vault/database.js';
import { vaultKey } from '../vault/session.js';
import { isUid, keptPath, sealClearReports } from './files.js';

/** The master key's subkey the state database is encrypted with (core/vault/keys.ts deriveKey). */
export const HOSPITAL_STATE_PURPOSE = 'hospital-state/1';

export interface SentCase {
  agreementId: string;
  originalStudyUID: string;
  deidStudyUID: string;
  requestId: string;
  consentRef: string;
  priority: Priority;
  sentAt: string;
}

export type ReceivedOutcome = { status: 'filed'; filedStudyUID: string } | { status: 'rejected'; code: string; params: ErrorParams };

export class HospitalState {
  readonly db: Database.Database;
  readonly dir: string;

  /** The AMUR_HOME of the hospital side (its audit trail and vault are there). */
  readonly home: string;

  /** Opens the state of `home`, whose vault must be unlocked ('vault.locked' otherwise). */
  constructor(home: string) {
    vaultKey(home); // a locked home is refused before anything is made
    this.home = home;
    this.dir = join(home, 'hospital');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, 'state.sqlite');
    // Encrypted in place when an earlier version left it in clear (openVaultDatabase).
    this.db = openVaultDatabase(home, path, HOSPITAL_STATE_PURPOSE);
    this.db.pragma('busy_timeout = 60000');
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS cases (
        agreement_id        TEXT NOT NULL,
        original_study_uid  TEXT NOT NULL,
        deid_study_uid      TEXT NOT NULL,
        request_id          TEXT NOT NULL,
        consent_ref         TEXT NOT NULL,
        priority            TEXT NOT NULL,
        sent_at             TEXT NOT NULL,
        PRIMARY KEY (agreement_id, original_study_uid)
      );
      CREATE TABLE IF NOT EXISTS sent (
        agreement_id    TEXT NOT NULL,
        deid_sop_uid    TEXT NOT NULL,
        deid_study_uid  TEXT NOT NULL,
        sent_at         TEXT NOT NULL,
        PRIMARY KEY (agreement_id, deid_sop_uid)
      );
      CREATE TABLE IF NOT EXISTS received (
        agreement_id     TEXT NOT NULL,
        sop_uid          TEXT NOT NULL,
        deid_study_uid   TEXT NOT NULL,
        status           TEXT NOT NULL CHECK (status IN ('filed', 'rejected')),
        filed_study_uid  TEXT,
        reason_code      TEXT,
        reason_params    TEXT,
        archived         TEXT NOT NULL,
        at               TEXT NOT NULL,
        PRIMARY KEY (agreement_id, sop_uid)
      );
      CREATE TABLE IF NOT EXISTS vault_state (
        one           INTEGER PRIMARY KEY CHECK (one = 1),
        files_sealed  INTEGER NOT NULL DEFAULT 0
      );
      INSERT OR IGNORE INTO vault_state (one) VALUES (1);
    `);
    try {
      // The reports an earlier version kept in clear are sealed once; the flag spares later opens the walk.
      if (this.db.prepare('SELECT files_sealed FROM vault_state').pluck().get() !== 1) {
        sealClearReports(home, this.dir);
        this.db.prepare('UPDATE vault_state SET files_sealed = 1').run();
      }
    } catch (e) {
      this.db.close();
      throw e;
    }
  }

  close(): void {
    this.db.close();
  }

  /** The case of a study sent before (a resumed send keeps its first request, priority and time). */
  caseOf(agreementId: string, originalStudyUID: string): SentCase | undefined {
    const r = this.db.prepare('SELECT * FROM cases WHERE agreement_id = ? AND original_study_uid = ?').get(agreementId, originalStudyUID) as any;
    return r && {
      agreementId: r.agreement_id,
      originalStudyUID: r.original_study_uid,
      deidStudyUID: r.deid_study_uid,
      requestId: r.request_id,
      consentRef: r.consent_ref,
      priority: r.priority,
      sentAt: r.sent_at,
    };
  }

  recordCase(c: SentCase): void {
    this.db.prepare(`INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
      .run(c.agreementId, c.originalStudyUID, c.deidStudyUID, c.requestId, c.consentRef, c.priority, c.sentAt);
  }

  /** The de-identified studies sent under an agreement. */
  deidStudies(agreementId: string): string[] {
    return (this.db.prepare('SELECT deid_study_uid FROM cases WHERE agreement_id = ? ORDER BY sent_at').all(agreementId) as any[])
      .map((r) => r.deid_study_uid as string);
  }

  wasSent(agreementId: string, deidSop: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM sent WHERE agreement_id = ? AND deid_sop_uid = ?').get(agreementId, deidSop);
  }

  markSent(agreementId: string, deidStudy: string, deidSops: string[]): void {
    const ins = this.db.prepare('INSERT INTO sent VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    const at = new Date().toISOString();
    this.db.transaction(() => {
      for (const s of deidSops) ins.run(agreementId, s, deidStudy, at);
    })();
  }

  received(agreementId: string, sop: string): ReceivedOutcome | undefined {
    const r = this.db.prepare('SELECT * FROM received WHERE agreement_id = ? AND sop_uid = ?').get(agreementId, sop) as any;
    if (!r) return undefined;
    return r.status === 'filed'
      ? { status: 'filed', filedStudyUID: r.filed_study_uid }
      : { status: 'rejected', code: r.reason_code, params: JSON.parse(r.reason_params ?? '{}') };
  }

  /** Where the reader's original of a received report is kept (sealed, ./files.ts), and what became of it. */
  keptReport(agreementId: string, sop: string): { path: string; status: 'filed' | 'rejected'; deidStudyUID: string } | undefined {
    const r = this.db.prepare('SELECT archived, status, deid_study_uid FROM received WHERE agreement_id = ? AND sop_uid = ?')
      .get(agreementId, sop) as { archived: string; status: 'filed' | 'rejected'; deid_study_uid: string } | undefined;
    // The path from this home, not the one recorded: the home may have moved since.
    if (!r || !r.archived || !isUid(sop)) return undefined;
    return { path: keptPath(this.dir, r.status === 'filed' ? 'archive' : 'rejected', agreementId, sop), status: r.status, deidStudyUID: r.deid_study_uid };
  }

  recordReceived(agreementId: string, sop: string, deidStudy: string, outcome: ReceivedOutcome, archived: string): void {
    this.db.prepare(`INSERT INTO received VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (agreement_id, sop_uid) DO UPDATE SET status = excluded.status, filed_study_uid = excluded.filed_study_uid,
        reason_code = excluded.reason_code, reason_params = excluded.reason_params, archived = excluded.archived, at = excluded.at`)
      .run(agreementId, sop, deidStudy, outcome.status, outcome.status === 'filed' ? outcome.filedStudyUID : null,
        outcome.status === 'rejected' ? outcome.code : null,
        outcome.status === 'rejected' ? JSON.stringify(outcome.params) : null, archived, new Date().toISOString());
  }
}
