// Summary statistics for benchmark samples. The median is the figure we quote (robust to one slow
// repetition caused by another process on a shared machine); the minimum shows the best case the
// hardware allows; all samples are kept in the results so nothing is hidden.

export interface Summary {
  /** Every measured repetition, in milliseconds, in the order they ran. */
  samples_ms: number[];
  median_ms: number;
  min_ms: number;
  max_ms: number;
  mean_ms: number;
}

export function summarize(samples: number[]): Summary {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
  return {
    samples_ms: samples.map(round),
    median_ms: round(median),
    min_ms: round(sorted[0]),
    max_ms: round(sorted[sorted.length - 1]),
    mean_ms: round(mean),
  };
}

/** Ratio a/b rounded to what a reader can use; null when b is zero or missing. */
export function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || !(b > 0)) return null;
  return Math.round((a / b) * 100) / 100;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** Human formatting: "812 ms" or "12.4 s". */
export function fmtMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

/** Throughput in MB/s (10^6 bytes), as storage vendors quote it. */
export function mbPerS(bytes: number, ms: number): number {
  return Math.round((bytes / 1e6 / (ms / 1000)) * 10) / 10;
}
