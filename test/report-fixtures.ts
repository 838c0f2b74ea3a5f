// Report drafts on real studies for the report tests: the Philips head CT of dcm_qa_ct (shared
// data), filled the way a radiologist would fill one (coded and uncoded findings, free text in
// Russian and Chinese, a measurement on one image, one accepted and one rejected AI finding).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { writePart10 } from '../core/reports/dcmjs.js';
import { createDraft, type ReaderLanguage, type ReportDraft, type StudyReference } from '../core/reports/draft.js';
import { studyReferenceFromFiles } from '../core/reports/study.js';
import { loadTemplate } from '../core/reports/template.js';
import { importIdentity } from '../core/signing/index.js';
import { StudyStore } from '../core/store/store.js';
import { makePki, type TestPki } from './fixtures/pki/pki.js';
import { REPO_ROOT, shared } from './shared-data.js';
import { unlockTestHome } from './vault.js';

/** The 28 slices of a plain head CT (Philips), a study a CT head report fits. */
export function headCtFiles(): string[] {
  const dir = shared('dicom', 'dcm_qa_ct', 'In', 'Philips', 'S21570', 'S2010');
  return readdirSync(dir).filter((n) => /^I\d+$/.test(n)).map((n) => join(dir, n));
}

export const AI_MODEL = { name: 'amur-ct-ich', version: '0.3.1', sha256: '0123456789abcdef'.repeat(4) };

export function filledDraft(study: StudyReference = studyReferenceFromFiles(headCtFiles()), reader: ReaderLanguage = 'ru'): ReportDraft {
  const template = loadTemplate('ct-head');
  const d = createDraft(study, template, { reader, observer: { name: 'Ivanov^Petr', organization: 'Amur Radiology Group' } });
  d.findings = [{ id: 'intracranial-hemorrhage' }, { id: 'midline-shift' }];
  d.texts = [
    { section: 'history', lang: 'zh-CN', text: '外伤后头痛3小时。' },
    reader === 'ru'
      ? { section: 'findings', lang: 'ru', text: 'Гиперденсная зона в левой лобной доле размером до 23 мм.' }
      : { section: 'findings', lang: 'en', text: 'Hyperdense area in the left frontal lobe, up to 23 mm.' },
  ];
  d.impression = [
    reader === 'ru' ? { lang: 'ru', text: 'Внутримозговая гематома левой лобной доли.' } : { lang: 'en', text: 'Left frontal intracerebral haematoma.' },
    { lang: 'zh-CN', text: '左额叶脑内血肿。' },
  ];
  const image = () => ({ ...study.series[0]!.instances[3]! });
  d.measurements = [{
    trackingUID: '2.25.305828745207346457312512097213040165',
    label: 'Hematoma 1',
    findingId: 'intracranial-hemorrhage',
    values: [{ kind: 'length', value: 23.4, unit: 'mm' }],
    image: image(),
    graphic: { type: 'POLYLINE', points: [100, 120, 140, 150] },
  }, {
    trackingUID: '2.25.98231187654093812374650192837465019283',
    label: 'ROI 1',
    values: [{ kind: 'area', value: 154.2, unit: 'mm2' }, { kind: 'mean', value: 62.5, unit: 'HU' }, { kind: 'stdDev', value: 4.1, unit: 'HU' }],
    image: image(),
    graphic: { type: 'ELLIPSE', points: [100, 100, 130, 100, 115, 90, 115, 110] },
  }];
  d.aiFindings = [
    { id: 'ai-1', model: AI_MODEL, findingId: 'hydrocephalus', score: 0.71, status: 'accepted' },
    { id: 'ai-2', model: AI_MODEL, findingId: 'skull-fracture', score: 0.22, status: 'rejected' },
  ];
  return d;
}

/** A frontal chest radiograph of the NIH set (shared data), labelled pneumonia, PA view. */
export function nihPneumoniaPng(): { path: string; patientId: string } {
  const dir = shared('data', 'nih-cxr-pneumonia');
  const [head, ...rows] = readFileSync(join(dir, 'labels.csv'), 'utf8').trim().split('\n');
  const cols = head!.split(',');
  const at = (r: string[], k: string) => r[cols.indexOf(k)]!;
  const row = rows.map((l) => l.split(',')).find((r) => at(r, 'label') === 'pneumonia' && at(r, 'view') === 'PA')!;
  return { path: join(dir, at(row, 'filename')), patientId: at(row, 'patient_id') };
}

/**
 * The radiograph as a DX instance (8-bit MONOCHROME2, the PNG's grey values as they are), written
 * with dcmjs, so that a chest X-ray report has a real image to be about.
 */
export function writeCxrDicom(out: string, ids: { StudyInstanceUID: string; SeriesInstanceUID: string; SOPInstanceUID: string }): void {
  const { path, patientId } = nihPneumoniaPng();
  const png = PNG.sync.read(readFileSync(path));
  const grey = new Uint8Array(png.width * png.height);
  for (let i = 0; i < grey.length; i++) grey[i] = png.data[i * 4]!;
  writeFileSync(out, writePart10({
    _vrMap: { PixelData: 'OB' },
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.1.1',
    ...ids,
    PatientName: `NIH^${patientId}`,
    PatientID: patientId,
    PatientBirthDate: '',
    PatientSex: '',
    StudyDate: '20261122',
    StudyTime: '101500',
    StudyID: '1',
    AccessionNumber: 'CXR-1',
    ReferringPhysicianName: '',
    StudyDescription: 'Chest PA',
    Modality: 'DX',
    BodyPartExamined: 'CHEST',
    ViewPosition: 'PA',
    SeriesNumber: 1,
    InstanceNumber: 1,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: png.height,
    Columns: png.width,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PixelData: [grey.buffer],
  }));
}

/** A reader's home for the report tests: the head CT imported by `amur import`, a stored signing identity. */
export interface SigningHome {
  tmp: string;
  home: string;
  pki: TestPki;
  store: StudyStore;
  StudyInstanceUID: string;
  /** The stored identity's name and its store passphrase. */
  identity: { name: string; storePassphrase: string };
  close(): void;
}

export async function signingHome(): Promise<SigningHome> {
  const tmp = mkdtempSync(join(tmpdir(), 'amur-'));
  const home = join(tmp, 'home');
  const pki = makePki();
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), 'import', join(headCtFiles()[0]!, '..')], { encoding: 'utf8', env: { ...process.env, AMUR_HOME: home } });
  assert.equal(r.status, 0, r.stderr);
  const identity = { name: 'ivanov', storePassphrase: 'store-pass' };
  importIdentity(pki.bytes('rsa.p12'), pki.passphrase, { ...identity, home });
  await unlockTestHome(home);
  const store = StudyStore.open(home);
  return {
    tmp, home, pki, store, identity,
    StudyInstanceUID: store.listStudies()[0]!.StudyInstanceUID,
    close() {
      store.close();
      pki.remove();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
