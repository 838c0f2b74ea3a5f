import assert from 'node:assert/strict';
import Database from 'better-sqlite3-multiple-ciphers';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { unlockTestHome } from '../../test/vault.js';
import { AmurError } from '../common/errors.js';
import { randomUid, ReidMap } from './reid-map.js';

const UID = /^2\.25\.(0|[1-9]\d*)$/;

test('new UIDs are 2.25 UIDs of at most 64 characters', () => {
  for (let i = 0; i < 50; i++) {
    const u = randomUid();
    assert.match(u, UID);
    assert.ok(u.length <= 64);
  }
});

test('the map is consistent per agreement, reversible, and survives reopening', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'amur-reid-'));
  try {
    await unlockTestHome(dir);
    const path = join(dir, 'reid.sqlite');
    let map = new ReidMap(dir, path);
    const a = map.uid('GZ-1', '1.2.3.4');
    assert.match(a, UID);
    assert.equal(map.uid('GZ-1', '1.2.3.4'), a);
    assert.notEqual(map.uid('GZ-1', '1.2.3.5'), a);
    const other = map.uid('SH-2', '1.2.3.4');
    assert.notEqual(other, a, 'another agreement gets another UID');
    assert.equal(map.reverseUid('GZ-1', a), '1.2.3.4');
    assert.equal(map.reverseUid('SH-2', a), undefined);

    const p = map.pseudonym('GZ-1', 'P123', 'HOSP');
    assert.equal(p.PatientID, 'AMUR-GZ-1-1');
    assert.ok(p.dateOffsetDays < 0 && p.dateOffsetDays >= -3650);
    assert.deepEqual(map.pseudonym('GZ-1', 'P123', 'HOSP'), p);
    const q = map.pseudonym('GZ-1', 'P123', 'OTHER');
    assert.notEqual(q.PatientID, p.PatientID, 'the issuer is part of the identity');
    map.recordStudy('GZ-1', a, { StudyInstanceUID: '1.2.3.4', PatientName: '王^小东', PatientID: 'P123' });
    map.recordStudy('GZ-1', a, { StudyInstanceUID: 'ignored' });
    map.close();

    map = new ReidMap(dir, path);
    assert.equal(map.uid('GZ-1', '1.2.3.4'), a);
    assert.equal(map.reverseUid('GZ-1', a), '1.2.3.4');
    assert.deepEqual(map.pseudonym('GZ-1', 'P123', 'HOSP'), p);
    assert.deepEqual(map.original('GZ-1', a), { StudyInstanceUID: '1.2.3.4', PatientName: '王^小东', PatientID: 'P123' });
    assert.equal(map.original('SH-2', a), undefined);
    assert.equal(map.pseudonym('GZ-1', 'P999').PatientID, 'AMUR-GZ-1-3');
    map.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const sqlite3 = (path: string, sql: string) => spawnSync('sqlite3', [path, sql], { encoding: 'utf8' });

test('a map an earlier version left in clear is encrypted on first open, its data kept; sqlite3 can no longer read it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'amur-reid-clear-'));
  try {
    const path = join(dir, 'reid.sqlite');
    // What the earlier version wrote: a clear SQLite file, WAL, this schema.
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec(`
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
    old.prepare('INSERT INTO uid_map VALUES (?, ?, ?)').run('GZ-1', '1.2.840.99.1', '2.25.1234');
    old.prepare('INSERT INTO patient VALUES (?, ?, ?, ?, ?, ?)').run('GZ-1', 'HOSP\u0000P-CLEAR-77', 1, 'AMUR-GZ-1-1', 'AMUR-GZ-1-1', -400);
    old.prepare('INSERT INTO study VALUES (?, ?, ?)').run('GZ-1', '2.25.1234', JSON.stringify({ StudyInstanceUID: '1.2.840.99.1', PatientName: 'Clearname^Olga', PatientID: 'P-CLEAR-77' }));
    old.close();
    assert.equal(sqlite3(path, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'").stdout.trim(), '3', 'readable in clear before');
    assert.ok(readFileSync(path).includes('Clearname^Olga'));

    // Locked: refused, and the clear file is left as it was.
    assert.throws(() => new ReidMap(join(dir, 'locked-home'), path), (e) => e instanceof AmurError && e.code === 'vault.locked');

    await unlockTestHome(dir);
    let map = new ReidMap(dir, path);
    assert.equal(map.reverseUid('GZ-1', '2.25.1234'), '1.2.840.99.1');
    assert.equal(map.uid('GZ-1', '1.2.840.99.1'), '2.25.1234');
    assert.deepEqual(map.pseudonym('GZ-1', 'P-CLEAR-77', 'HOSP'), { PatientID: 'AMUR-GZ-1-1', PatientName: 'AMUR-GZ-1-1', dateOffsetDays: -400 });
    assert.equal(map.pseudonym('GZ-1', 'P-NEW').PatientID, 'AMUR-GZ-1-2', 'numbering goes on');
    assert.equal(map.original('GZ-1', '2.25.1234')?.PatientName, 'Clearname^Olga');
    map.close();

    const r = sqlite3(path, 'SELECT count(*) FROM sqlite_schema');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /file is not a database/);
    for (const f of [path, `${path}-wal`]) {
      if (existsSync(f)) assert.ok(!readFileSync(f).includes('Clearname^Olga') && !readFileSync(f).includes('P-CLEAR-77'), `${f} holds no name or ID in clear`);
    }
    map = new ReidMap(dir, path);
    assert.equal(map.original('GZ-1', '2.25.1234')?.PatientID, 'P-CLEAR-77', 'opens again, encrypted');
    map.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
