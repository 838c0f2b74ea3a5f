// What a benchmark file is. bench/run.ts loads every bench/*.bench.ts; each default-exports a Bench.
// Benchmarks are not tests: they assert nothing about time, they measure and write results.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchContext {
  /** Repository root (absolute). */
  repoRoot: string;
  /** Scratch space on the repository's filesystem (bench/tmp/, git-ignored); the bench cleans its own subfolder. */
  tmpRoot: string;
  /** bench/results/ */
  resultsDir: string;
  /** Options given after the benchmark names, e.g. `--reps=3 --quick`. */
  options: Record<string, string | boolean>;
  log(message: string): void;
}

export interface Bench {
  /** The name `npm run bench -- NAME` selects; the file is bench/NAME.bench.ts. */
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<void>;
}

export function numberOption(ctx: BenchContext, key: string, fallback: number): number {
  const v = ctx.options[key];
  if (v === undefined || v === true || v === false) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${key} must be a positive number (got ${v})`);
  return n;
}

/** The bench's own scratch folder under bench/tmp/, emptied of what an earlier run left. */
export function freshWorkDir(ctx: BenchContext, name: string): string {
  const dir = join(ctx.tmpRoot, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}
