// Turns one DICOM instance into what a triage model sees: a grey image in 0..1 with air dark, after
// the Modality LUT, the VOI window the file carries and MONOCHROME1 inversion (manifest.json
// "preprocessing"). The pixels come from the application's one decoder (core/imaging's
// decodeImageFrame), so every transfer syntax the viewer shows (native, deflated, RLE, JPEG, JPEG-LS,
// JPEG 2000) is triaged from the same numbers the radiologist sees. What cannot be decoded exactly
// is refused with its reason (an 'imaging.*' or 'triage.pixels.<reason>' AmurError), because a
// guessed image gives a confident wrong score.
import { AmurError } from '../common/errors.js';
import type { ImageFrame } from '../contract/imaging.js';
import { decodeImageFrame } from '../imaging/decode.js';

/** A decoded frame ready for resizing: values in 0..1, row-major, air dark. */
export interface GreyImage {
  width: number;
  height: number;
  data: Float32Array;
  /** Decisions a reader should know about (e.g. no window in the file, min-max used). */
  notes: string[];
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

/** The decoded stored values of a grey frame as numbers (core/imaging has masked and sign-extended them). */
function storedValues(frame: ImageFrame): ArrayLike<number> {
  const { buffer, byteOffset, byteLength } = frame.pixels;
  switch (frame.pixelArrayType) {
    case 'Uint8': return frame.pixels;
    case 'Int8': return new Int8Array(buffer, byteOffset, byteLength);
    case 'Uint16': return new Uint16Array(buffer, byteOffset, byteLength / 2);
    case 'Int16': return new Int16Array(buffer, byteOffset, byteLength / 2);
  }
}

/** Brings a decoded grey frame to 0..1 through the Modality LUT, the VOI and MONOCHROME1 inversion. */
export function greyImageFromFrame(frame: ImageFrame): GreyImage {
  const pm = frame.pixelModule;
  const pi = pm.PhotometricInterpretation;
  if (frame.colour || pm.SamplesPerPixel !== 1 || (pi !== 'MONOCHROME1' && pi !== 'MONOCHROME2')) {
    throw new AmurError('triage.pixels.photometric', { PhotometricInterpretation: pi, SamplesPerPixel: pm.SamplesPerPixel });
  }
  const count = pm.Rows * pm.Columns;
  const samples = storedValues(frame);
  if (samples.length < count) {
    const bytesPer = frame.pixels.byteLength / samples.length;
    throw new AmurError('triage.pixels.truncated', { expected: count * bytesPer, actual: frame.pixels.byteLength });
  }

  // Every stored value between the frame's minimum and maximum maps through one table that folds in
  // the Modality LUT, the VOI and the MONOCHROME1 inversion, so the per-pixel work is one look-up
  // even for a 3000x3000 16-bit radiograph.
  const min = frame.minPixelValue;
  const levels = frame.maxPixelValue - min + 1;
  const modality = (v: number) => v * pm.RescaleSlope + pm.RescaleIntercept;
  const notes: string[] = [];
  let voi: (x: number) => number;
  if (pm.WindowCenter.length > 0 && pm.WindowWidth[0] >= 1) {
    voi = voiFunction(pm.WindowCenter[0], pm.WindowWidth[0], (pm.VOILUTFunction ?? 'LINEAR').trim().toUpperCase());
  } else {
    // No window: the frame's own range after rescale (a negative slope swaps its ends).
    const a = modality(min);
    const b = modality(frame.maxPixelValue);
    const lo = Math.min(a, b);
    const range = Math.max(a, b) - lo;
    voi = range > 0 ? (x) => (x - lo) / range : () => 0;
    notes.push(pm.VOILUTSequence.length > 0 ? 'voi-lut-sequence-not-applied-min-max-used' : 'no-window-min-max-used');
  }
  const invert = pi === 'MONOCHROME1';
  const lut = new Float32Array(levels);
  for (let k = 0; k < levels; k++) {
    const y = voi(modality(min + k));
    lut[k] = invert ? 1 - y : y;
  }
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = lut[samples[i] - min];
  return { width: pm.Columns, height: pm.Rows, data, notes };
}

/** Decodes the first frame of an instance's file bytes to a GreyImage, or throws why it cannot. */
export async function decodeGreyImage(bytes: Uint8Array, path = ''): Promise<GreyImage> {
  return greyImageFromFrame(await decodeImageFrame(bytes, 0, path));
}
