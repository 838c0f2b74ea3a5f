// Tolerant reading, as Weasis, fo-dicom and dcmtk read: files that break the standard in ways other
// viewers forgive (no SOP Instance UID, a Series or Study Instance UID that is not a UID, compressed
// pixel data without their final delimiter, Shift-JIS under ISO_IR 13) are imported, filed under a
// stable UID where theirs is missing or invalid, said so in the summary and the catalogue, and shown
// with the same pixels as the intact file they were made from. What cannot be shown stays refused.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ImportSummary } from '../core/contract/studies.js';
import { readDicomHeaderFromFile } from '../core/dicom/header.js';
import { isValidUid } from '../core/dicom/derived-uid.js';
import { decodeImageFrame } from '../core/imaging/decode.js';
import { importPaths } from '../core/importer/importer.js';
import { StudyStore } from '../core/store/store.js';
import { dcmdump, pydicomRead } from './dcmdump.js';
import { makeCutAtFragments, makeTolerantFiles, metaSopInstanceUid, SHIFT_JIS_INSTITUTION, SHIFT_JIS_NAME, type TolerantFile } from './tolerant-fixtures.js';
import { unlockTestHome } from './vault.js';

describe('files other viewers open', () => {
  let work: string;
  let store: StudyStore;
  let files: TolerantFile[];
  let cut: { frameMissing: string; frameCut: string };
  let first: ImportSummary;
  /** The UIDs each file was filed under, from its header read. */
  const uids = new Map<string, { SOPInstanceUID: string; SeriesInstanceUID: string; StudyInstanceUID: string }>();

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'amur-'));
    files = makeTolerantFiles(join(work, 'in'));
    cut = makeCutAtFragments(join(work, 'in'));
    await unlockTestHome(join(work, 'home'));
    store = StudyStore.open(join(work, 'home'));
    first = await importPaths(store, [join(work, 'in')], { workers: 0 });
    for (const f of files) {
      const a = (await readDicomHeaderFromFile(f.path)).attributes;
      uids.set(f.path, { SOPInstanceUID: a.SOPInstanceUID!, SeriesInstanceUID: a.SeriesInstanceUID!, StudyInstanceUID: a.StudyInstanceUID! });
    }
  });
  after(() => {
    store?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('every one is imported; only the files cut between fragments are refused, as truncated', () => {
    assert.equal(first.imported, files.length);
    assert.equal(first.duplicates, 0);
    assert.deepEqual(first.rejected.map((r) => [r.path, r.code]), [[cut.frameMissing, 'dicom.truncated'], [cut.frameCut, 'dicom.truncated']]);
    assert.match(first.rejected[0].reason, /cut-after-first-frame\.dcm/);
  });

  test('the summary says what was done about each defect, naming the file, in the language asked for', async () => {
    for (const f of files) {
      const got = (first.notices ?? []).filter((n) => n.path === f.path);
      assert.deepEqual(got.map((n) => n.code), f.notices, f.label);
      for (const n of got) {
        assert.ok(n.message.includes(f.path), `${f.label}: ${n.message}`);
        if (n.code !== 'dicom.noSequenceDelimiter') assert.ok(n.message.includes(n.params.uid), `${f.label}: names the UID it was filed under`);
      }
    }
    // No patient data in a notice: only the path, the keyword and the UID.
    for (const n of first.notices ?? []) assert.deepEqual(Object.keys(n.params).sort(), n.code === 'dicom.noSequenceDelimiter' ? ['path'] : ['keyword', 'path', 'uid']);
    // Imported again, the file is a duplicate: nothing is stored, so nothing is said of it again.
    const again = await importPaths(store, [files[1].path], { workers: 0, lang: 'ru' });
    assert.equal(again.duplicates, 1);
    assert.equal(again.notices, undefined);
    for (const [lang, wording] of [['ru', /выведенным из содержимого файла/], ['zh-CN', /派生的 UID/]] as const) {
      const home = join(work, `home-${lang}`);
      await unlockTestHome(home);
      const other = StudyStore.open(home);
      try {
        const r = await importPaths(other, [files[1].path], { workers: 0, lang });
        assert.match(r.notices![0].message, wording);
      } finally {
        other.close();
      }
    }
  });

  test('derived UIDs are real UIDs, recorded as derived in the catalogue with the value the file had', () => {
    for (const f of files) {
      const u = uids.get(f.path)!;
      for (const v of Object.values(u)) assert.ok(isValidUid(v), `${f.label}: ${v}`);
      assert.deepEqual(store.derivedUids(u.SOPInstanceUID), f.derived, f.label);
      for (const keyword of Object.keys(f.derived)) {
        const v = u[keyword as keyof typeof u];
        if (f.derived[keyword].from) assert.equal(v, metaSopInstanceUid(f.path), `${f.label}: the file meta's UID`);
        else assert.match(v, /^2\.25\.\d+$/, `${f.label}: ${keyword}`);
      }
    }
    // The three slices with the same invalid Series Instance UID stay one series.
    const slices = files.filter((f) => f.label.startsWith('Series Instance UID with letters'));
    const series = new Set(slices.map((f) => uids.get(f.path)!.SeriesInstanceUID));
    assert.equal(series.size, 1);
    assert.equal(store.listInstances([...series][0]).length, 3);
  });

  test('importing the same files again gives the same UIDs: nothing is stored twice', async () => {
    const again = await importPaths(store, [join(work, 'in')], { workers: 0 });
    assert.equal(again.imported, 0);
    assert.equal(again.duplicates, files.length);
    // A second copy elsewhere, read afresh, gets the same UIDs as the first time.
    const copy = makeTolerantFiles(join(work, 'copy'));
    for (const [i, f] of copy.entries()) {
      const a = (await readDicomHeaderFromFile(f.path)).attributes;
      const u = uids.get(files[i].path)!;
      // Only derived UIDs are compared: dcmodify gave the other copies new UIDs of their own (-gin, and a
      // new meta UID when -ea removed the data set's).
      if (Object.keys(f.derived).length === 0 || f.derived.SOPInstanceUID?.from) continue;
      for (const keyword of Object.keys(f.derived) as (keyof typeof u)[]) assert.equal(a[keyword], u[keyword], `${f.label}: ${keyword}`);
    }
  });

  test('each one decodes to the pixels of the intact file it was made from', async () => {
    for (const f of files) {
      const bytes = await store.readInstance(uids.get(f.path)!.SOPInstanceUID);
      assert.ok(bytes, f.label);
      const frames = (await readDicomHeaderFromFile(f.intact)).attributes.NumberOfFrames ?? 1;
      for (const frame of [0, frames - 1]) {
        const got = await decodeImageFrame(bytes, frame, f.path);
        const want = await decodeImageFrame(readFileSync(f.intact), frame, f.intact);
        assert.equal(got.pixels.length, want.pixels.length, `${f.label} frame ${frame}`);
        assert.ok(Buffer.from(got.pixels).equals(Buffer.from(want.pixels)), `${f.label} frame ${frame}: same pixels`);
      }
    }
  });

  test('ISO_IR 13 with Shift-JIS reads as pydicom and dcmtk read it, and so does the catalogue', async () => {
    const f = files.find((x) => x.label.includes('Shift-JIS'))!;
    const py = pydicomRead([f.path], ['PatientName', 'InstitutionName']).get(f.path)!;
    assert.ok(py.ok);
    assert.equal(py.read.values.get('00100010'), SHIFT_JIS_NAME);
    assert.equal(py.read.values.get('00080080'), SHIFT_JIS_INSTITUTION);
    const dump = dcmdump(f.path);
    assert.ok(dump.ok);
    assert.equal(dump.read.values.get('00100010'), SHIFT_JIS_NAME);
    assert.equal(dump.read.values.get('00080080'), SHIFT_JIS_INSTITUTION);
    const a = (await readDicomHeaderFromFile(f.path)).attributes;
    assert.equal(a.PatientName, SHIFT_JIS_NAME);
    assert.equal(a.InstitutionName, SHIFT_JIS_INSTITUTION);
    const study = store.listStudies().find((s) => s.StudyInstanceUID === uids.get(f.path)!.StudyInstanceUID);
    assert.equal(study?.PatientName, SHIFT_JIS_NAME, 'the worklist shows the name as written');
  });
});
