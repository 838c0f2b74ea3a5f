// A measured value as the radiologist reads it: the number by the one rounding rule of
// core/measurements/format.ts (the PDF uses it too), the unit in the user's language.
import type { TFunction } from 'i18next';
import type { MeasuredValue } from '../../../core/contract/measurements';
import { formatMeasuredNumber } from '../../../core/measurements/format';

export function unitText(unit: MeasuredValue['unit'], t: TFunction): string {
  return t(`ui.measure.unit.${unit === '1' ? 'none' : unit}`);
}

export function formatValue(v: MeasuredValue, t: TFunction, locale: string): string {
  return t(`ui.measure.value.${v.quantity}`, { value: formatMeasuredNumber(v.value, v.unit, locale), unit: unitText(v.unit, t) }).trim();
}

/** All of a measurement's values on one line, as the list and the on-image label show them. */
export function formatValues(values: readonly MeasuredValue[], t: TFunction, locale: string): string {
  return values.map((v) => formatValue(v, t, locale)).join('; ');
}
