// Turns one frame of a DICOM instance into display-ready pixels: parse the data set, find the
// frame's bytes (native or encapsulated, with or without a Basic Offset Table), run the transfer
// syntax's codec, then bring every photometric interpretation to one of two shapes: grey stored
// values (masked to Bits Stored and sign-extended) or interleaved 8-bit RGB. This is the one
// decoding mechanism of the application: the viewer gets it through the imaging service, and
// other host code (AI triage) calls decodeImageFrame directly.
import dicomParser, { type DataSet, type Element } from 'dicom-parser';
import { inflateRawSync } from 'node:zlib';
import { AmurError } from '../common/errors.js';
import type { ImageFrame, ImagePixelModule, PixelArrayType } from '../contract/imaging.js';
import {
  decodeJpeg2000,
  decodeJpegBaseline,
  decodeJpegLossless,
  decodeJpegLS,
  decodeRLE,
  type DecodedSamples,
  type FrameGeometry,
} from './codecs.js';
import { readLUT, readPixelModule } from './pixel-module.js';
import { transferSyntax } from './transfer-syntax.js';

const PIXEL_DATA = 'x7fe00010';

/** Deflated Explicit VR Little Endian: everything after the File Meta group is raw-deflated. */
function inflater(bytes: Uint8Array, position: number): Uint8Array {
  const inflated = inflateRawSync(bytes.subarray(position));
  const full = new Uint8Array(position + inflated.length);
  full.set(bytes.subarray(0, position));
  full.set(inflated, position);
  return full;
}

/** Parses a Part 10 file, or a bare data set (no preamble) as implicit then explicit VR LE. */
export function parseInstance(bytes: Uint8Array, file = ''): { ds: DataSet; TransferSyntaxUID: string } {
  const attempts: (string | undefined)[] = [undefined, '1.2.840.10008.1.2', '1.2.840.10008.1.2.1'];
  let lastError: unknown;
  for (const ts of attempts) {
    try {
      const ds = dicomParser.parseDicom(bytes, { inflater: inflater as any, ...(ts ? { TransferSyntaxUID: ts } : {}) });
      const uid = (ds.string('x00020010') ?? ts ?? '').replace(/\0/g, '').trim();
      return { ds, TransferSyntaxUID: uid };
    } catch (e) {
      lastError = e;
    }
  }
  // dicom-parser throws strings, Errors, or {exception, dataSet} objects.
  const e = lastError as { exception?: unknown; message?: unknown } | string;
  const detail = typeof e === 'string' ? e : String(e?.exception ?? e?.message ?? e);
  throw new AmurError('imaging.unreadable', { path: file, detail });
}

function isFrameStart(bytes: Uint8Array): boolean {
  // JPEG family (SOI), a JPEG 2000 codestream (SOC) or a JP2 file (signature box).
  return (
    (bytes[0] === 0xff && (bytes[1] === 0xd8 || bytes[1] === 0x4f)) ||
    (bytes[4] === 0x6a && bytes[5] === 0x50 && bytes[6] === 0x20 && bytes[7] === 0x20)
  );
}

/** The encoded bytes of one frame of encapsulated pixel data (PS3.5 A.4). */
function encapsulatedFrame(ds: DataSet, el: Element, frame: number, frames: number, rle: boolean): Uint8Array {
  const fragments = el.fragments ?? [];
  if (el.basicOffsetTable && el.basicOffsetTable.length > 0) {
    return dicomParser.readEncapsulatedImageFrame(ds, el, frame) as Uint8Array;
  }
  if (frames === 1) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, fragments.length) as Uint8Array;
  if (fragments.length === frames) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, frame, 1) as Uint8Array;
  if (rle) throw new AmurError('imaging.corruptFrame', { codec: 'RLE', detail: `${fragments.length} fragments for ${frames} frames` });
  // No offset table and several fragments per frame: a frame begins where a fragment starts with
  // its codec's start marker, which is what readers such as dcmtk rely on too.
  const starts: number[] = [];
  fragments.forEach((f, i) => {
    const head = ds.byteArray.subarray(f.position, f.position + 8);
    if (isFrameStart(head as Uint8Array)) starts.push(i);
  });
  if (starts.length !== frames) {
    throw new AmurError('imaging.corruptFrame', { codec: 'encapsulated', detail: `${starts.length} frame starts for ${frames} frames` });
  }
  const first = starts[frame];
  const count = (frame + 1 < starts.length ? starts[frame + 1] : fragments.length) - first;
  return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, first, count) as Uint8Array;
}

/** The stored bytes of one frame of native pixel data, byte-swapped to little-endian if needed. */
function nativeFrame(ds: DataSet, el: Element, m: ImagePixelModule, bigEndian: boolean): DecodedSamples {
  // YBR_FULL_422 stored natively has two luminance samples per chrominance pair (PS3.3 C.7.6.3.1.2).
  const samplesPerPixel = m.PhotometricInterpretation === 'YBR_FULL_422' ? 2 : m.SamplesPerPixel;
  const pixels = m.Rows * m.Columns * samplesPerPixel;
  const planar = m.SamplesPerPixel > 1 && planarConfiguration(ds) === 1;
  if (m.BitsAllocated === 1) {
    // Bit-packed (e.g. binary masks): frames follow each other with no padding between them.
    const out = new Uint8Array(pixels);
    const startBit = m.frame * pixels;
    if (el.length * 8 < startBit + pixels) throw truncated(m);
    for (let i = 0; i < pixels; i++) {
      const bit = startBit + i;
      out[i] = (ds.byteArray[el.dataOffset + (bit >> 3)] >> (bit & 7)) & 1;
    }
    return { samples: out, planar, rgb: false };
  }
  if (m.BitsAllocated !== 8 && m.BitsAllocated !== 16) {
    throw new AmurError('imaging.unsupported', { SOPInstanceUID: m.SOPInstanceUID, detail: `BitsAllocated ${m.BitsAllocated}` });
  }
  const bytesPer = m.BitsAllocated / 8;
  const size = pixels * bytesPer;
  const start = el.dataOffset + m.frame * size;
  if (el.length < (m.frame + 1) * size || start + size > ds.byteArray.length) throw truncated(m);
  // A copy, so that the caller owns (and may transfer) exactly this frame's bytes.
  const bytes = new Uint8Array(ds.byteArray.subarray(start, start + size));
  if (bigEndian && bytesPer === 2) {
    for (let i = 0; i < size; i += 2) {
      const b = bytes[i];
      bytes[i] = bytes[i + 1];
      bytes[i + 1] = b;
    }
  }
  const signed = m.PixelRepresentation === 1;
  const samples =
    bytesPer === 1
      ? signed ? new Int8Array(bytes.buffer) : bytes
      : signed ? new Int16Array(bytes.buffer) : new Uint16Array(bytes.buffer);
  return { samples, planar, rgb: false };
}

function planarConfiguration(ds: DataSet): number {
  const el = ds.elements.x00280006;
  return el && el.length >= 2 ? (ds.uint16('x00280006') ?? 0) : 0;
}

function truncated(m: ImagePixelModule): AmurError {
  return new AmurError('imaging.truncated', { SOPInstanceUID: m.SOPInstanceUID, frame: m.frame });
}

/**
 * Grey samples as the viewer wants them: bits above High Bit cleared (old files keep overlays
 * there), values sign-extended from Bits Stored when Pixel Representation is 1. The frame's
 * minimum and maximum are taken in the same pass: on a 2048x2048 radiograph a separate pass cost
 * as much again (AI triage decodes every such image).
 */
function normaliseGrey(s: DecodedSamples['samples'], m: ImagePixelModule): { data: Int16Array | Uint16Array | Int8Array | Uint8Array; type: PixelArrayType; min: number; max: number } {
  const signed = m.PixelRepresentation === 1;
  const bits = Math.min(m.BitsStored, m.BitsAllocated > 8 ? 16 : 8);
  const eight = m.BitsAllocated <= 8;
  const out = eight ? (signed ? new Int8Array(s.length) : new Uint8Array(s.length)) : signed ? new Int16Array(s.length) : new Uint16Array(s.length);
  const mask = bits >= 32 ? 0xffffffff : (1 << bits) - 1;
  const signBit = 1 << (bits - 1);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < s.length; i++) {
    const v = s[i] & mask;
    const x = signed && v & signBit ? v - (mask + 1) : v;
    out[i] = x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (s.length === 0) min = max = 0;
  return { data: out, type: eight ? (signed ? 'Int8' : 'Uint8') : signed ? 'Int16' : 'Uint16', min, max };
}

function clamp8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** Colour samples to interleaved 8-bit RGB, undoing planar layout and YCbCr (PS3.3 C.7.6.3.1.2). */
function toRGB(d: DecodedSamples, m: ImagePixelModule): Uint8Array {
  const n = m.Rows * m.Columns;
  const src = d.samples;
  const out = new Uint8Array(n * 3);
  const down = m.BitsAllocated > 8 ? Math.max(0, m.BitsStored - 8) : 0;
  const pi = m.PhotometricInterpretation;
  // YBR_FULL_422 stored natively carries Y Y Cb Cr for each pair of pixels.
  if (!d.rgb && pi === 'YBR_FULL_422' && src.length === n * 2) {
    for (let i = 0, o = 0; i < src.length; i += 4) {
      const cb = src[i + 2];
      const cr = src[i + 3];
      for (const y of [src[i], src[i + 1]]) {
        out[o++] = clamp8(y + 1.402 * (cr - 128));
        out[o++] = clamp8(y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128));
        out[o++] = clamp8(y + 1.772 * (cb - 128));
      }
    }
    return out;
  }
  const ycc = !d.rgb && pi.startsWith('YBR_FULL');
  for (let i = 0; i < n; i++) {
    let a: number, b: number, c: number;
    if (d.planar) {
      a = src[i]; b = src[n + i]; c = src[2 * n + i];
    } else {
      a = src[3 * i]; b = src[3 * i + 1]; c = src[3 * i + 2];
    }
    a >>= down; b >>= down; c >>= down;
    if (ycc) {
      out[3 * i] = clamp8(a + 1.402 * (c - 128));
      out[3 * i + 1] = clamp8(a - 0.344136 * (b - 128) - 0.714136 * (c - 128));
      out[3 * i + 2] = clamp8(a + 1.772 * (b - 128));
    } else {
      out[3 * i] = a; out[3 * i + 1] = b; out[3 * i + 2] = c;
    }
  }
  return out;
}

/** PALETTE COLOR: each stored index looked up in the red, green and blue LUTs (PS3.3 C.7.6.3.1.5). */
function applyPalette(ds: DataSet, grey: DecodedSamples['samples'], m: ImagePixelModule): { rgb: Uint8Array; entries: number } {
  const luts = [
    readLUT(ds, 'x00281101', 'x00281201'),
    readLUT(ds, 'x00281102', 'x00281202'),
    readLUT(ds, 'x00281103', 'x00281203'),
  ];
  if (luts.some((l) => !l)) throw new AmurError('imaging.noPalette', { SOPInstanceUID: m.SOPInstanceUID });
  const [r, g, b] = luts as NonNullable<(typeof luts)[number]>[];
  const entries = r.LUTDescriptor[0];
  // The first mapped value is signed when the pixels are (PS3.3 C.7.6.3.1.5).
  const first = m.PixelRepresentation === 1 ? (r.LUTDescriptor[1] << 16) >> 16 : r.LUTDescriptor[1];
  const shift = r.LUTDescriptor[2] > 8 ? r.LUTDescriptor[2] - 8 : 0;
  const out = new Uint8Array(grey.length * 3);
  for (let i = 0; i < grey.length; i++) {
    let k = grey[i] - first;
    k = k < 0 ? 0 : k >= entries ? entries - 1 : k;
    out[3 * i] = r.LUTData[k] >> shift;
    out[3 * i + 1] = g.LUTData[k] >> shift;
    out[3 * i + 2] = b.LUTData[k] >> shift;
  }
  return { rgb: out, entries };
}

async function runCodec(ds: DataSet, el: Element, m: ImagePixelModule): Promise<DecodedSamples> {
  const ts = transferSyntax(m.TransferSyntaxUID);
  if (!ts) throw new AmurError('imaging.unsupportedTransferSyntax', { SOPInstanceUID: m.SOPInstanceUID, TransferSyntaxUID: m.TransferSyntaxUID });
  if (ts.codec === 'native') {
    if (el.encapsulatedPixelData) throw new AmurError('imaging.corruptFrame', { codec: 'native', detail: 'encapsulated pixel data' });
    return nativeFrame(ds, el, m, !!ts.bigEndian);
  }
  if (!el.encapsulatedPixelData) throw new AmurError('imaging.corruptFrame', { codec: ts.codec, detail: 'pixel data not encapsulated' });
  const bytes = encapsulatedFrame(ds, el, m.frame, m.NumberOfFrames, ts.codec === 'rle');
  const g: FrameGeometry = m;
  switch (ts.codec) {
    case 'rle': return decodeRLE(bytes, g);
    case 'jpeg-baseline':
    case 'jpeg-extended': return decodeJpegBaseline(bytes, g);
    case 'jpeg-lossless': return decodeJpegLossless(bytes, g);
    case 'jpeg-ls': return decodeJpegLS(bytes, g);
    case 'jpeg2000': return decodeJpeg2000(bytes, g);
    case 'htj2k': return decodeJpeg2000(bytes, g, true);
  }
}

function minMax(a: ArrayLike<number>): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return a.length ? [min, max] : [0, 0];
}

export async function decodeImageFrame(bytes: Uint8Array, frame: number, file = ''): Promise<ImageFrame> {
  const { ds, TransferSyntaxUID } = parseInstance(bytes, file);
  const m = readPixelModule(ds, frame, TransferSyntaxUID);
  const el = ds.elements[PIXEL_DATA];
  let decoded: DecodedSamples;
  try {
    decoded = await runCodec(ds, el, m);
  } catch (e) {
    if (e instanceof AmurError) throw e;
    throw new AmurError('imaging.corruptFrame', { codec: m.TransferSyntaxUID, detail: String((e as Error)?.message ?? e) }, { cause: e });
  }
  const pi = m.PhotometricInterpretation;
  if (pi === 'PALETTE COLOR') {
    const { rgb, entries } = applyPalette(ds, decoded.samples, m);
    return frameOf({ ...m, PaletteEntries: entries }, rgb, 'Uint8', true);
  }
  if (m.SamplesPerPixel >= 3 || decoded.rgb) {
    return frameOf(m, toRGB(decoded, m), 'Uint8', true);
  }
  const expected = m.Rows * m.Columns;
  if (decoded.samples.length < expected) throw truncated(m);
  const samples = decoded.samples.length > expected ? decoded.samples.subarray(0, expected) : decoded.samples;
  const grey = normaliseGrey(samples, m);
  return frameOf(m, grey.data, grey.type, false, [grey.min, grey.max]);
}

function frameOf(m: ImagePixelModule, data: ArrayLike<number> & ArrayBufferView, type: PixelArrayType, colour: boolean, range?: [number, number]): ImageFrame {
  const [min, max] = colour ? [0, 255] : (range ?? minMax(data));
  return {
    pixelModule: m,
    pixelArrayType: type,
    colour,
    minPixelValue: min,
    maxPixelValue: max,
    pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}
