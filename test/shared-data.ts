// The one setting through which tests and benchmarks find the shared test data (real DICOM files,
// the chest X-ray set). AMUR_SHARED overrides; the default is ../shared beside the repository.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export const SHARED = resolve(process.env.AMUR_SHARED || resolve(repoRoot, '..', 'shared'));
export const REPO_ROOT = repoRoot;

/** A path inside the shared data; fails loudly when the data are missing, never skips. */
export function shared(...parts: string[]): string {
  const p = resolve(SHARED, ...parts);
  if (!existsSync(p)) throw new Error(`shared test data missing: ${parts.join('/')} (set AMUR_SHARED)`);
  return p;
}

/** Debian's python3-pydicom test data (installed by .ci/run). */
export const PYDICOM_DATA = process.env.AMUR_PYDICOM_DATA || '/usr/lib/python3/dist-packages/pydicom/data';
