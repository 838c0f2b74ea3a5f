// Geometry and statistics of measurements: exact values on small synthetic frames (where the
// answer can be worked out by hand), then on a real head CT slice decoded by core/imaging, where
// air must read about -1000 HU and brain parenchyma 20–45 HU.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeImageFrame } from '../imaging/decode.js';
import { shared } from '../../test/shared-data.js';
import { angleAt, framePixels, lengthOf, measure, probeValue, regionArea, regionStats, type FramePixels } from './compute.js';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';

function synthetic(rows: number, columns: number, value: (c: number, r: number) => number, extra: Partial<FramePixels['pixelModule']> = {}): FramePixels {
  const values = new Int16Array(rows * columns);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) values[r * columns + c] = value(c, r);
  return {
    pixelModule: { Rows: rows, Columns: columns, RescaleSlope: 1, RescaleIntercept: 0, PixelSpacing: [0.5, 0.25], SOPClassUID: MR, ...extra },
    values,
  };
}

describe('measurement geometry', () => {
  test('length uses row spacing for rows and column spacing for columns', () => {
    const m = synthetic(4, 4, () => 0).pixelModule; // rows 0.5 mm, columns 0.25 mm
    assert.deepEqual(lengthOf({ x: 0, y: 0 }, { x: 40, y: 0 }, m), { quantity: 'length', value: 10, unit: 'mm' });
    assert.deepEqual(lengthOf({ x: 0, y: 0 }, { x: 0, y: 20 }, m), { quantity: 'length', value: 10, unit: 'mm' });
    assert.equal(lengthOf({ x: 0, y: 0 }, { x: 12, y: 0 }, m).value, 3);
    const noSpacing = { ...m, PixelSpacing: undefined };
    assert.deepEqual(lengthOf({ x: 0, y: 0 }, { x: 3, y: 4 }, noSpacing), { quantity: 'length', value: 5, unit: 'px' });
  });

  test('angles are measured in physical space, vertex in the middle', () => {
    const iso = { ...synthetic(1, 1, () => 0).pixelModule, PixelSpacing: [1, 1] as [number, number] };
    assert.ok(Math.abs(angleAt({ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 0, y: 10 }, iso).value - 90) < 1e-9);
    assert.ok(Math.abs(angleAt({ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 10, y: 10 }, iso).value - 45) < 1e-9);
    assert.ok(Math.abs(angleAt({ x: 10, y: 0 }, { x: 0, y: 0 }, { x: -10, y: 0 }, iso).value - 180) < 1e-9);
    // With columns half as wide as rows are tall, 10 columns and 5 rows span the same distance: 45°.
    const aniso = { ...iso, PixelSpacing: [0.5, 1] as [number, number] };
    assert.ok(Math.abs(angleAt({ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 10, y: 20 }, aniso).value - 45) < 1e-9);
  });

  test('a rectangle counts the pixels whose centres it holds; stats are on modality values', () => {
    // Pixel value = column index; slope 2, intercept -10.
    const f = synthetic(10, 10, (c) => c, { RescaleSlope: 2, RescaleIntercept: -10 });
    const s = regionStats({ x: 2, y: 3 }, { x: 5, y: 5 }, f, false)!; // columns 2,3,4 x rows 3,4
    assert.equal(s.count, 6);
    assert.equal(s.min, 2 * 2 - 10);
    assert.equal(s.max, 4 * 2 - 10);
    assert.equal(s.mean, 3 * 2 - 10);
    assert.ok(Math.abs(s.stdDev - 2 * Math.sqrt(2 / 3)) < 1e-12);
    // Corners given in any order give the same region.
    assert.deepEqual(regionStats({ x: 5, y: 5 }, { x: 2, y: 3 }, f, false), s);
    assert.deepEqual(regionArea({ x: 2, y: 3 }, { x: 5, y: 5 }, f.pixelModule, false), { quantity: 'area', value: 3 * 0.25 * 2 * 0.5, unit: 'mm2' });
  });

  test('an ellipse holds about π/4 of its box and its area is πab', () => {
    const f = synthetic(200, 200, () => 7);
    const box = regionStats({ x: 0, y: 0 }, { x: 200, y: 200 }, f, false)!;
    const ell = regionStats({ x: 0, y: 0 }, { x: 200, y: 200 }, f, true)!;
    assert.equal(box.count, 40_000);
    assert.ok(Math.abs(ell.count / box.count - Math.PI / 4) < 0.005, `${ell.count}`);
    assert.equal(ell.mean, 7);
    assert.equal(ell.stdDev, 0);
    const area = regionArea({ x: 0, y: 0 }, { x: 200, y: 200 }, f.pixelModule, true);
    assert.ok(Math.abs(area.value - Math.PI * 25 * 50) < 1e-9); // semi-axes 25 mm (columns) and 50 mm (rows)
  });

  test('a region outside the image has no statistics; a probe outside it no value', () => {
    const f = synthetic(10, 10, () => 1);
    assert.equal(regionStats({ x: 20, y: 20 }, { x: 30, y: 30 }, f, false), undefined);
    assert.equal(probeValue({ x: -1, y: 3 }, f), undefined);
    assert.deepEqual(probeValue({ x: 3.9, y: 2.1 }, f), { quantity: 'value', value: 1, unit: '1' });
  });
});

describe('measurements on a real head CT slice (dcm_qa_ct GE, slice 15)', async () => {
  const dir = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
  const file = join(dir, readdirSync(dir).sort()[14]!);
  const frame = framePixels(await decodeImageFrame(readFileSync(file), 0));

  test('the slice is what the test assumes: 512x512 CT, 0.488 mm pixels', () => {
    const m = frame.pixelModule;
    assert.equal(m.Rows, 512);
    assert.equal(m.Columns, 512);
    assert.equal(m.SOPClassUID, CT);
    assert.ok(Math.abs(m.PixelSpacing![0] - 0.4882812) < 1e-6);
  });

  test('air in front of the head reads about -1000 HU', () => {
    const v = measure('EllipticalRoi', [{ x: 236, y: 20 }, { x: 276, y: 40 }], frame);
    const mean = v.find((x) => x.quantity === 'mean')!;
    assert.equal(mean.unit, 'HU');
    assert.ok(Math.abs(mean.value + 1000) < 30, `air mean ${mean.value}`);
    const sd = v.find((x) => x.quantity === 'stdDev')!;
    assert.ok(sd.value < 20, `air is uniform (SD ${sd.value})`);
    const area = v.find((x) => x.quantity === 'area')!;
    assert.equal(area.unit, 'mm2');
    assert.ok(Math.abs(area.value - (Math.PI * 40 * 20 * 0.4882812 ** 2) / 4) < 1e-6);
  });

  test('brain parenchyma reads 20–45 HU, and the bone of the skull far more', () => {
    const brain = measure('RectangleRoi', [{ x: 180, y: 200 }, { x: 200, y: 220 }], frame);
    const mean = brain.find((x) => x.quantity === 'mean')!.value;
    assert.ok(mean > 20 && mean < 45, `brain mean ${mean}`);
    assert.deepEqual(brain.map((x) => x.quantity), ['area', 'mean', 'stdDev', 'min', 'max']);
    // Scan a horizontal line through the head for the skull: its densest pixel is bone (> 300 HU).
    let maxHu = -Infinity;
    for (let x = 100; x < 412; x++) maxHu = Math.max(maxHu, probeValue({ x: x + 0.5, y: 256.5 }, frame)!.value);
    assert.ok(maxHu > 300, `skull ${maxHu}`);
  });

  test('a length across the field of view is in millimetres from Pixel Spacing', () => {
    const [len] = measure('Length', [{ x: 0, y: 256 }, { x: 512, y: 256 }], frame);
    assert.equal(len!.unit, 'mm');
    assert.ok(Math.abs(len!.value - 512 * 0.4882812) < 1e-9); // a 250 mm field of view
  });
});
