// Lists the files a DICOMDIR (PS3.10 Media Storage Directory, PS3.3 F.3) points to, so that media
// from a CD or USB stick import exactly the instances the directory names. Referenced File IDs are
// path components under the DICOMDIR's folder; they are written in upper case, while the files on a
// case-sensitive filesystem may not be, so each component is matched without regard to case.
// A reference that would leave the folder ("..", a separator inside a component) is refused.
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { AmurError } from '../common/errors.js';
import { MEDIA_STORAGE_DIRECTORY_STORAGE, parseFromSource, readDicomHeaderFromFile, withFile } from './header.js';
import { latin1 } from './charset.js';

const DIRECTORY_RECORD_SEQUENCE = 'x00041220';
const REFERENCED_FILE_ID = 'x00041500';
const RECORD_IN_USE_FLAG = 'x00041410';

const DIRECTORY_RECORD_TYPE = 'x00041430';
/** Records above the instance level; a file they reference is a vendor's nested directory file. */
const INTERMEDIATE_RECORDS = new Set(['PATIENT', 'STUDY', 'SERIES']);
const MAX_NESTING = 4;

interface Reference {
  components: string[];
  recordType: string;
}

/**
 * Absolute paths of the files the DICOMDIR's records reference, in record order, without repeats.
 * Some vendors (Philips "DIRFILE") split the directory: a STUDY or SERIES record references another
 * directory file whose records reference the images, still relative to the media root. Such nested
 * directories are followed, and the images they list are returned in their place; a nested directory
 * file that is missing is returned as is, so that the importer reports it.
 */
export async function readDicomDir(path: string): Promise<string[]> {
  const root = resolve(dirname(path));
  const files: string[] = [];
  const seen = new Set<string>();
  const visited = new Set<string>([resolve(path)]);
  const listings = new Map<string, Promise<string[]>>();

  const visit = async (dirFile: string, depth: number): Promise<void> => {
    for (const ref of await readReferences(dirFile)) {
      const file = await resolveReference(root, ref.components, listings);
      if (!file.startsWith(root) || relative(root, file).startsWith('..') || isAbsolute(relative(root, file))) {
        throw new AmurError('dicom.dicomDirEscape', { path: dirFile, reference: ref.components.join('\\') });
      }
      if (INTERMEDIATE_RECORDS.has(ref.recordType) && depth < MAX_NESTING && !visited.has(file) && await isDirectoryFile(file)) {
        visited.add(file);
        await visit(file, depth + 1);
        continue;
      }
      if (!seen.has(file)) {
        seen.add(file);
        files.push(file);
      }
    }
  };
  await visit(path, 0);
  return files;
}

async function isDirectoryFile(file: string): Promise<boolean> {
  try {
    return (await readDicomHeaderFromFile(file)).isDicomDir;
  } catch {
    return false; // missing or unreadable: returned to the importer, which reports it
  }
}

async function readReferences(path: string): Promise<Reference[]> {
  return withFile(path, {}, async (source) => {
    const parsed = await parseFromSource(source, path, { untilPixelData: false });
    const { dataSet } = parsed;
    const records = dataSet.elements[DIRECTORY_RECORD_SEQUENCE];
    if (parsed.MediaStorageSOPClassUID !== MEDIA_STORAGE_DIRECTORY_STORAGE && !records) {
      throw new AmurError('dicom.notDicomDir', { path });
    }
    const refs: Reference[] = [];
    for (const item of records?.items ?? []) {
      const ds = item.dataSet;
      const el = ds?.elements[REFERENCED_FILE_ID];
      if (!ds || !el || el.length === 0) continue;
      // An inactive record (Record In-use Flag 0000H) describes a file that was removed.
      const inUse = ds.elements[RECORD_IN_USE_FLAG];
      if (inUse && inUse.length >= 2 && ds.uint16(RECORD_IN_USE_FLAG) === 0) continue;
      const value = text(ds.byteArray, el.dataOffset, el.length, path);
      const components = value.split('\\').map((c) => c.trim());
      for (const c of components) {
        if (c === '' || c === '.' || c === '..' || /[/\\:\0]/.test(c)) {
          throw new AmurError('dicom.dicomDirEscape', { path, reference: value });
        }
      }
      const typeEl = ds.elements[DIRECTORY_RECORD_TYPE];
      const recordType = typeEl ? text(ds.byteArray, typeEl.dataOffset, typeEl.length, path).trim() : '';
      refs.push({ components, recordType });
    }
    return refs;
  });
}

function text(bytes: Uint8Array, offset: number, length: number, path: string): string {
  if (offset + length > bytes.length) throw new AmurError('dicom.lengthPastEnd', { path });
  return latin1(bytes.subarray(offset, offset + length)).replace(/[\0 ]+$/, '');
}

/** Joins the components under the root, matching each one to a directory entry regardless of case. */
async function resolveReference(root: string, components: string[], listings: Map<string, Promise<string[]>>): Promise<string> {
  const list = (dir: string) => {
    let p = listings.get(dir);
    if (!p) {
      p = readdir(dir).catch(() => [] as string[]);
      listings.set(dir, p);
    }
    return p;
  };
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
  return cur;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
