// The viewer's pure rules, in plain Node: stack order, image IDs and orientation markers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { InstanceSummary } from '../core/contract/studies.js';
import { imageIdOf, parseImageId } from '../renderer/viewer/image-id.js';
import { orientationMarkers } from '../renderer/viewer/orientation.js';
import { CT_PRESETS } from '../renderer/viewer/presets.js';
import { buildImageIds } from '../renderer/viewer/stack.js';

function instance(uid: string, n: number | null, frames: number | null = null, rows: number | null = 512): InstanceSummary {
  return { SOPInstanceUID: uid, SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', SeriesInstanceUID: '1.2', InstanceNumber: n, TransferSyntaxUID: '1.2.840.10008.1.2.1', Rows: rows, Columns: rows, NumberOfFrames: frames };
}

describe('stack', () => {
  test('instances by Instance Number, frames expanded, non-images left out', () => {
    const ids = buildImageIds([instance('1.3', 10), instance('1.1', 2, 3), instance('1.9', null), instance('1.5', 2), instance('1.7', 1, null, null)]);
    assert.deepEqual(ids, [
      imageIdOf('1.1', 0), imageIdOf('1.1', 1), imageIdOf('1.1', 2),
      imageIdOf('1.5', 0), imageIdOf('1.3', 0), imageIdOf('1.9', 0),
    ]);
  });

  test('image IDs round-trip', () => {
    assert.deepEqual(parseImageId(imageIdOf('1.2.840.99', 7)), { SOPInstanceUID: '1.2.840.99', frame: 7 });
  });
});

describe('orientation markers', () => {
  const axial = [1, 0, 0, 0, 1, 0];
  test('an axial slice shows the patient right on the screen left, anterior at the top', () => {
    assert.deepEqual(orientationMarkers(axial, 0, false, false), { left: 'R', right: 'L', top: 'A', bottom: 'P' });
  });
  test('a quarter turn clockwise moves anterior to the right', () => {
    assert.deepEqual(orientationMarkers(axial, 90, false, false), { left: 'P', right: 'A', top: 'R', bottom: 'L' });
  });
  test('a horizontal flip swaps left and right; a coronal slice has head at the top', () => {
    assert.deepEqual(orientationMarkers(axial, 0, true, false), { left: 'L', right: 'R', top: 'A', bottom: 'P' });
    assert.deepEqual(orientationMarkers([1, 0, 0, 0, 0, -1], 0, false, false), { left: 'R', right: 'L', top: 'H', bottom: 'F' });
  });
  test('a tilted slice names both directions, strongest first', () => {
    const c = Math.cos(0.4);
    const s = Math.sin(0.4);
    assert.equal(orientationMarkers([1, 0, 0, 0, c, -s], 0, false, false).bottom, 'PF');
  });
});

test('the eight CT presets, each with a positive width', () => {
  assert.deepEqual(CT_PRESETS.map((p) => p.id), ['brain', 'subdural', 'stroke', 'lung', 'mediastinum', 'abdomen', 'liver', 'bone']);
  for (const p of CT_PRESETS) assert.ok(p.windowWidth > 0);
});
