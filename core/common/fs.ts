// File-system steps that durability depends on, in one place.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Makes a rename into `dir` durable; Windows cannot open a folder for fsync, and NTFS's journal makes its rename durable. */
export function fsyncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` by `bytes` in one step: written beside it under a hidden temp name, then renamed
 * over it, so that a crash leaves the old content or the new, never half of either. `durable` also
 * fsyncs the file and its folder (a draft: nothing saved may be lost to a power cut). On failure
 * the temp file is removed and the error thrown as it came (callers name it in their own terms).
 */
export function replaceFile(path: string, bytes: Buffer, options: { durable?: boolean } = {}): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, bytes, { flag: 'wx', mode: 0o600 });
    if (options.durable) {
      const fd = openSync(tmp, 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  if (options.durable) fsyncDir(dir);
}
