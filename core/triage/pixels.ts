// Turns one DICOM instance into what a triage model sees: a grey image in 0..1 with air dark, after
// the Modality LUT, the VOI window the file carries and MONOCHROME1 inversion (manifest.json
// "preprocessing"). Only what can be decoded exactly is decoded; anything else is refused with a
// reason (AmurError 'triage.pixels.<reason>'), because a guessed image gives a confident wrong score.
import dicomParser, { type DataSet } from 'dicom-parser';
import { AmurError } from '../common/errors.js';
import { readPixelModule } from '../imaging/pixel-module.js';

export const UNCOMPRESSED_TRANSFER_SYNTAXES: Record<string, { littleEndian: boolean; name: string }> = {
  '1.2.840.10008.1.2': { littleEndian: true, name: 'Implicit VR Little Endian' },
  '1.2.840.10008.1.2.1': { littleEndian: true, name: 'Explicit VR Little Endian' },
  '1.2.840.10008.1.2.2': { littleEndian: false, name: 'Explicit VR Big Endian' },
};

/** A decoded frame ready for resizing: values in 0..1, row-major, air dark. */
export interface GreyImage {
  width: number;
  height: number;
  data: Float32Array;
  /** Decisions a reader should know about (e.g. no window in the file, min-max used). */
  notes: string[];
}

/** Codes are 'triage.pixels.<reason>', each with its own translated message. */
function unsupported(reason: string, params: Record<string, string | number> = {}): AmurError {
  return new AmurError(`triage.pixels.${reason}`, params);
}

/**
 * Parses the file's bytes with dicom-parser (the team's header reader gives the transfer syntax of
 * files without a File Meta Information group, which dicom-parser cannot sniff).
 */
export function parseForPixels(bytes: Uint8Array, TransferSyntaxUID: string, hasFileMeta: boolean): DataSet {
  try {
    return hasFileMeta ? dicomParser.parseDicom(bytes) : dicomParser.parseDicom(bytes, { TransferSyntaxUID });
  } catch (e) {
    throw unsupported('parse', { detail: e instanceof Error ? e.message : String(e) });
  }
}

/** PS3.3 C.11.2.1.2: the VOI functions, each mapping a modality value to 0..1. */
function voiFunction(center: number, width: number, fn: string): (x: number) => number {
  switch (fn) {
    case 'LINEAR_EXACT':
      return (x) => {
        if (x <= center - width / 2) return 0;
        if (x > center + width / 2) return 1;
        return (x - center) / width + 0.5;
      };
    case 'SIGMOID':
      return (x) => 1 / (1 + Math.exp((-4 * (x - center)) / width));
    default: {
      // LINEAR, also used when the attribute is absent (its default) or holds an unknown term.
      const lo = center - 0.5 - (width - 1) / 2;
      const hi = center - 0.5 + (width - 1) / 2;
      return (x) => {
        if (x <= lo) return 0;
        if (x > hi) return 1;
        return (x - (center - 0.5)) / (width - 1) + 0.5;
      };
    }
  }
}

/** Decodes the first frame of an instance to a GreyImage, or throws 'triage.pixels.<reason>'. */
export function decodeGreyImage(ds: DataSet, TransferSyntaxUID: string): GreyImage {
  const syntax = UNCOMPRESSED_TRANSFER_SYNTAXES[TransferSyntaxUID];
  if (!syntax) throw unsupported('transferSyntax', { TransferSyntaxUID });
  const pm = readPixelModule(ds, 0, TransferSyntaxUID);
  const pi = pm.PhotometricInterpretation;
  if (pm.SamplesPerPixel !== 1 || (pi !== 'MONOCHROME1' && pi !== 'MONOCHROME2')) {
    throw unsupported('photometric', { PhotometricInterpretation: pi, SamplesPerPixel: pm.SamplesPerPixel });
  }
  const { Rows, Columns, BitsAllocated, BitsStored, HighBit, PixelRepresentation } = pm;
  if (BitsAllocated !== 8 && BitsAllocated !== 16) throw unsupported('bitsAllocated', { BitsAllocated });
  if (BitsStored < 1 || BitsStored > BitsAllocated || HighBit >= BitsAllocated || HighBit + 1 < BitsStored) {
    throw unsupported('bitsStored', { BitsStored, HighBit, BitsAllocated });
  }
  const el = ds.elements.x7fe00010;
  if (!el || el.encapsulatedPixelData) throw unsupported('encapsulated', { TransferSyntaxUID });
  const bytesPerPixel = BitsAllocated / 8;
  const count = Rows * Columns;
  if (el.length < count * bytesPerPixel || el.dataOffset + count * bytesPerPixel > ds.byteArray.length) {
    throw unsupported('truncated', { expected: count * bytesPerPixel, actual: Math.min(el.length, ds.byteArray.length - el.dataOffset) });
  }

  // The samples as a typed array: a view when the bytes allow it (8-bit, or aligned little-endian
  // 16-bit), a byte-swapped copy otherwise.
  const bytes = ds.byteArray;
  const start = bytes.byteOffset + el.dataOffset;
  let samples: Uint8Array | Uint16Array;
  if (bytesPerPixel === 1) {
    samples = bytes.subarray(el.dataOffset, el.dataOffset + count);
  } else if (syntax.littleEndian && start % 2 === 0) {
    samples = new Uint16Array(bytes.buffer, start, count);
  } else {
    const view = new DataView(bytes.buffer, start, count * 2);
    samples = new Uint16Array(count);
    for (let i = 0; i < count; i++) samples[i] = view.getUint16(i * 2, syntax.littleEndian);
  }

  // Every possible sample value (2^BitsAllocated of them) maps through one table that folds in the
  // High Bit / Bits Stored masking, the sign, the Modality LUT, the VOI and the MONOCHROME1 inversion,
  // so the per-pixel work is one table look-up even for a 3000x3000 16-bit radiograph.
  const shift = HighBit + 1 - BitsStored;
  const mask = (1 << BitsStored) - 1;
  const half = 1 << (BitsStored - 1);
  const signed = PixelRepresentation === 1;
  /** The stored value a sample holds: masked to Bits Stored, two's complement when signed. */
  const stored = (sample: number) => {
    const v = (sample >>> shift) & mask;
    return signed && v >= half ? v - 2 * half : v;
  };
  const modality = (sample: number) => stored(sample) * pm.RescaleSlope + pm.RescaleIntercept;
  const sampleLevels = 1 << BitsAllocated;
  const notes: string[] = [];
  let voi: (x: number) => number;
  if (pm.WindowCenter.length > 0 && pm.WindowWidth[0] >= 1) {
    voi = voiFunction(pm.WindowCenter[0], pm.WindowWidth[0], (pm.VOILUTFunction ?? 'LINEAR').trim().toUpperCase());
  } else {
    // No window: the frame's own range, found from the set of sample values present.
    const seen = new Uint8Array(sampleLevels);
    for (let i = 0; i < count; i++) seen[samples[i]] = 1;
    let lo = Infinity;
    let hi = -Infinity;
    for (let v = 0; v < sampleLevels; v++) {
      if (!seen[v]) continue;
      const m = modality(v);
      if (m < lo) lo = m;
      if (m > hi) hi = m;
    }
    const range = hi - lo;
    voi = range > 0 ? (x) => (x - lo) / range : () => 0;
    notes.push(pm.VOILUTSequence.length > 0 ? 'voi-lut-sequence-not-applied-min-max-used' : 'no-window-min-max-used');
  }
  const invert = pi === 'MONOCHROME1';
  const lut = new Float32Array(sampleLevels);
  for (let v = 0; v < sampleLevels; v++) {
    const y = voi(modality(v));
    lut[v] = invert ? 1 - y : y;
  }
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = lut[samples[i]];
  return { width: Columns, height: Rows, data, notes };
}
