// Image-plane geometry of the viewer (renderer/viewer/geometry.ts) and the orientation markers of
// projection radiographs (renderer/viewer/orientation.ts): nearest slice by position along the
// normal, reference lines of an axial on a sagittal and coronal, and none between parallel planes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImagePlane } from '../../core/contract/imaging.js';
import { centreOf, linkedSlice, nearestSlice, patientPoint, pixelOf, planeGeometry, referenceLine, samePlane, type PlaneGeometry } from '../../renderer/viewer/geometry.js';
import { orientationMarkers, patientOrientationMarkers } from '../../renderer/viewer/orientation.js';

const FOR = '1.2.3';
const axial = (z: number, extra: Partial<ImagePlane> = {}): PlaneGeometry =>
  planeGeometry({ SOPInstanceUID: '1', frame: 0, FrameOfReferenceUID: FOR, ImagePositionPatient: [-128, -128, z], ImageOrientationPatient: [1, 0, 0, 0, 1, 0], PixelSpacing: [1, 1], Rows: 256, Columns: 256, ...extra })!;
// A sagittal image: rows run posterior (+y), columns run foot-wards (-z); x = 0 is the mid-line.
const sagittal = planeGeometry({ SOPInstanceUID: '2', frame: 0, FrameOfReferenceUID: FOR, ImagePositionPatient: [0, -128, 128], ImageOrientationPatient: [0, 1, 0, 0, 0, -1], PixelSpacing: [2, 2], Rows: 128, Columns: 128 })!;

test('a plane without position, orientation or spacing has no geometry', () => {
  assert.equal(planeGeometry({ SOPInstanceUID: '1', frame: 0, Rows: 2, Columns: 2 }), undefined);
  assert.equal(planeGeometry({ SOPInstanceUID: '1', frame: 0, ImagePositionPatient: [0, 0, 0], ImageOrientationPatient: [1, 0, 0, 1, 0, 0], PixelSpacing: [1, 1], Rows: 2, Columns: 2 }), undefined);
});

test('pixel and patient coordinates are inverse to each other, spacing in the standard order', () => {
  const g = planeGeometry({ SOPInstanceUID: '1', frame: 0, ImagePositionPatient: [10, 20, 30], ImageOrientationPatient: [1, 0, 0, 0, 1, 0], PixelSpacing: [0.5, 2], Rows: 10, Columns: 10 })!;
  // Column index 3 moves 3 × column spacing (2 mm) along the row direction; row index 4 moves 4 × 0.5 mm.
  assert.deepEqual(patientPoint(g, 3, 4), [16, 22, 30]);
  assert.deepEqual(pixelOf(g, [16, 22, 30]), { x: 3, y: 4 });
  assert.deepEqual(g.normal, [0, 0, 1]);
});

test('the nearest slice is found by distance along the normal, whatever the order of the stack', () => {
  const stack = [axial(0), axial(5), axial(10), undefined, axial(-5)];
  assert.equal(nearestSlice(stack, [0, 0, 6.9]), 1);
  assert.equal(nearestSlice(stack, [0, 0, 8]), 2);
  assert.equal(nearestSlice(stack, [50, -40, -4]), 4, 'in-plane offsets do not count');
  assert.equal(nearestSlice(stack, [0, 0, 100], 10), undefined, 'a point beyond the series is not matched');
  assert.equal(nearestSlice([undefined], [0, 0, 0]), undefined);
});

test('an axial slice cuts a sagittal image along a horizontal line at its height', () => {
  const line = referenceLine(axial(28), sagittal)!;
  // z = 28 on the sagittal: 128 - 2·y = 28, so y = 50; the line crosses the image from side to side.
  assert.ok(Math.abs(line.y1 - 50) < 1e-9 && Math.abs(line.y2 - 50) < 1e-9, JSON.stringify(line));
  assert.deepEqual([line.x1, line.x2], [-0.5, 127.5]);
  // And the sagittal cuts the axial along the mid-line column x = 128.
  const back = referenceLine(sagittal, axial(28))!;
  assert.ok(Math.abs(back.x1 - 128) < 1e-9 && Math.abs(back.x2 - 128) < 1e-9, JSON.stringify(back));
});

test('no reference line between parallel planes, other frames of reference, or outside the image', () => {
  assert.equal(referenceLine(axial(0), axial(5)), undefined);
  assert.equal(referenceLine(axial(0, { FrameOfReferenceUID: '9.9' }), sagittal), undefined);
  assert.equal(referenceLine(axial(500), sagittal), undefined, 'z = 500 lies above the sagittal image');
});

test('centre of an image', () => {
  assert.deepEqual(centreOf(axial(3)), [-0.5, -0.5, 3]);
});

test('Patient Orientation gives the markers of a radiograph and follows flips and rotation', () => {
  // A PA chest: rows toward the patient's left (L), columns toward the feet (F).
  const m = patientOrientationMarkers(['L', 'F'], 0, false, false);
  assert.deepEqual(m, { right: 'L', left: 'R', bottom: 'F', top: 'H' });
  assert.deepEqual(patientOrientationMarkers(['L', 'F'], 0, true, false), { right: 'R', left: 'L', bottom: 'F', top: 'H' });
  assert.deepEqual(patientOrientationMarkers(['L', 'F'], 90, false, false), { right: 'H', left: 'F', bottom: 'L', top: 'R' });
  // Oblique letters keep their order, strongest first.
  assert.deepEqual(patientOrientationMarkers(['AL', 'F'], 0, false, false).right, 'AL');
  // The same as Image Orientation (Patient) would give for the same directions.
  assert.deepEqual(patientOrientationMarkers(['P', 'F'], 0, false, false), orientationMarkers([0, 1, 0, 0, 0, -1], 0, false, false));
});

test('the same plane is recognised, another slice is not', () => {
  assert.ok(samePlane(axial(5), axial(5)));
  assert.ok(!samePlane(axial(5), axial(6)));
  assert.ok(!samePlane(axial(5), undefined));
  assert.ok(samePlane(undefined, undefined));
});

test('linked scrolling follows only slices of the same frame of reference and orientation, near enough', () => {
  const copy = [axial(10), axial(5), axial(0)];
  assert.equal(linkedSlice(axial(4.9), copy), 1, 'by position, whatever the order');
  assert.equal(linkedSlice(axial(4.9, { FrameOfReferenceUID: '7.7' }), copy), undefined, 'another patient space');
  assert.equal(linkedSlice(axial(4.9, { FrameOfReferenceUID: undefined }), copy), undefined, 'no frame of reference');
  assert.equal(linkedSlice(sagittal, copy), undefined, 'another orientation is not scrolled along');
  assert.equal(linkedSlice(axial(40), copy), undefined, 'beyond the series');
});
