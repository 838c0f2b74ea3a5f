// Which series the viewer scrolls and which it reads as documents (renderer/viewer/stack.ts): a
// segmentation has rows and columns but is never an image stack; SR and Encapsulated PDF series,
// which have no pixels, are documents in Instance Number order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InstanceSummary } from '../../core/contract/studies.js';
import { buildImageIds, documentsOf, isDocument, isImage } from '../../renderer/viewer/stack.js';

const instance = (SOPInstanceUID: string, SOPClassUID: string, InstanceNumber: number | null, rows: number | null): InstanceSummary => ({
  SOPInstanceUID, SOPClassUID, SeriesInstanceUID: '1.2', InstanceNumber, TransferSyntaxUID: '1.2.840.10008.1.2.1', Rows: rows, Columns: rows, NumberOfFrames: rows ? 13 : null,
});
const SEG = '1.2.840.10008.5.1.4.1.1.66.4';
const ENHANCED_SR = '1.2.840.10008.5.1.4.1.1.88.22';
const PDF = '1.2.840.10008.5.1.4.1.1.104.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';

test('a segmentation is a document, not an image, though it has rows and frames', () => {
  const seg = instance('1.1', SEG, 1, 128);
  assert.equal(isImage(seg), false);
  assert.equal(isDocument(seg), true);
  assert.deepEqual(buildImageIds([seg]), []);
});

test('SR and PDF instances are documents in Instance Number order; images are not', () => {
  const list = [instance('1.3', PDF, 2, null), instance('1.2', ENHANCED_SR, 1, null), instance('1.4', CT, 1, 512)];
  assert.deepEqual(documentsOf(list), [
    { SOPInstanceUID: '1.2', SOPClassUID: ENHANCED_SR },
    { SOPInstanceUID: '1.3', SOPClassUID: PDF },
  ]);
  assert.equal(isImage(list[2]), true);
  assert.equal(isDocument(list[2]), false);
});
