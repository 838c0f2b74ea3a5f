// The age of the patient at an instance, in years, from its own header: what chooses the model
// population whose figures apply (manifest "populations"[].age_years). PatientAge (0010,1010) comes
// first; when it is absent or malformed, PatientBirthDate against the date of the study (StudyDate,
// else ContentDate, SeriesDate, AcquisitionDate). A value that cannot be read is never guessed: the
// caller gets no age, and which attribute was unreadable, so that the reason can name it.

export const AGE_KEYWORDS = ['PatientAge', 'PatientBirthDate', 'StudyDate', 'ContentDate', 'SeriesDate', 'AcquisitionDate'] as const;
export type AgeKeyword = (typeof AGE_KEYWORDS)[number];
export type AgeAttributes = Partial<Record<AgeKeyword, string>>;

/** The dates an age from PatientBirthDate is counted to, in order of preference. */
const REFERENCE_DATES = ['StudyDate', 'ContentDate', 'SeriesDate', 'AcquisitionDate'] as const;

export type AgeResult =
  /** `years` is exact (fractional); `from` names the attributes it came from, for a reason to name. */
  | { known: true; years: number; from: { keyword: AgeKeyword; value: string }[] }
  /** `unreadable` names the first attribute that was there but could not be read. */
  | { known: false; unreadable?: { keyword: AgeKeyword; value: string } };

/** An Age String as it was written: its number and unit (days, weeks, months, years). */
export interface AgeString {
  count: number;
  unit: 'D' | 'W' | 'M' | 'Y';
}

/**
 * An Age String (PS3.5 6.2, VR AS): exactly three digits and D, W, M or Y ("045Y", "018M").
 * Anything else ("45Y", "12", "005X", lower case) is malformed: undefined.
 */
export function parsePatientAge(value: string | undefined): AgeString | undefined {
  const m = /^(\d{3})([DWMY])$/.exec((value ?? '').trim());
  return m ? { count: Number(m[1]), unit: m[2] as AgeString['unit'] } : undefined;
}

/** An Age String in years: days are counted as 1/365.25 year, weeks as 7 days, months as 1/12 year. */
export function ageStringYears(a: AgeString): number {
  switch (a.unit) {
    case 'D': return a.count / 365.25;
    case 'W': return (a.count * 7) / 365.25;
    case 'M': return a.count / 12;
    default: return a.count;
  }
}

/** An Age String's value in years, undefined when it is malformed. */
export function yearsFromPatientAge(value: string | undefined): number | undefined {
  const a = parsePatientAge(value);
  return a ? ageStringYears(a) : undefined;
}

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

/** A DA value (YYYYMMDD, PS3.5 6.2) that is a real calendar date; undefined otherwise ("20261301"). */
export function parseDicomDate(value: string | undefined): CalendarDate | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec((value ?? '').trim());
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 31 April over into 1 May: a date that does not come back unchanged is not one.
  if (year < 1 || d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return { year, month, day };
}

/**
 * The exact age in years on `at` of someone born on `birth`: the birthdays passed (a birthday is
 * reached on its month and day; one born on 29 February reaches it on 1 March in a common year),
 * plus the fraction of the year since the last one. Negative when `at` is before `birth`.
 */
export function yearsBetween(birth: CalendarDate, at: CalendarDate): number {
  const before = (a: CalendarDate, b: CalendarDate) => a.month < b.month || (a.month === b.month && a.day < b.day);
  let whole = at.year - birth.year;
  if (before(at, birth)) whole--;
  if (whole < 0) return (Date.UTC(at.year, at.month - 1, at.day) - Date.UTC(birth.year, birth.month - 1, birth.day)) / (365.25 * 86_400_000);
  const last = Date.UTC(birth.year + whole, birth.month - 1, birth.day);
  const next = Date.UTC(birth.year + whole + 1, birth.month - 1, birth.day);
  const now = Date.UTC(at.year, at.month - 1, at.day);
  return whole + (now - last) / (next - last);
}

/** The patient's age at the instance (see the module's first lines for the order of sources). */
export function instanceAge(attrs: AgeAttributes): AgeResult {
  let unreadable: { keyword: AgeKeyword; value: string } | undefined;
  const present = (k: AgeKeyword) => {
    const v = (attrs[k] ?? '').trim();
    return v === '' ? undefined : v;
  };
  const age = present('PatientAge');
  if (age !== undefined) {
    const years = yearsFromPatientAge(age);
    if (years !== undefined) return { known: true, years, from: [{ keyword: 'PatientAge', value: age }] };
    unreadable = { keyword: 'PatientAge', value: age };
  }
  const birthValue = present('PatientBirthDate');
  if (birthValue === undefined) return unreadable ? { known: false, unreadable } : { known: false };
  const birth = parseDicomDate(birthValue);
  if (!birth) return { known: false, unreadable: unreadable ?? { keyword: 'PatientBirthDate', value: birthValue } };
  // A malformed date of the study counts as absent: the next one in order is taken.
  for (const k of REFERENCE_DATES) {
    const v = present(k);
    if (v === undefined) continue;
    const at = parseDicomDate(v);
    if (!at) {
      unreadable ??= { keyword: k, value: v };
      continue;
    }
    const years = yearsBetween(birth, at);
    // Born after the image was made: one of the two dates is wrong, and nothing says which.
    if (years < 0) return { known: false, unreadable: unreadable ?? { keyword: 'PatientBirthDate', value: birthValue } };
    return { known: true, years, from: [{ keyword: 'PatientBirthDate', value: birthValue }, { keyword: k, value: v }] };
  }
  return unreadable ? { known: false, unreadable } : { known: false };
}
