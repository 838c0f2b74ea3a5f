// Integration: a database encrypted by core/vault is unreadable to Debian's sqlite3 CLI ("file is
// not a database"), while the same CLI reads the clear database it was migrated from, and the
// encrypted one opens with the key in code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { encryptDatabaseInPlace, openEncryptedDatabase } from '../core/vault/database.js';

const dir = mkdtempSync(join(tmpdir(), 'amur-vault-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const sqlite3 = (path: string, sql: string) => spawnSync('sqlite3', [path, sql], { encoding: 'utf8' });

test('sqlite3 reads the clear catalogue, refuses the encrypted one, and the key opens it in code', () => {
  const path = join(dir, 'catalogue.sqlite');
  const clear = new Database(path);
  clear.pragma('journal_mode = WAL');
  clear.exec("CREATE TABLE studies (PatientName TEXT); INSERT INTO studies VALUES ('ZHANG^SAN')");
  clear.close();
  const before = sqlite3(path, 'SELECT PatientName FROM studies');
  assert.equal(before.error, undefined, 'sqlite3 must be installed (apt-get install sqlite3)');
  assert.equal(before.status, 0, before.stderr);
  assert.equal(before.stdout.trim(), 'ZHANG^SAN');

  const key = randomBytes(32);
  encryptDatabaseInPlace(path, key);
  const after = sqlite3(path, 'SELECT PatientName FROM studies');
  assert.notEqual(after.status, 0);
  assert.match(after.stderr, /file is not a database/);
  assert.doesNotMatch(after.stdout, /ZHANG/);

  const db = openEncryptedDatabase(path, key);
  assert.equal(db.prepare('SELECT PatientName FROM studies').pluck().get(), 'ZHANG^SAN');
  db.close();

  const fresh = join(dir, 'new.sqlite');
  const n = openEncryptedDatabase(fresh, key);
  n.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
  n.close();
  assert.match(sqlite3(fresh, 'SELECT * FROM t').stderr, /file is not a database/);
});
