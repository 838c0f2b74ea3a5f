// Test corpora made at test time from real files: the 28-slice GE head CT of the shared data copied
// into several studies, each copy given fresh Study/Series UIDs and each file a fresh SOP Instance
// UID by dcmtk's dcmodify, so that every copy is stored (nothing is a duplicate of another).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { shared } from './shared-data.js';

/** A DICOM UID under the 2.25 root (PS3.5 B.2), unique without a registered root. */
export const newUid = () => `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`)}`;

/** Writes `copies` studies of the GE head CT under dest; returns the number of instances. */
export function makeCopiedCt(dest: string, copies: number): number {
  const series = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
  const slices = readdirSync(series).filter((n) => n.endsWith('.dcm')).sort();
  for (let i = 1; i <= copies; i++) {
    const dir = join(dest, `study-${i}`);
    mkdirSync(dir, { recursive: true });
    const targets = slices.map((n) => {
      const t = join(dir, n);
      copyFileSync(join(series, n), t);
      chmodSync(t, 0o644); // the shared data are read-only; dcmodify rewrites in place
      return t;
    });
    // One new Study and Series UID per copy, a new SOP Instance UID per file (-gin).
    const r = spawnSync('dcmodify', ['-nb', '-gin', '-m', `(0020,000D)=${newUid()}`, '-m', `(0020,000E)=${newUid()}`, ...targets]);
    assert.equal(r.status, 0, String(r.stderr));
  }
  return copies * slices.length;
}
