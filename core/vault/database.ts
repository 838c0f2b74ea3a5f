// SQLite databases encrypted with SQLCipher 4 (better-sqlite3-multiple-ciphers, `cipher
// 'sqlcipher'`, `legacy 4`: the only setting whose files SQLCipher itself opens), keyed with a raw
// 256-bit key (hex), so no PBKDF2 runs at open: the key already comes from the vault's KDF. Also
// the crash-safe encryption of an existing clear database, for migrating a store made before.
import Database from 'better-sqlite3-multiple-ciphers';
import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { AmurError } from '../common/errors.js';
import { fsyncDir } from '../common/fs.js';
import { audit } from '../audit/index.js';
import { onceAlone } from '../common/lock.js';
import { vaultKey } from './session.js';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\u0000', 'latin1');

export type DatabaseFileState = 'absent' | 'empty' | 'clear' | 'encrypted';

/** Whether a file is a clear SQLite database, something else (an encrypted one), empty or absent. */
export function databaseFileState(path: string): DatabaseFileState {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw new AmurError('vault.databaseOpenFailed', { path, detail: (e as Error).message }, { cause: e });
  }
  try {
    const head = Buffer.alloc(16);
    const n = readSync(fd, head, 0, 16, 0);
    if (n === 0) return 'empty';
    return n === 16 && head.equals(SQLITE_MAGIC) ? 'clear' : 'encrypted';
  } finally {
    closeSync(fd);
  }
}

function applyKey(db: Database.Database, key: Buffer): void {
  if (key.length !== 32) throw new AmurError('vault.badKeyLength', { length: key.length, expected: 32 });
  db.pragma(`cipher = 'sqlcipher'`);
  db.pragma('legacy = 4');
  db.pragma(`key = "x'${key.toString('hex')}'"`);
}

export interface OpenEncryptedOptions {
  readonly?: boolean;
  fileMustExist?: boolean;
}

/**
 * Opens (creating when absent) a SQLCipher database with a raw key. A wrong key is refused with
 * 'vault.databaseWrongKey' and a clear database with 'vault.databaseNotEncrypted' (it still needs
 * encryptDatabaseInPlace); the handle is closed in both cases.
 */
export function openEncryptedDatabase(path: string, key: Buffer, o: OpenEncryptedOptions = {}): Database.Database {
  const state = databaseFileState(path);
  if (state === 'clear') throw new AmurError('vault.databaseNotEncrypted', { path });
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: o.readonly ?? false, fileMustExist: o.fileMustExist ?? false });
    applyKey(db, key);
    // SQLite reads the first page, and so checks the key, only at the first statement.
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    return db;
  } catch (e) {
    db?.close();
    if (e instanceof AmurError) throw e;
    if ((e as { code?: string }).code === 'SQLITE_NOTADB') throw new AmurError('vault.databaseWrongKey', { path }, { cause: e });
    throw new AmurError('vault.databaseOpenFailed', { path, detail: (e as Error).message }, { cause: e });
  }
}

export interface EncryptProgress {
  table: string;
  /** Rows copied so far, over every table. */
  rowsDone: number;
  rowsTotal: number;
}

export interface EncryptResult {
  /** False when the file was already encrypted with this key (a resumed migration). */
  encrypted: boolean;
  tables: number;
  rows: number;
}

const BATCH_ROWS = 5000;

/**
 * Encrypts a clear database in place, crash-safely: everything is copied into `path.encrypting`
 * (schema, rows with their rowids, sequences, user_version, application_id), checked, flushed,
 * then renamed over the original. A crash before the rename leaves the clear database untouched
 * (the partial copy is removed by the next run); after it, the encrypted one, and running this
 * again is a no-op. The caller must hold the database alone (the store's exclusive open): a
 * writer in another process during the copy would be lost, so one that is seen is refused.
 */
export function encryptDatabaseInPlace(path: string, key: Buffer, onProgress?: (p: EncryptProgress) => void): EncryptResult {
  const state = databaseFileState(path);
  if (state === 'absent') throw new AmurError('vault.databaseOpenFailed', { path, detail: 'no such file' });
  if (state === 'encrypted') {
    openEncryptedDatabase(path, key, { fileMustExist: true }).close();
    return { encrypted: false, tables: 0, rows: 0 };
  }
  const tmp = `${path}.encrypting`;
  const removeTmp = () => {
    for (const f of [tmp, `${tmp}-journal`, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  };
  removeTmp();
  let db: Database.Database | undefined;
  let result: EncryptResult;
  try {
    // The clear file's WAL is folded in and emptied first, so nothing of it is left beside the
    // encrypted file after the rename (SQLite would try to replay it).
    const src = new Database(path, { fileMustExist: true });
    try {
      const [cp] = src.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (cp && cp.busy) throw new AmurError('vault.databaseBusy', { path });
    } finally {
      src.close();
    }

    db = new Database(tmp);
    applyKey(db, key);
    db.prepare(`ATTACH DATABASE ? AS plain KEY ''`).run(path);
    const pragma = (name: string) => db!.pragma(`plain.${name}`, { simple: true }) as number;
    db.pragma(`auto_vacuum = ${pragma('auto_vacuum')}`);
    const objects = db.prepare(`SELECT type, name, tbl_name, sql FROM plain.sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid`).all() as
      { type: string; name: string; tbl_name: string; sql: string }[];
    if (objects.some((x) => /^CREATE VIRTUAL TABLE/i.test(x.sql))) {
      throw new AmurError('vault.databaseEncryptFailed', { path, detail: 'virtual tables are not supported' });
    }
    const tables = objects.filter((x) => x.type === 'table');
    const q = (n: string) => `"${n.replace(/"/g, '""')}"`;
    const counts = new Map(tables.map((t) => [t.name, db!.prepare(`SELECT count(*) FROM plain.${q(t.name)}`).pluck().get() as number]));
    const rowsTotal = [...counts.values()].reduce((a, b) => a + b, 0);
    let rowsDone = 0;
    db.transaction(() => {
      for (const t of tables) db!.exec(t.sql);
      for (const t of tables) {
        const cols = (db!.prepare(`SELECT name, hidden FROM pragma_table_xinfo(?, 'plain')`).all(t.name) as { name: string; hidden: number }[])
          .filter((c) => c.hidden === 0)
          .map((c) => c.name);
        const withoutRowid = /\)\s*WITHOUT\s+ROWID\s*$/i.test(t.sql);
        const rowidCol = !withoutRowid && !cols.some((c) => c.toLowerCase() === 'rowid');
        const list = [...(rowidCol ? ['rowid'] : []), ...cols.map(q)].join(', ');
        if (!rowidCol) {
          // No rowid to page by: one statement (WITHOUT ROWID tables are small in Amur's schemas).
          db!.exec(`INSERT INTO main.${q(t.name)} (${list}) SELECT ${list} FROM plain.${q(t.name)}`);
          rowsDone += counts.get(t.name)!;
          onProgress?.({ table: t.name, rowsDone, rowsTotal });
          continue;
        }
        // In rowid ranges, so that progress moves on a table of a million instances.
        const batch = db!.prepare(`INSERT INTO main.${q(t.name)} (${list}) SELECT ${list} FROM plain.${q(t.name)} WHERE rowid > ? ORDER BY rowid LIMIT ${BATCH_ROWS}`);
        const maxRowid = db!.prepare(`SELECT max(rowid) FROM main.${q(t.name)}`).pluck();
        let last: number | bigint = -(2n ** 63n);
        for (;;) {
          const n = batch.run(last).changes;
          if (n === 0) break;
          last = maxRowid.get() as number;
          rowsDone += n;
          onProgress?.({ table: t.name, rowsDone, rowsTotal });
        }
      }
      const hasSeq = db!.prepare(`SELECT 1 FROM plain.sqlite_schema WHERE name = 'sqlite_sequence'`).get();
      if (hasSeq) {
        db!.exec('DELETE FROM main.sqlite_sequence; INSERT INTO main.sqlite_sequence SELECT * FROM plain.sqlite_sequence;');
      }
      for (const x of objects) if (x.type !== 'table') db!.exec(x.sql);
      for (const t of tables) {
        const n = db!.prepare(`SELECT count(*) FROM main.${q(t.name)}`).pluck().get() as number;
        if (n !== counts.get(t.name)) throw new AmurError('vault.databaseVerifyFailed', { path, table: t.name });
      }
      db!.pragma(`user_version = ${pragma('user_version')}`);
      db!.pragma(`application_id = ${pragma('application_id')}`);
    }).immediate();
    db.exec('DETACH DATABASE plain');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new AmurError('vault.databaseVerifyFailed', { path, table: String(check) });
    result = { encrypted: true, tables: tables.length, rows: rowsDone };
    db.close();
    db = undefined;

    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // Another connection kept the clear file's WAL alive: its writes might not be in the copy.
    const wal = statSync(`${path}-wal`, { throwIfNoEntry: false });
    if (wal && wal.size > 0) throw new AmurError('vault.databaseBusy', { path });
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
    renameSync(tmp, path);
    fsyncDir(dirname(path));
  } catch (e) {
    db?.close();
    removeTmp();
    if (e instanceof AmurError) throw e;
    throw new AmurError('vault.databaseEncryptFailed', { path, detail: (e as Error).message }, { cause: e });
  }
  return result;
}

/**
 * The one way Amur opens a database that holds patient data (the catalogue, the hospital's state
 * and re-identification map): SQLCipher under a subkey of the home's unlocked master key, one
 * subkey per purpose. A clear database left by an earlier version is encrypted in place first
 * (crash-safe, see encryptDatabaseInPlace), by one process alone (a lock file beside it: two
 * commands started together would otherwise both copy it), and audited; a locked home is refused
 * with 'vault.locked'.
 */
export function openVaultDatabase(
  home: string,
  path: string,
  purpose: string,
  o: { onMigrate?: (p: EncryptProgress) => void } = {},
): Database.Database {
  const key = vaultKey(home).deriveKey(purpose);
  try {
    const clear = () => databaseFileState(path) === 'clear';
    if (onceAlone(`${path}.lock`, clear, () => encryptDatabaseInPlace(path, key, o.onMigrate))) {
      audit(home, { action: 'key.change', outcome: 'success', role: 'system', detail: { operation: 'database.encrypt', database: purpose } });
    }
    return openEncryptedDatabase(path, key);
  } finally {
    key.fill(0);
  }
}
