// The per-study data keys, kept wrapped in a table of the (encrypted) catalogue: one random key per
// study, created before the study's first file is sealed. Shredding a study deletes its wrapped key
// with SQLite's secure_delete on and empties the WAL, so the 61 bytes are gone from the database
// files and the study's sealed files can no longer be opened by anyone, even with the master key.
// The store adds STUDY_KEYS_SQL as a migration when it is wired to the vault.
import type { Database } from 'better-sqlite3-multiple-ciphers';
import { AmurError } from '../common/errors.js';
import { generateDataKey, type DataKey, type MasterKey } from './keys.js';

export const STUDY_KEYS_SQL = `
  -- Keyed by StudyInstanceUID, not by studies.id: the key exists before the study's first row does.
  CREATE TABLE study_keys (
    StudyInstanceUID  TEXT PRIMARY KEY,
    key_id            TEXT NOT NULL UNIQUE,
    wrapped           BLOB NOT NULL,
    created_at        TEXT NOT NULL
  );`;

export class StudyKeyring {
  private readonly cache = new Map<string, DataKey>();

  constructor(
    private readonly db: Database,
    private readonly master: MasterKey,
  ) {}

  /** The study's key, created on first use (two processes racing agree on the first one stored). */
  keyFor(StudyInstanceUID: string): DataKey {
    const found = this.existingKey(StudyInstanceUID);
    if (found) return found;
    const k = generateDataKey();
    this.db
      .prepare('INSERT INTO study_keys (StudyInstanceUID, key_id, wrapped, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (StudyInstanceUID) DO NOTHING')
      .run(StudyInstanceUID, k.id, this.master.wrapDataKey(k), new Date().toISOString());
    k.key.fill(0);
    return this.existingKey(StudyInstanceUID)!;
  }

  /** The study's key when it has one; 'vault.keyUnwrapFailed' when the stored one is not this vault's. */
  existingKey(StudyInstanceUID: string): DataKey | undefined {
    const cached = this.cache.get(StudyInstanceUID);
    if (cached) return cached;
    const row = this.db.prepare('SELECT key_id, wrapped FROM study_keys WHERE StudyInstanceUID = ?').get(StudyInstanceUID) as
      | { key_id: string; wrapped: Buffer }
      | undefined;
    if (!row) return undefined;
    const k = this.master.unwrapDataKey(row.key_id, row.wrapped);
    this.cache.set(StudyInstanceUID, k);
    return k;
  }

  /**
   * Crypto-shreds a study: its wrapped key is deleted and overwritten in the database file, and the
   * WAL emptied. Returns false when the study had no key. Throws 'vault.shredIncomplete' when a
   * reader in another process kept the WAL from being emptied (the key is deleted; calling again
   * when the reader is gone finishes the job).
   */
  shred(StudyInstanceUID: string): boolean {
    const k = this.cache.get(StudyInstanceUID);
    k?.key.fill(0);
    this.cache.delete(StudyInstanceUID);
    this.db.pragma('secure_delete = ON');
    const changes = this.db.prepare('DELETE FROM study_keys WHERE StudyInstanceUID = ?').run(StudyInstanceUID).changes;
    const [cp] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number }[];
    if (cp && cp.busy) throw new AmurError('vault.shredIncomplete', { study: StudyInstanceUID });
    return changes > 0;
  }
}
