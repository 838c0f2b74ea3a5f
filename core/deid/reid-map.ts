// The hospital's re-identification map (SQLite, WAL; it stays at the hospital and is never sent):
// per agreement, original UID ↔ new UID, a pseudonym and a date offset per patient, and the
// original identity of every study it de-identified. It links every pseudonym to a real patient,
// so it is a SQLCipher database under its own subkey of the home's master key (core/vault): it
// opens only in a process that unlocked AMUR_HOME, and a map an earlier version left in clear is
// encrypted in place on its first open.
import type Database from 'better-sqlite3-multiple-ciphers';
import { randomBytes, randomInt } from 'node:crypto';
import { openVaultDatabase } from '../vault/database.js';
import type { OriginalIdentity } from './deidentify.js';

/** The master key's subkey the map is encrypted with (core/vault/keys.ts deriveKey). */
export const REID_MAP_PURPOSE = 'reid-map/1';

export interface Pseudonym {
  PatientName: string;
  PatientID: string;
  dateOffsetDays: number;
}

/** A new UID: 2.25 followed by the decimal value of 128 random bits (PS3.5 B.2). */
export function randomUid(): string {
  return `2.25.${BigInt(`0x${randomBytes(16).toString('hex')}`).toString(10)}`;
}

export class ReidMap {
  private readonly db: Database.Database;

  /**
   * Opens (creating) the map at `path` under the unlocked vault of `home` ('vault.locked' when it
   * is not); the hospital keeps it at AMUR_HOME/hospital/reid.sqlite.
   */
  constructor(home: string, path: string) {
    // A clear map an earlier version left is encrypted in place first (openVaultDatabase).
    this.db = openVaultDatabase(home, path, REID_MAP_PURPOSE);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS uid_map (
        agreement TEXT NOT NULL, original TEXT NOT NULL, replacement TEXT NOT NULL,
        PRIMARY KEY (agreement, original), UNIQUE (agreement, replacement));
      CREATE TABLE IF NOT EXISTS patient (
        agreement TEXT NOT NULL, patient_key TEXT NOT NULL, n INTEGER NOT NULL,
        pseudonym_id TEXT NOT NULL, pseudonym_name TEXT NOT NULL, date_offset_days INTEGER NOT NULL,
        PRIMARY KEY (agreement, patient_key), UNIQUE (agreement, n));
      CREATE TABLE IF NOT EXISTS study (
        agreement TEXT NOT NULL, deid_study_uid TEXT NOT NULL, original_json TEXT NOT NULL,
        PRIMARY KEY (agreement, deid_study_uid));`);
  }

  /** The new UID for an original one under the agreement: the same every time, across processes. */
  uid(agreementId: string, original: string): string {
    const get = this.db.prepare('SELECT replacement FROM uid_map WHERE agreement = ? AND original = ?');
    const found = get.get(agreementId, original) as { replacement: string } | undefined;
    if (found) return found.replacement;
    const replacement = randomUid();
    // INSERT OR IGNORE then read: a second process that raced us wins, and both agree.
    this.db.prepare('INSERT OR IGNORE INTO uid_map (agreement, original, replacement) VALUES (?, ?, ?)').run(agreementId, original, replacement);
    return (get.get(agreementId, original) as { replacement: string }).replacement;
  }

  reverseUid(agreementId: string, newUid: string): string | undefined {
    const r = this.db.prepare('SELECT original FROM uid_map WHERE agreement = ? AND replacement = ?').get(agreementId, newUid) as { original: string } | undefined;
    return r?.original;
  }

  /** The patient's pseudonym and date offset (stable for PatientID + Issuer under the agreement). */
  pseudonym(agreementId: string, patientId: string, issuer = ''): Pseudonym {
    const key = `${issuer}\u0000${patientId}`;
    const get = this.db.prepare('SELECT pseudonym_id, pseudonym_name, date_offset_days FROM patient WHERE agreement = ? AND patient_key = ?');
    const row = () => get.get(agreementId, key) as { pseudonym_id: string; pseudonym_name: string; date_offset_days: number } | undefined;
    let r = row();
    if (!r) {
      this.db.transaction(() => {
        if (row()) return;
        const n = ((this.db.prepare('SELECT MAX(n) AS m FROM patient WHERE agreement = ?').get(agreementId) as { m: number | null }).m ?? 0) + 1;
        const id = `AMUR-${agreementId}-${n}`.slice(0, 64);
        // Between 1 and 3650 days back; never zero, so no date is sent as it was.
        const offset = -randomInt(1, 3651);
        this.db.prepare('INSERT INTO patient VALUES (?, ?, ?, ?, ?, ?)').run(agreementId, key, n, id, id, offset);
      }).immediate();
      r = row()!;
    }
    return { PatientID: r.pseudonym_id, PatientName: r.pseudonym_name, dateOffsetDays: r.date_offset_days };
  }

  /** Records what the de-identified study was (first record wins: later instances do not rewrite it). */
  recordStudy(agreementId: string, deidStudyUID: string, original: OriginalIdentity): void {
    this.db.prepare('INSERT OR IGNORE INTO study VALUES (?, ?, ?)').run(agreementId, deidStudyUID, JSON.stringify(original));
  }

  original(agreementId: string, deidStudyUID: string): OriginalIdentity | undefined {
    const r = this.db.prepare('SELECT original_json FROM study WHERE agreement = ? AND deid_study_uid = ?').get(agreementId, deidStudyUID) as { original_json: string } | undefined;
    return r ? (JSON.parse(r.original_json) as OriginalIdentity) : undefined;
  }

  close(): void {
    this.db.close();
  }
}
