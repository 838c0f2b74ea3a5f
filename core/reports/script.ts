// Which language a piece of free text is written in, judged by its script, so that a report never
// says "written in English" of Russian text: Han characters are Chinese, Cyrillic is Russian, Latin
// is English (the three languages Amur reports in). What every language's text carries alike does
// not count: digits, punctuation, measurement units (mm, HU, cm³), DICOM and ICD codes (J18.9,
// 121071), and upper-case abbreviations (CT, MRI, FLAIR, T2WI), which Chinese and Russian reports
// write in Latin letters too.
import type { ReportLanguage } from '../contract/reports.js';

export type Script = 'Han' | 'Cyrillic' | 'Latin';

export const SCRIPT_LANGUAGE: Record<Script, ReportLanguage> = { Han: 'zh-CN', Cyrillic: 'ru', Latin: 'en' };
export const LANGUAGE_SCRIPT: Record<ReportLanguage, Script> = { 'zh-CN': 'Han', ru: 'Cyrillic', en: 'Latin' };

/** Units written in Latin letters whatever the language (UCUM and common usage). */
const UNITS = new Set([
  'mm', 'cm', 'm', 'um', 'µm', 'μm', 'ml', 'mL', 'cc', 'l', 'mg', 'g', 'kg', 'mSv', 'Sv', 'mGy', 'Gy', 's', 'ms', 'min', 'h',
  'Hz', 'kHz', 'MHz', 'kV', 'kVp', 'mA', 'mAs', 'HU', 'mmHg', 'Bq', 'MBq', 'T', 'mT', 'bpm', 'x', 'cm2', 'mm2', 'cm3', 'mm3',
]);

/** A Han character weighs as much as a few letters: a Chinese word is one or two characters, an English one five letters. */
const HAN_WEIGHT = 3;
/** Below this weight of letters a text is too short to judge ("ok", "N/A", "23 mm"). */
const MIN_WEIGHT = 3;

export interface ScriptCount {
  Han: number;
  Cyrillic: number;
  Latin: number;
  /** Han weighted by HAN_WEIGHT, plus the letters of the other two. */
  total: number;
}

/** A Latin or Cyrillic word that every language writes alike, so that it says nothing about the language. */
function isNeutralWord(w: string): boolean {
  if (/\p{N}/u.test(w)) return true; // J18.9, T2, 3D, S2010, 23mm
  if (UNITS.has(w)) return true;
  // Abbreviations: CT, MRI, FLAIR, DWI, ADC, PA (Latin capitals, up to six letters).
  if (/^\p{Script=Latin}{1,6}$/u.test(w) && w === w.toUpperCase() && w !== w.toLowerCase()) return true;
  return false;
}

/** The letters of each script in `text`, leaving out what every language writes alike. */
export function countScripts(text: string): ScriptCount {
  const c: ScriptCount = { Han: 0, Cyrillic: 0, Latin: 0, total: 0 };
  for (const ch of text) if (/\p{Script=Han}/u.test(ch)) c.Han++;
  // Words: runs of letters, marks and digits (with the superscripts of mm² and cm³), whatever the script.
  for (const m of text.matchAll(/[\p{Script=Latin}\p{Script=Cyrillic}\p{M}\p{N}µμ²³]+/gu)) {
    const w = m[0].replace(/[²³]/g, (d) => (d === '²' ? '2' : '3'));
    if (isNeutralWord(w)) continue;
    for (const ch of w) {
      if (/\p{Script=Cyrillic}/u.test(ch)) c.Cyrillic++;
      else if (/\p{Script=Latin}/u.test(ch)) c.Latin++;
    }
  }
  c.total = c.Han * HAN_WEIGHT + c.Cyrillic + c.Latin;
  return c;
}

function weight(c: ScriptCount, s: Script): number {
  return s === 'Han' ? c.Han * HAN_WEIGHT : c[s];
}

/**
 * The language `text` is written in: that of the script holding most of its letters (more than
 * half). Undefined when the text is too short to tell or no script holds half of it.
 */
export function detectLanguage(text: string): ReportLanguage | undefined {
  const c = countScripts(text);
  if (c.total < MIN_WEIGHT) return undefined;
  const best = (Object.keys(SCRIPT_LANGUAGE) as Script[]).reduce((a, b) => (weight(c, b) > weight(c, a) ? b : a));
  return weight(c, best) * 2 > c.total ? SCRIPT_LANGUAGE[best] : undefined;
}

/**
 * Whether `text` contradicts the language it is tagged with: most of its letters are of another
 * script. Returns the language it is written in (or, for an even mix, the script with most letters),
 * undefined when the tag fits or the text is too short to judge.
 */
export function languageMismatch(text: string, tagged: ReportLanguage): ReportLanguage | undefined {
  const c = countScripts(text);
  if (c.total < MIN_WEIGHT) return undefined;
  if (weight(c, LANGUAGE_SCRIPT[tagged]) * 2 >= c.total) return undefined;
  const best = (Object.keys(SCRIPT_LANGUAGE) as Script[]).reduce((a, b) => (weight(c, b) > weight(c, a) ? b : a));
  return SCRIPT_LANGUAGE[best];
}
