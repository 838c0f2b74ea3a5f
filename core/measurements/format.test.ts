// The rounding rule and the written number: one digit for mm, mm², degrees and HU, none for px²;
// halves away from zero; the locale's decimal sign; no grouping and no negative zero.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { measure } from './compute.js';
import { FRACTION_DIGITS, formatMeasuredNumber, roundMeasured } from './format.js';

describe('measured value formatting', () => {
  test('rounds to the unit\'s digits, halves away from zero', () => {
    assert.equal(roundMeasured(52.9974, 'mm'), 53);
    assert.equal(roundMeasured(364.02, 'mm2'), 364);
    assert.equal(roundMeasured(370.25, 'mm2'), 370.3);
    assert.equal(roundMeasured(-2.25, 'HU'), -2.3);
    assert.equal(roundMeasured(2.25, 'HU'), 2.3);
    assert.equal(roundMeasured(1234.5, 'px2'), 1235);
    assert.equal(roundMeasured(89.96, 'deg'), 90);
    assert.ok(Object.is(roundMeasured(-0.04, 'HU'), 0), 'no negative zero');
  });

  test('writes the rounded number with the unit\'s digits in the locale', () => {
    assert.equal(formatMeasuredNumber(52.9974, 'mm', 'en'), '53.0');
    assert.equal(formatMeasuredNumber(52.9974, 'mm', 'ru'), '53,0');
    assert.equal(formatMeasuredNumber(52.9974, 'mm', 'zh-CN'), '53.0');
    assert.equal(formatMeasuredNumber(-1000, 'HU', 'en'), '-1000.0');
    assert.equal(formatMeasuredNumber(12345.67, 'mm2', 'en'), '12345.7');
    assert.equal(formatMeasuredNumber(12345.67, 'px2', 'ru'), '12346');
    assert.equal(formatMeasuredNumber(-0.01, 'mm', 'en'), '0.0');
  });

  test('the written number and the rounded value agree for every unit', () => {
    for (const unit of Object.keys(FRACTION_DIGITS) as (keyof typeof FRACTION_DIGITS)[]) {
      for (const v of [0.05, 1.15, 2.675, 364.0249, 370.449, -17.35]) {
        assert.equal(Number(formatMeasuredNumber(v, unit, 'en')), roundMeasured(v, unit), `${v} ${unit}`);
      }
    }
  });

  test('an ellipse on a CT\'s pixel spacing: the computed area is the analytic one, and it is written once, one way', () => {
    // 40 x 20 pixels at 0.4882812 mm (the GE head CT of the shared data): semi-axes 9.765624 and 4.882812 mm.
    const ps = 0.4882812;
    const values = new Int16Array(64 * 64).fill(40);
    const [area, mean] = measure('EllipticalRoi', [{ x: 10, y: 20 }, { x: 50, y: 40 }], {
      pixelModule: { Rows: 64, Columns: 64, RescaleSlope: 1, RescaleIntercept: -1024, PixelSpacing: [ps, ps], SOPClassUID: '1.2.840.10008.5.1.4.1.1.2' },
      values,
    });
    const analytic = Math.PI * (20 * ps) * (10 * ps);
    assert.equal(area!.unit, 'mm2');
    assert.ok(Math.abs(area!.value - analytic) < 1e-9, `${area!.value} vs ${analytic}`);
    assert.equal(formatMeasuredNumber(area!.value, area!.unit, 'en'), analytic.toFixed(1));
    assert.equal(formatMeasuredNumber(mean!.value, mean!.unit, 'ru'), '-984,0');
  });
});
