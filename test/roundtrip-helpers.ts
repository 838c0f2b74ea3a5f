// Small tools of the round-trip tests, on dcmtk (not Amur's code).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** dcmdump's full text of a file, converted to UTF-8 by dcmtk. */
export function dcmdumpText(path: string): string {
  return execFileSync('dcmdump', ['+U8', '-M', '+L', path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** A copy of a signed object with its signatures removed and a new SOP Instance UID: a forgery. */
export function forgeUnsignedCopy(bytes: Buffer): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'amur-forge-'));
  try {
    const p = join(dir, 'x.dcm');
    writeFileSync(p, bytes);
    // -gin: a new SOP Instance UID, in the dataset and the file meta header alike.
    execFileSync('dcmodify', ['-nb', '-e', '(fffa,fffa)', '-gin', p]);
    return readFileSync(p);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
