// The importer's probe: a file is read once, whole when it may be DICOM and fits in memory; a large
// file no DICOM file starts like is refused after its first 64 KiB; a zip is recognised by its bytes.
// DICOM files without the preamble (a bare data set written by dcmtk) are still DICOM.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { zipSync } from 'fflate';
import { isAmurError } from '../common/errors.js';
import { readDicomHeaderFromBytes, readDicomHeaderFromFile } from '../dicom/header.js';
import { shared } from '../../test/shared-data.js';
import { HEAD_BYTES, probeFile } from './probe.js';

const work = mkdtempSync(join(tmpdir(), 'amur-probe-'));
after(() => rmSync(work, { recursive: true, force: true }));

// 76 KB, larger than the head: read in two parts.
const mr = () => shared('dicom', 'dcmjs', 'examples', 'data', 'IM-0001-0001.dcm');

test('a DICOM file larger than the head is read whole, and reads as the file itself does', async () => {
  const p = probeFile(mr());
  assert.equal(p.kind, 'bytes');
  assert.ok(p.kind === 'bytes' && p.bytes.equals(readFileSync(mr())));
  assert.ok(readFileSync(mr()).length > HEAD_BYTES);
  const fromBytes = await readDicomHeaderFromBytes(p.kind === 'bytes' ? p.bytes : Buffer.alloc(0), { path: mr() });
  assert.deepEqual(fromBytes, await readDicomHeaderFromFile(mr()));
});

test('a data set without preamble or meta header (dcmconv --write-dataset) is still read whole and as DICOM', async () => {
  const bare = join(work, 'bare.dcm');
  execFileSync('dcmconv', ['--write-dataset', mr(), bare]);
  const p = probeFile(bare);
  assert.equal(p.kind, 'bytes');
  const h = await readDicomHeaderFromBytes(p.kind === 'bytes' ? p.bytes : Buffer.alloc(0), { path: bare });
  assert.equal(h.hasFileMeta, false);
  assert.equal(h.attributes.SOPInstanceUID, (await readDicomHeaderFromFile(mr())).attributes.SOPInstanceUID);
});

test('a large file no DICOM file begins like is refused by name on its first bytes', () => {
  const video = join(work, 'clip.mp4');
  writeFileSync(video, Buffer.concat([Buffer.from('\0\0\0\x20ftypisom'), Buffer.alloc(4 * 1024 * 1024, 7)]));
  assert.throws(() => probeFile(video), (e) => isAmurError(e) && e.code === 'dicom.notDicom' && e.params.path === video);
});

test('a small non-DICOM file is handed whole to the header reader, which refuses it', async () => {
  const note = join(work, 'note.txt');
  writeFileSync(note, 'not an image\n');
  const p = probeFile(note);
  assert.equal(p.kind, 'bytes');
  await assert.rejects(readDicomHeaderFromBytes(p.kind === 'bytes' ? p.bytes : Buffer.alloc(0), { path: note }), (e) => isAmurError(e) && e.code === 'dicom.notDicom');
});

test('a zip archive is recognised by its first bytes, whatever its name', () => {
  const archive = join(work, 'export');
  writeFileSync(archive, zipSync({ 'a.dcm': readFileSync(mr()) }));
  assert.deepEqual(probeFile(archive), { kind: 'zip' });
});

test('a file that cannot be opened is refused as unreadable, by name', () => {
  const missing = join(work, 'gone.dcm');
  assert.throws(() => probeFile(missing), (e) => isAmurError(e) && e.code === 'dicom.unreadable' && e.params.path === missing && e.params.detail === 'ENOENT');
});
