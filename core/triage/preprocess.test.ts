// The model's input must be what training saw: a 256x256 image passes through untouched, shrinking
// averages (no aliasing), any aspect ratio is stretched to the square, normalisation is exact.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toInputTensor } from './preprocess.js';

const norm = { mean: 0.5, std: 0.25 };
const image = (width: number, height: number, f: (x: number, y: number) => number) => {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { width, height, data, notes: [] };
};

describe('triage preprocessing', () => {
  it('leaves a 256x256 image unchanged apart from the normalisation', () => {
    const img = image(256, 256, (x, y) => ((x * 7 + y * 13) % 256) / 255);
    const t = toInputTensor(img, 256, norm);
    for (let i = 0; i < t.length; i++) assert.equal(t[i], Math.fround((img.data[i] - 0.5) / 0.25));
  });

  it('filters when shrinking, so a pixel-fine checkerboard becomes flat grey (no aliasing)', () => {
    const t = toInputTensor(image(512, 512, (x, y) => ((x + y) % 2 ? 1 : 0)), 256, norm);
    for (let y = 1; y < 255; y++) for (let x = 1; x < 255; x++) assert.ok(Math.abs(t[y * 256 + x]) < 1e-6, `${x},${y}: ${t[y * 256 + x]}`);
    // At the border the filter is cut off and renormalised: still grey, within a few per cent.
    for (const v of t) assert.ok(Math.abs(v) < 0.2, String(v));
  });

  it('stretches any aspect ratio to the square and keeps flat regions flat', () => {
    const t = toInputTensor(image(300, 180, (x) => (x < 150 ? 0.2 : 0.8)), 256, norm);
    assert.equal(t.length, 256 * 256);
    assert.ok(Math.abs(t[0] - (0.2 - 0.5) / 0.25) < 1e-6);
    assert.ok(Math.abs(t[255 * 256 + 255] - (0.8 - 0.5) / 0.25) < 1e-6);
    // The edge stays at the middle column: left half dark, right half bright.
    assert.ok(t[100 * 256 + 120] < 0 && t[100 * 256 + 136] > 0);
  });

  it('enlarges small images smoothly (bilinear), without overshoot', () => {
    const t = toInputTensor(image(64, 64, (x) => x / 63), 256, norm);
    let prev = -Infinity;
    for (let x = 0; x < 256; x++) {
      const v = t[128 * 256 + x];
      assert.ok(v >= prev - 1e-6);
      assert.ok(v >= -2 - 1e-6 && v <= 2 + 1e-6);
      prev = v;
    }
  });

  it('averages detector-sized images in blocks first, with the same result on flat and smooth content', () => {
    const flat = toInputTensor(image(2048, 2500, () => 0.3), 256, norm);
    for (const v of flat) assert.ok(Math.abs(v - (0.3 - 0.5) / 0.25) < 1e-5);
    const checker = toInputTensor(image(2048, 2048, (x, y) => ((x + y) % 2 ? 1 : 0)), 256, norm);
    for (const v of checker) assert.ok(Math.abs(v) < 1e-5, String(v));
    // A linear ramp stays linear (any symmetric normalised filter keeps it) away from the borders:
    // output column x is the source value at its centre, (x + 0.5) * 8 - 0.5.
    const ramp = toInputTensor(image(2048, 1024, (x) => x / 2047), 256, norm);
    for (let x = 2; x < 254; x++) {
      const expected = (((x + 0.5) * 8 - 0.5) / 2047 - 0.5) / 0.25;
      assert.ok(Math.abs(ramp[100 * 256 + x] - expected) < 1e-4, `${x}: ${ramp[100 * 256 + x]} vs ${expected}`);
    }
  });
});

