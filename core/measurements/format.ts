// The one rounding rule for measured values, by unit, and the locale's way of writing the rounded
// number. The viewer's on-image labels, its measurement list, the report editor and the report PDF
// all print a value through this file, so a measurement reads the same number everywhere; the SR
// keeps the full value as a number (NUM items), only the text it shows goes through here.
// Plain functions with no Node imports: the renderer uses them as they are.
import type { MeasuredUnit } from '../contract/measurements.js';

/** Digits after the decimal point, per unit: 0.1 mm, 0.1 mm², 0.1°, 0.1 HU; whole px². */
export const FRACTION_DIGITS: Readonly<Record<MeasuredUnit, number>> = { mm: 1, mm2: 1, deg: 1, HU: 1, '1': 1, px: 1, px2: 0 };

/**
 * The value as it is shown: rounded half away from zero to its unit's digits (toFixed's rule on
 * the stored double), and never a negative zero.
 */
export function roundMeasured(value: number, unit: MeasuredUnit): number {
  if (!Number.isFinite(value)) return value;
  const r = Number(value.toFixed(FRACTION_DIGITS[unit]));
  return r === 0 ? 0 : r;
}

const formats = new Map<string, Intl.NumberFormat>();

/**
 * The rounded value in the locale's digits and decimal sign, always with its unit's digits
 * ("52.0", "52,0"), without grouping, so that a number copied from the screen or the PDF reads back.
 */
export function formatMeasuredNumber(value: number, unit: MeasuredUnit, locale: string): string {
  const digits = FRACTION_DIGITS[unit];
  const key = `${locale}|${digits}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false });
    formats.set(key, f);
  }
  return f.format(roundMeasured(value, unit));
}
