// DICOMDIR reading on real media layouts: nested vendor directory files, file IDs that differ in case
// from the files on disk, and references that try to leave the media folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDicomDir } from './dicomdir.js';
import { isAmurError } from '../common/errors.js';
import { shared, PYDICOM_DATA } from '../../test/shared-data.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'amur-'));
}

test('a Philips DICOMDIR whose STUDY record points to a nested DIRFILE lists the images of that DIRFILE', async (t) => {
  const philips = shared('dicom', 'dcm_qa_ct', 'In', 'Philips');
  const media = tempDir();
  t.after(() => rmSync(media, { recursive: true, force: true }));
  // The corpus lacks the study-level S21570/DIRFILE its DICOMDIR names; the series-level DIRFILE of
  // S2010 stands in for it (its IMAGE records are relative to the media root, as Philips writes them).
  copyFileSync(join(philips, 'DICOMDIR'), join(media, 'DICOMDIR'));
  mkdirSync(join(media, 'S21570'));
  copyFileSync(join(philips, 'S21570', 'S2010', 'DIRFILE'), join(media, 'S21570', 'DIRFILE'));
  symlinkSync(join(philips, 'S21570', 'S2010'), join(media, 'S21570', 'S2010'));

  const files = await readDicomDir(join(media, 'DICOMDIR'));
  const images = readdirSync(join(philips, 'S21570', 'S2010')).filter((n) => /^I\d+$/.test(n));
  assert.equal(images.length, 28);
  // S21610/DIRFILE is named by the DICOMDIR but absent: it is returned so that the importer says so.
  assert.deepEqual(files.filter((f) => !f.includes('S2010')), [join(media, 'S21610', 'DIRFILE')]);
  assert.deepEqual(files.filter((f) => f.includes('S2010')).sort(), images.map((n) => join(media, 'S21570', 'S2010', n)).sort());
});

test('upper-case file IDs find lower-case files on a case-sensitive filesystem', async (t) => {
  const alpha = join(PYDICOM_DATA, 'test_files', 'dicomdirtests', 'TINY_ALPHA');
  const media = tempDir();
  t.after(() => rmSync(media, { recursive: true, force: true }));
  copyFileSync(join(alpha, 'DICOMDIR'), join(media, 'DICOMDIR'));
  const series = join(media, 'pt000000', 'st000000', 'se000000');
  mkdirSync(series, { recursive: true });
  const names = readdirSync(join(alpha, 'PT000000', 'ST000000', 'SE000000'));
  for (const n of names) symlinkSync(join(alpha, 'PT000000', 'ST000000', 'SE000000', n), join(series, n.toLowerCase()));

  const files = await readDicomDir(join(media, 'DICOMDIR'));
  assert.equal(files.length, names.length);
  assert.deepEqual([...files].sort(), names.map((n) => join(series, n.toLowerCase())).sort());
});

test('a DICOMDIR reference that climbs out of the media folder is refused', async (t) => {
  const alpha = join(PYDICOM_DATA, 'test_files', 'dicomdirtests', 'TINY_ALPHA');
  const media = tempDir();
  t.after(() => rmSync(media, { recursive: true, force: true }));
  // Same length as the original value, so every length field in the file stays right.
  const bytes = readFileSync(join(alpha, 'DICOMDIR'));
  const original = Buffer.from('PT000000\\ST000000\\SE000000\\IM000000');
  const hostile = Buffer.from('..\\..\\..\\..\\etc\\passwd'.padEnd(original.length, ' '));
  const at = bytes.indexOf(original);
  assert.ok(at > 0);
  hostile.copy(bytes, at);
  writeFileSync(join(media, 'DICOMDIR'), bytes);

  await assert.rejects(readDicomDir(join(media, 'DICOMDIR')), (e) => isAmurError(e) && e.code === 'dicom.dicomDirEscape'
    && String(e.params.reference).startsWith('..\\..'));
});

test('a file that is not a DICOMDIR is refused as such', async () => {
  const ct = shared('dicom', 'dicomParser', 'testImages', 'CT1_UNC.explicit_little_endian.dcm');
  await assert.rejects(readDicomDir(ct), (e) => isAmurError(e) && e.code === 'dicom.notDicomDir');
});
