// Unit tests of the header reader on real files from the shared corpus: every transfer syntax
// family, the early stop before pixel data, and clean rejections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAmurError } from '../common/errors.js';
import { readDicomHeaderFromFile, readDicomHeaderFromBytes, FIRST_CHUNK } from './header.js';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shared } from '../../test/shared-data.js';
import { explicitLE, identity, pad, part10 } from '../../test/dicom-craft.js';

const dp = (p: string) => shared('dicom', 'dicomParser', 'testImages', p);

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(isAmurError(e), `expected an AmurError, got ${String(e)}`);
    return e.code;
  }
  assert.fail('expected a rejection');
}

test('the same CT read from implicit LE, explicit LE and explicit BE gives the same attributes', async () => {
  const files = ['CT1_UNC.implicit_little_endian.dcm', 'CT1_UNC.explicit_little_endian.dcm', 'CT1_UNC.explicit_big_endian.dcm'];
  const headers = await Promise.all(files.map((f) => readDicomHeaderFromFile(dp(f))));
  assert.deepEqual(headers.map((h) => h.TransferSyntaxUID), ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2']);
  for (const h of headers) {
    assert.equal(h.attributes.PatientName, 'CompressedSamples^CT1');
    assert.equal(h.attributes.SOPInstanceUID, '1.3.6.1.4.1.5962.1.1.1.1.1.20040826185059.5457');
    assert.equal(h.attributes.Rows, 512);
    assert.equal(h.attributes.BitsAllocated, 16);
    assert.equal(h.attributes.SliceThickness, 5);
    // The age at the study and the acquisition date (what triage chooses a model population by).
    assert.equal(h.attributes.PatientAge, '000Y');
    assert.equal(h.attributes.AcquisitionDate, '19970430');
    assert.equal(h.hasFileMeta, true);
    assert.equal(h.isDicomDir, false);
  }
});

test('a header that fits the first chunk costs one read, and pixel data are not read', async () => {
  const stats = { bytesRead: 0, reads: 0 };
  const h = await readDicomHeaderFromFile(dp('CT1_UNC.explicit_little_endian.dcm'), { stats });
  assert.equal(stats.reads, 1);
  assert.ok(stats.bytesRead <= FIRST_CHUNK);
  assert.ok(h.pixelDataOffset !== undefined && h.pixelDataOffset < FIRST_CHUNK);
});

test('deflated data sets are inflated and read', async () => {
  const h = await readDicomHeaderFromFile(dp('deflate/image_dfl'));
  assert.equal(h.TransferSyntaxUID, '1.2.840.10008.1.2.1.99');
  assert.equal(h.attributes.Modality, 'OT');
  assert.equal(h.attributes.SOPInstanceUID, '1.3.6.1.4.1.5962.1.1.0.0.0.977067309.6001.0');
});

test('a large deflated file (made by dcmconv +td) is inflated only until its header is whole', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'amur-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'ct-deflated.dcm');
  const r = spawnSync('dcmconv', ['+td', dp('CT1_UNC.explicit_little_endian.dcm'), path], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const size = statSync(path).size;
  assert.ok(size > 4 * FIRST_CHUNK, `the deflated CT is ${size} bytes`);
  const stats = { bytesRead: 0, reads: 0 };
  const h = await readDicomHeaderFromFile(path, { stats });
  const plain = await readDicomHeaderFromFile(dp('CT1_UNC.explicit_little_endian.dcm'));
  assert.equal(h.TransferSyntaxUID, '1.2.840.10008.1.2.1.99');
  assert.deepEqual(h.attributes, plain.attributes);
  assert.equal(h.pixelDataOffset, undefined, 'no file offset exists inside a deflated stream');
  assert.deepEqual(stats, { bytesRead: FIRST_CHUNK, reads: 1 });
});

test('a file that is not DICOM is rejected as such', async () => {
  assert.equal(await rejection(readDicomHeaderFromBytes(new TextEncoder().encode('hello, this is a text file, not an image'.repeat(10)))), 'dicom.notDicom');
  assert.equal(await rejection(readDicomHeaderFromBytes(new Uint8Array(0))), 'dicom.notDicom');
});

test('a 4 GiB file is read by its first chunk only: the pixel data region is never touched', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'amur-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const source = readFileSync(dp('CT1_UNC.explicit_little_endian.dcm'));
  const full = await readDicomHeaderFromBytes(source);
  const pixelAt = full.pixelDataOffset!;
  // Keep the header and the Pixel Data element's own header, declare 0xFFFFFFFE bytes of pixels,
  // and extend the file sparsely to that size: reading it whole would take gigabytes.
  const head = Buffer.from(source.subarray(0, pixelAt));
  head.writeUInt32LE(0xfffffffe, pixelAt - 4);
  const path = join(dir, 'huge.dcm');
  const fd = openSync(path, 'w');
  writeSync(fd, head);
  ftruncateSync(fd, pixelAt + 0xfffffffe);
  closeSync(fd);

  const stats = { bytesRead: 0, reads: 0 };
  const h = await readDicomHeaderFromFile(path, { stats });
  assert.equal(h.attributes.SOPInstanceUID, full.attributes.SOPInstanceUID);
  assert.equal(h.pixelDataOffset, pixelAt);
  assert.deepEqual(stats, { bytesRead: FIRST_CHUNK, reads: 1 });
});

test('encapsulated pixel data cost one extra 8-byte read (the Sequence Delimitation Item at the end)', async () => {
  const stats = { bytesRead: 0, reads: 0 };
  const h = await readDicomHeaderFromFile(dp('encapsulated/multi-frame/CT0012.fragmented_no_bot_jpeg_ls.80.dcm'), { stats });
  assert.equal(h.TransferSyntaxUID, '1.2.840.10008.1.2.4.80');
  assert.equal(h.attributes.NumberOfFrames, 2);
  assert.deepEqual(stats, { bytesRead: FIRST_CHUNK + 8, reads: 2 });
});

test('a header larger than the first chunk is read by growing reads that stop short of the pixel data', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'amur-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { head, tail } = identity();
  // A 300 KB private OB value (0009,1010) sits before Pixel Data, which declares 1 GiB.
  const privateBlob = explicitLE(0x0009, 0x1010, 'OB', Buffer.alloc(300 * 1024, 0x55));
  const creator = explicitLE(0x0009, 0x0010, 'LO', Buffer.from('AMUR TEST '));
  const pixelHeader = explicitLE(0x7fe0, 0x0010, 'OB', Buffer.alloc(0), 1 << 30);
  const bytes = part10('1.2.840.10008.1.2.1', Buffer.concat([head, creator, privateBlob, tail, pixelHeader]));
  const path = join(dir, 'big-header.dcm');
  const fd = openSync(path, 'w');
  writeSync(fd, bytes);
  ftruncateSync(fd, bytes.length + (1 << 30));
  closeSync(fd);
  const stats = { bytesRead: 0, reads: 0 };
  const h = await readDicomHeaderFromFile(path, { stats });
  assert.equal(h.attributes.SeriesInstanceUID, '1.2.3.2');
  assert.equal(h.pixelDataOffset, bytes.length);
  assert.ok(stats.bytesRead <= 4 * FIRST_CHUNK * 4, `read ${stats.bytesRead} bytes`);
  assert.equal(stats.reads, 3, "64 KiB, then up to 256 KiB, then up to 1 MiB");
});

test('bare data sets (no preamble, no meta) are sniffed: implicit LE, explicit LE, explicit BE', async () => {
  for (const [file, ts] of [
    ['CT1_UNC.implicit_little_endian.dcm', '1.2.840.10008.1.2'],
    ['CT1_UNC.explicit_little_endian.dcm', '1.2.840.10008.1.2.1'],
    ['CT1_UNC.explicit_big_endian.dcm', '1.2.840.10008.1.2.2'],
  ] as const) {
    const whole = readFileSync(dp(file));
    const withMeta = await readDicomHeaderFromBytes(whole);
    // The data set starts after the meta group, whose length (0002,0000) follows "DICM".
    const dataSetStart = 132 + 12 + whole.readUInt32LE(140);
    const bare = await readDicomHeaderFromBytes(whole.subarray(dataSetStart));
    assert.equal(bare.hasFileMeta, false, file);
    assert.equal(bare.TransferSyntaxUID, ts, file);
    assert.deepEqual(bare.attributes, withMeta.attributes, file);
    assert.equal(bare.pixelDataOffset, withMeta.pixelDataOffset! - dataSetStart, file);
  }
});

test('a DICOMDIR is recognised as such and needs no instance attributes', async () => {
  const h = await readDicomHeaderFromFile(shared('dicom', 'dcm_qa_ct', 'In', 'Philips', 'DICOMDIR'));
  assert.equal(h.isDicomDir, true);
  assert.equal(h.MediaStorageSOPClassUID, '1.2.840.10008.1.3.10');
});

test('a missing SOP Instance UID is named in the rejection of a fragment that is no instance (no SOP Class, no image)', async () => {
  const bytes = part10('1.2.840.10008.1.2.1', Buffer.concat([
    explicitLE(0x0020, 0x000d, 'UI', pad('1.2.3', 'UI')),
    explicitLE(0x0020, 0x000e, 'UI', pad('1.2.4', 'UI')),
  ]));
  await assert.rejects(readDicomHeaderFromBytes(bytes, { path: 'x.dcm' }),
    (e) => isAmurError(e) && e.code === 'dicom.missingAttribute' && e.params.keyword === 'SOPInstanceUID' && e.params.path === 'x.dcm');
});
