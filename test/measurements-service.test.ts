// The measurement service over a real store: a head CT imported by the real importer, measurements
// saved as the radiologist draws them with values computed from the stored pixels, undo/redo, and
// everything still there (undo history included) after the store is closed and opened again, as
// after a crash or a restart. Then the study's TID 1500 Measurement Report: written, read back,
// and judged by dsrdump (dcmtk) and dciodvfy (dicom3tools).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AmurError } from '../core/common/errors.js';
import type { MeasurementInput, StudyMeasurement } from '../core/contract/measurements.js';
import { decodeImageFrame } from '../core/imaging/decode.js';
import { importPaths } from '../core/importer/importer.js';
import { LocalMeasurementService } from '../core/measurements/service.js';
import { readMeasurementReport } from '../core/measurements/tid1500.js';
import { draftMeasurementsFromStore } from '../core/measurements/draft-sync.js';
import { createDraft, newUid, validateDraft } from '../core/reports/draft.js';
import { resolveReport } from '../core/reports/content.js';
import { writeSR } from '../core/reports/sr.js';
import { readReportSR } from '../core/reports/sr-read.js';
import { studyReferenceFromStore } from '../core/reports/study.js';
import { loadTemplate } from '../core/reports/template.js';
import { StudyStore } from '../core/store/store.js';
import { dciodvfy, dsrdump } from './report-dicom-tools.js';
import { shared } from './shared-data.js';
import { unlockTestHome } from './vault.js';

const HEAD_CT = shared('dicom', 'dcm_qa_ct', 'In', 'GE');

function serviceOver(store: StudyStore) {
  return new LocalMeasurementService(store, {
    getImageFrame: async (uid, frame) => decodeImageFrame((await store.readInstance(uid))!, frame),
  });
}

function code(e: unknown): string {
  return e instanceof AmurError ? e.code : String(e);
}

describe('measurement service over the store', () => {
  let home: string;
  let store: StudyStore;
  let service: LocalMeasurementService;
  let study: string;
  let images: { SOPInstanceUID: string; SOPClassUID: string; SeriesInstanceUID: string; InstanceNumber: number | null }[];
  const image = (i: number) => ({ SeriesInstanceUID: images[i]!.SeriesInstanceUID, SOPInstanceUID: images[i]!.SOPInstanceUID, SOPClassUID: images[i]!.SOPClassUID, frame: 0 });

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'amur-'));
    await unlockTestHome(home);
    store = StudyStore.open(home);
    const summary = await importPaths(store, readdirSync(HEAD_CT).map((f) => join(HEAD_CT, f)));
    assert.equal(summary.imported, 28);
    study = summary.studies[0]!;
    const series = store.listSeries(study);
    images = store.listInstances(series[0]!.SeriesInstanceUID).sort((a, b) => (a.InstanceNumber ?? 0) - (b.InstanceNumber ?? 0));
    service = serviceOver(store);
  });
  after(() => {
    store?.close();
    rmSync(home, { recursive: true, force: true });
  });

  const length: () => MeasurementInput = () => ({ trackingUID: newUid(), toolType: 'Length', image: image(14), points: [{ x: 100, y: 256 }, { x: 300, y: 256 }] });

  test('a length is saved with its value in mm and a label, and the change is announced', async () => {
    const events: number[] = [];
    const off = service.onDidChangeMeasurements((e) => events.push(e.revision));
    const input = length();
    const list = await service.saveMeasurement(study, input);
    off();
    assert.equal(list.measurements.length, 1);
    const m = list.measurements[0]!;
    assert.equal(m.trackingUID, input.trackingUID);
    assert.equal(m.label, 'M1');
    assert.deepEqual(m.values, [{ quantity: 'length', value: 200 * 0.4882812, unit: 'mm' }]);
    assert.equal(m.image.SOPClassUID, '1.2.840.10008.5.1.4.1.1.2');
    assert.deepEqual(events, [list.revision]);
    assert.ok(list.canUndo && !list.canRedo);
  });

  test('ROIs, angle, probe and arrow get their values; editing a handle re-measures', async () => {
    const roi: MeasurementInput = { trackingUID: newUid(), toolType: 'EllipticalRoi', image: image(14), points: [{ x: 236, y: 20 }, { x: 276, y: 40 }], label: 'Air' };
    let list = await service.saveMeasurement(study, roi);
    const air = list.measurements.find((m) => m.label === 'Air')!;
    assert.ok(Math.abs(air.values.find((v) => v.quantity === 'mean')!.value + 1000) < 30);
    // The radiologist drags the ellipse into the brain: same measurement, new values.
    list = await service.saveMeasurement(study, { ...roi, points: [{ x: 180, y: 200 }, { x: 200, y: 220 }] });
    const brain = list.measurements.find((m) => m.trackingUID === roi.trackingUID)!;
    const mean = brain.values.find((v) => v.quantity === 'mean')!;
    assert.equal(mean.unit, 'HU');
    assert.ok(mean.value > 20 && mean.value < 45, `brain ${mean.value}`);
    assert.equal(brain.label, 'Air', 'an edit keeps the label');
    assert.equal(list.measurements.length, 2);

    list = await service.saveMeasurement(study, { trackingUID: newUid(), toolType: 'Angle', image: image(14), points: [{ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 0, y: 10 }] });
    assert.ok(Math.abs(list.measurements.at(-1)!.values[0]!.value - 90) < 1e-9);
    list = await service.saveMeasurement(study, { trackingUID: newUid(), toolType: 'Probe', image: image(14), points: [{ x: 190.5, y: 210.5 }] });
    assert.equal(list.measurements.at(-1)!.values[0]!.unit, 'HU');
    list = await service.saveMeasurement(study, { trackingUID: newUid(), toolType: 'ArrowAnnotate', image: image(3), points: [{ x: 200, y: 200 }, { x: 260, y: 150 }], text: 'Очаг 病灶' });
    assert.equal(list.measurements.at(-1)!.text, 'Очаг 病灶');
    assert.deepEqual(list.measurements.at(-1)!.values, []);
    list = await service.saveMeasurement(study, { trackingUID: newUid(), toolType: 'RectangleRoi', image: image(14), points: [{ x: 300, y: 250 }, { x: 320, y: 270 }] });
    assert.deepEqual(list.measurements.map((m) => m.label), ['M1', 'Air', 'M2', 'M3', 'M4', 'M5']);
  });

  test('undo and redo step through the changes, and a new change drops what was undone', async () => {
    const start = await service.listMeasurements(study);
    const n = start.measurements.length;
    const removed = start.measurements[0]!;
    let list = await service.removeMeasurement(study, removed.trackingUID);
    assert.equal(list.measurements.length, n - 1);
    list = await service.undo(study);
    assert.equal(list.measurements.length, n);
    assert.deepEqual(list.measurements[0], removed, 'undo puts it back where it was, unchanged');
    assert.ok(list.canRedo);
    list = await service.redo(study);
    assert.equal(list.measurements.length, n - 1);
    await service.undo(study);
    // Undo the rectangle (the last drawn), then the arrow.
    await service.undo(study);
    list = await service.undo(study);
    assert.equal(list.measurements.length, n - 2);
    assert.ok(!list.measurements.some((m) => m.toolType === 'RectangleRoi' || m.toolType === 'ArrowAnnotate'));
    // A new change: the undone arrow and rectangle can no longer be redone.
    list = await service.saveMeasurement(study, length());
    assert.equal(list.canRedo, false);
    const again = await service.redo(study);
    assert.equal(again.revision, list.revision, 'nothing to redo: nothing changes');
  });

  test('everything, undo history included, is there after the store is closed and reopened', async () => {
    const beforeClose = await service.listMeasurements(study);
    store.close();
    store = StudyStore.open(home);
    service = serviceOver(store);
    const reopened = await service.listMeasurements(study);
    assert.deepEqual(reopened, beforeClose);
    const undone = await service.undo(study);
    assert.equal(undone.measurements.length, beforeClose.measurements.length - 1);
    await service.redo(study);
  });

  test('bad input is refused with a reason, and nothing is written', async () => {
    const rev = (await service.listMeasurements(study)).revision;
    const cases: [unknown, string][] = [
      [{ ...length(), points: [{ x: 1, y: 1 }] }, 'measurements.badInput'],
      [{ ...length(), trackingUID: 'not-a-uid' }, 'measurements.badInput'],
      [{ ...length(), toolType: 'Freehand' }, 'measurements.badInput'],
      [{ ...length(), points: [{ x: 1, y: NaN }, { x: 2, y: 2 }] }, 'measurements.badInput'],
      [{ ...length(), image: { ...image(0), SOPInstanceUID: '1.2.3.4' } }, 'measurements.imageNotInStudy'],
      [{ ...length(), image: { ...image(0), frame: 1 } }, 'measurements.badInput'],
    ];
    for (const [input, expected] of cases) {
      await assert.rejects(service.saveMeasurement(study, input as MeasurementInput), (e) => code(e) === expected, JSON.stringify(input));
    }
    await assert.rejects(service.listMeasurements('1.2.3.999'), (e) => code(e) === 'measurements.unknownStudy');
    assert.equal((await service.listMeasurements(study)).revision, rev);
  });

  test('TID 1500 export reads back as the same measurements and passes dsrdump and dciodvfy', async () => {
    // An arrow with Cyrillic and Chinese text: UTF-8 all the way into the SR.
    const list = await service.saveMeasurement(study, { trackingUID: newUid(), toolType: 'ArrowAnnotate', image: image(3), points: [{ x: 200, y: 200 }, { x: 260, y: 150 }], text: 'Очаг 病灶' });
    const file = await service.exportMeasurementReport(study);
    assert.equal(file.fileName, 'measurements-sr.dcm');
    const read = readMeasurementReport(file.bytes);
    assert.equal(read.templateIdentifier, '1500');
    assert.equal(read.StudyInstanceUID, study);
    assert.equal(read.measurements.length, list.measurements.length);
    for (const [i, m] of list.measurements.entries()) {
      const r = read.measurements[i]!;
      const want: Partial<StudyMeasurement> = { trackingUID: m.trackingUID, label: m.label, toolType: m.toolType };
      assert.deepEqual({ trackingUID: r.trackingUID, label: r.label, toolType: r.toolType }, want);
      assert.equal(r.image.SOPInstanceUID, m.image.SOPInstanceUID);
      assert.deepEqual(r.points, m.points, `${m.toolType} graphic`);
      assert.equal(r.text, m.text);
      assert.equal(r.values.length, m.values.length);
      r.values.forEach((v, j) => {
        assert.equal(v.quantity, m.values[j]!.quantity);
        assert.equal(v.unit, m.values[j]!.unit);
        // DS keeps 16 characters: 8 significant digits.
        assert.ok(Math.abs(v.value - m.values[j]!.value) <= Math.abs(m.values[j]!.value) * 1e-7 + 1e-9, `${v.value} vs ${m.values[j]!.value}`);
      });
    }

    const dir = mkdtempSync(join(tmpdir(), 'amur-'));
    try {
      const path = join(dir, file.fileName);
      writeFileSync(path, file.bytes);
      const dump = dsrdump(path);
      assert.equal(dump.status, 0, dump.out);
      assert.match(dump.out, /Imaging Measurement Report/);
      assert.match(dump.out, /Tracking Unique Identifier/);
      assert.match(dump.out, /Очаг 病灶/);
      assert.doesNotMatch(dump.out, /error|warning/i);
      const v = dciodvfy(path);
      assert.equal(v.iod, 'ComprehensiveSR');
      assert.deepEqual(v.errors, []);
      assert.deepEqual(v.unexplained, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the report draft carries the length and ROI groups, and the TID 2000 SR written from it reads them back', async () => {
    const list = await service.listMeasurements(study);
    const groups = draftMeasurementsFromStore(store, study);
    // Lengths and ROIs enter the report; the angle, the probe and the arrow do not.
    const reportable = list.measurements.filter((m) => m.toolType === 'Length' || m.toolType === 'EllipticalRoi' || m.toolType === 'RectangleRoi');
    assert.deepEqual(groups.map((g) => g.trackingUID), reportable.map((m) => m.trackingUID));
    const template = loadTemplate('ct-head');
    const draft = createDraft(studyReferenceFromStore(store, study), template, { observer: { name: 'Ivanov^Ivan', organization: 'Amur test' } });
    draft.measurements = groups;
    validateDraft(JSON.parse(JSON.stringify(draft)), 'draft.json');
    const sr = readReportSR(writeSR(resolveReport(draft, template, new Date()), { SeriesInstanceUID: newUid(), SOPInstanceUID: newUid() }));
    assert.deepEqual(sr.measurements.map((m) => m.trackingUID), groups.map((g) => g.trackingUID));
    const roi = sr.measurements.find((m) => m.label === 'Air')!;
    const mean = roi.values.find((v) => v.kind === 'mean')!;
    assert.equal(mean.unit, 'HU');
    assert.ok(mean.value > 20 && mean.value < 45, 'the ellipse moved into the brain reads brain HU in the report');
    assert.equal(roi.graphic.type, 'ELLIPSE');
  });

  test('a measurement the radiologist leaves out of the report is absent from the draft\'s groups, and comes back when put in again', async () => {
    const before = draftMeasurementsFromStore(store, study);
    const out = before[0]!;
    const m = (await service.listMeasurements(study)).measurements.find((x) => x.trackingUID === out.trackingUID)!;
    assert.equal(m.inReport, true, 'a new measurement goes into the report');
    const input = { trackingUID: m.trackingUID, toolType: m.toolType, image: m.image, points: m.points };
    const left = await service.saveMeasurement(study, { ...input, inReport: false });
    assert.equal(left.measurements.find((x) => x.trackingUID === m.trackingUID)!.inReport, false);
    assert.deepEqual(draftMeasurementsFromStore(store, study).map((g) => g.trackingUID), before.slice(1).map((g) => g.trackingUID));
    // Moving it again without saying keeps the choice; the values are the same computation.
    const moved = await service.saveMeasurement(study, input);
    assert.equal(moved.measurements.find((x) => x.trackingUID === m.trackingUID)!.inReport, false);
    await assert.rejects(service.saveMeasurement(study, { ...input, inReport: 'no' as unknown as boolean }), (e) => code(e) === 'measurements.badInput');
    await service.saveMeasurement(study, { ...input, inReport: true });
    assert.deepEqual(draftMeasurementsFromStore(store, study).map((g) => g.trackingUID), before.map((g) => g.trackingUID));
  });

  test('a study without measurements has nothing to export', async () => {
    // Undo everything there is, then export.
    let list = await service.listMeasurements(study);
    while (list.canUndo) list = await service.undo(study);
    assert.equal(list.measurements.length, 0);
    await assert.rejects(service.exportMeasurementReport(study), (e) => code(e) === 'measurements.nothingToExport');
  });
});
