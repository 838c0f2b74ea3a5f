// From a decoded grey image to the model's input tensor: stretched to the model's square size with
// an antialiased bilinear (triangle) filter, then normalised with the manifest's mean and std.
// The filter is separable and its weights are computed once per (source size, target size).
import type { GreyImage } from './pixels.js';

interface Weights {
  start: Int32Array;
  length: Int32Array;
  /** `length[i]` weights for output i, at i * stride. */
  values: Float32Array;
  stride: number;
}

/**
 * The triangle filter widened by the scale when shrinking (so every source pixel contributes: area
 * averaging, no aliasing) and plain bilinear when enlarging. At equal sizes the weights are exactly
 * the identity, so a 256x256 input passes through unchanged.
 */
function filterWeights(src: number, dst: number): Weights {
  const scale = src / dst;
  const support = Math.max(scale, 1);
  const stride = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(dst);
  const length = new Int32Array(dst);
  const values = new Float32Array(dst * stride);
  for (let i = 0; i < dst; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support));
    const hi = Math.min(src, Math.ceil(center + support));
    let sum = 0;
    const w: number[] = [];
    for (let j = lo; j < hi; j++) {
      const x = Math.abs((j + 0.5 - center) / support);
      const v = x < 1 ? 1 - x : 0;
      w.push(v);
      sum += v;
    }
    // Trim zero weights at both ends so the inner loops do no useless work.
    let a = 0;
    let b = w.length;
    while (a < b && w[a] === 0) a++;
    while (b > a && w[b - 1] === 0) b--;
    start[i] = lo + a;
    length[i] = b - a;
    for (let k = a; k < b; k++) values[i * stride + (k - a)] = w[k] / sum;
  }
  return { start, length, values, stride };
}

const cache = new Map<string, Weights>();
function weights(src: number, dst: number): Weights {
  const key = `${src}>${dst}`;
  let w = cache.get(key);
  if (!w) {
    w = filterWeights(src, dst);
    if (cache.size > 64) cache.clear();
    cache.set(key, w);
  }
  return w;
}

export interface Normalisation {
  mean: number;
  std: number;
}

/** Resizes to size x size and normalises, writing into `out` (length size*size) when given. */
export function toInputTensor(img: GreyImage, size: number, norm: Normalisation, out: Float32Array = new Float32Array(size * size)): Float32Array {
  const { width, height, data } = img;
  const inv = 1 / norm.std;
  if (width === size && height === size) {
    // Already the model's size (the filter would be the identity): normalise only.
    for (let i = 0; i < data.length; i++) out[i] = (data[i] - norm.mean) * inv;
    return out;
  }
  // A detector-sized image (4x the model's size or more) is first averaged over f x f blocks, to at
  // least twice the model's size: the triangle filter then needs a few taps instead of dozens, and
  // averaging before an antialiasing filter loses nothing it would have kept.
  const f = Math.min(Math.floor(width / (2 * size)), Math.floor(height / (2 * size)));
  if (f >= 2) return toInputTensor(boxReduce(img, f), size, norm, out);
  const wx = weights(width, size);
  const wy = weights(height, size);
  // Horizontal pass first (rows x size), then vertical into the output with the normalisation.
  const tmp = new Float32Array(height * size);
  const { start: xs, length: xn, values: xv, stride: xstride } = wx;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const o = y * size;
    for (let x = 0; x < size; x++) {
      const s = row + xs[x];
      const n = xn[x];
      const base = x * xstride;
      let acc = 0;
      for (let k = 0; k < n; k++) acc += data[s + k] * xv[base + k];
      tmp[o + x] = acc;
    }
  }
  for (let y = 0; y < size; y++) {
    const s = wy.start[y];
    const n = wy.length[y];
    const base = y * wy.stride;
    const o = y * size;
    for (let x = 0; x < size; x++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += tmp[(s + k) * size + x] * wy.values[base + k];
      out[o + x] = (acc - norm.mean) * inv;
    }
  }
  return out;
}

/** Averages f x f blocks; a last partial row or column of blocks averages what it has. */
export function boxReduce(img: GreyImage, f: number): GreyImage {
  const { width, height, data } = img;
  const w = Math.ceil(width / f);
  const h = Math.ceil(height / f);
  const sums = new Float32Array(w * h);
  const counts = new Float32Array(w * h);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const o = Math.floor(y / f) * w;
    for (let x = 0, bx = 0, k = 0; x < width; x++) {
      sums[o + bx] += data[row + x];
      counts[o + bx] += 1;
      if (++k === f) {
        k = 0;
        bx++;
      }
    }
  }
  for (let i = 0; i < sums.length; i++) sums[i] /= counts[i];
  return { width: w, height: h, data: sums, notes: img.notes };
}
