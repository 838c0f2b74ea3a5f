// The scale bar's length (renderer/viewer/scale-bar.ts): round millimetres, at most a quarter of
// the viewport, the spacing of the screen's horizontal (columns, or rows when turned a quarter).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scaleBar } from '../../renderer/viewer/scale-bar.js';

test('a round length at most a quarter of the width, as many pixels as millimetres × zoom ÷ spacing', () => {
  // 0.5 mm pixels at zoom 1: 2 px per mm; a quarter of 400 px is 100 px, so 50 mm (100 px).
  assert.deepEqual(scaleBar({ PixelSpacing: [0.5, 0.5] }, { scale: 1, rotation: 0 }, 400), { mm: 50, px: 100, spacing: 0.5 });
  // Zoomed in twice: 4 px per mm, 20 mm is 80 px (50 mm would be 200).
  assert.deepEqual(scaleBar({ PixelSpacing: [0.5, 0.5] }, { scale: 2, rotation: 0 }, 400), { mm: 20, px: 80, spacing: 0.5 });
});

test('turned by a quarter, the row spacing runs along the screen', () => {
  const m = { PixelSpacing: [2, 0.5] as [number, number] };
  assert.equal(scaleBar(m, { scale: 1, rotation: 0 }, 400)?.spacing, 0.5);
  assert.equal(scaleBar(m, { scale: 1, rotation: 90 }, 400)?.spacing, 2);
  assert.equal(scaleBar(m, { scale: 1, rotation: 270 }, 400)?.spacing, 2);
  assert.equal(scaleBar(m, { scale: 1, rotation: 180 }, 400)?.spacing, 0.5);
});

test('no bar without spacing, zoom or room', () => {
  assert.equal(scaleBar({}, { scale: 1, rotation: 0 }, 400), undefined);
  assert.equal(scaleBar({ PixelSpacing: [0, 0] }, { scale: 1, rotation: 0 }, 400), undefined);
  assert.equal(scaleBar({ PixelSpacing: [1, 1] }, { scale: 0, rotation: 0 }, 400), undefined);
  assert.equal(scaleBar({ PixelSpacing: [1, 1] }, { scale: 1, rotation: 0 }, 2), undefined, 'not even 1 mm fits');
});
