// Documents the viewer reads instead of scrolling (core/imaging/document.ts), on real files: an
// Enhanced SR written by dcmjs, a QIICR segmentation, and an Encapsulated PDF made here by dcmtk's
// pdf2dcm from a PDF Debian ships, placed in the head CT's study; and the planes of the head CT.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { shared } from '../../test/shared-data.js';
import type { SRContentItem } from '../contract/imaging.js';
import { parseInstance } from './decode.js';
import { documentKind, pdfPageCount, readDocument } from './document.js';
import { readImagePlanes } from './pixel-module.js';
import { LocalImagingService } from './service.js';

const flat = (i: SRContentItem): SRContentItem[] => [i, ...i.children.flatMap(flat)];

test('an SR reads as its content tree: title, containers, codes, names and numbers with units', () => {
  const doc = readDocument(readFileSync(shared('dicom', 'dcmjs', 'test', 'sample-sr.dcm')));
  assert.equal(doc.kind, 'sr');
  if (doc.kind !== 'sr') return;
  assert.equal(doc.title, 'Imaging Measurement Report');
  assert.equal(doc.completionFlag, 'COMPLETE');
  const items = flat(doc.root);
  const language = items.find((i) => i.concept === 'Language of Content Item and Descendants');
  assert.equal(language?.value, 'English');
  // Person Names are shown with their components spaced ("unknown^unknown" as stored).
  assert.equal(items.find((i) => i.ValueType === 'PNAME')?.value, 'unknown unknown');
  const longAxis = items.find((i) => i.concept === 'Long Axis');
  assert.equal(longAxis?.value, '64.4505437946691');
  assert.deepEqual(longAxis?.unit, { value: '1', meaning: 'px' });
  assert.equal(items.find((i) => i.concept === 'Tracking Unique Identifier')?.value, '2.25.639471218588509803385904782051176077285');
});

test('a segmentation reads as its segments, never as an image', () => {
  const doc = readDocument(readFileSync(shared('dicom', 'dcmjs', 'examples', 'data', 'QIICR_Test3', 'tumor_User1_Manual_Trial1.dcm')));
  assert.equal(doc.kind, 'seg');
  if (doc.kind !== 'seg') return;
  assert.ok(doc.segments.length >= 1);
  assert.equal(doc.segments[0].SegmentNumber, 1);
  assert.ok(doc.segments[0].SegmentLabel.length > 0);
  assert.equal(doc.frames, 13);
});

test('an Encapsulated PDF gives back the PDF byte for byte, with its page count', () => {
  const dir = mkdtempSync(join(tmpdir(), 'amur-doc-'));
  try {
    const pdf = '/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf';
    const ct = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
    const first = join(ct, readdirSync(ct).sort()[0]);
    const out = join(dir, 'pdf.dcm');
    execFileSync('pdf2dcm', ['+t', 'Spec', '+st', first, pdf, out]);
    const doc = readDocument(readFileSync(out));
    assert.equal(doc.kind, 'pdf');
    if (doc.kind !== 'pdf') return;
    assert.equal(doc.title, 'Spec');
    assert.deepEqual(Buffer.from(doc.bytes), readFileSync(pdf));
    const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [pdf], { encoding: 'utf8' }))?.[1]);
    assert.equal(doc.pages, pages, 'the same page count as poppler reads');
    assert.equal(pdfPageCount(new TextEncoder().encode('%PDF-1.4\n1 0 obj << /Type /Page >> endobj 2 0 obj << /Type /Page >> endobj')), 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an image is not a document; SR classes are recognised by their root', () => {
  assert.equal(documentKind('1.2.840.10008.5.1.4.1.1.2'), undefined);
  assert.equal(documentKind('1.2.840.10008.5.1.4.1.1.88.34'), 'sr');
  const ct = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
  assert.throws(() => readDocument(readFileSync(join(ct, readdirSync(ct).sort()[0]))), /notADocument|imaging/);
});

test('the planes of a head CT: one per instance, position along the normal distinct per slice', () => {
  const ct = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
  const planes = readdirSync(ct).flatMap((f) => readImagePlanes(parseInstance(new Uint8Array(readFileSync(join(ct, f)))).ds));
  assert.equal(planes.length, 28);
  for (const p of planes) {
    assert.ok(p.FrameOfReferenceUID && p.ImagePositionPatient && p.ImageOrientationPatient && p.PixelSpacing, JSON.stringify(p));
  }
  assert.equal(new Set(planes.map((p) => p.FrameOfReferenceUID)).size, 1);
  assert.equal(new Set(planes.map((p) => p.ImagePositionPatient![2].toFixed(3))).size, 28);
});

test('through the service, planes and documents are read on the decoder threads', async () => {
  const ct = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
  const files: Record<string, string> = {};
  const uids = readdirSync(ct).sort().map((f) => {
    const uid = parseInstance(new Uint8Array(readFileSync(join(ct, f)))).ds.string('x00080018')!;
    files[uid] = join(ct, f);
    return uid;
  });
  const sr = shared('dicom', 'dcmjs', 'test', 'sample-sr.dcm');
  const srUid = parseInstance(new Uint8Array(readFileSync(sr))).ds.string('x00080018')!;
  files[srUid] = sr;
  const service = new LocalImagingService({ instanceFile: (uid) => files[uid], decoders: 1 });
  try {
    const planes = await service.getImagePlanes(uids);
    assert.deepEqual(planes.map((p) => p.SOPInstanceUID), uids, 'one plane per instance, in the order asked');
    assert.ok(planes.every((p) => p.ImagePositionPatient && p.FrameOfReferenceUID));
    const doc = await service.getDocument(srUid);
    assert.equal(doc.kind, 'sr');
    await assert.rejects(service.getDocument(uids[0]), /notADocument/);
    await assert.rejects(service.getImagePlanes(['1.2.3.4.5']), /unknownInstance/);
  } finally {
    await service.dispose();
  }
});
