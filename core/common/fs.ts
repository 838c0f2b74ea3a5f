// File-system steps that durability depends on, in one place.
import { closeSync, fsyncSync, openSync } from 'node:fs';

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
