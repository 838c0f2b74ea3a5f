// Damaged and hostile input: real files cut at many offsets, lengths with flipped bits, random bytes,
// and crafted nesting. Each must end in an AmurError with a known code (or, for a cut that happens to
// fall between elements before the pixel data, in a correct reading) — never a raw exception, a
// stack overflow or a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isAmurError } from '../common/errors.js';
import { readDicomHeaderFromBytes, MAX_SEQUENCE_DEPTH } from './header.js';
import type { DicomHeader } from './attributes.js';
import { shared } from '../../test/shared-data.js';
import { explicitLE, implicitLE, identity, itemTag, pad, part10, UNDEFINED } from '../../test/dicom-craft.js';

const KNOWN_CODES = new Set([
  'dicom.notDicom', 'dicom.truncated', 'dicom.lengthPastEnd', 'dicom.tooDeep',
  'dicom.missingAttribute', 'dicom.invalidAttribute', 'dicom.unreadable',
]);

async function outcome(bytes: Uint8Array, label: string): Promise<{ header?: DicomHeader; code?: string }> {
  try {
    return { header: await readDicomHeaderFromBytes(bytes, { path: label }) };
  } catch (e) {
    assert.ok(isAmurError(e), `${label}: raw exception ${String(e)}`);
    assert.ok(KNOWN_CODES.has(e.code), `${label}: unknown code ${e.code}`);
    assert.equal(e.params.path, label, `${label}: the error names the file`);
    return { code: e.code };
  }
}

const SAMPLES = {
  explicitLE: ['dicomParser', 'testImages', 'CT1_UNC.explicit_little_endian.dcm'],
  implicitLE: ['dicomParser', 'testImages', 'CT1_UNC.implicit_little_endian.dcm'],
  explicitBE: ['dicomParser', 'testImages', 'CT1_UNC.explicit_big_endian.dcm'],
  jpegLS: ['dicomParser', 'testImages', 'encapsulated', 'multi-frame', 'CT0012.fragmented_no_bot_jpeg_ls.80.dcm'],
  rle: ['dicomweb-client', 'testData', 'US-PAL-8-10x-echo.dcm'],
  deflate: ['dicomParser', 'testImages', 'deflate', 'report_dfl'],
} as const;

/** A small deterministic generator, so that a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('real files cut at many offsets are rejected, as truncated once the cut is inside the pixel data', { timeout: 120_000 }, async () => {
  for (const [name, parts] of Object.entries(SAMPLES)) {
    const whole = readFileSync(shared('dicom', ...parts));
    const full = await readDicomHeaderFromBytes(whole);
    const pixelAt = full.pixelDataOffset ?? whole.length;
    const headerEnd = Math.min(pixelAt, whole.length);
    const cuts = new Set<number>([0, 1, 64, 127, 128, 131, 132, 140, 200]);
    for (let c = 150; c < headerEnd; c += 97) cuts.add(c);
    // The Pixel Data value ends where its length says (undefined length: at the end of the file);
    // trailing padding may follow it, and a cut there loses nothing.
    let pixelEnd = whole.length;
    if (full.pixelDataOffset !== undefined && full.TransferSyntaxUID !== '1.2.840.10008.1.2.1.99') {
      const length = full.TransferSyntaxUID === '1.2.840.10008.1.2.2' ? whole.readUInt32BE(pixelAt - 4) : whole.readUInt32LE(pixelAt - 4);
      if (length !== UNDEFINED) pixelEnd = pixelAt + length;
      for (const c of [pixelAt, pixelAt + 1, pixelAt + 100, Math.floor((pixelAt + pixelEnd) / 2), pixelEnd - 9, pixelEnd - 1]) cuts.add(c);
    }
    for (const cut of [...cuts].filter((c) => c < whole.length).sort((a, b) => a - b)) {
      const label = `${name}@${cut}`;
      const { header, code } = await outcome(whole.subarray(0, cut), label);
      if (full.pixelDataOffset !== undefined && cut >= full.pixelDataOffset) {
        if (cut < pixelEnd) assert.equal(code, 'dicom.truncated', label);
      } else if (header) {
        // Only a cut between two elements before Pixel Data can still parse; what it reads must be right.
        assert.equal(header.pixelDataOffset, undefined, label);
        assert.equal(header.attributes.SOPInstanceUID, full.attributes.SOPInstanceUID, label);
        assert.equal(header.attributes.PatientName, full.attributes.PatientName, label);
      }
    }
  }
});

test('flipped bits in every element length of a real header never crash the reader', { timeout: 120_000 }, async () => {
  for (const sample of [SAMPLES.explicitLE, SAMPLES.implicitLE, SAMPLES.jpegLS]) {
    const whole = readFileSync(shared('dicom', ...sample));
    const full = await readDicomHeaderFromBytes(whole);
    const implicit = full.TransferSyntaxUID === '1.2.840.10008.1.2';
    // Walk the top-level elements of the data set (after the meta group) to find each length field.
    let pos = 132;
    while (whole.readUInt16LE(pos) === 0x0002) {
      const vr = whole.toString('latin1', pos + 4, pos + 6);
      pos += ['OB', 'OW', 'UN', 'SQ', 'UT'].includes(vr) ? 12 + whole.readUInt32LE(pos + 8) : 8 + whole.readUInt16LE(pos + 6);
    }
    const lengthFields: { at: number; size: 2 | 4 }[] = [];
    while (pos < (full.pixelDataOffset ?? whole.length) - 8) {
      const vr = whole.toString('latin1', pos + 4, pos + 6);
      let at: number;
      let size: 2 | 4;
      let length: number;
      if (implicit) {
        at = pos + 4; size = 4; length = whole.readUInt32LE(at);
      } else if (['OB', 'OW', 'SQ', 'UN', 'UT', 'UC', 'UR', 'OF', 'OD', 'OL'].includes(vr)) {
        at = pos + 8; size = 4; length = whole.readUInt32LE(at);
      } else {
        at = pos + 6; size = 2; length = whole.readUInt16LE(at);
      }
      lengthFields.push({ at, size });
      if (length === UNDEFINED) break; // an undefined-length sequence: its content is not walked here
      pos = at + size + length;
    }
    assert.ok(lengthFields.length > 20, 'the walk found the header elements');
    let rejected = 0;
    for (const { at, size } of lengthFields) {
      for (const bit of size === 2 ? [0, 3, 8, 15] : [0, 5, 15, 23, 31]) {
        const bytes = Buffer.from(whole);
        bytes[at + (bit >> 3)] ^= 1 << (bit & 7);
        const { code } = await outcome(bytes, `${sample.at(-1)} length@${at} bit ${bit}`);
        if (code) rejected++;
      }
    }
    assert.ok(rejected > 0, 'some of the damage is detected');
  }
});

test('random bytes, with or without a DICM signature or a valid meta group, are rejected', { timeout: 120_000 }, async () => {
  const rand = prng(20261122);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
  for (const n of [1, 7, 131, 132, 133, 1000, 70_000]) {
    assert.notEqual((await outcome(bytes(n), `garbage ${n}`)).code, undefined);
    const signed = bytes(n + 132);
    signed.write('DICM', 128, 'latin1');
    assert.notEqual((await outcome(signed, `DICM+garbage ${n}`)).code, undefined);
    const afterMeta = Buffer.concat([part10('1.2.840.10008.1.2.1', Buffer.alloc(0)), bytes(n)]);
    assert.notEqual((await outcome(afterMeta, `meta+garbage ${n}`)).code, undefined);
    const afterMetaImplicit = Buffer.concat([part10('1.2.840.10008.1.2', Buffer.alloc(0)), bytes(n)]);
    assert.notEqual((await outcome(afterMetaImplicit, `meta(implicit)+garbage ${n}`)).code, undefined);
  }
  assert.equal((await outcome(Buffer.alloc(4096), 'zeros')).code, 'dicom.notDicom');
  // Text that happens to begin with bytes 08 00 is still not a data set: its "VR" is no VR and its
  // implicit length runs past the end.
  assert.notEqual((await outcome(Buffer.concat([Buffer.from([8, 0, 0x10, 0]), Buffer.from('Hello, world. '.repeat(50))]), 'text')).code, undefined);
});

/**
 * An explicit VR LE instance whose Content Sequence (0040,A730) nests `depth` levels: each level is
 * the SQ element with undefined length and one item with undefined length; then, innermost first,
 * an Item Delimitation Item and a Sequence Delimitation Item close every level.
 */
function nested(depth: number, implicit = false): Buffer {
  const { head, tail } = identity();
  const open = implicit
    ? Buffer.concat([implicitLE(0x0040, 0xa730, Buffer.alloc(0), UNDEFINED), itemTag(0xe000, UNDEFINED)])
    : Buffer.concat([explicitLE(0x0040, 0xa730, 'SQ', Buffer.alloc(0), UNDEFINED), itemTag(0xe000, UNDEFINED)]);
  const close = Buffer.concat([itemTag(0xe00d, 0), itemTag(0xe0dd, 0)]);
  const toImplicit = (b: Buffer) => {
    // Rewrite the identity elements (all UI, short form) as implicit VR elements.
    const out: Buffer[] = [];
    for (let p = 0; p < b.length;) {
      const len = b.readUInt16LE(p + 6);
      out.push(implicitLE(b.readUInt16LE(p), b.readUInt16LE(p + 2), b.subarray(p + 8, p + 8 + len)));
      p += 8 + len;
    }
    return Buffer.concat(out);
  };
  const body = Buffer.concat([implicit ? toImplicit(head) : head, ...Array(depth).fill(open), ...Array(depth).fill(close), implicit ? toImplicit(tail) : tail]);
  return part10(implicit ? '1.2.840.10008.1.2' : '1.2.840.10008.1.2.1', body);
}

test('sequence nesting: a few levels read, more than the cap or thousands of levels are refused as too deep', { timeout: 120_000 }, async () => {
  const ok = await readDicomHeaderFromBytes(nested(10));
  assert.equal(ok.attributes.SeriesInstanceUID, '1.2.3.2', 'the elements after a nested sequence are read');
  assert.equal((await readDicomHeaderFromBytes(nested(10, true))).attributes.StudyInstanceUID, '1.2.3.1');
  for (const depth of [MAX_SEQUENCE_DEPTH + 1, 5_000, 200_000]) {
    for (const implicit of [false, true]) {
      const { code } = await outcome(nested(depth, implicit), `depth ${depth}${implicit ? ' implicit' : ''}`);
      assert.equal(code, 'dicom.tooDeep', `depth ${depth}`);
    }
  }
});

test('lengths that point past the end: a text element, a sequence, and Pixel Data of either kind', async () => {
  const { head, tail } = identity();
  // (0010,0010) PN declaring 0x7FF0 bytes in a file of a few hundred.
  const longName = part10('1.2.840.10008.1.2.1', Buffer.concat([head, explicitLE(0x0010, 0x0010, 'PN', pad('Doe^John', 'PN'), 0x7ff0), tail]));
  assert.equal((await outcome(longName, 'long PN')).code, 'dicom.lengthPastEnd');
  // (0040,A730) SQ of defined length 1 MB holding one empty item.
  const longSeq = part10('1.2.840.10008.1.2.1', Buffer.concat([head, explicitLE(0x0040, 0xa730, 'SQ', itemTag(0xe000, 0), 1 << 20), tail]));
  assert.notEqual((await outcome(longSeq, 'long SQ')).code, undefined);
  // (7FE0,0010) OW declaring 4 GB - 16 bytes of native pixel data, with 16 present.
  const native = part10('1.2.840.10008.1.2.1', Buffer.concat([head, tail, explicitLE(0x7fe0, 0x0010, 'OW', Buffer.alloc(16), 0xfffffff0)]));
  assert.equal((await outcome(native, 'native pixel data')).code, 'dicom.truncated');
  // Encapsulated Pixel Data: an empty offset table and one fragment that declares 1000 bytes but has 10.
  const frag = Buffer.concat([itemTag(0xe000, 0), itemTag(0xe000, 1000), Buffer.alloc(10)]);
  const encapsulated = part10('1.2.840.10008.1.2.4.50', Buffer.concat([head, tail, explicitLE(0x7fe0, 0x0010, 'OB', frag, UNDEFINED)]));
  assert.equal((await outcome(encapsulated, 'encapsulated pixel data')).code, 'dicom.truncated');
  // The same, complete, with the Sequence Delimitation Item: accepted.
  const good = Buffer.concat([itemTag(0xe000, 0), itemTag(0xe000, 10), Buffer.alloc(10), itemTag(0xe0dd, 0)]);
  const complete = part10('1.2.840.10008.1.2.4.50', Buffer.concat([head, tail, explicitLE(0x7fe0, 0x0010, 'OB', good, UNDEFINED)]));
  assert.equal((await readDicomHeaderFromBytes(complete)).attributes.SOPInstanceUID, '1.2.3.4.5');
  // Trailing padding (FFFC,FFFC) after a complete encapsulated value: the items are walked instead.
  const padded = Buffer.concat([complete, explicitLE(0xfffc, 0xfffc, 'OB', Buffer.alloc(6))]);
  assert.equal((await readDicomHeaderFromBytes(padded)).attributes.SOPInstanceUID, '1.2.3.4.5');
});

test('random bytes flipped anywhere in real headers (every transfer syntax family) never crash the reader', { timeout: 180_000 }, async () => {
  const rand = prng(7);
  for (const [name, parts] of Object.entries(SAMPLES)) {
    const whole = readFileSync(shared('dicom', ...parts));
    const full = await readDicomHeaderFromBytes(whole);
    // Damage the header only (for Deflate, the whole compressed stream is header).
    const span = Math.min(full.pixelDataOffset ?? whole.length, whole.length);
    for (let i = 0; i < 150; i++) {
      const bytes = Buffer.from(whole);
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) {
        const at = 128 + Math.floor(rand() * (span - 128));
        bytes[at] = Math.floor(rand() * 256);
      }
      await outcome(bytes, `${name} mutation ${i}`);
    }
  }
});
