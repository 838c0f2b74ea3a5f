// Clean output from unclean input (issue 13): real head CT slices made non-conformant with pydicom
// (test/unclean-sources.py: NUL padding; values invalid for their VR or enumeration) go through
// every Amur writer: the signed report (SR and Encapsulated PDF), the TID 1500 measurement report,
// the de-identified images and the re-identified report. dciodvfy must find no error in any of
// them, dcmdump must show the NUL-padded values arrive clean and the invalid ones absent, and the
// log must name what was left out without its value.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isAmurError } from '../core/common/errors.js';
import type { StudyMeasurement } from '../core/contract/measurements.js';
import { deidentifyForAgreement, DEFAULT_OPTIONS, peekPatient, ReidMap } from '../core/deid/index.js';
import { setCleanLogger, type CleanLogger } from '../core/dicom/clean.js';
import { reidentify } from '../core/hospital/reidentify.js';
import { writeMeasurementReport } from '../core/measurements/tid1500.js';
import { resolveReport } from '../core/reports/content.js';
import { renderSignedReport } from '../core/reports/sign.js';
import { writeSR } from '../core/reports/sr.js';
import { studyReferenceFromFiles } from '../core/reports/study.js';
import { loadTemplate } from '../core/reports/template.js';
import { readPkcs12 } from '../core/signing/index.js';
import { makePki } from './fixtures/pki/pki.js';
import { dciodvfy } from './report-dicom-tools.js';
import { filledDraft, headCtFiles } from './report-fixtures.js';
import { PYDICOM_DATA, REPO_ROOT } from './shared-data.js';
import { unlockTestHome } from './vault.js';

const AGREEMENT = 'GZ-2026-13';
const NOW = new Date('2026-12-07T21:00:00.000Z');
const tmp = mkdtempSync(join(tmpdir(), 'amur-unclean-'));
await unlockTestHome(tmp);
const map = new ReidMap(tmp, join(tmp, 'reid.sqlite'));
const pki = makePki();
const identity = readPkcs12(pki.bytes('rsa.p12'), pki.passphrase);

const logged: string[] = [];
let previousLogger: CleanLogger;
before(() => { previousLogger = setCleanLogger((line) => logged.push(line)); });
after(() => {
  setCleanLogger(previousLogger);
  map.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** The values of the study that the fixtures' defects carry; none may appear in a log line. */
const PATIENT_VALUES = ['DOE', 'JANE', 'SMITH', 'PLASTIC', '2157', 'ACCESSION', '20231345', '25:61', '1,5'];

/** The 28 head CT slices with the variant's defects (see test/unclean-sources.py). */
function uncleanStudy(variant: 'nul' | 'invalid'): string[] {
  const files = headCtFiles().sort();
  const out = join(tmp, variant);
  const r = spawnSync('/usr/bin/python3', [join(REPO_ROOT, 'test', 'unclean-sources.py'), variant, out, ...files], { encoding: 'utf8' });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, r.stderr);
  return files.map((f) => join(out, basename(f)));
}

interface Dumped { value: string; length: number }
/** dcmdump's top-level elements by tag ("0010,0040"): the value as printed (NULs included) and its length. */
function dcmdump(file: string): Map<string, Dumped> {
  const r = spawnSync('dcmdump', ['-q', '+U8', file], { encoding: 'latin1', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, r.stderr);
  const out = new Map<string, Dumped>();
  for (const line of Buffer.from(r.stdout, 'latin1').toString('utf8').split('\n')) {
    const m = /^\(([0-9a-f]{4},[0-9a-f]{4})\) \w\w (.*?)\s+#\s*(\d+),\s*\d+ /.exec(line);
    if (!m) continue;
    const v = m[2]!;
    out.set(m[1]!, { value: v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v === '(no value available)' ? '' : v, length: Number(m[3]) });
  }
  return out;
}

const value = (d: Map<string, Dumped>, tag: string) => d.get(tag)?.value;

function assertNoNul(d: Map<string, Dumped>, what: string): void {
  for (const [tag, v] of d) assert.ok(!v.value.includes('\0'), `${what}: (${tag}) still holds a NUL`);
}

/** The identity of the NUL-padded study as every writer must write it: the values, without their NULs. */
const CLEAN_IDENTITY = {
  '0020,0010': '2157', '0008,0050': 'A2157', '0010,0040': 'M', '0010,0010': 'DOE^JANE', '0010,0020': 'PLASTIC',
  '0008,0090': 'SMITH^ANNA', '0008,1030': 'HEAD CT',
};
/** What the study with invalid values gives: each invalid value written empty, a valid one kept. */
const INVALID_LEFT_OUT = {
  '0010,0040': '', '0008,0020': '', '0008,0030': '', '0008,0050': '', '0008,0090': '', '0008,1030': '', '0020,0010': '2157',
};

/** Each tag of `expected` is present in the dump with that value. */
function assertValues(d: Map<string, Dumped>, expected: Record<string, string>, what: string): void {
  for (const [tag, v] of Object.entries(expected)) {
    assert.ok(d.has(tag), `${what}: (${tag}) is written`);
    assert.equal(value(d, tag), v, `${what}: (${tag})`);
  }
}

function assertValid(file: string, iod: string): void {
  const v = dciodvfy(file);
  assert.equal(v.iod, iod, `${basename(file)}: ${[...v.errors, ...v.unexplained].join('\n')}`);
  assert.deepEqual(v.errors, [], `${basename(file)}: dciodvfy errors`);
}

function assertLogClean(): void {
  assert.ok(logged.length > 0, 'the corrections and drops are logged');
  for (const l of logged) for (const p of PATIENT_VALUES) assert.ok(!l.includes(p), `a log line holds patient data (${p}): ${l}`);
}

function measurement(study: ReturnType<typeof studyReferenceFromFiles>): StudyMeasurement {
  const se = study.series[0]!;
  const img = se.instances[3]!;
  return {
    StudyInstanceUID: study.StudyInstanceUID,
    trackingUID: '2.25.305828745207346457312512097213040166',
    toolType: 'Length',
    label: 'Length 1',
    image: { SeriesInstanceUID: se.SeriesInstanceUID, SOPInstanceUID: img.SOPInstanceUID, SOPClassUID: img.SOPClassUID, frame: 0 },
    points: [{ x: 100, y: 120 }, { x: 140, y: 150 }],
    values: [{ quantity: 'length', value: 23.4, unit: 'mm' }],
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
  };
}

async function signedReport(files: string[], name: string): Promise<{ sr: string; pdf: string }> {
  const study = studyReferenceFromFiles(files);
  const rendered = await renderSignedReport(filledDraft(study), loadTemplate('ct-head'), identity, { now: NOW });
  const sr = join(tmp, `${name}-sr.dcm`);
  const pdf = join(tmp, `${name}-pdf.dcm`);
  writeFileSync(sr, rendered.files['report-sr.dcm']!);
  writeFileSync(pdf, rendered.files['report-pdf.dcm']!);
  return { sr, pdf };
}

/**
 * De-identifies the study, then writes a report on the de-identified study and re-identifies it.
 * Each variant has an agreement of its own: both are copies of one study (same UIDs), and the map
 * keeps the first identity recorded for a study.
 */
function roundTrip(files: string[], name: string): { deid: string[]; reid: string; deidStudy: string } {
  const agreement = `${AGREEMENT}-${name}`;
  const deid = files.map((f, i) => {
    const r = deidentifyForAgreement(map, agreement, readFileSync(f), { options: DEFAULT_OPTIONS });
    const out = join(tmp, `${name}-deid-${i}.dcm`);
    writeFileSync(out, r.bytes);
    return out;
  });
  const study = studyReferenceFromFiles(deid);
  const draft = filledDraft(study);
  const sr = writeSR(resolveReport(draft, loadTemplate('ct-head'), NOW), { SeriesInstanceUID: '2.25.7001', SOPInstanceUID: '2.25.7002' });
  const re = reidentify(sr, agreement, map, NOW);
  const reid = join(tmp, `${name}-reid.dcm`);
  writeFileSync(reid, re.bytes);
  return { deid, reid, deidStudy: study.StudyInstanceUID };
}

describe('a study whose header values are padded with NUL bytes', () => {
  let files: string[];
  before(() => { files = uncleanStudy('nul'); });

  it('is what dciodvfy rejects (the fixture is really defective)', () => {
    const v = dciodvfy(files[0]!);
    assert.ok(v.errors.some((e) => e.includes('Patient\'s Sex') && e.includes('Trailing character invalid')), v.errors.join('\n'));
    assert.ok(v.errors.some((e) => e.includes('Study ID')), v.errors.join('\n'));
  });

  it('gives a signed SR and Encapsulated PDF that dciodvfy accepts, the values without their NULs', async () => {
    const { sr, pdf } = await signedReport(files, 'nul');
    assertValid(sr, 'ComprehensiveSR');
    assertValid(pdf, 'EncapsulatedPDF');
    for (const f of [sr, pdf]) {
      const d = dcmdump(f);
      assertNoNul(d, basename(f));
      assertValues(d, CLEAN_IDENTITY, basename(f));
      assert.equal(d.get('0020,0010')!.length, 4);
    }
    assertLogClean();
  });

  it('gives a TID 1500 measurement report that dciodvfy accepts', () => {
    const study = studyReferenceFromFiles(files);
    const f = join(tmp, 'nul-tid1500.dcm');
    writeFileSync(f, writeMeasurementReport(study, [measurement(study)], NOW));
    assertValid(f, 'ComprehensiveSR');
    const d = dcmdump(f);
    assertNoNul(d, 'TID 1500');
    assertValues(d, CLEAN_IDENTITY, 'TID 1500');
  });

  it('de-identifies to images dciodvfy accepts and re-identifies to a report with the clean identity', () => {
    const { deid, reid, deidStudy } = roundTrip(files, 'nul');
    for (const f of deid.slice(0, 3)) {
      assertValid(f, 'CTImage');
      const d = dcmdump(f);
      assertNoNul(d, basename(f));
      assert.equal(value(d, '0010,0040'), 'M', 'Retain Patient Characteristics keeps the sex, clean');
      assert.equal(value(d, '0008,0008'), 'ORIGINAL\\PRIMARY\\AXIAL');
      assert.equal(value(d, '0008,1030'), 'HEAD CT');
    }
    // The pseudonym is chosen by the Patient ID without its NULs: the same patient as the clean files.
    assert.equal(peekPatient(readFileSync(files[0]!)).PatientID, 'PLASTIC');
    // The hospital's map records the identity as the cleaned source says it.
    const original = map.original(`${AGREEMENT}-nul`, deidStudy)!;
    assert.equal(original.StudyID, '2157');
    assert.equal(original.AccessionNumber, 'A2157');
    assert.equal(original.PatientSex, 'M');
    assert.equal(original.PatientName, 'DOE^JANE');
    assertValid(reid, 'ComprehensiveSR');
    const d = dcmdump(reid);
    assertNoNul(d, 're-identified SR');
    assertValues(d, CLEAN_IDENTITY, 're-identified SR');
    assertLogClean();
  });
});

describe('a study with values invalid for their VR or enumeration', () => {
  let files: string[];
  before(() => { files = uncleanStudy('invalid'); });

  it('is what dciodvfy rejects (the fixture is really defective)', () => {
    const v = dciodvfy(files[0]!);
    assert.ok(v.errors.some((e) => e.includes('enumerated value <U>') && e.includes('Patient\'s Sex')), v.errors.join('\n'));
    assert.ok(v.errors.length >= 9, v.errors.join('\n'));
  });

  it('gives a signed SR and Encapsulated PDF that dciodvfy accepts, the invalid values left out', async () => {
    logged.length = 0;
    const { sr, pdf } = await signedReport(files, 'invalid');
    assertValid(sr, 'ComprehensiveSR');
    assertValid(pdf, 'EncapsulatedPDF');
    for (const f of [sr, pdf]) {
      // Type 2 attributes written empty; the one valid value kept.
      assertValues(dcmdump(f), INVALID_LEFT_OUT, basename(f));
    }
    assertLogClean();
    const sex = logged.find((l) => l.includes('PatientSex (0010,0040)'));
    assert.ok(sex && /left out: it is not one of the values the standard defines/.test(sex), logged.join('\n'));
    assert.ok(logged.some((l) => l.includes('StudyDate (0008,0020)')), logged.join('\n'));
  });

  it('gives a TID 1500 measurement report that dciodvfy accepts', () => {
    const study = studyReferenceFromFiles(files);
    const f = join(tmp, 'invalid-tid1500.dcm');
    writeFileSync(f, writeMeasurementReport(study, [measurement(study)], NOW));
    assertValid(f, 'ComprehensiveSR');
    assert.equal(value(dcmdump(f), '0010,0040'), '');
  });

  it('de-identifies to images dciodvfy accepts and re-identifies to a report dciodvfy accepts', () => {
    const { deid, reid } = roundTrip(files, 'invalid');
    for (const f of deid.slice(0, 3)) {
      assertValid(f, 'CTImage');
      const d = dcmdump(f);
      assert.equal(value(d, '0010,0040'), '');
      assert.equal(value(d, '0018,0050'), '', 'a DS with a decimal comma is not read as 15');
      assert.equal(value(d, '0020,0011'), '');
      assert.equal(value(d, '0010,1010'), '', 'Retain Patient Characteristics keeps a valid age only');
    }
    assertValid(reid, 'ComprehensiveSR');
    assertValues(dcmdump(reid), { '0010,0040': '', '0008,0020': '', '0020,0010': '2157' }, 're-identified SR');
  });
});

describe('re-identification from an identity recorded with defects (a map an earlier version wrote)', () => {
  it('writes the identity clean, valid for dciodvfy', () => {
    const files = headCtFiles().sort();
    const study = studyReferenceFromFiles(files);
    const deidStudy = '2.25.1313131313';
    map.recordStudy(AGREEMENT, deidStudy, {
      StudyInstanceUID: study.StudyInstanceUID,
      PatientName: 'DOE^JANE\0\0', PatientID: 'PLASTIC\0', PatientSex: 'X', PatientBirthDate: '19xx0101',
      StudyID: '2157\0\0', AccessionNumber: 'A2157\0', StudyDate: '2023.01.31', StudyTime: '07:30:00',
      ReferringPhysicianName: 'SMITH^ANNA\0',
    });
    const deidRef = { ...study, StudyInstanceUID: deidStudy };
    const sr = writeSR(resolveReport(filledDraft(deidRef), loadTemplate('ct-head'), NOW), { SeriesInstanceUID: '2.25.7101', SOPInstanceUID: '2.25.7102' });
    const re = reidentify(sr, AGREEMENT, map, NOW);
    const f = join(tmp, 'recorded-reid.dcm');
    writeFileSync(f, re.bytes);
    assertValid(f, 'ComprehensiveSR');
    const d = dcmdump(f);
    assertNoNul(d, 're-identified SR');
    assert.equal(value(d, '0010,0010'), 'DOE^JANE');
    assert.equal(value(d, '0010,0040'), '');
    assert.equal(value(d, '0010,0030'), '');
    assert.equal(value(d, '0020,0010'), '2157');
    assert.equal(value(d, '0008,0020'), '20230131', 'the ACR-NEMA date form is written as DA');
    assert.equal(value(d, '0008,0030'), '073000');
    assert.deepEqual(re.cleaned.map((n) => `${n.keyword} ${n.action}`).sort(), [
      'AccessionNumber corrected', 'PatientBirthDate dropped', 'PatientID corrected', 'PatientName corrected', 'PatientSex dropped',
      'ReferringPhysicianName corrected', 'StudyDate corrected', 'StudyID corrected', 'StudyTime corrected',
    ]);
  });
});

describe('a Type 1 value that cannot be cleaned', () => {
  it('refuses to de-identify a real SR whose references name the UID "0" (pydicom\'s reportsi.dcm)', () => {
    const src = join(PYDICOM_DATA, 'test_files', 'reportsi.dcm');
    assert.ok(dciodvfy(src).errors.some((e) => e.includes('Referenced SOP Class UID') && e.includes('Nothing but zero components')));
    assert.throws(() => deidentifyForAgreement(map, AGREEMENT, readFileSync(src), { options: DEFAULT_OPTIONS }), (e: unknown) => {
      assert.ok(isAmurError(e) && e.code === 'dicom.writeType1Invalid', String(e));
      assert.equal(e.params.keyword, 'ReferencedSOPClassUID');
      return true;
    });
  });

  it('refuses the report with a reason that names the attribute, not the value', async () => {
    const study = studyReferenceFromFiles(headCtFiles());
    study.series[0]!.instances[0]!.SOPInstanceUID = '1.2.03.4';
    await assert.rejects(renderSignedReport(filledDraft(study), loadTemplate('ct-head'), identity, { now: NOW }), (e: unknown) => {
      assert.ok(isAmurError(e) && e.code === 'dicom.writeType1Invalid', String(e));
      assert.equal(e.params.keyword, 'ReferencedSOPInstanceUID');
      assert.equal(e.params.reason, 'syntax');
      return true;
    });
  });
});
