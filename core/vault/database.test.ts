// SQLCipher databases: open with the key, a wrong key refused (no crash, handle closed), a clear
// database refused until migrated; encrypting a real store catalogue in place keeps its schema,
// rows, rowids, indexes and user_version, is a no-op when run again, and survives kill -9 midway.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3-multiple-ciphers';
import { AmurError } from '../common/errors.js';
import { clearCatalogue } from '../../test/vault.js';
import { SCHEMA_VERSION } from '../store/migrations.js';
import { databaseFileState, encryptDatabaseInPlace, openEncryptedDatabase } from './database.js';

const root = mkdtempSync(join(tmpdir(), 'amur-vault-db-'));
after(() => rmSync(root, { recursive: true, force: true }));
const key = randomBytes(32);

const isCode = (code: string) => (e: unknown) => e instanceof AmurError && e.code === code;

test('an encrypted database opens with its key; a wrong key and a clear file are refused clearly', () => {
  const path = join(root, 'a.sqlite');
  const db = openEncryptedDatabase(path, key);
  db.pragma('journal_mode = WAL');
  db.exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('Иванов^Иван'), ('王^小明')");
  // A second connection with the wrong key while the first is open (WAL in use) is refused too.
  assert.throws(() => openEncryptedDatabase(path, randomBytes(32)), isCode('vault.databaseWrongKey'));
  db.close();
  assert.equal(databaseFileState(path), 'encrypted');
  assert.ok(!readFileSync(path).includes(Buffer.from('Иванов', 'utf8')));
  const again = openEncryptedDatabase(path, key, { readonly: true });
  assert.deepEqual(again.prepare('SELECT x FROM t ORDER BY rowid').pluck().all(), ['Иванов^Иван', '王^小明']);
  again.close();
  assert.throws(() => openEncryptedDatabase(path, randomBytes(32)), isCode('vault.databaseWrongKey'));
  assert.throws(() => openEncryptedDatabase(path, randomBytes(8)), isCode('vault.badKeyLength'));

  const clear = join(root, 'clear.sqlite');
  new Database(clear).exec('CREATE TABLE t (x)');
  assert.equal(databaseFileState(clear), 'clear');
  assert.throws(() => openEncryptedDatabase(clear, key), isCode('vault.databaseNotEncrypted'));
  assert.equal(databaseFileState(join(root, 'none')), 'absent');
});

/** A catalogue as a version before encryption at rest left it: clear, at the store's schema. */
function fillCatalogue(home: string, studies: number): void {
  const { db, source: src } = clearCatalogue(home);
  // Rows through the store's own schema, with a gap in the rowids that the copy must keep.
  const ins = db.transaction(() => {
    for (let s = 1; s <= studies; s++) {
      const p = db.prepare(`INSERT INTO patients (patient_key, source_id, PatientID, PatientName) VALUES (?, ?, ?, ?) RETURNING id`).pluck().get(`k${s}`, src, `P${s}`, `Пациент^${s}`) as number;
      const st = db.prepare(`INSERT INTO studies (id, StudyInstanceUID, patient_id, source_id, PatientName, StudyDate, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`)
        .pluck().get(s * 10, `1.2.${s}`, p, src, `Пациент^${s}`, '20260101', new Date().toISOString()) as number;
      const se = db.prepare(`INSERT INTO series (SeriesInstanceUID, study_id, Modality) VALUES (?, ?, 'CT') RETURNING id`).pluck().get(`1.2.${s}.1`, st) as number;
      for (let i = 1; i <= 20; i++) {
        db.prepare(`INSERT INTO instances (SOPInstanceUID, series_id, SOPClassUID, has_file_meta, file_path, file_size, imported_at) VALUES (?, ?, '1.2.840.10008.5.1.4.1.1.2', 1, ?, 100, ?)`)
          .run(`1.2.${s}.1.${i}`, se, `files/aa/${s}-${i}.dcm`, new Date().toISOString());
      }
    }
  });
  ins();
  db.close();
}

function snapshot(db: Database.Database) {
  const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all() as string[];
  return {
    schema: db.prepare(`SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY type, name`).all(),
    user_version: db.pragma('user_version', { simple: true }),
    rows: Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT rowid AS _r, * FROM "${t}" ORDER BY rowid`).all()])),
  };
}

test('a real store catalogue is encrypted in place: same schema, rows, rowids and user_version; again is a no-op', () => {
  const home = join(root, 'home1');
  fillCatalogue(home, 30);
  const path = join(home, 'store', 'catalogue.sqlite');
  const clear = new Database(path, { readonly: true });
  const before = snapshot(clear);
  clear.close();
  assert.equal(before.user_version, SCHEMA_VERSION);

  const progress: number[] = [];
  const r = encryptDatabaseInPlace(path, key, (p) => progress.push(p.rowsDone));
  assert.equal(r.encrypted, true);
  assert.equal(progress.at(-1), r.rows);
  assert.ok(r.rows >= 30 * 22);
  assert.equal(databaseFileState(path), 'encrypted');
  assert.equal(existsSync(`${path}.encrypting`), false);
  const enc = openEncryptedDatabase(path, key);
  assert.deepEqual(snapshot(enc), before);
  assert.equal(enc.pragma('integrity_check', { simple: true }), 'ok');
  // The indexes came along and are used.
  const plan = enc.prepare(`EXPLAIN QUERY PLAN SELECT * FROM studies WHERE StudyDate = ?`).all('20260101') as { detail: string }[];
  assert.ok(plan.some((p) => /studies_date/.test(p.detail)), JSON.stringify(plan));
  enc.close();
  assert.deepEqual(encryptDatabaseInPlace(path, key), { encrypted: false, tables: 0, rows: 0 });
  assert.throws(() => encryptDatabaseInPlace(path, randomBytes(32)), isCode('vault.databaseWrongKey'));
});

test('kill -9 in the middle of the encryption leaves the clear database intact; the next run completes it', async () => {
  const home = join(root, 'home2');
  fillCatalogue(home, 400);
  const path = join(home, 'store', 'catalogue.sqlite');
  const clear = new Database(path, { readonly: true });
  const before = snapshot(clear);
  clear.close();

  const here = fileURLToPath(new URL('.', import.meta.url));
  const script = `
    import { encryptDatabaseInPlace } from ${JSON.stringify(join(here, 'database.ts'))};
    encryptDatabaseInPlace(${JSON.stringify(path)}, Buffer.from(${JSON.stringify(key.toString('hex'))}, 'hex'), (p) => {
      if (p.rowsDone >= 5000) { process.stdout.write('midway\\n'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000); }
    });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('midway')) resolve();
    });
    child.on('exit', (c) => reject(new Error(`child exited ${c} before midway`)));
  });
  assert.ok(existsSync(`${path}.encrypting`), 'the copy was under way');
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));

  assert.equal(databaseFileState(path), 'clear');
  const still = new Database(path, { readonly: true });
  assert.deepEqual(snapshot(still), before);
  still.close();
  const r = encryptDatabaseInPlace(path, key);
  assert.equal(r.encrypted, true);
  assert.equal(existsSync(`${path}.encrypting`), false);
  const enc = openEncryptedDatabase(path, key);
  assert.deepEqual(snapshot(enc), before);
  enc.close();
});
