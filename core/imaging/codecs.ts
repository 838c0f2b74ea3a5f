// The compressed-pixel codecs, run in Node (never in the renderer, whose Content-Security-Policy
// forbids the eval the browser builds of some codecs need). Each takes one frame's encoded bytes
// and returns its samples as stored: grey values or interleaved colour samples, little-endian.
// The WebAssembly modules (CharLS, OpenJPEG, OpenJPH, libjpeg-turbo) load once per thread, lazily.
import { createRequire } from 'node:module';
import { Decoder as JpegLosslessDecoder } from 'jpeg-lossless-decoder-js';
import { AmurError } from '../common/errors.js';
import { decodeJpegDct } from './jpeg-dct.js';

const require = createRequire(import.meta.url);

export interface FrameGeometry {
  SOPInstanceUID?: string;
  Rows: number;
  Columns: number;
  SamplesPerPixel: number;
  BitsAllocated: number;
  PixelRepresentation: number;
}

/** Samples of one frame; `planar` is true when colour samples come plane by plane. */
export interface DecodedSamples {
  samples: Uint8Array | Int8Array | Uint16Array | Int16Array;
  planar: boolean;
  /** True when the codec already turned YCbCr into RGB (JPEG, JPEG 2000 with a colour transform). */
  rgb: boolean;
}

type WasmModule = Record<string, any>;
const modules = new Map<string, Promise<WasmModule>>();
function wasm(specifier: string): Promise<WasmModule> {
  let m = modules.get(specifier);
  if (!m) {
    const factory = require(specifier) as (opts?: object) => Promise<WasmModule>;
    // The Emscripten builds print progress to stdout/stderr; a host's logs are not the place.
    m = factory({ print: () => {}, printErr: () => {} });
    modules.set(specifier, m);
  }
  return m;
}

/** Runs an Emscripten decoder object over `bytes` and copies its output out of the wasm heap. */
function runWasmDecoder(decoder: any, bytes: Uint8Array): { out: Uint8Array; info: any } {
  try {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const out = new Uint8Array(decoder.getDecodedBuffer()).slice();
    return { out, info };
  } finally {
    decoder.delete?.();
  }
}

function typed(bytes: Uint8Array, bitsPerSample: number, signed: boolean): DecodedSamples['samples'] {
  if (bitsPerSample <= 8) return signed ? new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length) : bytes;
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
  const n = aligned.length >> 1;
  return signed ? new Int16Array(aligned.buffer, aligned.byteOffset, n) : new Uint16Array(aligned.buffer, aligned.byteOffset, n);
}

function checkSize(codec: string, got: { width: number; height: number }, g: FrameGeometry): void {
  if (got.width !== g.Columns || got.height !== g.Rows) {
    throw new AmurError('imaging.geometryMismatch', {
      codec,
      expected: `${g.Columns}x${g.Rows}`,
      found: `${got.width}x${got.height}`,
    });
  }
}

export async function decodeJpegLS(bytes: Uint8Array, g: FrameGeometry): Promise<DecodedSamples> {
  const charls = await wasm('@cornerstonejs/codec-charls/decodewasmjs');
  const decoder = new charls.JpegLSDecoder();
  try {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    const info = decoder.getFrameInfo();
    checkSize('JPEG-LS', info, g);
    const interleave: number = decoder.getInterleaveMode?.() ?? 1;
    const out = new Uint8Array(decoder.getDecodedBuffer()).slice();
    return {
      samples: typed(out, info.bitsPerSample, g.PixelRepresentation === 1),
      planar: g.SamplesPerPixel > 1 && interleave === 0,
      rgb: false,
    };
  } finally {
    decoder.delete?.();
  }
}

export async function decodeJpeg2000(bytes: Uint8Array, g: FrameGeometry, high = false): Promise<DecodedSamples> {
  const lib = high
    ? await wasm('@cornerstonejs/codec-openjph')
    : await wasm('@cornerstonejs/codec-openjpeg/decodewasmjs');
  const { out, info } = runWasmDecoder(high ? new lib.HTJ2KDecoder() : new lib.J2KDecoder(), bytes);
  checkSize(high ? 'HTJ2K' : 'JPEG 2000', info, g);
  return {
    samples: typed(out, info.bitsPerSample, info.isSigned ?? g.PixelRepresentation === 1),
    planar: false,
    rgb: g.SamplesPerPixel === 3,
  };
}

export async function decodeJpegBaseline(bytes: Uint8Array, g: FrameGeometry): Promise<DecodedSamples> {
  // libjpeg-turbo's 8-bit build covers Process 1; 12-bit Process 2/4 streams go to the DCT decoder.
  if (jpegPrecision(bytes) > 8) return decodeJpegExtended(bytes, g);
  const lib = await wasm('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs');
  const { out, info } = runWasmDecoder(new lib.JPEGDecoder(), bytes);
  checkSize('JPEG', info, g);
  return { samples: out, planar: false, rgb: g.SamplesPerPixel === 3 };
}

/** 12-bit DCT streams (JPEG Extended, Process 4) through the project's own decoder. */
export function decodeJpegExtended(bytes: Uint8Array, g: FrameGeometry): DecodedSamples {
  const img = decodeJpegDct(bytes);
  checkSize('JPEG', img, g);
  const samples = g.PixelRepresentation === 1 ? new Int16Array(img.data.buffer) : img.data;
  return { samples, planar: false, rgb: false };
}

export function decodeJpegLossless(bytes: Uint8Array, g: FrameGeometry): DecodedSamples {
  const decoder = new JpegLosslessDecoder();
  const bytesPerSample = g.BitsAllocated <= 8 ? 1 : 2;
  const copy = bytes.slice();
  const out = decoder.decode(copy.buffer, 0, copy.length, bytesPerSample) as unknown as ArrayBuffer | ArrayBufferView;
  const raw = ArrayBuffer.isView(out) ? new Uint8Array(out.buffer, out.byteOffset, out.byteLength) : new Uint8Array(out);
  if (decoder.frame.dimX !== g.Columns || decoder.frame.dimY !== g.Rows) {
    checkSize('JPEG Lossless', { width: decoder.frame.dimX, height: decoder.frame.dimY }, g);
  }
  return { samples: typed(raw, bytesPerSample * 8, g.PixelRepresentation === 1), planar: false, rgb: false };
}

/** The sample precision in a JPEG stream's start-of-frame marker (8 or 12 for DCT processes). */
export function jpegPrecision(bytes: Uint8Array): number {
  let i = 2;
  while (i + 4 < bytes.length) {
    if (bytes[i] !== 0xff) { i++; continue; }
    const marker = bytes[i + 1];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return bytes[i + 4];
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01 || marker === 0xff) { i += marker === 0xff ? 1 : 2; continue; }
    i += 2 + ((bytes[i + 2] << 8) | bytes[i + 3]);
  }
  return 8;
}

/**
 * RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, then one PackBits-coded
 * segment per byte plane of each sample, most significant byte first.
 */
export function decodeRLE(bytes: Uint8Array, g: FrameGeometry): DecodedSamples {
  const pixels = g.Rows * g.Columns;
  if (g.BitsAllocated !== 8 && g.BitsAllocated !== 16) {
    throw new AmurError('imaging.unsupported', { SOPInstanceUID: g.SOPInstanceUID ?? '', detail: `RLE with BitsAllocated ${g.BitsAllocated}` });
  }
  const bytesPerSample = g.BitsAllocated / 8;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== g.SamplesPerPixel * bytesPerSample || segments > 15) {
    throw new AmurError('imaging.corruptFrame', { codec: 'RLE', detail: `${segments} segments` });
  }
  const out = new Uint8Array(pixels * g.SamplesPerPixel * bytesPerSample);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + s * 4, true);
    const end = s + 1 < segments ? view.getUint32(8 + s * 4, true) : bytes.length;
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample); // segment 0 is the MSB; output is LE
    // Planar by sample: plane `sample` holds its pixels contiguously, interleaved later if needed.
    let o = sample * pixels * bytesPerSample + byteInSample;
    const oEnd = (sample + 1) * pixels * bytesPerSample;
    let i = start;
    while (i < end && o < oEnd) {
      const n = (bytes[i++] << 24) >> 24;
      if (n >= 0) {
        for (let k = 0; k <= n && i < end && o < oEnd; k++, o += bytesPerSample) out[o] = bytes[i++];
      } else if (n !== -128) {
        const v = bytes[i++];
        for (let k = 0; k < 1 - n && o < oEnd; k++, o += bytesPerSample) out[o] = v;
      }
    }
  }
  return { samples: typed(out, bytesPerSample * 8, g.PixelRepresentation === 1), planar: g.SamplesPerPixel > 1, rgb: false };
}

/** Loads every WebAssembly codec now, so that the first frame of each kind is not slowed by it. */
export async function loadCodecs(): Promise<void> {
  await Promise.all(
    [
      '@cornerstonejs/codec-charls/decodewasmjs',
      '@cornerstonejs/codec-openjpeg/decodewasmjs',
      '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs',
      '@cornerstonejs/codec-openjph',
    ].map(wasm),
  );
}
