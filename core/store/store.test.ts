// The store on its own: migrations, insert and dedup, the catalogue's summaries, and reconcile
// after the kinds of leftovers an interrupted import can leave.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import type { DicomHeader, HeaderAttributes } from '../dicom/attributes.js';
import { migrations, SCHEMA_VERSION } from './migrations.js';
import { unlockTestHome } from '../../test/vault.js';
import { openVaultDatabase } from '../vault/database.js';
import { StudyStore, type IncomingInstance } from './store.js';

let home: string;
beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'amur-'));
  await unlockTestHome(home);
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function header(a: HeaderAttributes): DicomHeader {
  return { attributes: a, TransferSyntaxUID: '1.2.840.10008.1.2.1', hasFileMeta: true, isDicomDir: false };
}

/** A small file copied into tmp/ the way the importer does, ready for commitInstances(). */
function place(store: StudyStore, a: HeaderAttributes, content = `file of ${a.SOPInstanceUID}`): IncomingInstance {
  const tempPath = store.allocateTempPath();
  writeFileSync(tempPath, content);
  return { header: header(a), tempPath };
}

/** What a process killed between moving a file into files/ and committing its row leaves behind. */
function orphan(store: StudyStore, SOPInstanceUID: string): string {
  const rel = store.allocateFilePath(SOPInstanceUID);
  writeFileSync(store.absolutePath(rel), 'never committed');
  return store.absolutePath(rel);
}

const study = { StudyInstanceUID: '1.2.3', PatientName: 'Wang^XiaoDong=王^小東=', PatientID: 'P1', StudyDate: '20240102', StudyDescription: 'CT chest' };

describe('StudyStore', () => {
  test('a new store is at the latest schema version, in WAL mode', () => {
    const s = StudyStore.open(home);
    try {
      assert.equal(s.schemaVersion, SCHEMA_VERSION);
      assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(s.db.pragma('synchronous', { simple: true }), 1, 'NORMAL');
    } finally {
      s.close();
    }
  });

  test('a clean close and reopen finds nothing to reconcile and does not scan the files', () => {
    const s = StudyStore.open(home);
    s.commitInstances(s.defaultSource().id, [place(s, { ...study, SeriesInstanceUID: '1.2.3.1', SOPInstanceUID: '1.2.3.1.1' })]);
    s.close();
    const again = StudyStore.open(home);
    try {
      assert.deepEqual(again.lastReconcile, { tempRemoved: 0, orphansRemoved: 0, rowsRemoved: 0, swept: false, unclean: false });
      assert.equal(again.listStudies().length, 1);
    } finally {
      again.close();
    }
  });

  test('a store written at schema 1 is migrated in order, its studies kept', () => {
    mkdirSync(join(home, 'store'), { recursive: true });
    const db = new Database(join(home, 'store', 'catalogue.sqlite'));
    migrations[0].up(db);
    db.pragma('user_version = 1');
    db.exec(`INSERT INTO sources (id, kind, name, created_at) VALUES ('s1', 'media', 'Local media', '2026-01-01T00:00:00Z');
      INSERT INTO patients (id, patient_key, source_id, PatientID) VALUES (1, 's1||P1', 's1', 'P1');
      INSERT INTO studies (id, StudyInstanceUID, patient_id, source_id, PatientName, imported_at) VALUES (1, '1.2.3', 1, 's1', 'Old^Store', '2026-01-01T00:00:00Z');`);
    const tablesAt1 = db.prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'table'`).pluck().get() as number;
    db.close();
    // Versions run 1, 2, 3… with no gap, so each store knows exactly which are missing.
    assert.deepEqual(migrations.map((m) => m.version), migrations.map((_, i) => i + 1));
    const s = StudyStore.open(home);
    try {
      assert.equal(s.schemaVersion, SCHEMA_VERSION);
      const tables = s.db.prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'table'`).pluck().get() as number;
      if (SCHEMA_VERSION > 1) assert.ok(tables > tablesAt1, 'the later migrations added their tables');
      assert.equal(s.db.prepare('SELECT PatientName FROM studies WHERE StudyInstanceUID = ?').pluck().get('1.2.3'), 'Old^Store');
    } finally {
      s.close();
    }
  });

  test('refuses a store written by a newer schema, leaving it as it was', () => {
    StudyStore.open(home).close();
    const db = openVaultDatabase(home, join(home, 'store', 'catalogue.sqlite'), 'catalogue/1');
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(() => StudyStore.open(home), (e: any) => e.code === 'store.tooNew');
    const again = openVaultDatabase(home, join(home, 'store', 'catalogue.sqlite'), 'catalogue/1');
    assert.equal(again.pragma('user_version', { simple: true }), SCHEMA_VERSION + 1);
    again.close();
  });

  test('inserts instances into studies and series, and counts them', () => {
    const s = StudyStore.open(home);
    try {
      const src = s.defaultSource();
      const out = s.commitInstances(src.id, [
        place(s, { ...study, SeriesInstanceUID: '1.2.3.1', Modality: 'CT', SeriesNumber: 2, SOPInstanceUID: '1.2.3.1.1', InstanceNumber: 2, Rows: 512, Columns: 512 }),
        place(s, { ...study, SeriesInstanceUID: '1.2.3.1', Modality: 'CT', SeriesNumber: 2, SOPInstanceUID: '1.2.3.1.2', InstanceNumber: 1, Rows: 512, Columns: 512 }),
        place(s, { ...study, SeriesInstanceUID: '1.2.3.2', Modality: 'SR', SeriesNumber: 1, SOPInstanceUID: '1.2.3.2.1' }),
      ]);
      assert.deepEqual(out, ['imported', 'imported', 'imported']);
      const [st] = s.listStudies();
      assert.equal(st.StudyInstanceUID, '1.2.3');
      assert.equal(st.PatientName, 'Wang^XiaoDong=王^小東=');
      assert.equal(st.ModalitiesInStudy, 'CT\\SR');
      assert.equal(st.NumberOfStudyRelatedSeries, 2);
      assert.equal(st.NumberOfStudyRelatedInstances, 3);
      assert.deepEqual(st.source, src);
      assert.equal(st.status, 'new');
      assert.deepEqual(s.listSeries('1.2.3').map((x) => [x.SeriesNumber, x.NumberOfSeriesRelatedInstances]), [[1, 1], [2, 2]]);
      // The viewer's first image: lowest Instance Number among instances with pixels; an SR has none.
      assert.deepEqual(s.listSeries('1.2.3').map((x) => x.firstImageUID), [null, '1.2.3.1.2']);
      assert.deepEqual(s.listInstances('1.2.3.1').map((x) => x.SOPInstanceUID), ['1.2.3.1.2', '1.2.3.1.1']);
      assert.ok(existsSync(s.instanceFile('1.2.3.1.1')!.path));
    } finally {
      s.close();
    }
  });

  test("a segmentation series names no first image: its frames are masks, not an image to open on", () => {
    const s = StudyStore.open(home);
    try {
      s.commitInstances(s.defaultSource().id, [
        place(s, { ...study, SeriesInstanceUID: '1.2.3.5', Modality: 'SEG', SeriesNumber: 1, SOPInstanceUID: '1.2.3.5.1', SOPClassUID: '1.2.840.10008.5.1.4.1.1.66.4', InstanceNumber: 1, Rows: 128, Columns: 128 }),
        place(s, { ...study, SeriesInstanceUID: '1.2.3.6', Modality: 'CT', SeriesNumber: 2, SOPInstanceUID: '1.2.3.6.1', SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', InstanceNumber: 1, Rows: 512, Columns: 512 }),
      ]);
      assert.deepEqual(s.listSeries('1.2.3').map((x) => [x.Modality, x.firstImageUID]), [['SEG', null], ['CT', '1.2.3.6.1']]);
    } finally {
      s.close();
    }
  });

  test('a SOP Instance UID already stored is a duplicate: nothing changes, its temp copy is left to the caller', () => {
    const s = StudyStore.open(home);
    try {
      const src = s.defaultSource();
      const a = { ...study, SeriesInstanceUID: '1.2.3.1', SOPInstanceUID: '1.2.3.1.1' };
      s.commitInstances(src.id, [place(s, a, 'first')]);
      const firstFile = s.instanceFile('1.2.3.1.1')!.path;
      const second = place(s, { ...a, PatientName: 'Other' }, 'second copy');
      assert.deepEqual(s.commitInstances(src.id, [second]), ['duplicate']);
      assert.ok(existsSync(second.tempPath));
      assert.equal(s.instanceFile('1.2.3.1.1')?.path, firstFile);
      assert.equal(statSync(firstFile).size, 'first'.length);
      assert.equal(s.listStudies()[0].PatientName, study.PatientName);
      assert.deepEqual(readdirSync(join(s.filesDir, basename(dirname(firstFile)))), [basename(firstFile)]);
    } finally {
      s.close();
    }
  });

  test('patients group by Patient ID within a source; an empty Patient ID never groups', () => {
    const s = StudyStore.open(home);
    try {
      const src = s.defaultSource();
      const other = s.ensureSource('Harbin First Hospital', 'partner');
      s.commitInstances(src.id, [
        place(s, { StudyInstanceUID: '9.1', PatientID: 'A', SeriesInstanceUID: '9.1.1', SOPInstanceUID: '9.1.1.1' }),
        place(s, { StudyInstanceUID: '9.2', PatientID: 'A', SeriesInstanceUID: '9.2.1', SOPInstanceUID: '9.2.1.1' }),
        place(s, { StudyInstanceUID: '9.3', SeriesInstanceUID: '9.3.1', SOPInstanceUID: '9.3.1.1' }),
        place(s, { StudyInstanceUID: '9.4', SeriesInstanceUID: '9.4.1', SOPInstanceUID: '9.4.1.1' }),
      ]);
      s.commitInstances(other.id, [place(s, { StudyInstanceUID: '9.5', PatientID: 'A', SeriesInstanceUID: '9.5.1', SOPInstanceUID: '9.5.1.1' })]);
      const patientOf = (uid: string) => s.db.prepare('SELECT patient_id FROM studies WHERE StudyInstanceUID = ?').pluck().get(uid);
      assert.equal(patientOf('9.1'), patientOf('9.2'));
      assert.notEqual(patientOf('9.3'), patientOf('9.4'));
      assert.notEqual(patientOf('9.5'), patientOf('9.1'));
      assert.equal(s.listStudies().find((x) => x.StudyInstanceUID === '9.5')!.source.name, 'Harbin First Hospital');
    } finally {
      s.close();
    }
  });

  test('an instance lacking UIDs is refused by itself; the rest of its batch is stored', () => {
    const s = StudyStore.open(home);
    try {
      const src = s.defaultSource();
      const out = s.commitInstances(src.id, [
        place(s, { ...study, SeriesInstanceUID: '1.2.3.1', SOPInstanceUID: '1.2.3.1.1' }),
        place(s, { ...study, SOPInstanceUID: '1.2.3.1.9' }),
      ]);
      assert.equal(out[0], 'imported');
      assert.equal((out[1] as any).error.code, 'store.missingUid');
      assert.equal(s.listStudies()[0].NumberOfStudyRelatedInstances, 1);
    } finally {
      s.close();
    }
  });

  test('after a crash, reconcile removes temp files and unreferenced files, and keeps catalogued ones', () => {
    const s = StudyStore.open(home);
    s.commitInstances(s.defaultSource().id, [place(s, { ...study, SeriesInstanceUID: '1.2.3.1', SOPInstanceUID: '1.2.3.1.1' })]);
    const kept = s.instanceFile('1.2.3.1.1')!.path;
    const lost = orphan(s, '1.2.3.1.2');
    // What a killed importer leaves: a half-written temp file, an extraction folder, its lock.
    writeFileSync(join(s.tmpDir, '999999.dead.1'), 'half');
    mkdirSync(join(s.tmpDir, '999999.dead.2.zip'));
    writeFileSync(join(s.tmpDir, '999999.dead.2.zip', '0'), 'entry');
    writeFileSync(join(home, 'store', 'locks', '999999.dead'), '');
    s.close();

    const again = StudyStore.open(home);
    try {
      assert.deepEqual(again.lastReconcile, { tempRemoved: 2, orphansRemoved: 1, rowsRemoved: 0, swept: true, unclean: true });
      assert.deepEqual(readdirSync(again.tmpDir), []);
      assert.equal(existsSync(lost), false);
      assert.equal(existsSync(kept), true);
      assert.equal(readdirSync(join(home, 'store', 'locks')).length, 1, 'only this open holds a lock');
    } finally {
      again.close();
    }
  });

  test('after an unclean shutdown, rows whose file is missing or short are removed with their empty study', () => {
    const s = StudyStore.open(home);
    s.commitInstances(s.defaultSource().id, [
      place(s, { ...study, SeriesInstanceUID: '1.2.3.1', SOPInstanceUID: '1.2.3.1.1' }),
      place(s, { StudyInstanceUID: '7.7', SeriesInstanceUID: '7.7.1', SOPInstanceUID: '7.7.1.1' }),
    ]);
    writeFileSync(s.instanceFile('7.7.1.1')!.path, 'x'); // as a power loss could leave it
    writeFileSync(join(home, 'store', 'locks', '999999.dead'), '');
    s.close();
    const again = StudyStore.open(home);
    try {
      assert.equal(again.lastReconcile!.rowsRemoved, 1);
      assert.deepEqual(again.listStudies().map((x) => x.StudyInstanceUID), ['1.2.3']);
    } finally {
      again.close();
    }
  });

  test('reconcile beside a live importer in another open leaves its temp files alone', () => {
    const first = StudyStore.open(home);
    const inFlight = place(first, { ...study, SeriesInstanceUID: '1.2.3.1', SOPInstanceUID: '1.2.3.1.1' });
    writeFileSync(join(home, 'store', 'locks', '999999.dead'), '');
    const second = StudyStore.open(home);
    try {
      assert.equal(second.lastReconcile!.swept, true);
      assert.ok(existsSync(inFlight.tempPath), 'a live process keeps its temp files');
      // The first importer commits after the scan: its file moves in, its row with it.
      assert.deepEqual(first.commitInstances(first.defaultSource().id, [inFlight]), ['imported']);
      assert.ok(existsSync(second.instanceFile('1.2.3.1.1')!.path));
    } finally {
      second.close();
      first.close();
    }
  });

  test('a scan cannot start while another connection holds the write transaction in which files move in', () => {
    const first = StudyStore.open(home);
    const second = StudyStore.open(home);
    try {
      // While the first holds the write transaction, the second cannot start a scan.
      first.db.exec('BEGIN IMMEDIATE');
      second.db.pragma('busy_timeout = 0');
      assert.throws(() => second.reconcile({ live: [], dead: ['999999.dead'] }), /database is locked/);
      first.db.exec('COMMIT');
    } finally {
      second.close();
      first.close();
    }
  });
});
