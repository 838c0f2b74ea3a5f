// De-identification of one DICOM Part 10 object by PS3.15 Annex E (Table E.1-1 in annex-e.tsv):
// every attribute the table lists gets its action, recursively inside sequences, under the
// options in force; private attributes, curves and overlays are removed; the patient gets the
// caller's pseudonym; text is written in UTF-8 whatever the source character set was. The pixel
// data and the transfer syntax are left as they are. Nothing here logs, and errors name tags only.
import * as dicomParserNs from 'dicom-parser';
import { TextDecoder } from 'node:util';
import { AmurError } from '../common/errors.js';
import { charsetDecoder, CHARSET_VRS, type TextDecoderForCharset } from '../dicom/charset.js';
import { cleanDict, cleanForWrite, logCleanNotes, objectName, type CleanNote, type Dict as CleanableDict } from '../dicom/clean.js';
import { dcmjsData, IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../reports/dcmjs.js';
import { actionFor, DEFAULT_OPTIONS, isPrivateTag, OPTIONS, SUPPORTED_OPTIONS, type Action, type DeidOption } from './profile.js';

const dicomParser = ((dicomParserNs as any).default ?? dicomParserNs) as typeof dicomParserNs;

/** What the hospital needs to put the real identity back (kept in the re-identification map only). */
export interface OriginalIdentity {
  PatientName?: string;
  PatientID?: string;
  IssuerOfPatientID?: string;
  PatientBirthDate?: string;
  PatientSex?: string;
  StudyInstanceUID: string;
  SeriesInstanceUID?: string;
  SOPInstanceUID?: string;
  SOPClassUID?: string;
  AccessionNumber?: string;
  StudyID?: string;
  StudyDate?: string;
  StudyTime?: string;
  ReferringPhysicianName?: string;
  Modality?: string;
}

export interface DeidContext {
  /** Options of PS3.15 E.3; default Retain Patient Characteristics, Modified Dates, Clean Descriptors. */
  options?: readonly DeidOption[];
  /** The new UID for an original one; must give the same answer for the same original. */
  uid(original: string): string;
  pseudonym: { PatientName: string; PatientID: string };
  /** Days added to every date (Retain Longitudinal Temporal Information with Modified Dates). */
  dateOffsetDays: number;
  /** Accept an image whose Burned In Annotation is YES (the agreement says the pixels are clean). */
  allowBurnedIn?: boolean;
  /** Extra top-level attributes by DICOM keyword, set after the profile (Clinical Trial attributes). */
  add?: Record<string, string>;
}

export interface DeidResult {
  bytes: Buffer;
  original: OriginalIdentity;
  /** Original UID → new UID, for every UID replaced in this object. */
  newUids: Record<string, string>;
  /** Notes for the operator (never values): e.g. the source character set could not be read fully. */
  warnings: string[];
  /** Values of the source that were corrected or left out as invalid for their VR (core/dicom/clean.ts). */
  cleaned: CleanNote[];
  StudyInstanceUID: string;
  SeriesInstanceUID: string;
  SOPInstanceUID: string;
  modality: string;
}

type Element = { vr: string; Value?: any[]; InlineBinary?: string };
type Dict = Record<string, Element>;

const PIXEL_DATA = '7FE00010';
const TEXT_DUMMY = 'ANONYMIZED';
const DUMMY: Record<string, unknown> = {
  AE: 'ANON', AS: '000Y', CS: 'ANONYMIZED', DA: '19000101', DT: '19000101000000', TM: '000000',
  DS: 0, IS: 0, FL: 0, FD: 0, SL: 0, SS: 0, UL: 0, US: 0, SV: 0, UV: 0,
  LO: TEXT_DUMMY, SH: TEXT_DUMMY, ST: TEXT_DUMMY, LT: TEXT_DUMMY, UT: TEXT_DUMMY, UC: TEXT_DUMMY, UR: '',
  PN: { Alphabetic: TEXT_DUMMY },
};

// dcmjs decodes text with the WHATWG "iso-8859-1" decoder (windows-1252) when the data set declares
// no character set; this table turns such a string back into the bytes the file held.
const CP1252_TO_BYTE = (() => {
  const d = new TextDecoder('latin1');
  const m = new Map<string, number>();
  for (let b = 0; b < 256; b++) m.set(d.decode(Uint8Array.of(b)), b);
  return m;
})();
function rawBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = CP1252_TO_BYTE.get(s[i]!) ?? 0x3f;
  return out;
}

const KEYWORDS = (dcmjsData as any).DicomMetaDictionary.nameMap as Record<string, { tag: string; vr: string }>;

function pnText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (!v || typeof v !== 'object') return '';
  const p = v as { Alphabetic?: string; Ideographic?: string; Phonetic?: string };
  return [p.Alphabetic ?? '', p.Ideographic ?? '', p.Phonetic ?? ''].join('=').replace(/=+$/, '');
}

function firstText(dict: Dict, tag: string): string | undefined {
  const el = dict[tag];
  if (!el || !Array.isArray(el.Value) || el.Value.length === 0) return el ? '' : undefined;
  const v = el.Value[0];
  return el.vr === 'PN' ? pnText(v) : String(v);
}

/** Re-decodes every text value of the tree with the source's Specific Character Set. */
function decodeText(dict: Dict, dec: TextDecoderForCharset): void {
  for (const el of Object.values(dict)) {
    if (!Array.isArray(el.Value)) continue;
    if (el.vr === 'SQ') {
      for (const item of el.Value as Dict[]) if (item) decodeText(item, dec);
    } else if (el.vr === 'PN') {
      el.Value = el.Value.map((p) => {
        if (!p || typeof p !== 'object') return typeof p === 'string' ? dec.decode(rawBytes(p), 'PN') : p;
        const o: Record<string, string> = {};
        for (const [k, s] of Object.entries(p as Record<string, string>)) o[k] = typeof s === 'string' ? dec.decode(rawBytes(s), 'PN') : s;
        return o;
      });
    } else if (CHARSET_VRS.has(el.vr)) {
      el.Value = el.Value.map((s) => (typeof s === 'string' ? dec.decode(rawBytes(s), el.vr) : s));
    }
  }
}

function shiftDate(da: string, days: number): string {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  if (!m) return da.trim() === '' ? '' : '19000101';
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!) + days * 86400000);
  return `${d.getUTCFullYear().toString().padStart(4, '0')}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}
function shiftValue(vr: string, v: unknown, days: number): unknown {
  if (typeof v !== 'string') return v;
  if (vr === 'DA') return v.split('-').map((p) => (p ? shiftDate(p, days) : p)).join('-');
  if (vr === 'DT') return v.split('-').map((p) => (p.length >= 8 ? shiftDate(p.slice(0, 8), days) + p.slice(8) : p)).join('-');
  return v;
}

/** Identifying tokens of the patient that a kept descriptor must not contain. */
function identifyingTokens(dict: Dict): string[] {
  const tokens = new Set<string>();
  const name = firstText(dict, '00100010') ?? '';
  for (const group of name.split('=')) {
    const parts = group.split('^').map((p) => p.trim()).filter(Boolean);
    if (parts.length) tokens.add(parts.join(''));
    for (const p of parts) for (const w of p.split(/\s+/)) if (w.length >= 2 || /[^\u0020-\u007e]/.test(w)) tokens.add(w);
  }
  for (const tag of ['00100020', '00101000', '00080050', '00380010']) {
    for (const v of dict[tag]?.Value ?? []) if (typeof v === 'string' && v.trim().length >= 2) tokens.add(v.trim());
  }
  const bd = firstText(dict, '00100030');
  if (bd && /^\d{8}$/.test(bd)) {
    tokens.add(bd);
    tokens.add(`${bd.slice(0, 4)}-${bd.slice(4, 6)}-${bd.slice(6)}`);
    tokens.add(`${bd.slice(0, 4)}.${bd.slice(4, 6)}.${bd.slice(6)}`);
    tokens.add(`${bd.slice(6)}.${bd.slice(4, 6)}.${bd.slice(0, 4)}`);
  }
  return [...tokens].map((t) => t.toLowerCase());
}

interface Run {
  ctx: DeidContext;
  options: readonly DeidOption[];
  tokens: string[];
  newUids: Record<string, string>;
  shiftUnlisted: boolean;
}

function mapUid(run: Run, v: unknown): unknown {
  if (typeof v !== 'string' || v === '') return v;
  const n = run.ctx.uid(v);
  run.newUids[v] = n;
  return n;
}

function containsToken(run: Run, text: string): boolean {
  const t = text.toLowerCase();
  return run.tokens.some((tok) => t.includes(tok));
}

function cleanText(run: Run, el: Element): void {
  const texts = (el.Value ?? []).map((v) => (el.vr === 'PN' ? pnText(v) : String(v ?? '')));
  if (texts.some((t) => containsToken(run, t))) el.Value = [];
}

function recurse(run: Run, el: Element): void {
  for (const item of (el.Value ?? []) as Dict[]) {
    if (item) apply(run, item, false);
  }
}

/** Applies the profile to one data set (the top level or a sequence item), in place. */
function apply(run: Run, dict: Dict, top: boolean): void {
  for (const tag of Object.keys(dict)) {
    const el = dict[tag]!;
    const group = parseInt(tag.slice(0, 4), 16);
    if (tag === PIXEL_DATA && top) continue;
    if (isPrivateTag(tag) || tag.endsWith('0000')) {
      delete dict[tag]; // private attributes (Retain Safe Private is not offered), group lengths
      continue;
    }
    // Curves (50xx) and overlays (60xx): the table removes their data and comments; the rest of
    // the group is meaningless without them, so the whole repeating group goes.
    if ((group & 0xff00) === 0x5000 || ((group & 0xff00) === 0x6000 && group <= 0x601e)) {
      delete dict[tag];
      continue;
    }
    const action: Action | undefined = actionFor(tag, run.options);
    if (action === undefined || action === 'K') {
      // A date the table does not list is shifted too when dates are modified: an unshifted
      // Instance Creation Date beside a shifted Study Date would give the offset away.
      if (action === undefined && run.shiftUnlisted && (el.vr === 'DA' || el.vr === 'DT')) {
        el.Value = (el.Value ?? []).map((v) => shiftValue(el.vr, v, run.ctx.dateOffsetDays));
      }
      if (el.vr === 'SQ') recurse(run, el);
      continue;
    }
    switch (action) {
      case 'X':
        delete dict[tag];
        break;
      case 'Z':
        el.Value = [];
        break;
      case 'U':
        if (el.vr === 'UI') el.Value = (el.Value ?? []).map((v) => mapUid(run, v));
        else if (el.vr === 'SQ') recurse(run, el);
        else el.Value = el.Value?.length ? [DUMMY[el.vr] ?? TEXT_DUMMY] : [];
        break;
      case 'U*':
        recurse(run, el);
        break;
      case 'D':
        if (el.vr === 'SQ') recurse(run, el);
        else if (el.vr === 'UI') el.Value = (el.Value ?? []).map((v) => mapUid(run, v));
        else if (el.vr === 'OB' || el.vr === 'OW' || el.vr === 'UN') el.Value = [];
        else el.Value = [DUMMY[el.vr] ?? TEXT_DUMMY];
        break;
      case 'C':
        if (el.vr === 'SQ') recurse(run, el);
        else if (el.vr === 'DA' || el.vr === 'DT') el.Value = (el.Value ?? []).map((v) => shiftValue(el.vr, v, run.ctx.dateOffsetDays));
        else if (el.vr === 'PN' || CHARSET_VRS.has(el.vr)) cleanText(run, el);
        // TM and Timezone Offset are kept: modified dates keep the times.
        break;
    }
  }
}

function setText(dict: Dict, keyword: string, value: string): void {
  const entry = KEYWORDS[keyword];
  if (!entry) throw new AmurError('deid.unknownKeyword', { keyword });
  const tag = entry.tag.replace(/[(),]/g, '').toUpperCase();
  const vr = entry.vr.split('|')[0]!;
  dict[tag] = { vr, Value: value === '' ? [] : [vr === 'PN' ? { Alphabetic: value } : value] };
}

/** Where (0008,0005) lies in the file, and its text; undefined when the data set has none. */
function charsetElement(bytes: Uint8Array): { offset: number; length: number; value: string } | undefined {
  let ds: dicomParserNs.DataSet;
  try {
    ds = dicomParser.parseDicom(bytes, { untilTag: 'x00080006' } as any);
  } catch (e) {
    throw new AmurError('deid.unreadable', {}, { cause: e });
  }
  const el = ds.elements.x00080005;
  if (!el || !el.length) return undefined;
  return { offset: el.dataOffset, length: el.length, value: ds.string('x00080005') ?? '' };
}

/** De-identifies one DICOM Part 10 object. Throws 'deid.burnedIn' for burned-in annotation. */
export function deidentify(bytes: Uint8Array, ctx: DeidContext): DeidResult {
  const options = ctx.options ?? DEFAULT_OPTIONS;
  for (const o of options) if (!SUPPORTED_OPTIONS.includes(o)) throw new AmurError('deid.unsupportedOption', { option: String(o) });
  const warnings: string[] = [];

  // dcmjs reads only the first character set, maps some wrongly and does not follow ISO 2022
  // escapes: the (0008,0005) value is blanked in a copy so that dcmjs hands back the bytes
  // (one char per byte), and core/dicom/charset.ts decodes them as dcmtk and pydicom do.
  const input = Buffer.from(bytes);
  const cs = charsetElement(input);
  if (cs) input.fill(0x20, cs.offset, cs.offset + cs.length);
  let file: ReturnType<typeof dcmjsData.DicomMessage.readFile>;
  try {
    file = dcmjsData.DicomMessage.readFile(input.buffer.slice(input.byteOffset, input.byteOffset + input.byteLength) as ArrayBuffer);
  } catch (e) {
    throw new AmurError('deid.unreadable', {}, { cause: e });
  }
  const dict = file.dict as Dict;
  const meta = file.meta as Dict;
  const dec = charsetDecoder(cs?.value);
  if (dec.warnings.length) warnings.push('deid.charsetWarning');
  decodeText(dict, dec);
  // The source's defects (NUL padding, values invalid for their VR or enumeration) are cleaned
  // before anything reads them: the identifying tokens, the burned-in check and the recorded
  // original identity all see clean values. UIDs are only trimmed: the profile replaces them.
  const cleaned = cleanDict(dict as CleanableDict, { checkUids: false });
  cleanDict(meta as CleanableDict, { checkUids: false }, cleaned);
  const object = objectName(firstText(dict, '00080016'));
  logCleanNotes(cleaned, object);
  if (cleaned.length) warnings.push('deid.sourceCleaned');

  if (!ctx.allowBurnedIn && String(dict['00280301']?.Value?.[0] ?? '').trim().toUpperCase() === 'YES') {
    throw new AmurError('deid.burnedIn', { tag: '(0028,0301)' });
  }

  const original: OriginalIdentity = {
    PatientName: firstText(dict, '00100010'),
    PatientID: firstText(dict, '00100020'),
    IssuerOfPatientID: firstText(dict, '00100021'),
    PatientBirthDate: firstText(dict, '00100030'),
    PatientSex: firstText(dict, '00100040'),
    StudyInstanceUID: firstText(dict, '0020000D') ?? '',
    SeriesInstanceUID: firstText(dict, '0020000E'),
    SOPInstanceUID: firstText(dict, '00080018'),
    SOPClassUID: firstText(dict, '00080016'),
    AccessionNumber: firstText(dict, '00080050'),
    StudyID: firstText(dict, '00200010'),
    StudyDate: firstText(dict, '00080020'),
    StudyTime: firstText(dict, '00080030'),
    ReferringPhysicianName: firstText(dict, '00080090'),
    Modality: firstText(dict, '00080060'),
  };
  for (const k of Object.keys(original) as (keyof OriginalIdentity)[]) if (original[k] === undefined) delete original[k];
  if (!original.StudyInstanceUID) throw new AmurError('deid.missingAttribute', { tag: '(0020,000D)' });
  // An instance without its own UID is named by its file meta (PS3.10 7.1), as the reader does;
  // with neither, or without a series, the object written would be invalid: refused instead.
  if (!original.SOPInstanceUID && firstText(meta, '00020003')) {
    original.SOPInstanceUID = firstText(meta, '00020003');
    dict['00080018'] = { vr: 'UI', Value: [original.SOPInstanceUID] };
  }
  if (!original.SOPInstanceUID) throw new AmurError('deid.missingAttribute', { tag: '(0008,0018)' });
  if (!original.SeriesInstanceUID) throw new AmurError('deid.missingAttribute', { tag: '(0020,000E)' });

  const shiftUnlisted = options.includes('RetainLongitudinalModifiedDates') && !options.includes('RetainLongitudinalFullDates');
  const run: Run = { ctx, options, tokens: identifyingTokens(dict), newUids: {}, shiftUnlisted };
  apply(run, dict, true);

  dict['00080005'] = { vr: 'CS', Value: ['ISO_IR 192'] };
  dict['00100010'] = { vr: 'PN', Value: [{ Alphabetic: ctx.pseudonym.PatientName }] };
  dict['00100020'] = { vr: 'LO', Value: [ctx.pseudonym.PatientID] };
  dict['00120062'] = { vr: 'CS', Value: ['YES'] };
  const codes: DeidOption[] = [...options];
  dict['00120063'] = { vr: 'LO', Value: ['PS3.15 Annex E Basic Profile', ...codes.map((o) => OPTIONS[o].meaning.slice(0, 64))] };
  dict['00120064'] = {
    vr: 'SQ',
    Value: [
      { code: '113100', meaning: 'Basic Application Confidentiality Profile' },
      ...codes.map((o) => OPTIONS[o]),
    ].map((c) => ({
      '00080100': { vr: 'SH', Value: [c.code] },
      '00080102': { vr: 'SH', Value: ['DCM'] },
      '00080104': { vr: 'LO', Value: [c.meaning] },
    })),
  };
  if (options.includes('RetainLongitudinalModifiedDates') && !options.includes('RetainLongitudinalFullDates')) {
    dict['00280303'] = { vr: 'CS', Value: ['MODIFIED'] };
  } else if (options.includes('RetainLongitudinalFullDates')) {
    dict['00280303'] = { vr: 'CS', Value: ['UNMODIFIED'] };
  }
  for (const [k, v] of Object.entries(ctx.add ?? {})) setText(dict, k, v);

  const StudyInstanceUID = firstText(dict, '0020000D') ?? '';
  const SeriesInstanceUID = firstText(dict, '0020000E') ?? '';
  const SOPInstanceUID = firstText(dict, '00080018') ?? '';
  meta['00020003'] = { vr: 'UI', Value: [SOPInstanceUID] };
  meta['00020012'] = { vr: 'UI', Value: [IMPLEMENTATION_CLASS_UID] };
  meta['00020013'] = { vr: 'SH', Value: [IMPLEMENTATION_VERSION_NAME] };
  for (const t of ['00020016', '00020017', '00020018', '00020100', '00020102']) delete meta[t];
  // What the profile wrote (dummies, shifted dates, mapped or retained UIDs) is checked as well.
  cleaned.push(...cleanForWrite(dict as CleanableDict, meta as CleanableDict, object));
  const out = new dcmjsData.DicomDict(meta);
  out.dict = dict;
  return {
    bytes: Buffer.from(out.write()),
    original,
    newUids: run.newUids,
    warnings,
    cleaned,
    StudyInstanceUID,
    SeriesInstanceUID,
    SOPInstanceUID,
    modality: original.Modality ?? '',
  };
}

/** The patient's ID and issuer, decoded, read from the header only (to pick the pseudonym first). */
export function peekPatient(bytes: Uint8Array): { PatientID: string; IssuerOfPatientID: string } {
  let ds: dicomParserNs.DataSet;
  try {
    ds = dicomParser.parseDicom(bytes, { untilTag: 'x00100022' } as any);
  } catch (e) {
    throw new AmurError('deid.unreadable', {}, { cause: e });
  }
  const dec = charsetDecoder(ds.string('x00080005'));
  const text = (tag: string) => {
    const el = ds.elements[tag];
    // NUL padding too (older scanners), or one patient's NUL-padded files would get another pseudonym.
    // eslint-disable-next-line no-control-regex
    return el && el.length ? dec.decode(bytes.subarray(el.dataOffset, el.dataOffset + el.length), 'LO').replace(/^[\s\u0000]+|[\s\u0000]+$/g, '') : '';
  };
  return { PatientID: text('x00100020'), IssuerOfPatientID: text('x00100021') };
}
