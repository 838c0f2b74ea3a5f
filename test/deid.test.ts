// De-identification of real files (PS3.15 Annex E), checked by an independent pydicom checker
// (test/deid-check.py), by dciodvfy (no new errors) and byte for byte on the pixel data.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, test } from 'node:test';
import * as dicomParserNs from 'dicom-parser';
import { isAmurError } from '../core/common/errors.js';
import { deidentifyForAgreement, ReidMap, DEFAULT_OPTIONS } from '../core/deid/index.js';
import { errorMessage, LANGUAGES } from '../core/i18n/index.js';
import { PYDICOM_DATA, REPO_ROOT, shared } from './shared-data.js';
import { unlockTestHome } from './vault.js';

const dicomParser = ((dicomParserNs as any).default ?? dicomParserNs) as typeof dicomParserNs;
const TABLE = join(REPO_ROOT, 'core', 'deid', 'annex-e.tsv');
const CHECKER = join(REPO_ROOT, 'test', 'deid-check.py');
const AGREEMENT = 'GZ-2026-01';

const dir = mkdtempSync(join(tmpdir(), 'amur-deid-'));
// The map is encrypted under the vault of a home (here the test's folder), as the hospital's is.
await unlockTestHome(dir);
const map = new ReidMap(dir, join(dir, 'reid.sqlite'));
after(() => {
  map.close();
  rmSync(dir, { recursive: true, force: true });
});

function headCt(): string[] {
  const root = shared('dicom', 'dcm_qa_ct');
  const rows = readFileSync(join(root, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const files = rows.filter((r) => r[2] === 'CT' && r[0]!.startsWith('In/Philips/S21570/S2010/')).map((r) => join(root, r[0]!));
  assert.equal(files.length, 28, 'the 28-slice head CT');
  return files;
}
const charset = (f: string) => join(PYDICOM_DATA, 'charset_files', f);
const MULTIFRAME = () => shared('dicom', 'dicomParser', 'testImages', 'encapsulated', 'multi-frame', 'CT0012.explicit_little_endian.dcm');
const MULTIFRAME_JPEG = () => shared('dicom', 'dicomParser', 'testImages', 'encapsulated', 'multi-frame', 'CT0012.fragmented_no_bot_jpeg_lossless.57.dcm');
const SR = () => shared('dicom', 'dcmjs', 'test', 'sample-sr.dcm');

const ADD = (subjectId: string) => ({
  ClinicalTrialSponsorName: 'Partner Hospital',
  ClinicalTrialProtocolID: AGREEMENT,
  ClinicalTrialProtocolName: 'Amur teleradiology',
  ClinicalTrialSiteID: '',
  ClinicalTrialSiteName: '',
  ClinicalTrialSubjectID: subjectId,
  ClinicalTrialTimePointID: 'REQ-1',
});

let n = 0;
function deid(file: string): { out: string; r: ReturnType<typeof deidentifyForAgreement> } {
  const r = deidentifyForAgreement(map, AGREEMENT, readFileSync(file), { options: DEFAULT_OPTIONS, add: ADD });
  const out = join(dir, `${n++}-${basename(file)}`);
  writeFileSync(out, r.bytes);
  return { out, r };
}

function check(original: string, output: string): { status: number | null; findings: string[] } {
  const p = spawnSync('/usr/bin/python3', [CHECKER, TABLE, DEFAULT_OPTIONS.join(','), original, output], { encoding: 'utf8' });
  if (p.error) throw p.error;
  if (p.status !== 0 && p.status !== 1) throw new Error(`checker failed: ${p.stderr}`);
  return { status: p.status, findings: p.stdout.trim().split('\n').filter(Boolean) };
}

/** dciodvfy's error lines, with UIDs and element values masked (they differ by design). */
function dciodvfyErrors(file: string): Set<string> {
  const r = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return new Set(`${r.stdout}${r.stderr}`.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('Error'))
    .map((l) => l.replace(/\b\d+(\.\d+){2,}\b/g, '<uid>')));
}

function pixelBytes(file: string): Buffer | undefined {
  const bytes = readFileSync(file);
  const ds = dicomParser.parseDicom(bytes);
  const el = ds.elements.x7fe00010;
  if (!el) return undefined;
  if (el.encapsulatedPixelData) return Buffer.concat(el.fragments!.map((f) => bytes.subarray(f.position, f.position + f.length)));
  return bytes.subarray(el.dataOffset, el.dataOffset + el.length);
}

function assertGood(original: string, output: string): void {
  const c = check(original, output);
  assert.deepEqual(c.findings, [], `${basename(original)}: the checker found what was left`);
  assert.equal(c.status, 0);
  const before = dciodvfyErrors(original);
  const fresh = [...dciodvfyErrors(output)].filter((e) => !before.has(e));
  assert.deepEqual(fresh, [], `${basename(original)}: dciodvfy errors that the input did not have`);
  const pixels = pixelBytes(original);
  const after = pixelBytes(output);
  if (pixels) assert.ok(after && pixels.equals(after), `${basename(original)}: pixel data changed`);
  else assert.equal(after, undefined);
}

test('the checker is not a rubber stamp: an original that was not de-identified has findings', () => {
  for (const f of [headCt()[0]!, charset('chrX2.dcm'), SR()]) {
    const c = check(f, f);
    assert.equal(c.status, 1);
    assert.ok(c.findings.some((l) => l.includes('patient identifier present')), basename(f));
    assert.ok(c.findings.some((l) => l.includes('original UID present')), basename(f));
    assert.ok(c.findings.some((l) => l.includes('Patient Identity Removed')), basename(f));
  }
});

test('the 28-slice head CT: one pseudonymous study, nothing left for the checker, valid, same pixels', () => {
  const files = headCt();
  const outs = files.map((f) => ({ f, ...deid(f) }));
  const studies = new Set(outs.map((o) => o.r.StudyInstanceUID));
  const series = new Set(outs.map((o) => o.r.SeriesInstanceUID));
  assert.equal(studies.size, 1);
  assert.equal(series.size, 1);
  const study = [...studies][0]!;
  assert.match(study, /^2\.25\.\d+$/);
  assert.notEqual(study, outs[0]!.r.original.StudyInstanceUID);
  assert.equal(new Set(outs.map((o) => o.r.SOPInstanceUID)).size, 28);
  const original = map.original(AGREEMENT, study)!;
  assert.equal(original.StudyInstanceUID, outs[0]!.r.original.StudyInstanceUID);
  assert.equal(original.PatientID, 'PLASTIC');
  assert.equal(map.reverseUid(AGREEMENT, study), original.StudyInstanceUID);
  for (const o of outs) assertGood(o.f, o.out);

  // What a reader receives, as pydicom reads it.
  const py = spawnSync('/usr/bin/python3', ['-c', `
import pydicom, sys, json
d = pydicom.dcmread(sys.argv[1])
print(json.dumps({k: str(d.get(k, '')) for k in ['PatientName', 'PatientID', 'PatientIdentityRemoved', 'SpecificCharacterSet', 'StudyDate', 'ClinicalTrialProtocolID', 'ClinicalTrialSubjectID', 'LongitudinalTemporalInformationModified']}
  | {'codes': [c.CodeValue for c in d.DeidentificationMethodCodeSequence], 'ts': str(d.file_meta.TransferSyntaxUID), 'meta': d.file_meta.MediaStorageSOPInstanceUID == d.SOPInstanceUID}))
`, outs[0]!.out], { encoding: 'utf8' });
  const got = JSON.parse(py.stdout) as Record<string, unknown>;
  assert.equal(got.PatientID, outs[0]!.r.original.PatientID === 'PLASTIC' ? 'AMUR-GZ-2026-01-1' : got.PatientID);
  assert.equal(got.PatientName, got.PatientID);
  assert.equal(got.PatientIdentityRemoved, 'YES');
  assert.equal(got.SpecificCharacterSet, 'ISO_IR 192');
  assert.equal(got.ClinicalTrialProtocolID, AGREEMENT);
  assert.equal(got.ClinicalTrialSubjectID, got.PatientID);
  assert.equal(got.LongitudinalTemporalInformationModified, 'MODIFIED');
  assert.deepEqual(got.codes, ['113100', '113108', '113107', '113105']);
  assert.equal(got.ts, '1.2.840.10008.1.2.1');
  assert.equal(got.meta, true);
  const offset = map.pseudonym(AGREEMENT, 'PLASTIC').dateOffsetDays;
  const orig = outs[0]!.r.original.StudyDate!;
  const shifted = new Date(Date.UTC(+orig.slice(0, 4), +orig.slice(4, 6) - 1, +orig.slice(6)) + offset * 86400000).toISOString().slice(0, 10).replace(/-/g, '');
  assert.equal(got.StudyDate, shifted, 'Study Date is shifted by the patient\'s offset');
});

test('a second study of the same patient: same pseudonym and offset, its own study UID, shared UIDs map alike', () => {
  const src = headCt()[0]!;
  const copy = join(dir, 'second-study.dcm');
  copyFileSync(src, copy);
  const r = spawnSync('dcmodify', ['-nb', '-m', '(0020,000D)=1.2.826.0.1.3680043.8.498.1', '-m', '(0008,0018)=1.2.826.0.1.3680043.8.498.2', '-m', '(0020,000E)=1.2.826.0.1.3680043.8.498.3', copy], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const first = deid(src);
  const second = deid(copy);
  assert.notEqual(second.r.StudyInstanceUID, first.r.StudyInstanceUID);
  const frameOfRef = (f: string) => String(dicomParser.parseDicom(readFileSync(f)).string('x00200052'));
  assert.equal(frameOfRef(second.out), frameOfRef(first.out), 'the same Frame of Reference maps to the same new UID');
  assert.notEqual(frameOfRef(first.out), frameOfRef(src));
  const pid = (f: string) => String(dicomParser.parseDicom(readFileSync(f)).string('x00100020'));
  assert.equal(pid(second.out), pid(first.out));
  assert.equal(map.original(AGREEMENT, second.r.StudyInstanceUID)?.StudyInstanceUID, '1.2.826.0.1.3680043.8.498.1');
  // Again, as another process would: the map answers the same.
  const again = deidentifyForAgreement(map, AGREEMENT, readFileSync(src), { add: ADD });
  assert.equal(again.SOPInstanceUID, first.r.SOPInstanceUID);
});

test('Chinese (GB18030, ISO 2022 IR 149 with Hangul) and Cyrillic names are decoded, removed and never leak', () => {
  for (const f of ['chrX2.dcm', 'chrX1.dcm', 'chrRuss.dcm', 'chrI2.dcm', 'chrH31.dcm']) {
    const { out, r } = deid(charset(f));
    assertGood(charset(f), out);
    assert.ok(r.original.PatientName && !r.original.PatientName.includes('\ufffd'), f);
  }
  const { r } = deid(charset('chrX2.dcm'));
  assert.equal(r.original.PatientName, 'Wang^XiaoDong=王^小东');
  assert.equal(deid(charset('chrRuss.dcm')).r.original.PatientName, 'Люкceмбypг');
});

test('a multi-frame CT (native and JPEG Lossless) and an SR', () => {
  for (const f of [MULTIFRAME(), MULTIFRAME_JPEG(), SR()]) {
    const { out, r } = deid(f);
    assertGood(f, out);
    const ts = (p: string) => String(dicomParser.parseDicom(readFileSync(p), { untilTag: 'x00020010' } as any).string('x00020010'));
    assert.equal(ts(out), ts(f), 'transfer syntax kept');
    assert.ok(Object.keys(r.newUids).length > 0);
  }
});

test('burned-in annotation is refused with a translated reason, unless the agreement allows it', () => {
  const copy = join(dir, 'burned.dcm');
  copyFileSync(headCt()[0]!, copy);
  const r = spawnSync('dcmodify', ['-nb', '-i', '(0028,0301)=YES', copy], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const bytes = readFileSync(copy);
  assert.throws(() => deidentifyForAgreement(map, AGREEMENT, bytes, {}), (e: unknown) => {
    assert.ok(isAmurError(e));
    assert.equal(e.code, 'deid.burnedIn');
    for (const lang of LANGUAGES) {
      const text = errorMessage(e, lang);
      assert.ok(!text.startsWith('errors.'), `${lang}: untranslated`);
      assert.ok(text.includes('(0028,0301)'), lang);
      assert.ok(!text.includes('HEAD') && !text.includes('PLASTIC'), 'no patient data in the message');
    }
    assert.notEqual(errorMessage(e, 'ru'), errorMessage(e, 'en'));
    return true;
  });
  const ok = deidentifyForAgreement(map, AGREEMENT, bytes, { allowBurnedIn: true });
  assert.ok(ok.bytes.length > 0);
});

test('every message key of deid exists in all three languages', () => {
  const keys = (lang: string) => Object.keys((JSON.parse(readFileSync(join(REPO_ROOT, 'assets', 'i18n', lang, 'deid.json'), 'utf8')) as { errors: { deid: object } }).errors.deid).sort();
  assert.deepEqual(keys('ru'), keys('en'));
  assert.deepEqual(keys('zh-CN'), keys('en'));
});
