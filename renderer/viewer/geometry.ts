// Patient-space geometry of image planes (PS3.3 C.7.6.2.1.1) for linked scrolling and reference
// lines: where a pixel lies in the patient, the slice of another series nearest a position along
// its normal, and the line along which one image's plane cuts another image. Plain numbers, no
// DOM and no cornerstone, so it is unit-tested in Node.
import type { ImagePlane } from '../../core/contract/imaging.js';

export type Vec3 = [number, number, number];

const sub = (a: readonly number[], b: readonly number[]): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const add = (a: readonly number[], b: readonly number[]): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const scale = (a: readonly number[], k: number): Vec3 => [a[0] * k, a[1] * k, a[2] * k];
export const dot = (a: readonly number[], b: readonly number[]): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const cross = (a: readonly number[], b: readonly number[]): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: readonly number[]): number => Math.sqrt(dot(a, a));

/** A plane with everything needed for geometry: a plane without position or orientation has none. */
export interface PlaneGeometry {
  origin: Vec3;
  /** Direction of increasing column index (along a row), then of increasing row index. */
  row: Vec3;
  column: Vec3;
  normal: Vec3;
  /** mm between rows, then between columns (Pixel Spacing's order). */
  spacing: [number, number];
  Rows: number;
  Columns: number;
  FrameOfReferenceUID?: string;
}

export function planeGeometry(p: ImagePlane): PlaneGeometry | undefined {
  const o = p.ImageOrientationPatient;
  if (!p.ImagePositionPatient || !o || !p.PixelSpacing) return undefined;
  const row: Vec3 = [o[0], o[1], o[2]];
  const column: Vec3 = [o[3], o[4], o[5]];
  const n = cross(row, column);
  const len = norm(n);
  if (!(len > 1e-6)) return undefined;
  return {
    origin: [p.ImagePositionPatient[0], p.ImagePositionPatient[1], p.ImagePositionPatient[2]],
    row,
    column,
    normal: scale(n, 1 / len),
    spacing: p.PixelSpacing,
    Rows: p.Rows,
    Columns: p.Columns,
    FrameOfReferenceUID: p.FrameOfReferenceUID,
  };
}

/** The patient position (mm) of the centre of pixel (column x, row y), fractional indices allowed. */
export function patientPoint(g: PlaneGeometry, x: number, y: number): Vec3 {
  return add(g.origin, add(scale(g.row, x * g.spacing[1]), scale(g.column, y * g.spacing[0])));
}

/** The pixel (column, row) where a patient point projects onto a plane. */
export function pixelOf(g: PlaneGeometry, p: readonly number[]): { x: number; y: number } {
  const d = sub(p, g.origin);
  return { x: dot(d, g.row) / g.spacing[1], y: dot(d, g.column) / g.spacing[0] };
}

/** The centre of an image in patient space. */
export function centreOf(g: PlaneGeometry): Vec3 {
  return patientPoint(g, (g.Columns - 1) / 2, (g.Rows - 1) / 2);
}

/** Planes are parallel when their normals are within `degrees` of each other (either sense). */
export function parallel(a: PlaneGeometry, b: PlaneGeometry, degrees = 5): boolean {
  return Math.abs(dot(a.normal, b.normal)) >= Math.cos((degrees * Math.PI) / 180);
}

/**
 * The index of the slice of `stack` nearest to patient point `p`, measured along each slice's own
 * normal (the distance from the point to the slice's plane); undefined when no slice has geometry.
 * With `maxDistance`, a slice farther than that does not count (the series does not cover the point).
 */
export function nearestSlice(stack: readonly (PlaneGeometry | undefined)[], p: readonly number[], maxDistance = Infinity): number | undefined {
  let best: number | undefined;
  let bestDistance = Infinity;
  stack.forEach((g, i) => {
    if (!g) return;
    const d = Math.abs(dot(sub(p, g.origin), g.normal));
    if (d < bestDistance) {
      bestDistance = d;
      best = i;
    }
  });
  return bestDistance <= maxDistance ? best : undefined;
}

/**
 * The reference line of `source` on `target`: the segment, in target pixel coordinates, where the
 * source image's plane cuts the target image, clipped to the target's extent; undefined when the
 * planes are (nearly) parallel, belong to different frames of reference, or meet outside the image.
 */
export function referenceLine(source: PlaneGeometry, target: PlaneGeometry): { x1: number; y1: number; x2: number; y2: number } | undefined {
  if (source.FrameOfReferenceUID && target.FrameOfReferenceUID && source.FrameOfReferenceUID !== target.FrameOfReferenceUID) return undefined;
  if (!source.FrameOfReferenceUID || !target.FrameOfReferenceUID) return undefined;
  if (parallel(source, target, 1)) return undefined;
  // The source plane: dot(n, P - o) = 0. On the target, P(x, y) = o' + x·sc·row' + y·sr·col';
  // so a·x + b·y + c = 0 with these coefficients (pixel units).
  const a = dot(source.normal, target.row) * target.spacing[1];
  const b = dot(source.normal, target.column) * target.spacing[0];
  const c = dot(source.normal, sub(target.origin, source.origin));
  // Clip the infinite line to the image rectangle [-0.5, Columns-0.5] × [-0.5, Rows-0.5].
  const x0 = -0.5;
  const x1 = target.Columns - 0.5;
  const y0 = -0.5;
  const y1 = target.Rows - 0.5;
  const points: { x: number; y: number }[] = [];
  const push = (x: number, y: number) => {
    if (x < x0 - 1e-6 || x > x1 + 1e-6 || y < y0 - 1e-6 || y > y1 + 1e-6) return;
    if (points.some((q) => Math.abs(q.x - x) < 1e-6 && Math.abs(q.y - y) < 1e-6)) return;
    points.push({ x, y });
  };
  if (Math.abs(b) > 1e-12) {
    push(x0, -(a * x0 + c) / b);
    push(x1, -(a * x1 + c) / b);
  }
  if (Math.abs(a) > 1e-12) {
    push(-(b * y0 + c) / a, y0);
    push(-(b * y1 + c) / a, y1);
  }
  if (points.length < 2) return undefined;
  // Two distinct crossings of the rectangle; with four (a diagonal through corners) the extremes.
  points.sort((p, q) => p.x - q.x || p.y - q.y);
  const first = points[0];
  const last = points[points.length - 1];
  return { x1: first.x, y1: first.y, x2: last.x, y2: last.y };
}

/** The same plane (so a redraw of the same image changes nothing downstream). */
export function samePlane(a: PlaneGeometry | undefined, b: PlaneGeometry | undefined): boolean {
  if (!a || !b) return a === b;
  const eq = (x: readonly number[], y: readonly number[]) => x.every((v, i) => v === y[i]);
  return eq(a.origin, b.origin) && eq(a.row, b.row) && eq(a.column, b.column) && eq(a.spacing, b.spacing) && a.Rows === b.Rows && a.Columns === b.Columns && a.FrameOfReferenceUID === b.FrameOfReferenceUID;
}

/**
 * The slice of a stack that linked scrolling shows for `source`: the nearest (by distance along
 * the normal from the source image's centre) among slices of the same frame of reference and
 * (nearly) the same orientation, within `maxDistance` mm; undefined when the stack is not linked.
 */
export function linkedSlice(source: PlaneGeometry, stack: readonly (PlaneGeometry | undefined)[], maxDistance = 10): number | undefined {
  if (!source.FrameOfReferenceUID) return undefined;
  const same = stack.map((g) => (g && g.FrameOfReferenceUID === source.FrameOfReferenceUID && parallel(g, source, 10) ? g : undefined));
  return nearestSlice(same, centreOf(source), maxDistance);
}
