// The values of a measurement, computed from the image it was drawn on: lengths and areas in mm
// from Pixel Spacing (PS3.3 C.7.6.2.1.1: row spacing first, then column spacing), angles in
// degrees in physical space, and region statistics on modality values (stored value x Rescale
// Slope + Rescale Intercept: Hounsfield units for CT). Without Pixel Spacing, distances stay in
// pixels and say so. Plain functions over a decoded frame, so they run (and are tested) in Node.
import type { ImagePixelModule } from '../contract/imaging.js';
import type { ImagePoint, MeasuredUnit, MeasuredValue, MeasurementToolType } from '../contract/measurements.js';

/** What the computation needs of a decoded frame. */
export interface FramePixels {
  pixelModule: Pick<ImagePixelModule, 'Rows' | 'Columns' | 'RescaleSlope' | 'RescaleIntercept' | 'RescaleType' | 'PixelSpacing' | 'SOPClassUID'>;
  /** Stored values, Rows x Columns, row-major; undefined for a colour frame (no statistics then). */
  values?: ArrayLike<number>;
}

const CT_CLASSES = new Set(['1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.5.1.4.1.1.2.1', '1.2.840.10008.5.1.4.1.1.2.2']);

/** HU when the rescale says so or the image is CT (whose rescale yields HU by definition, PS3.3 C.8.2.1.1.5). */
export function valueUnit(m: FramePixels['pixelModule']): MeasuredUnit {
  if (m.RescaleType === 'HU' || CT_CLASSES.has(m.SOPClassUID)) return 'HU';
  return '1';
}

/** Column and row spacing in mm, or undefined when the image does not give them. */
function spacing(m: FramePixels['pixelModule']): { col: number; row: number } | undefined {
  const s = m.PixelSpacing;
  if (!s || !(s[0] > 0) || !(s[1] > 0)) return undefined;
  return { row: s[0], col: s[1] };
}

export function lengthOf(a: ImagePoint, b: ImagePoint, m: FramePixels['pixelModule']): MeasuredValue {
  const s = spacing(m);
  const dx = (b.x - a.x) * (s?.col ?? 1);
  const dy = (b.y - a.y) * (s?.row ?? 1);
  return { quantity: 'length', value: Math.hypot(dx, dy), unit: s ? 'mm' : 'px' };
}

/** The angle at `vertex` between the rays to `a` and `b`, 0–180°, measured in physical space. */
export function angleAt(a: ImagePoint, vertex: ImagePoint, b: ImagePoint, m: FramePixels['pixelModule']): MeasuredValue {
  const s = spacing(m) ?? { col: 1, row: 1 };
  const ux = (a.x - vertex.x) * s.col;
  const uy = (a.y - vertex.y) * s.row;
  const vx = (b.x - vertex.x) * s.col;
  const vy = (b.y - vertex.y) * s.row;
  const nu = Math.hypot(ux, uy);
  const nv = Math.hypot(vx, vy);
  const cos = nu && nv ? Math.max(-1, Math.min(1, (ux * vx + uy * vy) / (nu * nv))) : 1;
  return { quantity: 'angle', value: (Math.acos(cos) * 180) / Math.PI, unit: 'deg' };
}

export interface RegionStats {
  count: number;
  mean: number;
  stdDev: number;
  min: number;
  max: number;
}

/**
 * Statistics over the pixels whose centres lie inside the region (the bounding box given by two
 * opposite corners; `ellipse` for the inscribed ellipse). Population standard deviation, as
 * cornerstone-tools and OHIF report it.
 */
export function regionStats(corner1: ImagePoint, corner2: ImagePoint, frame: FramePixels, ellipse: boolean): RegionStats | undefined {
  const m = frame.pixelModule;
  const px = frame.values;
  if (!px) return undefined;
  const left = Math.min(corner1.x, corner2.x);
  const right = Math.max(corner1.x, corner2.x);
  const top = Math.min(corner1.y, corner2.y);
  const bottom = Math.max(corner1.y, corner2.y);
  const cx = (left + right) / 2;
  const cy = (top + bottom) / 2;
  const rx = (right - left) / 2;
  const ry = (bottom - top) / 2;
  const slope = m.RescaleSlope;
  const intercept = m.RescaleIntercept;
  let n = 0;
  let sum = 0;
  let sq = 0;
  let min = Infinity;
  let max = -Infinity;
  // Pixel (c, r) has its centre at (c + 0.5, r + 0.5).
  const c0 = Math.max(0, Math.ceil(left - 0.5));
  const c1 = Math.min(m.Columns - 1, Math.floor(right - 0.5));
  const r0 = Math.max(0, Math.ceil(top - 0.5));
  const r1 = Math.min(m.Rows - 1, Math.floor(bottom - 0.5));
  for (let r = r0; r <= r1; r++) {
    const y = r + 0.5;
    for (let c = c0; c <= c1; c++) {
      const x = c + 0.5;
      if (ellipse) {
        if (rx <= 0 || ry <= 0) continue;
        const ex = (x - cx) / rx;
        const ey = (y - cy) / ry;
        if (ex * ex + ey * ey > 1) continue;
      }
      const v = px[r * m.Columns + c]! * slope + intercept;
      n++;
      sum += v;
      sq += v * v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (n === 0) return undefined;
  const mean = sum / n;
  return { count: n, mean, stdDev: Math.sqrt(Math.max(0, sq / n - mean * mean)), min, max };
}

/** Area of the region in mm² (px² without Pixel Spacing): the ellipse's πab, the rectangle's width x height. */
export function regionArea(corner1: ImagePoint, corner2: ImagePoint, m: FramePixels['pixelModule'], ellipse: boolean): MeasuredValue {
  const s = spacing(m);
  const w = Math.abs(corner2.x - corner1.x) * (s?.col ?? 1);
  const h = Math.abs(corner2.y - corner1.y) * (s?.row ?? 1);
  return { quantity: 'area', value: ellipse ? (Math.PI * w * h) / 4 : w * h, unit: s ? 'mm2' : 'px2' };
}

/** The modality value of the pixel under a point, or undefined outside the image. */
export function probeValue(p: ImagePoint, frame: FramePixels): MeasuredValue | undefined {
  const m = frame.pixelModule;
  if (!frame.values) return undefined;
  const c = Math.floor(p.x);
  const r = Math.floor(p.y);
  if (c < 0 || r < 0 || c >= m.Columns || r >= m.Rows) return undefined;
  return { quantity: 'value', value: frame.values[r * m.Columns + c]! * m.RescaleSlope + m.RescaleIntercept, unit: valueUnit(m) };
}

/** Every value a tool reports, in a fixed order (the SR and the UI list them in this order). */
export function measure(toolType: MeasurementToolType, points: ImagePoint[], frame: FramePixels): MeasuredValue[] {
  const m = frame.pixelModule;
  switch (toolType) {
    case 'Length':
      return [lengthOf(points[0]!, points[1]!, m)];
    case 'Angle':
      return [angleAt(points[0]!, points[1]!, points[2]!, m)];
    case 'EllipticalRoi':
    case 'RectangleRoi': {
      const ellipse = toolType === 'EllipticalRoi';
      const out = [regionArea(points[0]!, points[1]!, m, ellipse)];
      const st = regionStats(points[0]!, points[1]!, frame, ellipse);
      if (st) {
        const unit = valueUnit(m);
        out.push(
          { quantity: 'mean', value: st.mean, unit },
          { quantity: 'stdDev', value: st.stdDev, unit },
          { quantity: 'min', value: st.min, unit },
          { quantity: 'max', value: st.max, unit },
        );
      }
      return out;
    }
    case 'Probe': {
      const v = probeValue(points[0]!, frame);
      return v ? [v] : [];
    }
    case 'ArrowAnnotate':
      return [];
  }
}

/** A frame's stored values as numbers, from the contract's ImageFrame bytes. */
export function framePixels(f: { pixelModule: ImagePixelModule; pixelArrayType: string; colour: boolean; pixels: Uint8Array }): FramePixels {
  if (f.colour) return { pixelModule: f.pixelModule };
  const b = f.pixels.byteOffset % 2 === 0 ? f.pixels : f.pixels.slice();
  const n = b.byteLength;
  let values: ArrayLike<number>;
  switch (f.pixelArrayType) {
    case 'Uint8': values = new Uint8Array(b.buffer, b.byteOffset, n); break;
    case 'Int8': values = new Int8Array(b.buffer, b.byteOffset, n); break;
    case 'Uint16': values = new Uint16Array(b.buffer, b.byteOffset, n / 2); break;
    default: values = new Int16Array(b.buffer, b.byteOffset, n / 2);
  }
  return { pixelModule: f.pixelModule, values };
}
