// Turns what a user hands to the importer (files, folders, DICOMDIRs, zip archives, any mix) into
// one stream of candidate files, each read once. Folders are walked recursively; a DICOMDIR given
// by itself yields the files it references; a zip archive is extracted entry by entry into the
// store's temp folder, sealed on the way under a key that lives only in this process's memory
// (core/vault/file-cipher.ts), so that no clear copy of an entry ever lies on the disk, not even
// after a crash; the importer opens it to read its header and seals it again under its study's key.
//
// Zip archives are hostile until proven otherwise: entry names never become paths on disk (entries
// are written under numbered names, so "../" or absolute names cannot escape), the sizes each entry
// declares are enforced while inflating (yauzl validateEntrySizes), and an archive whose declared
// total would not fit on the disk, or whose entries inflate far beyond any real DICOM compression
// ratio, is refused before anything is written.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, realpath, rm, stat, statfs } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type yauzlTypes from 'yauzl';
import { AmurError } from '../common/errors.js';
import { readDicomDir } from '../dicom/dicomdir.js';
import { StudyStore } from '../store/store.js';
import { createEncryptStream, readSource, type FileSource, type SealedFile } from '../vault/file-cipher.js';

export interface Candidate {
  /** The file to read. */
  path: string;
  /** How the file is named to the user (for an archive entry: archive path + entry name). */
  displayPath: string;
  /** True for a file the importer made (an extracted entry): it may be moved, and must be removed. */
  owned: boolean;
  /** How many archives deep the file lies (0 for a file on disk). */
  archiveDepth?: number;
  /** An extracted entry: sealed under the import's own key, opened through this. */
  sealed?: SealedFile;
}

/** A path that could not even be looked at (missing, unreadable, a broken archive). */
export interface WalkRejection {
  rejected: AmurError;
  displayPath: string;
}

export type WalkItem = Candidate | WalkRejection;

export interface ZipLimits {
  /** Entries per archive. */
  maxEntries: number;
  /** Inflated bytes one entry may declare. */
  maxEntryBytes: number;
  /** Ratio of inflated to compressed size above which a large entry is taken for a bomb. */
  maxRatio: number;
  /** Nesting depth of archives within archives. */
  maxDepth: number;
  /** Free space to leave on the store's disk. */
  reserveBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 1_000_000,
  maxEntryBytes: 4 * 1024 ** 3,
  // Real DICOM compresses up to ~20:1 (zero-padded CT); deflate's own ceiling is ~1032:1.
  maxRatio: 200,
  maxDepth: 3,
  reserveBytes: 512 * 1024 ** 2,
};

const isZipName = (p: string) => /\.zip$/i.test(p);
const isDicomDirName = (p: string) => basename(p).toUpperCase() === 'DICOMDIR';

/**
 * Walks the inputs. Extraction folders cannot be removed while the caller still holds candidates
 * from them, so their removal is pushed onto `cleanups`, for the caller to run when it is done.
 */
/**
 * A store still being opened (the CLI derives its vault's key while the files are read): its
 * folder is known at once, the store itself when `opened` resolves.
 */
export interface OpeningStore {
  readonly home: string;
  readonly opened: Promise<StudyStore>;
}

/** Where an import goes: an open store, or one being opened. */
export type ImportTarget = StudyStore | OpeningStore;

export function storeOf(target: ImportTarget): Promise<StudyStore> {
  return target instanceof StudyStore ? Promise.resolve(target) : target.opened;
}

export async function* walkInputs(
  paths: string[],
  target: ImportTarget,
  cleanups: (() => Promise<void>)[],
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
  options: {
    archive?: { source: FileSource; displayPath: string; depth: number };
    /** A folder whose files are sealed under key, each with its path below root ('/'-separated) as context. */
    sealedUnder?: { root: string; key: Buffer };
  } = {},
): AsyncGenerator<WalkItem> {
  const sealedFile = (path: string): SealedFile | undefined => {
    const s = options.sealedUnder;
    if (!s) return undefined;
    const rel = relative(s.root, path);
    if (!rel || rel.startsWith('..') || isAbsolute(rel)) return undefined;
    return { path, key: s.key, context: rel.split(sep).join('/') };
  };
  // The key extracted entries are sealed under while they wait in the temp folder: this walk's own,
  // in memory only, wiped when the import is done.
  const entryKey = randomBytes(32);
  cleanups.push(async () => {
    entryKey.fill(0);
  });
  // The same file reached twice (a DICOMDIR and its folder both given) is read once.
  const seenFiles = new Set<string>();
  const seenDirs = new Set<string>();
  let homeRoot: string | undefined;

  async function* file(path: string, displayPath: string, explicit: boolean, knownReal?: string): AsyncGenerator<WalkItem> {
    let real = knownReal;
    if (real === undefined) {
      try {
        real = await realpath(path);
      } catch {
        yield { rejected: new AmurError('import.notFound', { path: displayPath }), displayPath };
        return;
      }
    }
    if (seenFiles.has(real)) return;
    seenFiles.add(real);
    const sealed = sealedFile(path);
    if (isZipName(path)) {
      yield* zip(sealed ?? path, displayPath, 1);
    } else if (isDicomDirName(path) && !sealed) {
      // Inside a folder walk the DICOMDIR's files are reached by the walk itself; given on its own,
      // it is the way in to the media's files.
      if (explicit) yield* dicomDir(path, displayPath);
    } else {
      yield { path, displayPath, owned: false, ...(sealed ? { sealed } : {}) };
    }
  }

  async function* dicomDir(path: string, displayPath: string): AsyncGenerator<WalkItem> {
    let refs: string[];
    try {
      refs = await readDicomDir(path);
    } catch (e) {
      yield { rejected: asAmurError(e, displayPath), displayPath };
      return;
    }
    let incomplete = false;
    for (const r of refs) {
      const p = isAbsolute(r) ? r : resolve(dirname(path), r);
      // Philips media index their studies through further directory files (S…\DIRFILE) whose
      // references the standard records do not reach, and a damaged DICOMDIR may name files that
      // are not there; in both cases the media's folder is walked as well, so what it holds is found.
      if (/^(DIRFILE|DICOMDIR)$/i.test(basename(p))) incomplete = true;
      else if (!(await stat(p).then((st) => st.isFile(), () => false))) incomplete = true;
      else yield* file(p, p, false);
    }
    if (incomplete) yield* dir(dirname(path));
  }

  async function* dir(path: string): AsyncGenerator<WalkItem> {
    let real: string;
    let entries: import('node:fs').Dirent[];
    try {
      real = await realpath(path);
      entries = await readdir(path, { withFileTypes: true });
    } catch (e) {
      yield { rejected: new AmurError('import.unreadable', { path, detail: (e as Error).message }), displayPath: path };
      return;
    }
    // A symbolic link back up the tree would otherwise be walked forever; AMUR_HOME (an import of a
    // home folder that holds it) would feed the import its own store, audit trail and reports.
    if (seenDirs.has(real) || real === (homeRoot ??= await realpath(target.home).catch(() => target.home))) return;
    seenDirs.add(real);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(path, e.name);
      if (e.isDirectory()) yield* dir(p);
      // A plain file's real path is its real folder's plus its name: no realpath call per file.
      else if (e.isFile()) yield* file(p, p, false, join(real, e.name));
      else if (e.isSymbolicLink()) yield* any(p, false);
      // Sockets, FIFOs and devices are not files a study could be in; reading a FIFO would block.
    }
  }

  async function* any(path: string, explicit: boolean): AsyncGenerator<WalkItem> {
    let st;
    try {
      st = await stat(path);
    } catch {
      yield { rejected: new AmurError('import.notFound', { path }), displayPath: path };
      return;
    }
    if (st.isDirectory()) yield* dir(path);
    else if (st.isFile()) yield* file(path, path, explicit);
    else yield { rejected: new AmurError('import.notAFile', { path }), displayPath: path };
  }

  async function* zip(archive: FileSource, displayPath: string, depth: number): AsyncGenerator<WalkItem> {
    // An archive is extracted into the store's temp folder: it waits for the store.
    const store = await storeOf(target);
    let zf: yauzlTypes.ZipFile;
    // An archive found inside another is itself a sealed entry: it is opened in memory.
    let bytes: Buffer | undefined;
    const openZip = async (): Promise<yauzlTypes.ZipFile> => {
      const yauzl = await loadYauzl();
      const o = { lazyEntries: true, autoClose: true, validateEntrySizes: true };
      if (typeof archive === 'string') return yauzl.openPromise(archive, o);
      bytes ??= await readSource(archive);
      return yauzl.fromBufferPromise(bytes, o);
    };
    try {
      zf = await openZip();
    } catch (e) {
      yield { rejected: new AmurError('import.badArchive', { path: displayPath, detail: (e as Error).message }), displayPath };
      return;
    }
    const guard = await checkArchive(zf, openZip, displayPath, store, limits);
    if (guard) {
      if (zf.isOpen) zf.close();
      yield { rejected: guard, displayPath };
      return;
    }
    const outDir = store.allocateTempPath('.zip');
    await mkdir(outDir, { recursive: true });
    cleanups.push(() => rm(outDir, { recursive: true, force: true }));
    let n = 0;
    try {
      for await (const entry of zf.eachEntry()) {
        if (entry.fileName.endsWith('/')) continue;
        const entryName = `${displayPath}/${entry.fileName}`;
        if (entry.isEncrypted()) {
          yield { rejected: new AmurError('import.encryptedEntry', { path: entryName }), displayPath: entryName };
          continue;
        }
        const out = join(outDir, String(++n));
        const sealed: SealedFile = { path: out, key: entryKey, context: `archive entry ${n}` };
        try {
          await pipeline(await zf.openReadStreamPromise(entry), createEncryptStream(entryKey, { context: sealed.context }), createWriteStream(out, { flags: 'wx', mode: 0o600 }));
        } catch (e) {
          await rm(out, { force: true });
          yield { rejected: new AmurError('import.badArchiveEntry', { path: entryName, detail: (e as Error).message }), displayPath: entryName };
          continue;
        }
        if (isZipName(entry.fileName) && depth < limits.maxDepth) {
          yield* zip(sealed, entryName, depth + 1);
          await rm(out, { force: true });
        } else {
          yield { path: out, displayPath: entryName, owned: true, archiveDepth: depth, sealed };
        }
      }
    } catch (e) {
      // A damaged central directory or a hostile name ends the archive; what came before stands.
      yield { rejected: new AmurError('import.badArchive', { path: displayPath, detail: (e as Error).message }), displayPath };
    } finally {
      if (zf.isOpen) zf.close();
    }
  }

  if (options.archive) {
    // A file already found to be a zip archive by its content (its name did not say so).
    const { source, displayPath, depth } = options.archive;
    if (depth > limits.maxDepth) yield { rejected: new AmurError('import.archiveTooDeep', { path: displayPath }), displayPath };
    else yield* zip(source, displayPath, depth);
    return;
  }
  for (const p of paths) yield* any(resolve(p), true);
}

/** True when the file starts with a zip local file header ("PK\x03\x04"). */
export async function looksLikeZip(file: FileSource): Promise<boolean> {
  if (typeof file !== 'string') {
    const b = await readSource(file).catch(() => Buffer.alloc(0));
    return b.length >= 4 && b.readUInt32LE(0) === 0x04034b50;
  }
  const path = file;
  const h = await open(path, 'r').catch(() => undefined);
  if (!h) return false;
  try {
    const b = Buffer.alloc(4);
    const { bytesRead } = await h.read(b, 0, 4, 0);
    return bytesRead === 4 && b.readUInt32LE(0) === 0x04034b50;
  } finally {
    await h.close();
  }
}

/** yauzl is loaded on the first archive: most imports have none, and every CLI start-up pays for what it loads. */
async function loadYauzl(): Promise<typeof yauzlTypes> {
  return (await import('yauzl')).default;
}

async function checkArchive(
  zf: yauzlTypes.ZipFile,
  openZip: () => Promise<yauzlTypes.ZipFile>,
  displayPath: string,
  store: StudyStore,
  limits: ZipLimits,
): Promise<AmurError | undefined> {
  if (zf.entryCount > limits.maxEntries) {
    return new AmurError('import.archiveTooLarge', { path: displayPath, detail: `${zf.entryCount} entries` });
  }
  // The central directory is read by a second handle so that the extraction's lazy iteration is untouched.
  let declared = 0;
  const probe = await openZip();
  try {
    for await (const e of probe.eachEntry()) {
      if (e.uncompressedSize > limits.maxEntryBytes) {
        return new AmurError('import.archiveTooLarge', { path: `${displayPath}/${e.fileName}`, detail: `${e.uncompressedSize} bytes` });
      }
      if (e.uncompressedSize > 1024 ** 2 && e.uncompressedSize > limits.maxRatio * Math.max(1, e.compressedSize)) {
        return new AmurError('import.archiveBomb', { path: `${displayPath}/${e.fileName}` });
      }
      declared += e.uncompressedSize;
    }
  } catch (e) {
    return new AmurError('import.badArchive', { path: displayPath, detail: (e as Error).message });
  } finally {
    if (probe.isOpen) probe.close();
  }
  const fs = await statfs(store.tmpDir);
  const free = fs.bavail * fs.bsize;
  if (declared > free - limits.reserveBytes) {
    return new AmurError('import.archiveTooLarge', { path: displayPath, detail: `${declared} bytes, ${free} free` });
  }
  return undefined;
}

function asAmurError(e: unknown, path: string): AmurError {
  if (e instanceof AmurError) return e;
  return new AmurError('import.unreadable', { path, detail: e instanceof Error ? e.message : String(e) });
}
