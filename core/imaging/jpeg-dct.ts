// A sequential DCT JPEG decoder (ITU-T T.81 baseline and extended, Huffman coding, 8 or 12-bit
// samples). It exists for DICOM's JPEG Extended transfer syntax (1.2.840.10008.1.2.4.51), whose
// 12-bit streams the 8-bit libjpeg-turbo build cannot read; 8-bit streams still go to libjpeg-turbo.
// Progressive and arithmetic-coded streams are not allowed in DICOM's JPEG syntaxes and are refused.
import { AmurError } from '../common/errors.js';

export interface JpegImage {
  width: number;
  height: number;
  precision: number;
  components: number;
  /** width x height x components samples, interleaved. */
  data: Uint16Array;
}

interface Huffman {
  /** For code length L (1..16): the largest code of that length, or -1. */
  maxCode: Int32Array;
  /** Index into `values` of the first code of length L, minus that code. */
  offset: Int32Array;
  values: Uint8Array;
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  td: number;
  ta: number;
  blocksPerLine: number;
  blocksPerColumn: number;
  coefficients: Int32Array;
  pred: number;
}

const ZIGZAG = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54,
  47, 55, 62, 63,
]);

// cos((2x+1)uπ/16) * C(u)/2, the separable basis of the 8x8 inverse DCT (T.81 A.3.3).
const BASIS = (() => {
  const b = new Float64Array(64);
  for (let x = 0; x < 8; x++) {
    for (let u = 0; u < 8; u++) b[x * 8 + u] = (u === 0 ? Math.SQRT1_2 : 1) * Math.cos(((2 * x + 1) * u * Math.PI) / 16) / 2;
  }
  return b;
})();

function fail(detail: string): never {
  throw new AmurError('imaging.corruptFrame', { codec: 'JPEG', detail });
}

function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const maxCode = new Int32Array(18).fill(-1);
  const offset = new Int32Array(18);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    offset[len] = k - code;
    if (counts[len - 1]) {
      code += counts[len - 1];
      k += counts[len - 1];
      maxCode[len] = code - 1;
    }
    code <<= 1;
  }
  return { maxCode, offset, values };
}

export function decodeJpegDct(bytes: Uint8Array): JpegImage {
  let pos = 0;
  const u16 = () => {
    const v = (bytes[pos] << 8) | bytes[pos + 1];
    pos += 2;
    return v;
  };
  if (u16() !== 0xffd8) fail('no SOI marker');

  const quant: Int32Array[] = [];
  const dc: Huffman[] = [];
  const ac: Huffman[] = [];
  let components: Component[] = [];
  let width = 0;
  let height = 0;
  let precision = 8;
  let hMax = 1;
  let vMax = 1;
  let mcusPerLine = 0;
  let mcusPerColumn = 0;
  let restartInterval = 0;
  let frameSeen = false;

  while (pos < bytes.length) {
    if (bytes[pos] !== 0xff) { pos++; continue; }
    const marker = bytes[pos + 1];
    pos += 2;
    if (marker === 0xff) { pos--; continue; }
    if (marker === 0xd9) break; // EOI
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    const length = u16();
    const end = pos + length - 2;
    switch (marker) {
      case 0xdb: // DQT
        while (pos < end) {
          const pq = bytes[pos] >> 4;
          const tq = bytes[pos++] & 15;
          const table = new Int32Array(64);
          for (let i = 0; i < 64; i++) table[ZIGZAG[i]] = pq ? u16() : bytes[pos++];
          quant[tq] = table;
        }
        break;
      case 0xc4: // DHT
        while (pos < end) {
          const tc = bytes[pos] >> 4;
          const th = bytes[pos++] & 15;
          const counts = bytes.subarray(pos, pos + 16);
          pos += 16;
          const total = counts.reduce((a, b) => a + b, 0);
          const table = buildHuffman(counts, bytes.slice(pos, pos + total));
          pos += total;
          (tc === 0 ? dc : ac)[th] = table;
        }
        break;
      case 0xdd: // DRI
        restartInterval = u16();
        break;
      case 0xc0: // SOF0 baseline
      case 0xc1: { // SOF1 extended sequential, Huffman
        precision = bytes[pos++];
        height = u16();
        width = u16();
        const n = bytes[pos++];
        components = [];
        for (let i = 0; i < n; i++) {
          const id = bytes[pos];
          const h = bytes[pos + 1] >> 4;
          const v = bytes[pos + 1] & 15;
          const tq = bytes[pos + 2];
          pos += 3;
          components.push({ id, h, v, tq, td: 0, ta: 0, blocksPerLine: 0, blocksPerColumn: 0, coefficients: new Int32Array(0), pred: 0 });
        }
        if (!width || !height || !n) fail('empty frame');
        hMax = Math.max(...components.map((c) => c.h));
        vMax = Math.max(...components.map((c) => c.v));
        mcusPerLine = Math.ceil(width / (8 * hMax));
        mcusPerColumn = Math.ceil(height / (8 * vMax));
        for (const c of components) {
          c.blocksPerLine = mcusPerLine * c.h;
          c.blocksPerColumn = mcusPerColumn * c.v;
          c.coefficients = new Int32Array(c.blocksPerLine * c.blocksPerColumn * 64);
        }
        frameSeen = true;
        break;
      }
      case 0xda: { // SOS
        if (!frameSeen) fail('scan before frame header');
        const n = bytes[pos++];
        const scan: Component[] = [];
        for (let i = 0; i < n; i++) {
          const c = components.find((x) => x.id === bytes[pos]);
          if (!c) fail('scan names an unknown component');
          c.td = bytes[pos + 1] >> 4;
          c.ta = bytes[pos + 1] & 15;
          scan.push(c);
          pos += 2;
        }
        pos += 3; // Ss, Se, Ah/Al: fixed for sequential DCT
        pos = decodeScan(bytes, pos, scan, dc, ac, { mcusPerLine, mcusPerColumn, restartInterval, width, height, hMax, vMax });
        continue;
      }
      default:
        if (marker >= 0xc2 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
          fail(`unsupported JPEG process (SOF${marker - 0xc0})`);
        }
    }
    pos = end;
  }
  if (!frameSeen) fail('no frame header');
  return { width, height, precision, components: components.length, data: reconstruct(components, quant, { width, height, precision, hMax, vMax }) };
}

function decodeScan(
  bytes: Uint8Array,
  start: number,
  scan: Component[],
  dc: Huffman[],
  ac: Huffman[],
  f: { mcusPerLine: number; mcusPerColumn: number; restartInterval: number; width: number; height: number; hMax: number; vMax: number },
): number {
  let pos = start;
  let bitBuf = 0;
  let bitCount = 0;
  const readBit = (): number => {
    if (bitCount === 0) {
      if (pos >= bytes.length) fail('truncated scan');
      bitBuf = bytes[pos++];
      if (bitBuf === 0xff) {
        const next = bytes[pos];
        if (next === 0) pos++;
        else if (next >= 0xd0 && next <= 0xd7) fail('unexpected restart marker');
        else fail(`unexpected marker ${next.toString(16)} in scan`);
      }
      bitCount = 8;
    }
    bitCount--;
    return (bitBuf >> bitCount) & 1;
  };
  const receive = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | readBit();
    return v;
  };
  const extend = (v: number, n: number): number => (n === 0 ? 0 : v < 1 << (n - 1) ? v - (1 << n) + 1 : v);
  const decodeHuffman = (t: Huffman | undefined): number => {
    if (!t) fail('missing Huffman table');
    let code = 0;
    for (let len = 1; len <= 16; len++) {
      code = (code << 1) | readBit();
      if (code <= t.maxCode[len]) return t.values[t.offset[len] + code];
    }
    fail('bad Huffman code');
  };
  const decodeBlock = (c: Component, offset: number) => {
    const t = decodeHuffman(dc[c.td]);
    c.pred += extend(receive(t), t);
    const out = c.coefficients;
    out[offset] = c.pred;
    let k = 1;
    while (k < 64) {
      const rs = decodeHuffman(ac[c.ta]);
      const s = rs & 15;
      const r = rs >> 4;
      if (s === 0) {
        if (r < 15) break; // EOB
        k += 16;
        continue;
      }
      k += r;
      if (k > 63) fail('coefficient index out of range');
      out[offset + ZIGZAG[k]] = extend(receive(s), s);
      k++;
    }
  };

  const single = scan.length === 1;
  // A single-component scan walks that component's own blocks, not MCUs (T.81 A.2.2).
  const total = single
    ? Math.ceil(Math.ceil((f.width * scan[0].h) / f.hMax) / 8) * Math.ceil(Math.ceil((f.height * scan[0].v) / f.vMax) / 8)
    : f.mcusPerLine * f.mcusPerColumn;
  const singleLine = single ? Math.ceil(Math.ceil((f.width * scan[0].h) / f.hMax) / 8) : 0;
  for (const c of scan) c.pred = 0;
  for (let n = 0; n < total; n++) {
    if (f.restartInterval && n > 0 && n % f.restartInterval === 0) {
      bitCount = 0;
      while (pos < bytes.length && !(bytes[pos] === 0xff && bytes[pos + 1] >= 0xd0 && bytes[pos + 1] <= 0xd7)) pos++;
      pos += 2;
      for (const c of scan) c.pred = 0;
    }
    if (single) {
      const c = scan[0];
      const row = Math.floor(n / singleLine);
      const col = n % singleLine;
      decodeBlock(c, (row * c.blocksPerLine + col) * 64);
    } else {
      const mcuRow = Math.floor(n / f.mcusPerLine);
      const mcuCol = n % f.mcusPerLine;
      for (const c of scan) {
        for (let v = 0; v < c.v; v++) {
          for (let h = 0; h < c.h; h++) {
            decodeBlock(c, ((mcuRow * c.v + v) * c.blocksPerLine + mcuCol * c.h + h) * 64);
          }
        }
      }
    }
  }
  // Leave the position at the next marker.
  while (pos < bytes.length && !(bytes[pos] === 0xff && bytes[pos + 1] !== 0 && !(bytes[pos + 1] >= 0xd0 && bytes[pos + 1] <= 0xd7))) pos++;
  return pos;
}

function reconstruct(
  components: Component[],
  quant: Int32Array[],
  f: { width: number; height: number; precision: number; hMax: number; vMax: number },
): Uint16Array {
  const n = components.length;
  const out = new Uint16Array(f.width * f.height * n);
  const maxValue = (1 << f.precision) - 1;
  const shift = 1 << (f.precision - 1);
  const tmp = new Float64Array(64);
  const block = new Float64Array(64);
  components.forEach((c, ci) => {
    const q = quant[c.tq];
    if (!q) fail('missing quantisation table');
    const planeW = c.blocksPerLine * 8;
    const plane = new Uint16Array(planeW * c.blocksPerColumn * 8);
    for (let by = 0; by < c.blocksPerColumn; by++) {
      for (let bx = 0; bx < c.blocksPerLine; bx++) {
        const off = (by * c.blocksPerLine + bx) * 64;
        for (let i = 0; i < 64; i++) block[i] = c.coefficients[off + i] * q[i];
        // Rows then columns of the separable inverse DCT.
        for (let y = 0; y < 8; y++) {
          for (let x = 0; x < 8; x++) {
            let s = 0;
            for (let u = 0; u < 8; u++) s += BASIS[x * 8 + u] * block[y * 8 + u];
            tmp[y * 8 + x] = s;
          }
        }
        for (let x = 0; x < 8; x++) {
          for (let y = 0; y < 8; y++) {
            let s = 0;
            for (let v = 0; v < 8; v++) s += BASIS[y * 8 + v] * tmp[v * 8 + x];
            const val = Math.round(s) + shift;
            plane[(by * 8 + y) * planeW + bx * 8 + x] = val < 0 ? 0 : val > maxValue ? maxValue : val;
          }
        }
      }
    }
    // Upsample subsampled components by replication.
    const sx = f.hMax / c.h;
    const sy = f.vMax / c.v;
    for (let y = 0; y < f.height; y++) {
      const row = Math.floor(y / sy) * planeW;
      for (let x = 0; x < f.width; x++) out[(y * f.width + x) * n + ci] = plane[row + Math.floor(x / sx)];
    }
  });
  return out;
}
