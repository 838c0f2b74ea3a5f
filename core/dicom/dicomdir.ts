// Lists the files a DICOMDIR (PS3.10 Media Storage Directory, PS3.3 F.3) points to, so that media
// from a CD or USB stick import exactly the instances the directory names. Referenced File IDs are
// path components under the DICOMDIR's folder; they are written in upper case, while the files on a
// case-sensitive filesystem may not be, so each component is matched without regard to case.
// A reference that would leave the folder ("..", a separator inside a component) is refused.
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { AmurError } from '../common/errors.js';
import { MEDIA_STORAGE_DIRECTORY_STORAGE, parseFromSource, withFile } from './header.js';
import { latin1 } from './charset.js';

const DIRECTORY_RECORD_SEQUENCE = 'x00041220';
const REFERENCED_FILE_ID = 'x00041500';
const RECORD_IN_USE_FLAG = 'x00041410';

/** Absolute paths of the files the DICOMDIR's records reference, in record order, without repeats. */
export async function readDicomDir(path: string): Promise<string[]> {
  const root = resolve(dirname(path));
  const references = await withFile(path, {}, async (source) => {
    const parsed = await parseFromSource(source, path, { untilPixelData: false });
    const { dataSet } = parsed;
    const records = dataSet.elements[DIRECTORY_RECORD_SEQUENCE];
    if (parsed.MediaStorageSOPClassUID !== MEDIA_STORAGE_DIRECTORY_STORAGE && !records) {
      throw new AmurError('dicom.notDicomDir', { path });
    }
    const refs: string[][] = [];
    for (const item of records?.items ?? []) {
      const ds = item.dataSet;
      const el = ds?.elements[REFERENCED_FILE_ID];
      if (!ds || !el || el.length === 0) continue;
      // An inactive record (Record In-use Flag 0000H) describes a file that was removed.
      const inUse = ds.elements[RECORD_IN_USE_FLAG];
      if (inUse && inUse.length >= 2 && ds.uint16(RECORD_IN_USE_FLAG) === 0) continue;
      if (el.dataOffset + el.length > ds.byteArray.length) throw new AmurError('dicom.lengthPastEnd', { path });
      const value = latin1(ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length)).replace(/[\0 ]+$/, '');
      const components = value.split('\\').map((c) => c.trim());
      for (const c of components) {
        if (c === '' || c === '.' || c === '..' || /[/\\:\0]/.test(c)) {
          throw new AmurError('dicom.dicomDirEscape', { path, reference: value });
        }
      }
      refs.push(components);
    }
    return refs;
  });

  const listings = new Map<string, Promise<string[]>>();
  const list = (dir: string) => {
    let p = listings.get(dir);
    if (!p) {
      p = readdir(dir).catch(() => [] as string[]);
      listings.set(dir, p);
    }
    return p;
  };
  const seen = new Set<string>();
  const files: string[] = [];
  for (const components of references) {
    let cur = root;
    for (const c of components) {
      const exact = join(cur, c);
      if (await exists(exact)) {
        cur = exact;
        continue;
      }
      const upper = c.toUpperCase();
      const match = (await list(cur)).find((name) => name.toUpperCase() === upper);
      cur = join(cur, match ?? c);
    }
    const rel = relative(root, cur);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new AmurError('dicom.dicomDirEscape', { path, reference: components.join('\\') });
    }
    if (!seen.has(cur)) {
      seen.add(cur);
      files.push(cur);
    }
  }
  return files;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
