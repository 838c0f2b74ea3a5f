// The patient's age as a worklist shows it: PatientAge (AS) as the study states it, else counted from
// PatientBirthDate to StudyDate, in the unit a radiologist reads an age in (days for a newborn,
// months below two years, years after). Pure, so the UI and the CLI word the same age.
import { ageStringYears, parseDicomDate, parsePatientAge, yearsBetween } from '../triage/age.js';

export type AgeUnit = 'day' | 'week' | 'month' | 'year';

export interface StudyAge {
  value: number;
  unit: AgeUnit;
  /** Exact years, for sorting. */
  years: number;
  /** 'PatientAge' when the files state it, 'PatientBirthDate' when it was counted. */
  from: 'PatientAge' | 'PatientBirthDate';
}

const AS_UNITS = { D: 'day', W: 'week', M: 'month', Y: 'year' } as const satisfies Record<string, AgeUnit>;

/** The age, or undefined when neither source gives one that can be read (nothing is guessed). */
export function studyAge(s: { PatientAge?: string; PatientBirthDate: string; StudyDate: string }): StudyAge | undefined {
  const as = parsePatientAge(s.PatientAge);
  if (as) return { value: as.count, unit: AS_UNITS[as.unit], years: ageStringYears(as), from: 'PatientAge' };
  const birth = parseDicomDate(s.PatientBirthDate);
  const at = parseDicomDate(s.StudyDate);
  if (!birth || !at) return undefined;
  const years = yearsBetween(birth, at);
  if (years < 0) return undefined;
  const days = Math.floor((Date.UTC(at.year, at.month - 1, at.day) - Date.UTC(birth.year, birth.month - 1, birth.day)) / 86_400_000);
  if (years < 1 / 12 && days < 31) return { value: days, unit: 'day', years, from: 'PatientBirthDate' };
  // Whole calendar months (a month is reached on its day of the month), not years × 12.
  const months = (at.year - birth.year) * 12 + (at.month - birth.month) - (at.day < birth.day ? 1 : 0);
  if (years < 2) return { value: months, unit: 'month', years, from: 'PatientBirthDate' };
  return { value: Math.floor(years), unit: 'year', years, from: 'PatientBirthDate' };
}

/**
 * The age in the reader's language ("45 y", "45 лет", "45岁"; studies.age.<unit> in assets/i18n, with
 * plural forms), or '' when it is not known. `t` is the caller's translator (i18next in both shells).
 */
export function formatStudyAge(age: StudyAge | undefined, t: (key: string, params: Record<string, unknown>) => string): string {
  return age ? t(`studies.age.${age.unit}`, { count: age.value }) : '';
}
