// A measured value as the radiologist reads it: the locale's digits and the unit in their language.
import type { TFunction } from 'i18next';
import type { MeasuredValue } from '../../../core/contract/measurements';

const DIGITS: Record<MeasuredValue['unit'], number> = { mm: 1, mm2: 1, deg: 1, HU: 1, '1': 1, px: 1, px2: 0 };

export function formatValue(v: MeasuredValue, t: TFunction, locale: string): string {
  const n = new Intl.NumberFormat(locale, { maximumFractionDigits: DIGITS[v.unit], minimumFractionDigits: v.unit === 'px2' ? 0 : 1 }).format(v.value);
  return t(`ui.measure.value.${v.quantity}`, { value: n, unit: t(`ui.measure.unit.${v.unit === '1' ? 'none' : v.unit}`) });
}
