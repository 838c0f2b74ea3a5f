// Locale-aware display of DICOM dates (DA, YYYYMMDD), times (TM, HHMMSS.FFFFFF) and counts.
// DICOM dates carry no time zone: they are formatted as calendar dates (in UTC), never shifted.

export function dicomDateToUTC(da: string, tm = ''): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  if (!m) return undefined;
  const t = /^(\d{2})(\d{2})?(\d{2})?/.exec(tm.trim());
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], t ? +t[1] : 0, t?.[2] ? +t[2] : 0, t?.[3] ? +t[3] : 0));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function formatStudyDate(da: string, tm: string, locale: string): string {
  const d = dicomDateToUTC(da, tm);
  if (!d) return '';
  const hasTime = /^\d{2}/.test(tm.trim());
  return new Intl.DateTimeFormat(locale, {
    timeZone: 'UTC',
    dateStyle: 'medium',
    ...(hasTime ? { timeStyle: 'short' } : {}),
  }).format(d);
}

export function formatNumber(n: number, locale: string): string {
  return new Intl.NumberFormat(locale).format(n);
}
