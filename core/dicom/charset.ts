// Turns the bytes of a DICOM text value into the string a DICOM toolkit shows, following Specific
// Character Set (0008,0005) as PS3.5 section 6.1 and PS3.3 C.12.1.1.2 define it: single-byte sets,
// UTF-8, GB18030/GBK, and ISO 2022 code extensions where escape sequences switch the G0/G1 code
// elements inside a value and the delimiters (PN ^ =, multi-value \, CR LF TAB FF) return to the
// initial designation. Person names keep their alphabetic=ideographic=phonetic groups untouched.
import { TextDecoder } from 'node:util';

/** VRs whose values are affected by Specific Character Set (PS3.5 6.1.2.3); the rest are ASCII. */
export const CHARSET_VRS: ReadonlySet<string> = new Set(['SH', 'LO', 'ST', 'LT', 'UT', 'PN', 'UC']);

const ESC = 0x1b;
const CONTROL_DELIMITERS = [0x0d, 0x0a, 0x09, 0x0c];
const DELIMITERS: Record<string, number[]> = {
  PN: [0x5e, 0x3d, 0x5c, ...CONTROL_DELIMITERS], // ^ = \
  SH: [0x5c, ...CONTROL_DELIMITERS],
  LO: [0x5c, ...CONTROL_DELIMITERS],
  UC: [0x5c, ...CONTROL_DELIMITERS],
  ST: CONTROL_DELIMITERS,
  LT: CONTROL_DELIMITERS,
  UT: CONTROL_DELIMITERS,
};

type G0 = 'ascii' | 'romaji' | 'jisx0208' | 'jisx0212';
type G1 =
  | { kind: 'single'; table: string[] }
  | { kind: 'katakana' }
  | { kind: 'double'; codec: 'euc-kr' | 'gb18030' };
interface CodeState { g0: G0; g1: G1 | null }

const decoders = new Map<string, TextDecoder>();
function decoder(label: string): TextDecoder {
  let d = decoders.get(label);
  if (!d) {
    d = new TextDecoder(label);
    decoders.set(label, d);
  }
  return d;
}

const tables = new Map<string, string[]>();
/**
 * One character per byte for an ISO 8859 part (or TIS 620). The WHATWG decoders Node offers map
 * iso-8859-1 to windows-1252 and tis-620 to windows-874, which put letters at 0x80-0x9F; the ISO
 * sets have C1 controls there, so those 32 positions are restored to keep the decoding exact.
 * Bytes a set leaves undefined decode to U+FFFD.
 */
function singleByteTable(label: string): string[] {
  let t = tables.get(label);
  if (!t) {
    const d = new TextDecoder(label);
    t = [];
    for (let b = 0; b < 256; b++) {
      const c = b >= 0x80 && b <= 0x9f ? String.fromCharCode(b) : d.decode(Uint8Array.of(b));
      // windows-874 gives private-use code points to the bytes TIS 620 leaves undefined (DB-DE, FC-FE).
      const cp = c.codePointAt(0)!;
      t.push(cp >= 0xe000 && cp <= 0xf8ff ? '\ufffd' : c);
    }
    tables.set(label, t);
  }
  return t;
}

/** Defined terms of the single-byte sets, without and with code extensions, by their ISO 8859 part. */
const SINGLE_BYTE: Record<string, { label: string; escape: string }> = {
  '100': { label: 'iso-8859-1', escape: '-A' },
  '101': { label: 'iso-8859-2', escape: '-B' },
  '109': { label: 'iso-8859-3', escape: '-C' },
  '110': { label: 'iso-8859-4', escape: '-D' },
  '144': { label: 'iso-8859-5', escape: '-L' },
  '127': { label: 'iso-8859-6', escape: '-G' },
  '126': { label: 'iso-8859-7', escape: '-F' },
  '138': { label: 'iso-8859-8', escape: '-H' },
  '148': { label: 'iso-8859-9', escape: '-M' },
  '203': { label: 'iso-8859-15', escape: '-b' },
  '166': { label: 'windows-874', escape: '-T' },
};

/** Escape sequences (the bytes after ESC) and the code element each one designates (PS3.3 C.12.1.1.2). */
const ESCAPES: { seq: number[]; apply: (s: CodeState) => void }[] = [
  { seq: [0x28, 0x42], apply: (s) => { s.g0 = 'ascii'; } }, // ESC ( B  ISO-IR 6
  { seq: [0x28, 0x4a], apply: (s) => { s.g0 = 'romaji'; } }, // ESC ( J  ISO-IR 14 (JIS X 0201 Romaji)
  { seq: [0x24, 0x42], apply: (s) => { s.g0 = 'jisx0208'; } }, // ESC $ B  ISO-IR 87
  { seq: [0x24, 0x28, 0x44], apply: (s) => { s.g0 = 'jisx0212'; } }, // ESC $ ( D  ISO-IR 159
  { seq: [0x29, 0x49], apply: (s) => { s.g1 = { kind: 'katakana' }; } }, // ESC ) I  ISO-IR 13
  { seq: [0x24, 0x29, 0x43], apply: (s) => { s.g1 = { kind: 'double', codec: 'euc-kr' }; } }, // ESC $ ) C  ISO-IR 149
  { seq: [0x24, 0x29, 0x41], apply: (s) => { s.g1 = { kind: 'double', codec: 'gb18030' }; } }, // ESC $ ) A  ISO-IR 58
  ...Object.values(SINGLE_BYTE).map(({ label, escape }) => ({
    seq: [...escape].map((c) => c.charCodeAt(0)),
    apply: (s: CodeState) => { s.g1 = { kind: 'single', table: singleByteTable(label) }; },
  })),
];

/** What one value of (0008,0005) designates at the start of a value under code extensions. */
function designate(term: string, s: CodeState): boolean {
  const m = /^ISO 2022 IR (\d+)$/.exec(term);
  if (!m) return false;
  const ir = m[1];
  if (ir === '6') s.g0 = 'ascii';
  else if (ir === '13') { s.g0 = 'romaji'; s.g1 = { kind: 'katakana' }; }
  else if (ir === '87') s.g0 = 'jisx0208';
  else if (ir === '159') s.g0 = 'jisx0212';
  else if (ir === '149') s.g1 = { kind: 'double', codec: 'euc-kr' };
  else if (ir === '58') s.g1 = { kind: 'double', codec: 'gb18030' };
  else if (SINGLE_BYTE[ir]) s.g1 = { kind: 'single', table: singleByteTable(SINGLE_BYTE[ir].label) };
  else return false;
  return true;
}

/**
 * Spellings seen in real files for the defined terms ("ISO-IR 100", "ISO_IR100", "UTF-8", "GB2312").
 * They are read as the term they obviously mean, with a warning, rather than garbling a name.
 */
function normaliseTerm(raw: string): string {
  const v = raw.trim().toUpperCase();
  if (v === '' || v === 'ISO_IR 6') return v;
  if (v === 'UTF-8' || v === 'UTF8' || v === 'ISO_IR192') return 'ISO_IR 192';
  if (v === 'GB2312' || v === 'ISO_IR 58' || v === 'EUC-CN') return 'GB18030';
  let m = /^ISO[ _-]?IR[ _-]?(\d+)$/.exec(v);
  if (m) return `ISO_IR ${m[1]}`;
  m = /^ISO[ _-]?2022[ _-]?IR[ _-]?(\d+)$/.exec(v);
  if (m) return `ISO 2022 IR ${m[1]}`;
  return v;
}

export interface TextDecoderForCharset {
  /** Decodes one element's value bytes for its VR; trailing padding (spaces, NULs) is removed. */
  decode(bytes: Uint8Array, vr: string): string;
  /** The (0008,0005) values as read, normalised. */
  readonly terms: string[];
  /** Terms that are not defined in PS3.3 and were read as ISO-IR 6 / Latin-1 instead. */
  readonly warnings: string[];
}

/** Bytes as Latin-1 (one char per byte): ASCII-only VRs, and the default repertoire read leniently. */
export function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

/** Strips trailing spaces and NULs (the padding PS3.5 6.2 allows); other whitespace is content. */
export function stripPadding(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0)) end--;
  return s.slice(0, end);
}

/**
 * A decoder for one data set's Specific Character Set, given as the raw (0008,0005) string
 * (backslash-separated values; empty or absent means the default repertoire).
 */
export function charsetDecoder(specificCharacterSet: string | undefined): TextDecoderForCharset {
  const rawTerms = (specificCharacterSet ?? '').split('\\');
  const warnings: string[] = [];
  const terms = rawTerms.map((t) => {
    const n = normaliseTerm(t);
    if (n !== t.trim()) warnings.push(`Specific Character Set "${t.trim()}" read as "${n}"`);
    return n;
  });
  const first = terms[0] ?? '';
  const extensions = terms.length > 1 || first.startsWith('ISO 2022');

  let decodeRaw: (bytes: Uint8Array, vr: string) => string;
  if (terms.length > 1 && ['ISO_IR 192', 'GB18030', 'GBK'].includes(first)) {
    // These sets allow no code extensions (PS3.3 C.12.1.1.2); a writer that listed more values still
    // wrote the value-1 encoding, so that is what is read.
    warnings.push(`Specific Character Set "${first}" allows no other values; read as ${first} only`);
    const label = first === 'ISO_IR 192' ? 'utf-8' : first.toLowerCase();
    decodeRaw = (bytes) => decoder(label).decode(bytes);
  } else if (extensions || first === 'ISO_IR 13') {
    const initial: CodeState = { g0: 'ascii', g1: null };
    // With code extensions every value is an ISO 2022 term; a plain "ISO_IR n" in value 1 means its
    // 2022 form (value 1 is what each value starts in).
    const firstAs2022 = first.replace(/^ISO_IR /, 'ISO 2022 IR ');
    if (first !== '' && first !== 'ISO_IR 6' && !designate(firstAs2022, initial)) {
      warnings.push(`unknown Specific Character Set "${first}"`);
    }
    // A two-byte G0 set (JIS X 0208/0212) in value 1 is still invoked by its escape sequence, as
    // pydicom and dcmtk read it: bytes before any escape are ASCII, never kanji halves.
    if (initial.g0 === 'jisx0208' || initial.g0 === 'jisx0212') initial.g0 = 'ascii';
    for (const t of terms.slice(1)) {
      if (t !== '' && !/^ISO 2022 IR \d+$/.test(t.replace(/^ISO_IR /, 'ISO 2022 IR '))) warnings.push(`unknown Specific Character Set "${t}"`);
    }
    const useEscapes = extensions;
    decodeRaw = (bytes, vr) => decodeIso2022(bytes, initial, DELIMITERS[vr] ?? CONTROL_DELIMITERS, useEscapes);
  } else if (first === 'ISO_IR 192') {
    decodeRaw = (bytes) => decoder('utf-8').decode(bytes);
  } else if (first === 'GB18030') {
    decodeRaw = (bytes) => decoder('gb18030').decode(bytes);
  } else if (first === 'GBK') {
    decodeRaw = (bytes) => decoder('gbk').decode(bytes);
  } else if (first.startsWith('ISO_IR ') && SINGLE_BYTE[first.slice(7)]) {
    const table = singleByteTable(SINGLE_BYTE[first.slice(7)].label);
    decodeRaw = (bytes) => {
      let s = '';
      for (const b of bytes) s += table[b];
      return s;
    };
  } else {
    if (first !== '' && first !== 'ISO_IR 6') warnings.push(`unknown Specific Character Set "${first}"`);
    decodeRaw = (bytes) => latin1(bytes);
  }

  return {
    terms,
    warnings,
    decode(bytes, vr) {
      return stripPadding(CHARSET_VRS.has(vr) ? decodeRaw(bytes, vr) : latin1(bytes));
    },
  };
}

function matchEscape(bytes: Uint8Array, at: number): { length: number; apply: (s: CodeState) => void } | undefined {
  for (const e of ESCAPES) {
    if (at + e.seq.length > bytes.length) continue;
    let ok = true;
    for (let k = 0; k < e.seq.length; k++) if (bytes[at + k] !== e.seq[k]) { ok = false; break; }
    if (ok) return { length: e.seq.length, apply: e.apply };
  }
  return undefined;
}

/**
 * ISO 2022 decoding: bytes below 0x80 belong to G0, the others to G1. Multi-byte runs are collected
 * and handed to the matching WHATWG decoder (JIS X 0208/0212 re-coded as EUC-JP, KS X 1001 as EUC-KR,
 * GB 2312 as GB18030, which is a superset of EUC-CN); single bytes go through their table.
 */
function decodeIso2022(bytes: Uint8Array, initial: CodeState, delimiters: number[], useEscapes: boolean): string {
  const state: CodeState = { ...initial };
  const out: string[] = [];
  let pending: number[] = [];
  let pendingCodec = '';
  const flush = () => {
    if (pending.length) out.push(decoder(pendingCodec).decode(Uint8Array.from(pending)));
    pending = [];
  };
  const multi = (codec: string, ...bs: number[]) => {
    if (codec !== pendingCodec) {
      flush();
      pendingCodec = codec;
    }
    pending.push(...bs);
  };
  const char = (s: string) => {
    flush();
    out.push(s);
  };

  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b === ESC && useEscapes) {
      const e = matchEscape(bytes, i + 1);
      if (e) {
        e.apply(state);
        i += 1 + e.length;
        continue;
      }
    }
    if (b < 0x80) {
      if ((state.g0 === 'jisx0208' || state.g0 === 'jisx0212') && b >= 0x21 && b < 0x7f) {
        if (i + 1 < bytes.length) {
          const b2 = bytes[i + 1];
          if (state.g0 === 'jisx0208') multi('euc-jp', b | 0x80, b2 | 0x80);
          else multi('euc-jp', 0x8f, b | 0x80, b2 | 0x80);
          i += 2;
        } else {
          char('\ufffd');
          i += 1;
        }
        continue;
      }
      char(String.fromCharCode(b));
      // A delimiter read in a single-byte G0 ends the component: the next one starts afresh in the
      // initial designation (PS3.5 6.1.2.5.3). Inside a two-byte G0 these bytes are half a character.
      if (delimiters.includes(b)) {
        state.g0 = initial.g0;
        state.g1 = initial.g1;
      }
      i += 1;
      continue;
    }
    const g1 = state.g1;
    if (!g1) {
      char(String.fromCharCode(b));
      i += 1;
    } else if (g1.kind === 'single') {
      char(g1.table[b]);
      i += 1;
    } else if (g1.kind === 'katakana') {
      const b2 = i + 1 < bytes.length ? bytes[i + 1] : -1;
      if (b >= 0xa1 && b <= 0xdf) {
        multi('euc-jp', 0x8e, b);
        i += 1;
      } else if (((b >= 0x81 && b <= 0x9f) || (b >= 0xe0 && b <= 0xfc)) && ((b2 >= 0x40 && b2 <= 0x7e) || (b2 >= 0x80 && b2 <= 0xfc))) {
        // A two-byte Shift-JIS character where JIS X 0201 has none: a frequent Japanese
        // non-conformance (kanji written as Shift-JIS under ISO_IR 13). pydicom reads ISO_IR 13 as
        // shift_jis, so such names show as their writer meant; a trail byte that happens to be a
        // delimiter (^ or \) belongs to the character.
        multi('shift_jis', b, b2);
        i += 2;
      } else {
        char('\ufffd');
        i += 1;
      }
    } else if (i + 1 < bytes.length) {
      multi(g1.codec, b, bytes[i + 1]);
      i += 2;
    } else {
      char('\ufffd');
      i += 1;
    }
  }
  flush();
  return out.join('');
}
