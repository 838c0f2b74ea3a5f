// Files that other viewers (Weasis, fo-dicom, dcmtk) open although they break the standard, made at
// test time from the shared corpus by the real tools: dcmtk's dcmodify for removed or invalid UIDs,
// pydicom (Debian's /usr/bin/python3) for a file without SOP Instance UID in data set and meta alike
// and for Shift-JIS names under ISO_IR 13, and a plain cut of the last 8 bytes (the Sequence
// Delimitation Item) for encapsulated pixel data without its final delimiter. Each entry names the
// intact file it was made from, so a test can compare the decoded pixels with the original's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shared } from './shared-data.js';

export interface TolerantFile {
  /** What is wrong with it. */
  label: string;
  path: string;
  /** The intact file it was made from (same pixels). */
  intact: string;
  /** The notices the importer must give for it (notices.<code>), in order. */
  notices: string[];
  /** The keywords the catalogue must record as derived, with the file's own (invalid) value. */
  derived: Record<string, { original?: string; from?: string }>;
}

/** The Shift-JIS name and institution written under ISO_IR 13 (half-width katakana, kanji). */
export const SHIFT_JIS_NAME = 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう';
export const SHIFT_JIS_INSTITUTION = '東京都立病院';

const CT = () => shared('dicom', 'dicomParser', 'testImages', 'CT1_UNC.explicit_little_endian.dcm');
const GE = (n: number) => shared('dicom', 'dcm_qa_ct', 'In', 'GE', `${String(n).padStart(2, '0')}.dcm`);
const ENCAPSULATED = {
  jpegBaseline: () => shared('dicom', 'dicomParser', 'testImages', 'encapsulated', 'multi-frame', 'CT0012.fragmented_no_bot_jpeg_baseline.51.dcm'),
  jpegLossless: () => shared('dicom', 'dicomParser', 'testImages', 'encapsulated', 'multi-frame', 'CT0012.fragmented_no_bot_jpeg_lossless.70.dcm'),
  jpegLSWithOffsetTable: () => shared('dicom', 'dicomParser', 'testImages', 'encapsulated', 'multi-frame', 'CT0012.not_fragmented_bot_jpeg_ls.80.dcm'),
  jpeg2000: () => shared('dicom', 'dcmjs', 'examples', 'data', 'IM-0001-0001.dcm'),
  rle: () => shared('dicom', 'dicomweb-client', 'testData', 'US-PAL-8-10x-echo.dcm'),
};
/** Two frames in eleven fragments (no offset table): cut between fragments, it is a truncated file. */
export const FRAGMENTED = () => shared('dicom', 'dicomParser', 'testImages', 'encapsulated', 'multi-frame', 'CT0012.fragmented_no_bot_jpeg_baseline.51.dcm');

function copy(from: string, to: string): string {
  copyFileSync(from, to);
  chmodSync(to, 0o644); // the shared data are read-only; dcmodify rewrites in place
  return to;
}

function dcmodify(file: string, ...args: string[]): void {
  const r = spawnSync('dcmodify', ['-nb', ...args, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

function python(script: string, ...args: string[]): string {
  const r = spawnSync('/usr/bin/python3', ['-c', script, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** The Media Storage SOP Instance UID dcmdump prints for a file. */
export function metaSopInstanceUid(file: string): string {
  const out = spawnSync('dcmdump', ['-M', '+P', '0002,0003', file], { encoding: 'utf8' }).stdout;
  const m = /\[([0-9.]+)\]/.exec(out);
  assert.ok(m, `dcmdump finds (0002,0003) in ${file}`);
  return m[1];
}

/** Cuts the file's last 8 bytes, which must be the Sequence Delimitation Item (FFFE,E0DD) of length 0. */
function withoutDelimiter(from: string, to: string): string {
  const bytes = readFileSync(from);
  assert.deepEqual([...bytes.subarray(bytes.length - 8)], [0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0], `${from} ends with its delimiter`);
  writeFileSync(to, bytes.subarray(0, bytes.length - 8));
  return to;
}

/** Every class of tolerated defect, under dir (made fresh). */
export function makeTolerantFiles(dir: string): TolerantFile[] {
  mkdirSync(dir, { recursive: true });
  const files: TolerantFile[] = [];

  // (0008,0018) removed by dcmodify: the file meta still names the instance.
  const noSop = copy(CT(), join(dir, 'no-sop-uid.dcm'));
  dcmodify(noSop, '-ea', '(0008,0018)');
  files.push({ label: 'no SOP Instance UID (the file meta has one)', path: noSop, intact: CT(), notices: ['dicom.uidFromFileMeta'], derived: { SOPInstanceUID: { from: 'MediaStorageSOPInstanceUID' } } });

  // Neither the data set nor the meta has it (pydicom deletes both).
  const none = join(dir, 'no-sop-uid-anywhere.dcm');
  python(`import sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
del ds.SOPInstanceUID
del ds.file_meta.MediaStorageSOPInstanceUID
ds.save_as(sys.argv[2], write_like_original=True)`, CT(), none);
  files.push({ label: 'no SOP Instance UID anywhere', path: none, intact: CT(), notices: ['dicom.uidMissingDerived'], derived: { SOPInstanceUID: {} } });

  // A series of three slices whose Series Instance UID has letters in it: one derived series.
  for (const n of [1, 2, 3]) {
    const f = copy(GE(n), join(dir, `series-with-letters-${n}.dcm`));
    dcmodify(f, '-m', '(0020,000E)=1.2.840.113619.2.abc.3');
    files.push({ label: `Series Instance UID with letters, slice ${n}`, path: f, intact: GE(n), notices: ['dicom.uidInvalidDerived'], derived: { SeriesInstanceUID: { original: '1.2.840.113619.2.abc.3' } } });
  }

  // A Study Instance UID with a leading zero in a component (PS3.5 9.1 forbids it).
  const leadingZero = copy(CT(), join(dir, 'study-leading-zero.dcm'));
  // New series and instance UIDs too: a series belongs to one study, and this one is another study.
  dcmodify(leadingZero, '-m', '(0020,000D)=1.2.840.0113654.2.70.1', '-gse', '-gin');
  files.push({ label: 'Study Instance UID with a leading zero', path: leadingZero, intact: CT(), notices: ['dicom.uidInvalidDerived'], derived: { StudyInstanceUID: { original: '1.2.840.0113654.2.70.1' } } });

  // Encapsulated pixel data without the final Sequence Delimitation Item, every fragment whole.
  for (const [name, from] of Object.entries(ENCAPSULATED)) {
    // Several are one instance in different transfer syntaxes: each copy becomes an instance of its own.
    const intact = copy(from(), join(dir, `intact-${name}.dcm`));
    dcmodify(intact, '-gin');
    const f = withoutDelimiter(intact, join(dir, `no-delimiter-${name}.dcm`));
    rmSync(intact);
    files.push({ label: `${name} without its final delimiter`, path: f, intact: from(), notices: ['dicom.noSequenceDelimiter'], derived: {} });
  }

  // ISO_IR 13 with two-byte Shift-JIS in it (kanji and hiragana where JIS X 0201 has none).
  const sjis = join(dir, 'iso-ir-13-shift-jis.dcm');
  python(`import sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
ds.SpecificCharacterSet = 'ISO_IR 13'
ds.PatientName = sys.argv[3].encode('shift_jis')
ds.InstitutionName = sys.argv[4].encode('shift_jis')
ds.save_as(sys.argv[2], write_like_original=True)`, CT(), sjis, SHIFT_JIS_NAME, SHIFT_JIS_INSTITUTION);
  // A study of its own (new UIDs), so that the worklist row shows its name and nothing else's.
  dcmodify(sjis, '-gst', '-gse', '-gin');
  files.push({ label: 'ISO_IR 13 with Shift-JIS names', path: sjis, intact: CT(), notices: [], derived: {} });
  return files;
}

/**
 * The two-frame JPEG cut at fragment boundaries, without delimiter, where the reader cannot tell the
 * cut from a writer's slip by the item lengths alone: after the last fragment of the first frame (a
 * frame is missing) and after the second fragment of the second frame (its end is missing).
 */
export function makeCutAtFragments(dir: string): { frameMissing: string; frameCut: string } {
  const bytes = readFileSync(FRAGMENTED());
  // Walk the items after (7FE0,0010) OB undefined length: the offset table, then the fragments.
  const tag = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  let pos = bytes.lastIndexOf(tag) + tag.length;
  assert.ok(pos > tag.length, 'the file has encapsulated pixel data');
  pos += 8 + bytes.readUInt32LE(pos + 4); // the Basic Offset Table
  const fragments: { start: number; end: number; startsFrame: boolean }[] = [];
  while (bytes.readUInt16LE(pos + 2) === 0xe000) {
    const end = pos + 8 + bytes.readUInt32LE(pos + 4);
    fragments.push({ start: pos, end, startsFrame: bytes[pos + 8] === 0xff && bytes[pos + 9] === 0xd8 });
    pos = end;
  }
  const starts = fragments.map((f, i) => (f.startsFrame ? i : -1)).filter((i) => i >= 0);
  assert.equal(starts.length, 2, 'two frames');
  assert.ok(fragments.length - starts[1] >= 3, 'the second frame has three fragments or more');
  const frameMissing = join(dir, 'cut-after-first-frame.dcm');
  writeFileSync(frameMissing, bytes.subarray(0, fragments[starts[1] - 1].end));
  const frameCut = join(dir, 'cut-inside-second-frame.dcm');
  writeFileSync(frameCut, bytes.subarray(0, fragments[starts[1] + 1].end));
  return { frameMissing, frameCut };
}
