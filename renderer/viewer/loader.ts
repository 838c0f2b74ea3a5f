// The viewer's only image source: the `amur:` image loader, which asks the host for a decoded frame
// (imaging.getImageFrame) and wraps it as a cornerstone image. No codec runs in the page, so the
// Content-Security-Policy keeps out 'unsafe-eval'.
import cornerstone, { type Image, type ImageLoadObject } from 'cornerstone-core';
import type { ImageFrame, ImagePixelModule } from '../../core/contract/imaging';
import { services } from '../shell';
import { parseImageId, SCHEME } from './image-id.js';

export { imageIdOf, parseImageId } from './image-id.js';

/** The pixel module of each loaded image, for overlays and for the "image's own window" preset. */
const modules = new Map<string, ImagePixelModule>();
export function pixelModuleOf(imageId: string): ImagePixelModule | undefined {
  return modules.get(imageId);
}

function typedPixels(f: ImageFrame): ArrayLike<number> {
  const b = f.pixels;
  // The transports hand over an aligned, private buffer; view it without copying.
  const buf = b.byteOffset % 2 === 0 ? b : b.slice();
  switch (f.pixelArrayType) {
    case 'Uint8': return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    case 'Int8': return new Int8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    case 'Uint16': return new Uint16Array(buf.buffer, buf.byteOffset, buf.byteLength / 2);
    case 'Int16': return new Int16Array(buf.buffer, buf.byteOffset, buf.byteLength / 2);
  }
}

/** cornerstone renders colour from RGBA; the host sends RGB (a quarter less to carry). */
function rgba(rgb: ArrayLike<number>, pixels: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(pixels * 4);
  for (let i = 0, j = 0; i < pixels; i++, j += 3) {
    out[i * 4] = rgb[j];
    out[i * 4 + 1] = rgb[j + 1];
    out[i * 4 + 2] = rgb[j + 2];
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** The default window: the instance's first, else the full range of the modality values. */
export function defaultWindow(m: ImagePixelModule, min: number, max: number): { windowCenter: number; windowWidth: number } {
  if (m.WindowWidth.length > 0 && m.WindowWidth[0] > 0) return { windowCenter: m.WindowCenter[0], windowWidth: m.WindowWidth[0] };
  const lo = min * m.RescaleSlope + m.RescaleIntercept;
  const hi = max * m.RescaleSlope + m.RescaleIntercept;
  return { windowCenter: (lo + hi) / 2, windowWidth: Math.max(1, hi - lo) };
}

export function toCornerstoneImage(imageId: string, f: ImageFrame): Image {
  const m = f.pixelModule;
  const pixels = m.Rows * m.Columns;
  const data = f.colour ? rgba(typedPixels(f), pixels) : typedPixels(f);
  const win = f.colour ? { windowCenter: 128, windowWidth: 256 } : defaultWindow(m, f.minPixelValue, f.maxPixelValue);
  const lut = m.VOILUTSequence[0];
  modules.set(imageId, m);
  const image: Image = {
    imageId,
    minPixelValue: f.minPixelValue,
    maxPixelValue: f.maxPixelValue,
    slope: m.RescaleSlope,
    intercept: m.RescaleIntercept,
    windowCenter: win.windowCenter,
    windowWidth: win.windowWidth,
    getPixelData: () => data,
    rows: m.Rows,
    columns: m.Columns,
    height: m.Rows,
    width: m.Columns,
    color: f.colour,
    rgba: f.colour,
    rowPixelSpacing: m.PixelSpacing?.[0],
    columnPixelSpacing: m.PixelSpacing?.[1],
    // MONOCHROME1 shows low values bright (PS3.3 C.7.6.3.1.2); cornerstone starts inverted then.
    invert: m.PhotometricInterpretation === 'MONOCHROME1',
    sizeInBytes: (data as unknown as ArrayBufferView).byteLength,
  };
  // A VOI LUT in the instance is used when it gives no window (PS3.3 C.11.2: a window, if present, wins by default).
  if (lut && !(m.WindowWidth.length > 0)) {
    image.voiLUT = { firstValueMapped: lut.LUTDescriptor[1], numBitsPerEntry: lut.LUTDescriptor[2], lut: lut.LUTData };
  }
  return image;
}

function loadImage(imageId: string, options?: Record<string, unknown>): ImageLoadObject {
  const { SOPInstanceUID, frame } = parseImageId(imageId);
  const prefetch = options?.prefetch === true;
  const promise = services.imaging.getImageFrame(SOPInstanceUID, frame, { prefetch }).then((f) => toCornerstoneImage(imageId, f));
  return { promise };
}

let registered = false;
export function registerLoader(): void {
  if (registered) return;
  registered = true;
  cornerstone.registerImageLoader(SCHEME, loadImage);
}
