// Unlocks a test's AMUR_HOME in this process the way the CLI does (AMUR_PASSPHRASE_FILE, which
// test/run-tests.mjs sets for the whole run), so that a store opened here and the `amur` commands a
// test runs on the same home share one vault.
import Database from 'better-sqlite3-multiple-ciphers';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrations, SCHEMA_VERSION } from '../core/store/migrations.js';
import { unlockFromEnvironment } from '../core/vault/session.js';

export async function unlockTestHome(home: string): Promise<void> {
  await unlockFromEnvironment(home, process.env);
}

/**
 * A catalogue as a version before encryption at rest left it: a clear SQLite file at the store's
 * schema with its one media source, open for the caller to fill (and close).
 */
export function clearCatalogue(home: string): { db: Database.Database; source: string } {
  mkdirSync(join(home, 'store'), { recursive: true });
  const db = new Database(join(home, 'store', 'catalogue.sqlite'));
  db.pragma('journal_mode = WAL');
  db.transaction(() => {
    for (const m of migrations) m.up(db);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
  const source = 'source-1';
  db.prepare(`INSERT INTO sources (id, kind, name, created_at) VALUES (?, 'media', 'Local media', ?)`).run(source, new Date().toISOString());
  return { db, source };
}
