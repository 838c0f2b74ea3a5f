// The byte-level view of a DICOM Part 10 file that digital signatures need: every element with its
// exact place in the file, sequences opened into items, and the "signature format" encoding of
// PS3.15 Annex C (the MAC byte stream). Parsers that hand back values (dcmjs, dicom-parser) lose
// the byte layout, and a MAC must be computed over exactly the bytes a verifier will rebuild, so
// this module reads and writes Explicit VR Little Endian itself.
import { AmurError } from '../common/errors.js';

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const UNDEFINED = 0xffffffff;

/** VRs whose explicit-VR header is tag, VR, two reserved bytes and a 32-bit length (PS3.5 7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

export interface Element {
  /** (group << 16) | element */
  tag: number;
  vr: string;
  /** Offset of the first byte of the element header in the file. */
  start: number;
  /** Offset just past the element (past its sequence delimiter when it has one). */
  end: number;
  valueStart: number;
  /** Value length; UNDEFINED (0xFFFFFFFF) for undefined-length sequences and encapsulated pixel data. */
  length: number;
  /** The items of a sequence (VR SQ). */
  items?: Item[];
  /** The fragments of encapsulated pixel data (undefined-length OB/OW): raw item bytes each. */
  fragments?: { start: number; end: number }[];
}

export interface Item {
  start: number;
  end: number;
  elements: Element[];
}

export interface Part10 {
  bytes: Buffer;
  transferSyntaxUID: string;
  /** Offset of the first data set element (just past the File Meta Information). */
  datasetStart: number;
  elements: Element[];
}

export const tagOf = (group: number, element: number): number => ((group << 16) | element) >>> 0;
export const groupOf = (tag: number): number => tag >>> 16;
export const elementOf = (tag: number): number => tag & 0xffff;
export function tagText(tag: number): string {
  const h = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  return `(${h(groupOf(tag))},${h(elementOf(tag))})`;
}

export const ITEM = tagOf(0xfffe, 0xe000);
export const ITEM_DELIMITATION = tagOf(0xfffe, 0xe00d);
export const SEQUENCE_DELIMITATION = tagOf(0xfffe, 0xe0dd);
const SEQUENCE_DELIMITATION_TAG = Buffer.from([0xfe, 0xff, 0xdd, 0xe0]);

function readTag(b: Buffer, at: number): number {
  return tagOf(b.readUInt16LE(at), b.readUInt16LE(at + 2));
}

class Reader {
  constructor(
    readonly b: Buffer,
    readonly path: string,
  ) {}

  fail(at: number, why: string): never {
    throw new AmurError('signing.badDicom', { path: this.path, detail: `${why} at byte ${at}` });
  }

  /** Reads elements from `at` until `end`, or until an item delimiter when `untilDelimiter`. */
  elements(at: number, end: number, untilDelimiter: boolean): { elements: Element[]; next: number } {
    const out: Element[] = [];
    while (at < end) {
      if (at + 8 > this.b.length) this.fail(at, 'truncated element header');
      const tag = readTag(this.b, at);
      if (tag === ITEM_DELIMITATION) {
        if (!untilDelimiter) this.fail(at, 'unexpected item delimiter');
        return { elements: out, next: at + 8 };
      }
      const el = this.element(at, tag);
      out.push(el);
      at = el.end;
    }
    if (untilDelimiter && end !== this.b.length) this.fail(at, 'item without delimiter');
    return { elements: out, next: at };
  }

  element(at: number, tag: number): Element {
    const b = this.b;
    const vr = b.toString('latin1', at + 4, at + 6);
    if (!/^[A-Z]{2}$/.test(vr)) this.fail(at, `not Explicit VR (tag ${tagText(tag)})`);
    let length: number;
    let valueStart: number;
    if (LONG_VRS.has(vr)) {
      length = b.readUInt32LE(at + 8);
      valueStart = at + 12;
    } else {
      length = b.readUInt16LE(at + 6);
      valueStart = at + 8;
    }
    if (vr === 'SQ') {
      const items: Item[] = [];
      const limit = length === UNDEFINED ? b.length : valueStart + length;
      let p = valueStart;
      while (p < limit) {
        const t = readTag(b, p);
        if (t === SEQUENCE_DELIMITATION) {
          p += 8;
          break;
        }
        if (t !== ITEM) this.fail(p, `expected an item in ${tagText(tag)}`);
        const itemLength = b.readUInt32LE(p + 4);
        const itemEnd = itemLength === UNDEFINED ? b.length : p + 8 + itemLength;
        const { elements, next } = this.elements(p + 8, itemEnd, itemLength === UNDEFINED);
        items.push({ start: p, end: next, elements });
        p = next;
      }
      if (length !== UNDEFINED && p !== limit) this.fail(p, `sequence ${tagText(tag)} length mismatch`);
      return { tag, vr, start: at, end: p, valueStart, length, items };
    }
    if (length === UNDEFINED) {
      // Encapsulated pixel data: fragments as items, closed by a sequence delimiter.
      const fragments: { start: number; end: number }[] = [];
      let p = valueStart;
      for (;;) {
        if (p + 8 > b.length) this.fail(p, 'truncated encapsulated data');
        const t = readTag(b, p);
        const len = b.readUInt32LE(p + 4);
        if (t === SEQUENCE_DELIMITATION) {
          p += 8;
          break;
        }
        if (t !== ITEM) this.fail(p, 'expected a fragment');
        fragments.push({ start: p, end: p + 8 + len });
        p += 8 + len;
      }
      return { tag, vr, start: at, end: p, valueStart, length, fragments };
    }
    const end = valueStart + length;
    if (end > b.length) this.fail(at, `value of ${tagText(tag)} runs past the end`);
    return { tag, vr, start: at, end, valueStart, length };
  }
}

/**
 * Transfer syntaxes whose data set is NOT encoded in Explicit VR Little Endian: Implicit VR Little
 * Endian, Explicit VR Big Endian and the deflated ones. Every other (the compressed ones included)
 * encodes the data set in Explicit VR Little Endian with encapsulated pixel data.
 */
const OTHER_ENCODINGS = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2.8.1']);

export function datasetIsExplicitLittleEndian(transferSyntaxUID: string): boolean {
  return transferSyntaxUID !== '' && !OTHER_ENCODINGS.has(transferSyntaxUID);
}

/** Parses a Part 10 file; only data sets encoded in Explicit VR Little Endian are accepted. */
export function parsePart10(bytes: Uint8Array, path = ''): Part10 {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 132 || b.toString('latin1', 128, 132) !== 'DICM') {
    throw new AmurError('signing.badDicom', { path, detail: 'no DICM prefix' });
  }
  const r = new Reader(b, path);
  // File Meta Information: group 0002, always Explicit VR Little Endian.
  let p = 132;
  let transferSyntaxUID = '';
  while (p + 8 <= b.length && b.readUInt16LE(p) === 0x0002) {
    const el = r.element(p, readTag(b, p));
    if (el.tag === tagOf(0x0002, 0x0010)) transferSyntaxUID = stringValue(b, el);
    p = el.end;
  }
  if (!datasetIsExplicitLittleEndian(transferSyntaxUID)) {
    throw new AmurError('signing.unsupportedTransferSyntax', { path, uid: transferSyntaxUID || '?' });
  }
  const { elements } = r.elements(p, b.length, false);
  return { bytes: b, transferSyntaxUID, datasetStart: p, elements };
}

export function stringValue(b: Buffer, el: Element): string {
  return b.toString('latin1', el.valueStart, el.valueStart + el.length).replace(/[\0 ]+$/, '');
}

export function find(elements: Element[], tag: number): Element | undefined {
  return elements.find((e) => e.tag === tag);
}

function containsUN(el: Element): boolean {
  if (el.vr === 'UN') return true;
  return (el.items ?? []).some((i) => i.elements.some(containsUN));
}

/**
 * Whether a top-level element may be signed (PS3.15 C.1 and dcmtk's rules): no group lengths, nothing
 * below group 0008, not Length to End, not the signature sequences themselves, not trailing
 * padding, and nothing whose VR is unknown (UN), also deep inside a sequence.
 */
export function isSignable(el: Element): boolean {
  const g = groupOf(el.tag);
  const e = elementOf(el.tag);
  if (e === 0 || g < 0x0008) return false;
  if (el.tag === tagOf(0x0008, 0x0001)) return false;
  if (g === 0xfffa) return false;
  if (el.tag === tagOf(0x4ffe, 0x0001)) return false;
  if (el.tag === tagOf(0xfffc, 0xfffc)) return false;
  if (g === 0xfffe) return false;
  return !containsUN(el);
}

/**
 * Appends the signature-format encoding of one element to `out` (PS3.15 C.1, as dcmtk writes it):
 * ordinary elements exactly as encoded in Explicit VR Little Endian; sequences as tag, VR and two
 * reserved bytes with no length, each item as its tag alone with no length and no item
 * delimiter, then the sequence delimitation tag without its length; encapsulated pixel data the
 * same way, each fragment as its item tag (no length) and its bytes.
 */
export function signatureFormat(b: Buffer, el: Element, out: Buffer[]): void {
  if (el.items) {
    out.push(b.subarray(el.start, el.start + 8));
    for (const item of el.items) {
      out.push(b.subarray(item.start, item.start + 4));
      for (const child of item.elements) signatureFormat(b, child, out);
    }
    out.push(SEQUENCE_DELIMITATION_TAG);
    return;
  }
  if (el.fragments) {
    out.push(b.subarray(el.start, el.start + 8));
    for (const f of el.fragments) {
      out.push(b.subarray(f.start, f.start + 4), b.subarray(f.start + 8, f.end));
    }
    out.push(SEQUENCE_DELIMITATION_TAG);
    return;
  }
  out.push(b.subarray(el.start, el.end));
}

// ---- writing -------------------------------------------------------------------------------

const PAD_WITH_NUL = new Set(['UI', 'OB', 'UN']);

/** One Explicit VR Little Endian element with a defined length, padded to even length. */
export function encodeElement(group: number, element: number, vr: string, value: Buffer | string): Buffer {
  let v = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (v.length % 2) v = Buffer.concat([v, Buffer.from([PAD_WITH_NUL.has(vr) ? 0 : 0x20])]);
  const long = LONG_VRS.has(vr);
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.write(vr, 4, 'latin1');
  if (long) h.writeUInt32LE(v.length, 8);
  else h.writeUInt16LE(v.length, 6);
  return Buffer.concat([h, v]);
}

export function encodeItem(elements: Buffer[]): Buffer {
  const body = Buffer.concat(elements);
  const h = Buffer.alloc(8);
  h.writeUInt16LE(0xfffe, 0);
  h.writeUInt16LE(0xe000, 2);
  h.writeUInt32LE(body.length, 4);
  return Buffer.concat([h, body]);
}

/** A sequence of defined length whose items are given already encoded. */
export function encodeSequence(group: number, element: number, items: Buffer[]): Buffer {
  return encodeElement(group, element, 'SQ', Buffer.concat(items));
}

export function encodeUS(group: number, element: number, n: number): Buffer {
  const v = Buffer.alloc(2);
  v.writeUInt16LE(n, 0);
  return encodeElement(group, element, 'US', v);
}

export function encodeAT(group: number, element: number, tags: number[]): Buffer {
  const v = Buffer.alloc(tags.length * 4);
  tags.forEach((t, i) => {
    v.writeUInt16LE(groupOf(t), i * 4);
    v.writeUInt16LE(elementOf(t), i * 4 + 2);
  });
  return encodeElement(group, element, 'AT', v);
}

export function readATs(b: Buffer, el: Element): number[] {
  const tags: number[] = [];
  for (let p = el.valueStart; p + 4 <= el.valueStart + el.length; p += 4) tags.push(readTag(b, p));
  return tags;
}
