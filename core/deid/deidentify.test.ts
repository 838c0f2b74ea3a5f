import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PYDICOM_DATA } from '../../test/shared-data.js';
import { dcmjsData } from '../reports/dcmjs.js';
import { deidentify, type DeidContext } from './deidentify.js';

function ctx(over: Partial<DeidContext> = {}): DeidContext {
  return { uid: (o) => `2.25.${BigInt(`0x${Buffer.from(o).toString('hex').slice(0, 30)}`)}`, pseudonym: { PatientName: 'AMUR-T-1', PatientID: 'AMUR-T-1' }, dateOffsetDays: -10, ...over };
}

/** chrX2 (GB18030, 王^小东) with a private block and two descriptors, one naming the patient. */
function sample(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'amur-deid-unit-'));
  try {
    const f = join(dir, 'x.dcm');
    copyFileSync(join(PYDICOM_DATA, 'charset_files', 'chrX2.dcm'), f);
    const m = spawnSync('dcmodify', ['-nb', '-i', '(0008,1030)=CT for XiaoDong', '-i', '(0008,103E)=plain head',
      '-i', '(0008,0020)=20240301', '-i', '(0008,0030)=101500', '-i', '(0010,1010)=041Y', f], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    // A private block, added through dcmjs (dcmodify cannot create one); dcmjs writes UTF-8.
    const buf = readFileSync(f);
    const dd = dcmjsData.DicomMessage.readFile(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
    const dict = dd.dict as Record<string, unknown>;
    dict['00090010'] = { vr: 'LO', Value: ['ACME'] };
    dict['00091001'] = { vr: 'LO', Value: ['secret'] };
    return Buffer.from(dd.write());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const text = (el: { Value?: unknown[] } | undefined) => (el?.Value ?? []).join('\\');

function read(buf: Buffer): Record<string, any> {
  const dd = dcmjsData.DicomMessage.readFile(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
  return { ...(dd.dict as object), meta: dd.meta };
}

test('default options: descriptors cleaned by tokens, dates shifted, times and age kept, private removed', () => {
  const r = deidentify(sample(), ctx());
  const d = read(r.bytes);
  assert.equal(r.original.PatientName, 'Wang^XiaoDong=王^小东');
  assert.equal(text(d['00081030']), '', 'a description with a name part is emptied');
  assert.deepEqual(d['0008103E'].Value, ['plain head'], 'a description without one is kept');
  assert.equal(d['00090010'], undefined);
  assert.equal(d['00091001'], undefined);
  assert.deepEqual(d['00080020'].Value, ['20240220']);
  assert.deepEqual(d['00080030'].Value, ['101500']);
  assert.deepEqual(d['00101010'].Value, ['041Y']);
  assert.deepEqual(d['00100010'].Value, [{ Alphabetic: 'AMUR-T-1' }]);
  assert.deepEqual(d['00080005'].Value, ['ISO_IR 192']);
  assert.equal(d.meta['00020003'].Value[0], d['00080018'].Value[0]);
  assert.equal(r.newUids[r.original.SOPInstanceUID!], d['00080018'].Value[0]);
});

test('the Basic Profile alone removes age and empties dates; the same original UID always maps alike', () => {
  const input = sample();
  const a = deidentify(input, ctx({ options: [] }));
  const b = deidentify(input, ctx({ options: [] }));
  const d = read(a.bytes);
  assert.equal(d['00101010'], undefined);
  assert.equal(text(d['00080020']), '');
  assert.equal(a.SOPInstanceUID, b.SOPInstanceUID);
  assert.equal(a.StudyInstanceUID, b.StudyInstanceUID);
  assert.throws(() => deidentify(input, ctx({ options: ['CleanGraphics'] })), /deid.unsupportedOption/);
});

/** chrX2 with the given dcmodify arguments applied, its file meta UIDs left as they are. */
function modified(args: string[]): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'amur-deid-unit-'));
  try {
    const f = join(dir, 'x.dcm');
    copyFileSync(join(PYDICOM_DATA, 'charset_files', 'chrX2.dcm'), f);
    const m = spawnSync('dcmodify', ['-nb', '-nmu', ...args, f], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    return readFileSync(f);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** chrX2 without a SOP Instance UID and with an empty Media Storage SOP Instance UID (by pydicom: dcmodify refills the meta). */
function withoutAnySopUid(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'amur-deid-unit-'));
  try {
    const f = join(dir, 'x.dcm');
    const script = 'import sys, pydicom\nds = pydicom.dcmread(sys.argv[1])\ndel ds.SOPInstanceUID\nds.file_meta.MediaStorageSOPInstanceUID = ""\nds.save_as(sys.argv[2])';
    const m = spawnSync('/usr/bin/python3', ['-c', script, join(PYDICOM_DATA, 'charset_files', 'chrX2.dcm'), f], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    return readFileSync(f);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('an instance without its SOP Instance UID is named by its file meta, as the reader names it; the written object has both', () => {
  const src = modified(['-ea', '(0008,0018)']);
  const metaUid = text(read(src).meta['00020003']);
  assert.ok(metaUid && !read(src)['00080018'], 'the source has a file meta UID and no SOP Instance UID');
  const out = read(deidentify(src, ctx()).bytes);
  assert.equal(text(out['00080018']), ctx().uid(metaUid));
  assert.equal(text(out.meta['00020003']), text(out['00080018']));
});

test('without any SOP Instance UID, or without a Series Instance UID, the object is refused: what would be written is invalid', () => {
  assert.throws(() => deidentify(withoutAnySopUid(), ctx()), (e: { code?: string; params?: { tag?: string } }) => e.code === 'deid.missingAttribute' && e.params?.tag === '(0008,0018)');
  assert.throws(() => deidentify(modified(['-ea', '(0020,000E)']), ctx()), (e: { code?: string; params?: { tag?: string } }) => e.code === 'deid.missingAttribute' && e.params?.tag === '(0020,000E)');
});
