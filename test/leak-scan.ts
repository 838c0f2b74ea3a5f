// A forensic scan for tests that check what Amur leaves on disk: every file under a folder, and
// which of them hold a patient's name, ID or UIDs in the raw bytes, the way a program could have
// written them (UTF-8, as JSON and ISO_IR 192 DICOM do; UTF-16, as Chromium keeps JS strings; or
// any other encoding the test gives as bytes).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every file under a folder, following real folders only; a file that vanishes meanwhile is skipped. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      let s;
      try {
        s = statSync(p);
      } catch {
        continue;
      }
      if (s.isDirectory()) walk(p);
      else if (s.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** A needle as it may lie in a file: a string in UTF-8 and UTF-16, or the exact bytes given. */
function encodings(needle: string | Buffer): Buffer[] {
  return typeof needle === 'string' ? [Buffer.from(needle, 'utf8'), Buffer.from(needle, 'utf16le')] : [needle];
}

/** The needles that occur in `bytes`. */
export function holds<N extends string | Buffer>(bytes: Buffer, needles: readonly N[]): N[] {
  return needles.filter((n) => encodings(n).some((e) => bytes.includes(e)));
}

/** Which needles occur in which files, as "file: needle" (the file relative to `root` when given). */
export function scan(files: string[], needles: readonly (string | Buffer)[], root?: string): string[] {
  const hits: string[] = [];
  for (const f of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(f);
    } catch {
      continue;
    }
    for (const n of holds(bytes, needles)) hits.push(`${root ? relative(root, f) : f}: ${typeof n === 'string' ? n : n.toString('latin1')}`);
  }
  return hits;
}
