// Unit tests of the header reader on real files from the shared corpus: every transfer syntax
// family, the early stop before pixel data, and clean rejections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAmurError } from '../common/errors.js';
import { readDicomHeaderFromFile, readDicomHeaderFromBytes, FIRST_CHUNK } from './header.js';
import { shared } from '../../test/shared-data.js';

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

test('a file that is not DICOM is rejected as such', async () => {
  assert.equal(await rejection(readDicomHeaderFromBytes(new TextEncoder().encode('hello, this is a text file, not an image'.repeat(10)))), 'dicom.notDicom');
  assert.equal(await rejection(readDicomHeaderFromBytes(new Uint8Array(0))), 'dicom.notDicom');
});
