// Clean output from unclean input: every value an Amur writer puts into a DICOM object (the SR, the
// Encapsulated PDF, the TID 1500 measurement report, the de-identified and re-identified objects)
// passes through here, so that no defect of a source object is copied forward. One mechanism for
// all writers, applied to the data set in dcmjs's dictionary form just before it is written.
//
// What it does, per value (PS3.5 6.2, Table 6.2-1):
// - padding: NUL bytes (0x00) at either end are removed (older scanners pad with NUL instead of
//   space; noted as a correction), trailing spaces always, leading spaces where the VR says they
//   are insignificant (AE AS CS DA DS DT IS LO SH TM UI);
// - the value is checked against its VR: character repertoire (CS: A-Z 0-9 space _; no control
//   characters outside ST/LT/UT), length (AE/CS/SH 16, LO/PN group 64, ST 1024, LT 10240, UI 64,
//   DS 16, IS 12 ...), syntax (DA, TM, DT with real calendar/clock values, IS within 32 bits, DS
//   as a decimal number, AS nnnD/W/M/Y, UI digits and dots without leading zeros, PN at most three
//   groups of five components), and, for the attributes with enumerated values that writers copy
//   (Patient's Sex M/F/O, Laterality R/L, ...), against the enumeration;
// - a value that fails is dropped (the attribute is written empty, Type 2 style); only obvious,
//   unambiguous fixes are made instead: lower case in CS/AS upper-cased when that gives a valid
//   (and enumerated) value ('m' -> 'M'); the retired ACR-NEMA forms YYYY.MM.DD (DA) and HH:MM:SS
//   (TM) written without the separators; a DS longer than 16 characters rounded to 16. Nothing
//   else is guessed: 'MALE' is not M, '1,5' is not 1.5 (nor 15, as dcmjs would read it);
// - each correction and drop is reported as a CleanNote naming the tag, keyword, VR and reason,
//   never the value (no patient data in logs); writers log the notes through `logCleanNotes`;
// - when a Type 1 attribute (the identifying UIDs, Modality, Photometric Interpretation: see
//   TYPE1) would become empty, the object is refused with `dicom.writeType1Invalid` instead.
import { createRequire } from 'node:module';
import { AmurError } from '../common/errors.js';
import { languageFromEnv, t } from '../i18n/index.js';

// dcmjs's dictionary names the tags in notes; required directly, as core/reports/dcmjs.ts (which
// calls this module before every write) would otherwise be imported in a circle.
const META = (createRequire(import.meta.url)('dcmjs') as {
  data: { DicomMetaDictionary: { dictionary: Record<string, { name?: string }>; sopClassNamesByUID: Record<string, string> } };
}).data.DicomMetaDictionary;
const DICTIONARY = META.dictionary;

/** What an object is, for a log line: its SOP Class's name (nothing of the patient's). */
export function objectName(sopClassUID: unknown): string {
  const uid = typeof sopClassUID === 'string' ? sopClassUID : '';
  if (uid === '1.2.840.10008.5.1.4.1.1.104.1') return 'EncapsulatedPDF';
  return META.sopClassNamesByUID[uid] ?? (uid || 'DICOM object');
}

export type CleanReason =
  | 'nulPadding' | 'lowercase' | 'retiredForm' | 'rounded'
  | 'tooLong' | 'characters' | 'syntax' | 'enumeration' | 'components' | 'notNumber';

export interface CleanNote {
  /** (gggg,eeee) */
  tag: string;
  keyword: string;
  vr: string;
  action: 'corrected' | 'dropped';
  reason: CleanReason;
}

export interface CleanedValue {
  /** The value to write; '' when it was dropped (or was empty). */
  value: string;
  action?: 'corrected' | 'dropped';
  reason?: CleanReason;
}

/** Enumerated values (PS3.3) of attributes that writers copy from source objects, by tag. */
export const ENUMERATED: Readonly<Record<string, readonly string[]>> = {
  '00100040': ['M', 'F', 'O'], // Patient's Sex
  '00200060': ['R', 'L'], // Laterality
  '00200062': ['R', 'L', 'U', 'B'], // Image Laterality
  '00209072': ['R', 'L', 'U', 'B'], // Frame Laterality
  '00280301': ['YES', 'NO'], // Burned In Annotation
  '00280302': ['YES', 'NO'], // Recognizable Visual Features
  '00282110': ['00', '01'], // Lossy Image Compression
  '00120062': ['YES', 'NO'], // Patient Identity Removed
  '20500020': ['IDENTITY', 'INVERSE'], // Presentation LUT Shape
  '00100213': ['ALTERED', 'UNALTERED'], // Patient's Sex Neutered
  '001021A0': ['YES', 'NO', 'UNKNOWN'], // Smoking Status
  '00280300': ['YES', 'NO'], // Quality Control Image
};

/**
 * Attributes that are Type 1 wherever Amur writes them: emptying one would make the object
 * invalid (and unfileable), so a value that fails refuses the object instead.
 */
export const TYPE1 = new Set([
  '00080016', // SOP Class UID
  '00080018', // SOP Instance UID
  '0020000D', // Study Instance UID
  '0020000E', // Series Instance UID
  '00081150', // Referenced SOP Class UID
  '00081155', // Referenced SOP Instance UID
  '00080060', // Modality
  '00280004', // Photometric Interpretation
  '00020002', // Media Storage SOP Class UID
  '00020003', // Media Storage SOP Instance UID
  '00020010', // Transfer Syntax UID
]);

/** Maximum length in characters (PN: per component group). */
const MAX: Record<string, number> = {
  AE: 16, AS: 4, CS: 16, DA: 8, DS: 16, DT: 26, IS: 12, LO: 64, LT: 10240, PN: 64, SH: 16, ST: 1024, TM: 14, UI: 64,
};
/** VRs whose leading spaces are insignificant (PS3.5 Table 6.2-1). */
const TRIM_LEADING = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'SH', 'TM', 'UI']);
export const STRING_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);
const TEXT_VRS = new Set(['ST', 'LT', 'UT']);
const ASCII_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'TM', 'UI', 'UR']);

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001a\u001c-\u001f\u007f]/; // ESC (0x1b) may start an ISO 2022 escape
// eslint-disable-next-line no-control-regex
const TEXT_CONTROL = /[\u0000-\u0008\u000b\u000e-\u001a\u001c-\u001f\u007f]/; // TAB LF FF CR ESC allowed
const PRINTABLE_ASCII = /^[\u0020-\u007e]*$/;

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function checkDA(s: string): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  return !!m && validDate(+m[1]!, +m[2]!, +m[3]!);
}

function checkTM(s: string): boolean {
  const m = /^(\d{2})(?:(\d{2})(?:(\d{2})(?:\.\d{1,6})?)?)?$/.exec(s);
  return !!m && +m[1]! < 24 && (m[2] === undefined || +m[2] < 60) && (m[3] === undefined || +m[3] < 61);
}

function checkDT(s: string): boolean {
  const m = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.\d{1,6})?)?)?)?)?)?(?:([+-])(\d{2})(\d{2}))?$/.exec(s);
  if (!m) return false;
  const [, y, mo, d, h, mi, se, , zh, zm] = m;
  if (mo !== undefined && (+mo < 1 || +mo > 12)) return false;
  if (d !== undefined && !validDate(+y!, +mo!, +d)) return false;
  if (h !== undefined && +h > 23) return false;
  if (mi !== undefined && +mi > 59) return false;
  if (se !== undefined && +se > 60) return false;
  if (zh !== undefined && (+zh > 14 || +zm! > 59)) return false;
  return true;
}

const DS_SYNTAX = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const IS_SYNTAX = /^[+-]?\d+$/;
const UI_SYNTAX = /^(?:0|[1-9]\d*)(?:\.(?:0|[1-9]\d*))*$/;
const AS_SYNTAX = /^\d{3}[DWMY]$/;
const CS_CHARS = /^[A-Z0-9 _]*$/;

/** A DS of at most 16 characters for a number (as pydicom's auto_format and dcmjs do). */
function shortDecimal(v: number): string | undefined {
  if (!Number.isFinite(v)) return undefined;
  for (let digits = 16; digits >= 1; digits--) {
    const fixed = String(Number(v.toPrecision(digits)));
    if (fixed.length <= 16) return fixed;
    const exp = v.toExponential(digits - 1).replace('e+', 'e');
    if (exp.length <= 16) return exp;
  }
  return undefined;
}

/** The reason a (padding-free) value is invalid for its VR and attribute; undefined when it is valid. */
function invalid(vr: string, s: string, tag?: string): CleanReason | undefined {
  if (s === '') return undefined;
  if (ASCII_VRS.has(vr) && !PRINTABLE_ASCII.test(s)) return 'characters';
  if (TEXT_VRS.has(vr) ? TEXT_CONTROL.test(s) : CONTROL.test(s)) return 'characters';
  if (!TEXT_VRS.has(vr) && s.includes('\\')) return 'characters';
  if (vr === 'PN') {
    const groups = s.split('=');
    if (groups.length > 3 || groups.some((g) => g.split('^').length > 5)) return 'components';
    if (groups.some((g) => [...g].length > MAX.PN!)) return 'tooLong';
    return undefined;
  }
  const max = MAX[vr];
  if (max !== undefined && [...s].length > max && vr !== 'DS') return 'tooLong';
  switch (vr) {
    case 'CS': if (!CS_CHARS.test(s)) return 'characters'; break;
    case 'AS': if (!AS_SYNTAX.test(s)) return 'syntax'; break;
    case 'DA': if (!checkDA(s)) return 'syntax'; break;
    case 'TM': if (!checkTM(s)) return 'syntax'; break;
    case 'DT': if (!checkDT(s)) return 'syntax'; break;
    // A UID of nothing but zero components ("0", "0.0") names nothing (dciodvfy agrees).
    case 'UI': if (!UI_SYNTAX.test(s) || /^[0.]+$/.test(s)) return 'syntax'; break;
    case 'DS': if (!DS_SYNTAX.test(s) || !Number.isFinite(Number(s))) return 'notNumber'; if (s.length > 16) return 'tooLong'; break;
    case 'IS': if (!IS_SYNTAX.test(s) || Number(s) < -(2 ** 31) || Number(s) > 2 ** 31 - 1) return 'notNumber'; break;
    default: break;
  }
  const allowed = tag ? ENUMERATED[tag] : undefined;
  if (allowed && !allowed.includes(s)) return 'enumeration';
  return undefined;
}

/** Cleans one value of VR `vr` (of the attribute `tag`, ggggeeee, for its enumeration). */
export function cleanValue(vr: string, raw: string, tag?: string): CleanedValue {
  // eslint-disable-next-line no-control-regex
  const nul = /^\u0000|\u0000$/.test(raw);
  // eslint-disable-next-line no-control-regex
  let s = raw.replace(/[\u0000 ]+$/, '').replace(/^\u0000+/, '');
  // eslint-disable-next-line no-control-regex
  if (TRIM_LEADING.has(vr)) s = s.replace(/^[\u0000 ]+/, '');
  let corrected: CleanReason | undefined = nul ? 'nulPadding' : undefined;
  const fixes: [CleanReason, () => string | undefined][] = [
    ['lowercase', () => ((vr === 'CS' || vr === 'AS') && /[a-z]/.test(s) ? s.toUpperCase() : undefined)],
    ['retiredForm', () => (vr === 'DA' && /^\d{4}\.\d{2}\.\d{2}$/.test(s) ? s.replace(/\./g, '') : undefined)],
    ['retiredForm', () => (vr === 'TM' && /^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$/.test(s) ? s.replace(/:/g, '') : undefined)],
    ['rounded', () => (vr === 'DS' && s.length > 16 && DS_SYNTAX.test(s) ? shortDecimal(Number(s)) : undefined)],
  ];
  let reason = invalid(vr, s, tag);
  if (reason) {
    for (const [why, fix] of fixes) {
      const f = fix();
      if (f !== undefined && invalid(vr, f, tag) === undefined) {
        s = f;
        corrected = why;
        reason = undefined;
        break;
      }
    }
  }
  if (reason) return { value: '', action: 'dropped', reason };
  return corrected ? { value: s, action: 'corrected', reason: corrected } : { value: s };
}

type Element = { vr: string; Value?: unknown[]; _rawValue?: unknown; InlineBinary?: string; BulkDataURI?: string };
export type Dict = Record<string, Element>;

const tagText = (tag: string) => `(${tag.slice(0, 4)},${tag.slice(4)})`;

function keywordOf(tag: string): string {
  return DICTIONARY[tagText(tag)]?.name ?? tagText(tag);
}

function pnString(v: unknown): string {
  // dcmjs's denaturalized PN is a String object (with accessors); its own read gives {Alphabetic ...}.
  if (typeof v === 'string' || v instanceof String) return String(v);
  if (!v || typeof v !== 'object') return '';
  const p = v as { Alphabetic?: string; Ideographic?: string; Phonetic?: string };
  return [p.Alphabetic ?? '', p.Ideographic ?? '', p.Phonetic ?? ''].join('=').replace(/=+$/, '');
}

function pnObject(s: string): Record<string, string> {
  const [Alphabetic = '', Ideographic, Phonetic] = s.split('=');
  return { Alphabetic, ...(Ideographic ? { Ideographic } : {}), ...(Phonetic ? { Phonetic } : {}) };
}

const NUMERIC_STRING = new Set(['DS', 'IS']);

/** dcmjs's own parse of a DS/IS text (trimmed, stray characters removed), to tell whether _rawValue is current. */
function dcmjsNumber(r: string): number | null {
  const v = r.trim().replace(/[^0-9.\\\-+e]/gi, '');
  return v === '' ? null : Number(v);
}

/**
 * The values as text. For DS and IS dcmjs keeps the file's text in _rawValue (Value holds its
 * parse, which would hide '1,5' as 15): that text is what is checked, as long as Value is still
 * its parse (a writer that replaced Value, as the de-identifier does, leaves a stale _rawValue).
 */
function textsOf(el: Element): (string | number)[] {
  const values = el.Value ?? [];
  if (el.vr === 'PN') return values.map(pnString);
  const raw = el._rawValue;
  if (NUMERIC_STRING.has(el.vr) && Array.isArray(raw) && raw.length === values.length
    && raw.every((r, i) => typeof r === 'string' && Object.is(dcmjsNumber(r), values[i]))) {
    return raw as string[];
  }
  return values.map((v) => (typeof v === 'number' ? v : v === null || v === undefined ? '' : String(v)));
}

export interface CleanOptions {
  /**
   * Check UIDs' syntax (default true). The de-identifier cleans its source with false: every UID
   * there is replaced by a new one anyway, and its written object is checked in full.
   */
  checkUids?: boolean;
}

/**
 * Cleans a dcmjs dictionary (tag -> {vr, Value}) in place, recursively in sequences, and returns
 * the notes. Throws `dicom.writeType1Invalid` when a TYPE1 attribute's value fails.
 */
export function cleanDict(dict: Dict, options: CleanOptions = {}, notes: CleanNote[] = []): CleanNote[] {
  for (const [tag, el] of Object.entries(dict)) {
    if (!el || typeof el !== 'object') continue;
    if (el.vr === 'SQ') {
      for (const item of (el.Value ?? []) as Dict[]) if (item && typeof item === 'object') cleanDict(item, options, notes);
      continue;
    }
    if (!STRING_VRS.has(el.vr) || !Array.isArray(el.Value)) continue;
    const texts = textsOf(el);
    let changed = false;
    let empty = 0;
    let drop: CleanReason | undefined;
    const out = texts.map((x) => {
      if (typeof x === 'number') {
        // A number dcmjs will format itself (a writer's own DS/IS): only an impossible one goes.
        const bad = !Number.isFinite(x) || (el.vr === 'IS' && (!Number.isInteger(x) || Math.abs(x) > 2 ** 31 - 1));
        if (bad) {
          changed = true;
          drop = 'notNumber';
          empty++;
          return '';
        }
        return x;
      }
      if (el.vr === 'UI' && options.checkUids === false) {
        // eslint-disable-next-line no-control-regex
        const v = x.replace(/^[\u0000 ]+|[\u0000 ]+$/g, '');
        if (v !== x) changed = true;
        return v;
      }
      const c = cleanValue(el.vr, x, tag);
      if (c.value !== x) changed = true;
      if (c.action) notes.push({ tag: tagText(tag), keyword: keywordOf(tag), vr: el.vr, action: c.action, reason: c.reason! });
      if (c.action === 'dropped') drop = c.reason;
      if (c.value === '') empty++;
      return c.value;
    });
    if (drop && TYPE1.has(tag) && empty === out.length) {
      throw new AmurError('dicom.writeType1Invalid', { tag: tagText(tag), keyword: keywordOf(tag), reason: drop });
    }
    // Value is what is written unless _rawValue is the file's current text of a DS/IS: any other
    // _rawValue (untrimmed text, or a stale one) must not win.
    if (el._rawValue !== undefined && !(NUMERIC_STRING.has(el.vr) && texts.every((x) => typeof x === 'string'))) changed = true;
    if (!changed) continue;
    delete el._rawValue;
    if (out.every((v) => v === '')) el.Value = [];
    else if (el.vr === 'PN') el.Value = out.map((v) => pnObject(String(v)));
    else if (el.vr === 'DS' || el.vr === 'IS') {
      // dcmjs writes _rawValue when Value is its parse: the cleaned text goes out as it is.
      el._rawValue = out.map(String);
      el.Value = out.map((v) => (v === '' ? null : Number(v)));
    } else el.Value = out;
  }
  return notes;
}

/** How notes are logged: one line each, in the user's language, without any value. */
export type CleanLogger = (line: string, note: CleanNote) => void;
let logger: CleanLogger = (line) => process.stderr.write(`amur: ${line}\n`);

/** Replaces the logger (tests, the desktop app's log); returns the previous one. */
export function setCleanLogger(next: CleanLogger): CleanLogger {
  const prev = logger;
  logger = next;
  return prev;
}

/**
 * Logs the notes of one written object, named by what it is (`object`: a SOP Class UID or a
 * writer's name, never anything of the patient's).
 */
export function logCleanNotes(notes: readonly CleanNote[], object: string): void {
  const lang = languageFromEnv();
  for (const n of notes) {
    logger(t(`dicomClean.${n.action}`, { object, tag: n.tag, keyword: n.keyword, vr: n.vr, reason: n.reason }, lang), n);
  }
}

/** Cleans a data set and its meta in dictionary form, logs the notes and returns them. */
export function cleanForWrite(dict: Dict, meta: Dict | undefined, object: string, options: CleanOptions = {}): CleanNote[] {
  const notes = cleanDict(dict, options);
  if (meta) cleanDict(meta, options, notes);
  logCleanNotes(notes, object);
  return notes;
}
