// Imports DICOM files into the study store: the one implementation behind `amur import` and the
// UI's StudyService.importPaths. Headers are read by a pool of worker threads when the caller hosts
// a UI, on this thread otherwise (asynchronous I/O either way); files are copied into the store's
// temp folder, sealed under their study's key (core/vault), while other headers are being read; batches of them are
// moved into place and catalogued on this thread, one transaction per batch. A file that cannot be imported is reported with its path
// and a translated reason, and the import goes on; nothing already stored is changed by a failure.
import { rm } from 'node:fs/promises';
import { audit } from '../audit/index.js';
import { AmurError } from '../common/errors.js';
import type { ImportNotice, ImportProgress, ImportSummary, RejectedFile, SourceSummary } from '../contract/studies.js';
import { REQUIRED_KEYWORDS, type DicomHeader } from '../dicom/attributes.js';
import { readDicomHeaderFromBytes, readDicomHeaderFromFile } from '../dicom/header.js';
import { errorMessage, t, type Language } from '../i18n/index.js';
import { discardFile, type IncomingInstance, type StudyStore } from '../store/store.js';
import { readSource } from '../vault/file-cipher.js';
import { HeaderPool } from './header-pool.js';
import { probeFile } from './probe.js';
import { DEFAULT_ZIP_LIMITS, looksLikeZip, storeOf, walkInputs, type Candidate, type ImportTarget, type ZipLimits } from './walk.js';

export type { ImportTarget, OpeningStore } from './walk.js';

export interface ImportOptions {
  /** The source the new studies belong to (or how to find it once the store is open); local media when absent. */
  source?: SourceSummary | ((store: StudyStore) => SourceSummary);
  /** Language of the rejection reasons. */
  lang?: Language;
  onProgress?: (p: ImportProgress) => void;
  /** Least time between two progress reports, ms (the first and the last are always reported). */
  progressIntervalMs?: number;
  /**
   * Header-reading worker threads for this import. 0 (the default) reads headers on this thread,
   * still with asynchronous I/O, which suits the CLI and benchmarks: a worker costs about a second
   * of start-up (loading the TypeScript reader), more than it saves on all but very large imports.
   * A host with a UI passes a long-lived `pool` instead (LocalStudyService does).
   */
  workers?: number;
  /** A pool to read headers with, kept by the caller across imports (then `workers` is ignored). */
  pool?: HeaderPool;
  zipLimits?: ZipLimits;
  /**
   * Record the import in the audit trail (the default). A pull turns it off: it records the study's
   * arrival from the exchange itself, once, rather than one import per batch.
   */
  audit?: boolean;
  /** The given folder's files are sealed under this key (the browser shell's uploads, see walk.ts). */
  sealedUnder?: { root: string; key: Buffer };
}

/** Instances committed per transaction: large enough that commits cost nothing, small enough to show progress. */
const BATCH = 256;
/** A partly filled batch is committed after this long, so progress and crash loss stay small on slow inputs. */
const BATCH_MAX_AGE_MS = 200;
/**
 * While the store is still being opened (an OpeningStore), files read and parsed ahead wait for it:
 * this many at most, holding this many bytes at most, so reading never waits for the key and
 * memory stays bounded.
 */
const AHEAD_FILES = 1024;
const AHEAD_BYTES = 128 * 1024 ** 2;

interface HeaderReader {
  read(path: string): Promise<DicomHeader>;
}

interface Pending extends IncomingInstance {
  displayPath: string;
}

/**
 * Imports `paths` into `target`: an open store, or one still being opened (the CLI's, while its
 * vault's key is derived), in which case files are read and their headers parsed meanwhile.
 */
export async function importPaths(target: ImportTarget, paths: string[], options: ImportOptions = {}): Promise<ImportSummary> {
  const lang = options.lang ?? 'en';
  // Set once the store is open; everything that writes waits for that.
  let store: StudyStore | undefined;
  let source!: SourceSummary;
  const opened: Promise<StudyStore> = storeOf(target).then((s) => {
    source = typeof options.source === 'function' ? options.source(s) : (options.source ?? s.defaultSource());
    store = s;
    return s;
  });
  // A store that could not be opened (a wrong passphrase) ends the walk; importPaths throws its error.
  let openFailed = false;
  opened.catch(() => {
    openFailed = true;
  });
  let aheadBytes = 0;
  const workers = options.pool ? options.pool.size : (options.workers ?? 0);
  // Without worker threads there is no UI on this thread to keep responsive (the CLI, a benchmark):
  // files on disk are then probed and read with synchronous I/O (probe.ts), once each.
  const inline = !options.pool && workers === 0;
  // Enough files in flight to keep every worker and the copy busy, few enough to bound memory.
  const maxInFlight = Math.max(1, workers) * 8;
  const progress: ImportProgress = { seen: 0, imported: 0, duplicates: 0, rejected: 0, walkDone: false };
  const rejected: RejectedFile[] = [];
  const studies = new Set<string>();
  // SOP Instance UIDs being copied but not yet committed: a second copy in the same import is a duplicate.
  const inFlightUids = new Set<string>();
  const cleanups: (() => Promise<void>)[] = [];
  const zipLimits = options.zipLimits ?? DEFAULT_ZIP_LIMITS;

  let lastReport = 0;
  const report = (force = false) => {
    if (!options.onProgress) return;
    const now = Date.now();
    if (!force && now - lastReport < (options.progressIntervalMs ?? 100)) return;
    lastReport = now;
    options.onProgress({ ...progress });
  };

  const notices: ImportNotice[] = [];
  const reject = (displayPath: string, e: unknown) => {
    const code = e instanceof AmurError ? e.code : 'internal';
    // Every reason names the file, so a list of reasons read on its own still says which file.
    const err = e instanceof AmurError && !('path' in e.params) ? new AmurError(e.code, { ...e.params, path: displayPath }) : e;
    const params = e instanceof AmurError ? textParams({ ...e.params, path: displayPath }) : { path: displayPath, detail: e instanceof Error ? e.message : String(e) };
    rejected.push({ path: displayPath, code, reason: errorMessage(err, lang), params });
    progress.rejected++;
    report();
  };

  let batch: Pending[] = [];
  let batchStarted = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    let outcomes;
    try {
      outcomes = store!.commitInstances(source.id, items);
    } catch (e) {
      // The transaction rolled back as a whole: none of these instances is stored.
      for (const it of items) {
        discardFile(it.tempPath);
        inFlightUids.delete(it.header.attributes.SOPInstanceUID!);
        reject(it.displayPath, new AmurError('import.catalogueFailed', { path: it.displayPath, detail: (e as Error).message }));
      }
      return;
    }
    items.forEach((it, i) => {
      inFlightUids.delete(it.header.attributes.SOPInstanceUID!);
      const o = outcomes[i];
      if (o === 'imported' || o === 'duplicate') studies.add(it.header.attributes.StudyInstanceUID!);
      if (o === 'imported') progress.imported++;
      else if (o === 'duplicate') {
        // Another process stored the same instance since we looked; its copy is kept, ours goes.
        discardFile(it.tempPath);
        progress.duplicates++;
      } else {
        discardFile(it.tempPath);
        reject(it.displayPath, new AmurError(o.error.code, { ...o.error.params, path: it.displayPath }));
      }
    });
    report();
  };
  const queue = (p: Pending) => {
    if (batch.length === 0) batchStarted = Date.now();
    batch.push(p);
    if (batch.length >= BATCH || Date.now() - batchStarted >= BATCH_MAX_AGE_MS) flush();
    else if (!timer) timer = setTimeout(flush, BATCH_MAX_AGE_MS);
  };

  const handle = async (c: Candidate, pool: HeaderReader): Promise<void> => {
    let header: DicomHeader;
    const source = c.sealed ?? c.path;
    // The file read whole by the probe, sealed from memory below.
    let bytes: Buffer | undefined;
    let zipLike = false;
    try {
      if (c.sealed) {
        // An extracted archive entry is sealed in the temp folder: its header is read in memory.
        header = await readDicomHeaderFromBytes(await readSource(c.sealed), { path: c.displayPath });
      } else if (inline) {
        if (!store && aheadBytes > AHEAD_BYTES) await opened.catch(() => undefined);
        const probe = probeFile(c.path);
        if (probe.kind === 'zip') {
          zipLike = true;
          throw new AmurError('dicom.notDicom', { path: c.path });
        }
        if (probe.kind === 'bytes') bytes = probe.bytes;
        header = bytes ? await readDicomHeaderFromBytes(bytes, { path: c.path }) : await pool.read(c.path);
      } else {
        header = await pool.read(c.path);
      }
    } catch (e) {
      // A zip archive whose name does not say so (a portal's download called "export"): its
      // entries are imported, and the archive itself is not an outcome of its own. (The probe
      // has looked at a file's first bytes already.)
      if (e instanceof AmurError && e.code === 'dicom.notDicom' && (zipLike || ((c.sealed || !inline) && (await looksLikeZip(source))))) {
        progress.seen--;
        const depth = (c.archiveDepth ?? 0) + 1;
        for await (const item of walkInputs([], target, cleanups, zipLimits, { archive: { source, displayPath: c.displayPath, depth } })) {
          progress.seen++;
          if ('rejected' in item) reject(item.displayPath, item.rejected);
          else await handle(item, pool);
        }
        if (c.owned) discardFile(c.path);
        return;
      }
      if (c.owned) discardFile(c.path);
      reject(c.displayPath, e);
      return;
    }
    if (header.isDicomDir) {
      // An index of the media, not an instance: it is neither imported nor rejected, so it is not
      // counted as a file seen either (the progress totals then add up to `seen`).
      if (c.owned) discardFile(c.path);
      progress.seen--;
      report();
      return;
    }
    const a = header.attributes;
    const missing = REQUIRED_KEYWORDS.filter((k) => !a[k]);
    if (missing.length) {
      if (c.owned) discardFile(c.path);
      reject(c.displayPath, new AmurError('import.missingUid', { path: c.displayPath, keywords: missing.join(', ') }));
      return;
    }
    // Read and parsed ahead of the store: from here on the store is needed, and the file's bytes
    // are held until it is open.
    if (!store) {
      const held = bytes?.length ?? 0;
      aheadBytes += held;
      try {
        await opened;
      } catch {
        if (c.owned) discardFile(c.path);
        return;
      } finally {
        aheadBytes -= held;
      }
    }
    const st = store!;
    const uid = a.SOPInstanceUID!;
    if (inFlightUids.has(uid) || st.hasInstance(uid)) {
      studies.add(a.StudyInstanceUID!);
      if (c.owned) discardFile(c.path);
      progress.duplicates++;
      report();
      return;
    }
    inFlightUids.add(uid);
    // What was read leniently is said of the files this import stores, not again of a duplicate.
    for (const n of header.notices ?? []) {
      const params = { ...n.params, path: c.displayPath };
      notices.push({ path: c.displayPath, code: n.code, params, message: t(`notices.${n.code}`, params, lang) });
    }
    // The file is sealed under its study's key into the store's temp folder (an extracted archive
    // entry, already there in clear, is sealed beside itself and removed); the store renames the
    // sealed copy into place when it commits the batch.
    const tempPath = st.allocateTempPath();
    try {
      if (bytes) {
        st.sealBytesInto(bytes, tempPath, a.StudyInstanceUID!, uid);
        await st.prepareFileDir(uid);
      } else {
        await Promise.all([st.prepareFileDir(uid), st.sealInto(source, tempPath, a.StudyInstanceUID!, uid)]);
      }
      if (c.owned) discardFile(c.path);
      queue({ header, tempPath, displayPath: c.displayPath });
    } catch (e) {
      inFlightUids.delete(uid);
      if (c.owned) discardFile(c.path);
      await rm(tempPath, { force: true });
      reject(c.displayPath, new AmurError('import.copyFailed', { path: c.displayPath, detail: errorMessage(e, lang) }));
    }
  };

  const pool: HeaderReader & { close(): Promise<void> } = options.pool
    ? { read: (p) => options.pool!.read(p), close: async () => {} }
    : workers > 0 ? new HeaderPool(workers) : { read: (p) => readDicomHeaderFromFile(p), close: async () => {} };
  const running = new Set<Promise<void>>();
  try {
    report(true);
    for await (const item of walkInputs(paths, target, cleanups, zipLimits, options.sealedUnder ? { sealedUnder: options.sealedUnder } : {})) {
      progress.seen++;
      if ('rejected' in item) {
        reject(item.displayPath, item.rejected);
        continue;
      }
      report();
      while (running.size >= (store ? maxInFlight : AHEAD_FILES)) await Promise.race(running);
      if (openFailed) break;
      const p = handle(item, pool).finally(() => running.delete(p));
      running.add(p);
    }
    // (A zip found by its content rather than its name is opened when its turn comes, so its
    // entries can still add to `seen` after this point.)
    progress.walkDone = true;
    report(true);
    await Promise.all(running);
    // Nothing to import (an empty folder, only refusals) still needs the store: its source, the audit.
    await opened;
    flush();
  } finally {
    // On an unexpected failure, let what is running settle so no copy outlives the import.
    await Promise.allSettled(running);
    if (store) flush();
    await pool.close();
    for (const c of cleanups) await c();
  }
  report(true);
  // Files are handled concurrently; sorted, the list reads the same from one run to the next.
  const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  rejected.sort(byPath);
  notices.sort(byPath);
  const summary: ImportSummary = { imported: progress.imported, duplicates: progress.duplicates, rejected, studies: [...studies].sort() };
  if (notices.length) summary.notices = notices;
  if (options.audit !== false && (summary.imported || summary.rejected.length)) {
    audit(store!.home, {
      action: 'study.import',
      outcome: summary.rejected.length ? 'minorFailure' : 'success',
      role: 'reader',
      studies: summary.studies,
      detail: { imported: summary.imported, duplicates: summary.duplicates, rejected: summary.rejected.length, source: source.name },
    });
  }
  return summary;
}

/** An error's parameters as text (what crosses to a UI and what i18n interpolates). */
function textParams(params: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) out[k] = String(v);
  return out;
}
