// The local study store: an SQLite catalogue (catalogue.sqlite) of sources, patients, studies,
// series and instances, and the instance files it points to under files/. Everything a study
// needs to survive a crash is decided here:
//
// - A file enters the store by being copied whole into tmp/, then, inside the write transaction
//   that catalogues it, renamed into files/ (atomic on one file system). A committed row therefore
//   always has its whole file, and a crash leaves at worst a temp file or a file no row points to.
// - reconcile() on open removes both. Temp names start with the pid that made them, so only those of
//   dead processes go. Files no row points to can only be left by a process that died holding the
//   store (its lock file in locks/ outlives it), so the scan of files/ runs only then, which keeps a
//   clean open instant; it runs inside an immediate (write) transaction, and since importers rename
//   files into files/ only inside theirs, a live importer in another process never has a file there
//   that the scan could mistake for an orphan.
// - Stored names never collide: hash of the SOPInstanceUID (its first byte spreads files over 256
//   folders: a million instances make ~4,000 per folder, which ext4, APFS and NTFS index well, while
//   a deeper fan-out costs a mkdir for almost every file of a small import) plus a random suffix.
//   The UNIQUE SOPInstanceUID decides duplicates; a duplicate's temp copy is the caller's to remove.
// - Durability: WAL with synchronous=NORMAL, and no fsync of instance files. That is safe against
//   a killed process (kill -9, a crash: the OS still holds every write), which is what the store
//   must survive; after a power loss the last transactions may be lost, and a file whose row did
//   commit may be short. The import source still exists in that case (media, a partner's PACS),
//   and reconcile() after an unclean shutdown removes rows whose file is missing or short, so the
//   store stays consistent and the study can be imported again. Per-file fsync would cost several
//   times the import time on ordinary disks, against the 1.5x-of-copy target.
// - At rest everything is encrypted (core/vault): the catalogue is a SQLCipher database under a
//   subkey of the home's master key, and every instance file is sealed (AES-256-GCM, chunked) under
//   its study's own data key, with its SOP Instance UID bound in, so a file cannot pass for another.
//   Readers get a SealedFile (path and key) and open it with readSealedFile. Purging a study shreds
//   its key (StudyKeyring.shred): its files are unreadable from that moment, whatever disk remains.
//   A store left in clear by an earlier version is encrypted when it is first opened with a key:
//   the catalogue in place, then each file sealed beside its clear copy and swapped in by one
//   commit (crash-safe: either copy left behind is an orphan that reconcile removes).
import Database from 'better-sqlite3-multiple-ciphers';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { audit } from '../audit/index.js';
import { AmurError } from '../common/errors.js';
import { isProcessAlive } from '../common/lock.js';
import { amurHome } from '../common/paths.js';
import type { InstanceSummary, SeriesSummary, SourceSummary, StudySummary } from '../contract/studies.js';
import type { DicomHeader, RequiredKeyword } from '../dicom/attributes.js';
import { openVaultDatabase, type EncryptProgress } from '../vault/database.js';
import { encryptFile, isSealedFile, openBuffer, readSealedFile, readSource, sealBuffer, type FileSource, type SealedFile } from '../vault/file-cipher.js';
import { StudyKeyring } from '../vault/study-keys.js';
import { vaultKey } from '../vault/session.js';
import { deriveStudyStatus } from '../studies/status.js';
import { migrations, SCHEMA_VERSION } from './migrations.js';

export type { SealedFile };

/** Progress of encrypting a store that an earlier version left in clear. */
export interface MigrationProgress {
  phase: 'catalogue' | 'files';
  done: number;
  total: number;
}

/** One instance ready to enter the store: its parsed header and its whole copy in tmp/. */
export interface IncomingInstance {
  header: DicomHeader;
  /** A file in tmp/ named by allocateTempPath(); renamed into files/ when the instance is new. */
  tempPath: string;
}

/** What became of an incoming instance; for a duplicate or an error the temp file is left to the caller. */
export type CommitOutcome = 'imported' | 'duplicate' | { error: AmurError };

export interface ReconcileReport {
  /** Temp files and folders left by processes that died, removed. */
  tempRemoved: number;
  /** Files in files/ that no catalogue row pointed to, removed. */
  orphansRemoved: number;
  /** Rows whose file was missing or short (only checked after an unclean shutdown), removed. */
  rowsRemoved: number;
  /** True when files/ and the rows were scanned (only after an unclean shutdown). */
  swept: boolean;
  /** True when a previous process ended without closing the store. */
  unclean: boolean;
}

export interface OpenOptions {
  /** Skip reconcile() on open (tests that inspect a store as a crash left it). */
  reconcile?: boolean;
  /** Progress of the one-time encryption of a store left in clear (open waits for it). */
  onMigrate?: (p: MigrationProgress) => void;
}

/**
 * The name of the source of files from local disks and media. It is stored as data (in English),
 * so a display in another language shows it by this name's translation (studies.localMedia).
 */
export const DEFAULT_MEDIA_SOURCE = 'Local media';

export class StudyStore {
  readonly root: string;
  readonly filesDir: string;
  readonly tmpDir: string;
  readonly db: Database.Database;
  /** What the reconcile at open found, if it ran. */
  lastReconcile?: ReconcileReport;
  private readonly locksDir: string;
  private readonly lockName: string;
  private tempCounter = 0;
  /** Folders under files/ known to exist, so placing a file costs no mkdir after the first. */
  private readonly madeDirs = new Set<string>();
  private readonly makingDirs = new Map<string, Promise<void>>();
  private closed = false;
  private readonly insertStmts: ReturnType<StudyStore['prepareInsert']>;
  /** The per-study data keys, wrapped in the catalogue. */
  readonly keys: StudyKeyring;

  /** The AMUR_HOME this store lives in (its audit trail and agreements are there too). */
  get home(): string {
    return dirname(this.root);
  }

  /**
   * Opens (creating if needed) the store under AMUR_HOME/store. The home must be unlocked
   * (core/vault/session.ts); a locked one is refused with 'vault.locked', and nothing is created.
   */
  static open(home: string = amurHome(), options: OpenOptions = {}): StudyStore {
    return new StudyStore(join(home, 'store'), options);
  }

  private constructor(root: string, options: OpenOptions) {
    const master = vaultKey(dirname(root));
    this.root = root;
    this.filesDir = join(root, 'files');
    this.tmpDir = join(root, 'tmp');
    this.locksDir = join(root, 'locks');
    try {
      for (const d of [root, this.filesDir, this.tmpDir, this.locksDir]) mkdirSync(d, { recursive: true });
    } catch (e) {
      throw new AmurError('store.openFailed', { path: root, detail: (e as Error).message }, { cause: e });
    }
    this.lockName = `${process.pid}.${randomBytes(4).toString('hex')}`;

    const dbPath = join(root, 'catalogue.sqlite');
    let db: Database.Database | undefined;
    try {
      this.db = db = openVaultDatabase(dirname(root), dbPath, 'catalogue/1', {
        onMigrate: (p: EncryptProgress) => options.onMigrate?.({ phase: 'catalogue', done: p.rowsDone, total: p.rowsTotal }),
      });
      // A reconcile scan of a large store holds the write lock for a few seconds; wait for it.
      this.db.pragma('busy_timeout = 60000');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.migrate();
    } catch (e) {
      db?.close();
      if (e instanceof AmurError) throw e;
      throw new AmurError('store.openFailed', { path: dbPath, detail: (e as Error).message }, { cause: e });
    }
    this.insertStmts = this.prepareInsert();
    this.keys = new StudyKeyring(this.db, master);
    // The lock is taken after reading the others, so that this open's own lock is never "another".
    const others = this.otherLocks();
    writeFileSync(join(this.locksDir, this.lockName), '');
    if (options.reconcile !== false) this.lastReconcile = this.reconcile(others);
    this.sealClearFiles(options.onMigrate);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    rmSync(join(this.locksDir, this.lockName), { force: true });
  }

  private migrate(): void {
    // The version is read inside the write transaction: two processes opening a new store at once
    // would otherwise both see version 0 and the second would run the first migration again.
    this.db.transaction(() => {
      const current = this.db.pragma('user_version', { simple: true }) as number;
      if (current > SCHEMA_VERSION) {
        throw new AmurError('store.tooNew', { version: current, supported: SCHEMA_VERSION });
      }
      for (const m of migrations) {
        if (m.version <= current) continue;
        m.up(this.db);
        this.db.pragma(`user_version = ${m.version}`);
      }
    }).immediate();
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  // ---- files ------------------------------------------------------------------------------

  /** A fresh name in tmp/, on the same file system as files/ so the final rename is atomic. */
  allocateTempPath(suffix = ''): string {
    return join(this.tmpDir, `${process.pid}.${this.lockName.split('.')[1]}.${++this.tempCounter}${suffix}`);
  }

  /** A stored name for an instance (relative to the root); its folder is created. */
  allocateFilePath(SOPInstanceUID: string): string {
    const h = createHash('sha1').update(SOPInstanceUID).digest('hex');
    const dir = join('files', h.slice(0, 2));
    if (!this.madeDirs.has(dir)) {
      mkdirSync(join(this.root, dir), { recursive: true });
      this.madeDirs.add(dir);
    }
    return join(dir, `${h}-${randomBytes(4).toString('hex')}.dcm`);
  }

  /**
   * Creates, off this thread, the folder an instance's file will go to, so that the commit (which
   * runs on this thread, inside the write transaction) finds it made. A fresh store otherwise
   * spends a synchronous mkdir on most of the first few hundred files.
   */
  async prepareFileDir(SOPInstanceUID: string): Promise<void> {
    const dir = join('files', createHash('sha1').update(SOPInstanceUID).digest('hex').slice(0, 2));
    if (this.madeDirs.has(dir)) return;
    let p = this.makingDirs.get(dir);
    if (!p) {
      p = mkdir(join(this.root, dir), { recursive: true }).then(() => {
        this.madeDirs.add(dir);
      });
      this.makingDirs.set(dir, p);
    }
    await p;
  }

  absolutePath(relative: string): string {
    return join(this.root, relative);
  }

  /** The sealed file of an instance and its key, or undefined when the store does not hold it. */
  instanceFile(SOPInstanceUID: string): SealedFile | undefined {
    const row = this.db.prepare(`SELECT i.file_path, st.StudyInstanceUID FROM instances i JOIN series se ON se.id = i.series_id
      JOIN studies st ON st.id = se.study_id WHERE i.SOPInstanceUID = ?`).get(SOPInstanceUID) as
      | { file_path: string; StudyInstanceUID: string }
      | undefined;
    if (!row) return undefined;
    return { path: this.absolutePath(fromPortable(row.file_path)), key: Buffer.from(this.readKey(row.StudyInstanceUID)), context: SOPInstanceUID };
  }

  /** The bytes of an instance (decrypted), or undefined when the store does not hold it. */
  async readInstance(SOPInstanceUID: string): Promise<Buffer | undefined> {
    const f = this.instanceFile(SOPInstanceUID);
    return f && readSealedFile(f);
  }

  /**
   * Seals a file from outside the store into a path of its own (a temp name from
   * allocateTempPath), under the study's key with the instance's UID bound in: how a file enters.
   */
  async sealInto(src: FileSource, dest: string, StudyInstanceUID: string, SOPInstanceUID: string): Promise<void> {
    const key = this.keys.keyFor(StudyInstanceUID).key;
    if (typeof src === 'string') {
      await encryptFile(key, src, dest, { context: SOPInstanceUID, name: src });
      return;
    }
    // Already sealed under another key (an extracted archive entry): opened in memory, sealed again.
    try {
      await writeFile(dest, sealBuffer(key, await readSource(src), { context: SOPInstanceUID }), { flag: 'wx', mode: 0o600 });
    } catch (e) {
      if (e instanceof AmurError) throw e;
      await rm(dest, { force: true });
      throw new AmurError('vault.fileWriteFailed', { path: dest, detail: (e as Error).message }, { cause: e });
    }
  }

  /**
   * sealInto for a file already read whole (the importer's small-file path): sealed in memory and
   * written with one synchronous write, which for a small file costs less than the round trips of
   * an asynchronous one. On failure nothing is left at dest.
   */
  sealBytesInto(plain: Buffer, dest: string, StudyInstanceUID: string, SOPInstanceUID: string): void {
    const sealed = sealBuffer(this.keys.keyFor(StudyInstanceUID).key, plain, { context: SOPInstanceUID });
    try {
      writeFileSync(dest, sealed, { flag: 'wx', mode: 0o600 });
    } catch (e) {
      // 'wx' failing on EEXIST means the file is someone else's: only a partial write of ours goes.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') rmSync(dest, { force: true });
      throw new AmurError('vault.fileWriteFailed', { path: dest, detail: (e as Error).message }, { cause: e });
    }
  }

  /**
   * Seals bytes that belong to a study (a draft, a signed report, an outbox copy) under its key;
   * context names what they are (bound in: the sealed bytes open only as that).
   */
  sealForStudy(StudyInstanceUID: string, context: string, plain: Buffer): Buffer {
    return sealBuffer(this.keys.keyFor(StudyInstanceUID).key, plain, { context });
  }

  /** Opens what sealForStudy sealed; a translated error naming `name` when it is not that. */
  openForStudy(StudyInstanceUID: string, context: string, sealed: Buffer, name: string): Buffer {
    return openBuffer(this.readKey(StudyInstanceUID), sealed, { context, name });
  }

  /** The key that opens a study's sealed files: 'vault.studyKeyGone' once it was shredded (or never made). */
  private readKey(StudyInstanceUID: string): Buffer {
    const k = this.keys.existingKey(StudyInstanceUID);
    if (!k) throw new AmurError('vault.studyKeyGone', { study: StudyInstanceUID });
    return k.key;
  }

  hasInstance(SOPInstanceUID: string): boolean {
    return this.insertStmts.hasInstance.get(SOPInstanceUID) !== undefined;
  }

  // ---- sources ----------------------------------------------------------------------------

  /** The source with this name, created on first use. */
  ensureSource(name: string, kind: SourceSummary['kind']): SourceSummary {
    // Insert-or-keep in one statement: two processes may create the same source at the same moment.
    this.db
      .prepare('INSERT INTO sources (id, kind, name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING')
      .run(randomUUIDv4(), kind, name, new Date().toISOString());
    return this.db.prepare('SELECT id, kind, name FROM sources WHERE name = ?').get(name) as SourceSummary;
  }

  /** The source of files brought on local media or from the local disk. */
  defaultSource(): SourceSummary {
    return this.ensureSource(DEFAULT_MEDIA_SOURCE, 'media');
  }

  listSources(): SourceSummary[] {
    return this.db.prepare('SELECT id, kind, name FROM sources ORDER BY name').all() as SourceSummary[];
  }

  // ---- catalogue writes -------------------------------------------------------------------

  private prepareInsert() {
    const db = this.db;
    return {
      hasInstance: db.prepare('SELECT 1 FROM instances WHERE SOPInstanceUID = ?').pluck(),
      patient: db.prepare(`INSERT INTO patients (patient_key, source_id, PatientID, IssuerOfPatientID, PatientName, PatientBirthDate, PatientSex)
        VALUES (@key, @source, @PatientID, @IssuerOfPatientID, @PatientName, @PatientBirthDate, @PatientSex)
        ON CONFLICT (patient_key) DO UPDATE SET patient_key = patient_key RETURNING id`).pluck(),
      studyId: db.prepare('SELECT id FROM studies WHERE StudyInstanceUID = ?').pluck(),
      study: db.prepare(`INSERT INTO studies (StudyInstanceUID, patient_id, source_id, PatientName, PatientID, IssuerOfPatientID,
          PatientBirthDate, PatientSex, PatientAge, StudyDate, StudyTime, AccessionNumber, StudyID, StudyDescription, ReferringPhysicianName,
          InstitutionName, imported_at)
        VALUES (@StudyInstanceUID, @patient, @source, @PatientName, @PatientID, @IssuerOfPatientID, @PatientBirthDate, @PatientSex,
          @PatientAge, @StudyDate, @StudyTime, @AccessionNumber, @StudyID, @StudyDescription, @ReferringPhysicianName, @InstitutionName, @now)
        RETURNING id`).pluck(),
      seriesId: db.prepare('SELECT id FROM series WHERE SeriesInstanceUID = ?').pluck(),
      series: db.prepare(`INSERT INTO series (SeriesInstanceUID, study_id, Modality, SeriesNumber, SeriesDescription, BodyPartExamined,
          SeriesDate, SeriesTime, ViewPosition, Laterality)
        VALUES (@SeriesInstanceUID, @study, @Modality, @SeriesNumber, @SeriesDescription, @BodyPartExamined, @SeriesDate, @SeriesTime,
          @ViewPosition, @Laterality)
        RETURNING id`).pluck(),
      instance: db.prepare(`INSERT INTO instances (SOPInstanceUID, series_id, SOPClassUID, InstanceNumber, TransferSyntaxUID, Rows, Columns,
          NumberOfFrames, BitsAllocated, PhotometricInterpretation, ImageType, SpecificCharacterSet, ContentDate, ContentTime,
          SliceLocation, SliceThickness, has_file_meta, pixel_data_offset, file_path, file_size, imported_at, derived_uids)
        VALUES (@SOPInstanceUID, @series, @SOPClassUID, @InstanceNumber, @TransferSyntaxUID, @Rows, @Columns, @NumberOfFrames,
          @BitsAllocated, @PhotometricInterpretation, @ImageType, @SpecificCharacterSet, @ContentDate, @ContentTime, @SliceLocation,
          @SliceThickness, @has_file_meta, @pixel_data_offset, @file_path, @file_size, @now, @derived_uids)
`),
    };
  }

  /**
   * Moves instances from tmp/ into files/ and catalogues them, in one write transaction, so that no
   * other process ever sees a file in files/ whose row is not committed. Returns one outcome per
   * instance, in order; an instance the store already holds (by SOP Instance UID) is a duplicate.
   */
  commitInstances(sourceId: string, items: IncomingInstance[]): CommitOutcome[] {
    const placed: string[] = [];
    const now = new Date().toISOString();
    const studyOfSeries = this.db.prepare(`SELECT st.StudyInstanceUID FROM series se JOIN studies st ON st.id = se.study_id
      WHERE se.SeriesInstanceUID = ?`).pluck();
    try {
      return this.db.transaction((): CommitOutcome[] =>
        items.map((item): CommitOutcome => {
          const a = item.header.attributes;
          if (!a.StudyInstanceUID || !a.SeriesInstanceUID || !a.SOPInstanceUID) {
            return { error: new AmurError('store.missingUid', { path: item.tempPath }) };
          }
          if (this.insertStmts.hasInstance.get(a.SOPInstanceUID) !== undefined) return 'duplicate';
          // A series is one study's (PS3.3 C.7.3.1): an instance naming a series of another study is
          // not filed there, where it would be shown in (and sealed apart from) a study not its own.
          const owner = studyOfSeries.get(a.SeriesInstanceUID) as string | undefined;
          if (owner !== undefined && owner !== a.StudyInstanceUID) {
            return { error: new AmurError('store.seriesInOtherStudy', { path: item.tempPath, SeriesInstanceUID: a.SeriesInstanceUID, StudyInstanceUID: owner }) };
          }
          const rel = this.allocateFilePath(a.SOPInstanceUID);
          let size: number;
          try {
            renameSync(item.tempPath, this.absolutePath(rel));
            placed.push(rel);
            // A synchronous stat of an inode just written costs microseconds, less than a round trip
            // through the thread pool would cost this thread.
            size = statSync(this.absolutePath(rel)).size;
          } catch (e) {
            if (placed[placed.length - 1] === rel) {
              placed.pop();
              rmSync(this.absolutePath(rel), { force: true });
            }
            return { error: new AmurError('store.placeFailed', { path: item.tempPath, detail: (e as Error).message }) };
          }
          this.insertRows(sourceId, item.header, rel, size, now);
          return 'imported';
        }),
      ).immediate();
    } catch (e) {
      // Rolled back: the files moved in for this batch belong to no row.
      for (const rel of placed) rmSync(this.absolutePath(rel), { force: true });
      throw e;
    }
  }

  private insertRows(sourceId: string, header: DicomHeader, file_path: string, file_size: number, now: string): void {
    const s = this.insertStmts;
    const a = header.attributes;
    const text = (k: keyof typeof a) => (typeof a[k] === 'string' ? (a[k] as string) : '');
    const num = (k: keyof typeof a) => (typeof a[k] === 'number' && Number.isFinite(a[k]) ? (a[k] as number) : null);
    const StudyInstanceUID = text('StudyInstanceUID');
    const SeriesInstanceUID = text('SeriesInstanceUID');
    const SOPInstanceUID = text('SOPInstanceUID');
    let study = s.studyId.get(StudyInstanceUID) as number | undefined;
    if (study === undefined) {
      // Every study in the catalogue has its data key (the importer made it before sealing).
      this.keys.keyFor(StudyInstanceUID);
      const PatientID = text('PatientID');
      const IssuerOfPatientID = text('IssuerOfPatientID');
      const key = PatientID ? `${sourceId}|${IssuerOfPatientID}|${PatientID}` : `${sourceId}|study:${StudyInstanceUID}`;
      const patient = s.patient.get({
        key, source: sourceId, PatientID, IssuerOfPatientID, PatientName: text('PatientName'),
        PatientBirthDate: text('PatientBirthDate'), PatientSex: text('PatientSex'),
      }) as number;
      study = s.study.get({
        StudyInstanceUID, patient, source: sourceId, PatientName: text('PatientName'), PatientID, IssuerOfPatientID,
        PatientBirthDate: text('PatientBirthDate'), PatientSex: text('PatientSex'), PatientAge: text('PatientAge'), StudyDate: text('StudyDate'),
        StudyTime: text('StudyTime'), AccessionNumber: text('AccessionNumber'), StudyID: text('StudyID'),
        StudyDescription: text('StudyDescription'), ReferringPhysicianName: text('ReferringPhysicianName'),
        InstitutionName: text('InstitutionName'), now,
      }) as number;
    }
    let series = s.seriesId.get(SeriesInstanceUID) as number | undefined;
    if (series === undefined) {
      series = s.series.get({
        SeriesInstanceUID, study, Modality: text('Modality'), SeriesNumber: num('SeriesNumber'),
        SeriesDescription: text('SeriesDescription'), BodyPartExamined: text('BodyPartExamined'), SeriesDate: text('SeriesDate'),
        SeriesTime: text('SeriesTime'), ViewPosition: text('ViewPosition'), Laterality: text('Laterality'),
      }) as number;
    }
    s.instance.run({
      SOPInstanceUID, series, SOPClassUID: text('SOPClassUID'), InstanceNumber: num('InstanceNumber'),
      TransferSyntaxUID: header.TransferSyntaxUID ?? '', Rows: num('Rows'), Columns: num('Columns'),
      NumberOfFrames: num('NumberOfFrames'), BitsAllocated: num('BitsAllocated'),
      PhotometricInterpretation: text('PhotometricInterpretation'), ImageType: text('ImageType'),
      SpecificCharacterSet: text('SpecificCharacterSet'), ContentDate: text('ContentDate'), ContentTime: text('ContentTime'),
      SliceLocation: num('SliceLocation'), SliceThickness: num('SliceThickness'), has_file_meta: header.hasFileMeta ? 1 : 0,
      pixel_data_offset: header.pixelDataOffset ?? null, file_path: toPortable(file_path), file_size, now,
      derived_uids: derivedUidsJson(header),
    });
  }

  // ---- catalogue reads --------------------------------------------------------------------

  /** Every study, newest first; or only the one named (an empty list when it is not here). */
  listStudies(now: Date = new Date(), StudyInstanceUID?: string): StudySummary[] {
    const rows = this.db.prepare(`
      SELECT st.StudyInstanceUID, st.PatientName, st.PatientID, st.PatientBirthDate, st.PatientSex, st.StudyDate, st.StudyTime,
        st.PatientAge, st.AccessionNumber, st.StudyDescription, st.imported_at,
        src.id AS source_id, src.kind AS source_kind, src.name AS source_name,
        (SELECT group_concat(m, '\\') FROM (SELECT DISTINCT Modality AS m FROM series WHERE study_id = st.id AND Modality <> '' ORDER BY m))
          AS ModalitiesInStudy,
        (SELECT count(*) FROM series WHERE study_id = st.id) AS NumberOfStudyRelatedSeries,
        (SELECT count(*) FROM instances i JOIN series se ON i.series_id = se.id WHERE se.study_id = st.id) AS NumberOfStudyRelatedInstances,
        (SELECT group_concat(b, '\\') FROM (SELECT DISTINCT BodyPartExamined AS b FROM series WHERE study_id = st.id AND BodyPartExamined <> '' ORDER BY b))
          AS BodyPartExamined,
        EXISTS (SELECT 1 FROM measurements WHERE study_id = st.id) AS has_measurements,
        EXISTS (SELECT 1 FROM study_reports WHERE study_id = st.id AND kind = 'draft') AS has_draft,
        EXISTS (SELECT 1 FROM study_reports WHERE study_id = st.id AND kind = 'signed') AS has_signed,
        (SELECT count(*) FROM outbox WHERE StudyInstanceUID = st.StudyInstanceUID) AS outbox_items,
        (SELECT count(*) FROM outbox WHERE StudyInstanceUID = st.StudyInstanceUID AND status = 'delivered') AS outbox_delivered,
        c.agreement_id, c.partner, c.request_id, c.priority, c.received_at, c.deadline_at
      FROM studies st JOIN sources src ON src.id = st.source_id
      LEFT JOIN cases c ON c.StudyInstanceUID = st.StudyInstanceUID
      ${StudyInstanceUID === undefined ? '' : 'WHERE st.StudyInstanceUID = ?'}
      ORDER BY st.StudyDate DESC, st.StudyTime DESC, st.id DESC`).all(...(StudyInstanceUID === undefined ? [] : [StudyInstanceUID])) as any[];
    return rows.map((r) => ({
      StudyInstanceUID: r.StudyInstanceUID,
      PatientName: r.PatientName,
      PatientID: r.PatientID,
      PatientBirthDate: r.PatientBirthDate,
      PatientSex: r.PatientSex,
      PatientAge: r.PatientAge,
      StudyDate: r.StudyDate,
      StudyTime: r.StudyTime,
      AccessionNumber: r.AccessionNumber,
      StudyDescription: r.StudyDescription,
      ModalitiesInStudy: r.ModalitiesInStudy ?? '',
      BodyPartExamined: r.BodyPartExamined ?? '',
      NumberOfStudyRelatedSeries: r.NumberOfStudyRelatedSeries,
      NumberOfStudyRelatedInstances: r.NumberOfStudyRelatedInstances,
      source: { id: r.source_id, kind: r.source_kind, name: r.source_name },
      status: deriveStudyStatus({
        measurements: Boolean(r.has_measurements), drafts: Boolean(r.has_draft), signed: Boolean(r.has_signed),
        outbox: r.outbox_items, delivered: r.outbox_delivered, deadlineAt: r.deadline_at,
      }, now),
      ...(r.agreement_id
        ? {
            case: {
              agreementId: r.agreement_id,
              partner: r.partner,
              requestId: r.request_id,
              priority: r.priority,
              receivedAt: r.received_at,
              deadlineAt: r.deadline_at,
            },
          }
        : {}),
      importedAt: r.imported_at,
    }));
  }

  listSeries(StudyInstanceUID: string): SeriesSummary[] {
    return this.db.prepare(`
      SELECT se.SeriesInstanceUID, st.StudyInstanceUID, se.Modality, se.SeriesNumber, se.SeriesDescription, se.BodyPartExamined,
        (SELECT count(*) FROM instances WHERE series_id = se.id) AS NumberOfSeriesRelatedInstances,
        -- The order of renderer/viewer/stack.ts (UIDs are ASCII: byte order is code-unit order);
        -- a segmentation has rows and columns but is not an image (stack.ts isImage).
        (SELECT SOPInstanceUID FROM instances WHERE series_id = se.id AND Rows > 0 AND Columns > 0
          AND SOPClassUID <> '1.2.840.10008.5.1.4.1.1.66.4'
          ORDER BY InstanceNumber IS NULL, InstanceNumber, SOPInstanceUID LIMIT 1) AS firstImageUID
      FROM series se JOIN studies st ON st.id = se.study_id
      WHERE st.StudyInstanceUID = ?
      ORDER BY se.SeriesNumber IS NULL, se.SeriesNumber, se.id`).all(StudyInstanceUID) as SeriesSummary[];
  }

  listInstances(SeriesInstanceUID: string): InstanceSummary[] {
    return this.db.prepare(`
      SELECT i.SOPInstanceUID, i.SOPClassUID, se.SeriesInstanceUID, i.InstanceNumber, i.TransferSyntaxUID, i.Rows, i.Columns,
        i.NumberOfFrames
      FROM instances i JOIN series se ON se.id = i.series_id
      WHERE se.SeriesInstanceUID = ?
      ORDER BY i.InstanceNumber IS NULL, i.InstanceNumber, i.id`).all(SeriesInstanceUID) as InstanceSummary[];
  }

  /**
   * Which of an instance's UIDs the catalogue holds in place of its file's own (header.derivedUids),
   * by keyword; undefined when the store does not hold the instance, {} when its UIDs are its own.
   */
  derivedUids(SOPInstanceUID: string): Partial<Record<RequiredKeyword, { original?: string; from?: string }>> | undefined {
    const row = this.db.prepare('SELECT derived_uids FROM instances WHERE SOPInstanceUID = ?').get(SOPInstanceUID) as { derived_uids: string | null } | undefined;
    if (!row) return undefined;
    return row.derived_uids ? JSON.parse(row.derived_uids) : {};
  }

  /** The study an instance belongs to, or undefined when the store does not hold it. */
  studyOfInstance(SOPInstanceUID: string): string | undefined {
    return this.db.prepare(`SELECT st.StudyInstanceUID FROM instances i JOIN series se ON se.id = i.series_id
      JOIN studies st ON st.id = se.study_id WHERE i.SOPInstanceUID = ?`).pluck().get(SOPInstanceUID) as string | undefined;
  }

  /** The SOP Instance UIDs of a study's instances. */
  instancesOfStudy(StudyInstanceUID: string): string[] {
    return this.db.prepare(`SELECT i.SOPInstanceUID FROM instances i JOIN series se ON se.id = i.series_id
      JOIN studies st ON st.id = se.study_id WHERE st.StudyInstanceUID = ?`).pluck().all(StudyInstanceUID) as string[];
  }

  /** Every catalogued file, relative to the root (for checks and reconcile). */
  allFilePaths(): { SOPInstanceUID: string; file_path: string; file_size: number }[] {
    return this.db.prepare('SELECT SOPInstanceUID, file_path, file_size FROM instances').all() as any[];
  }

  // ---- encryption of a store left in clear ------------------------------------------------

  /**
   * Seals every instance file still in clear (a store made before encryption at rest), once: each
   * is sealed into a new name, the row switched to it in one commit, then the clear copy removed.
   * A crash leaves either copy as an orphan (reconcile removes it) and the next open goes on.
   */
  private sealClearFiles(onMigrate?: (p: MigrationProgress) => void): void {
    const flag = this.db.prepare('SELECT files_sealed FROM vault_state').pluck();
    if (flag.get() === 1) return;
    const rows = this.db.prepare(`SELECT i.SOPInstanceUID, i.file_path, st.StudyInstanceUID FROM instances i
      JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id ORDER BY i.id`).all() as
      { SOPInstanceUID: string; file_path: string; StudyInstanceUID: string }[];
    const update = this.db.prepare('UPDATE instances SET file_path = ?, file_size = ? WHERE SOPInstanceUID = ?');
    let done = 0;
    onMigrate?.({ phase: 'files', done, total: rows.length });
    for (const r of rows) {
      const old = this.absolutePath(fromPortable(r.file_path));
      // A missing file is reconcile's case, not one to seal.
      if (existsSync(old) && !isSealedFile(old)) {
        const rel = this.allocateFilePath(r.SOPInstanceUID);
        let sealed: Buffer;
        try {
          sealed = sealBuffer(this.keys.keyFor(r.StudyInstanceUID).key, readFileSync(old), { context: r.SOPInstanceUID });
          writeFileSync(this.absolutePath(rel), sealed, { flag: 'wx', mode: 0o600 });
        } catch (e) {
          rmSync(this.absolutePath(rel), { force: true });
          if (e instanceof AmurError) throw e;
          throw new AmurError('store.migrateFailed', { path: old, detail: (e as Error).message }, { cause: e });
        }
        update.run(toPortable(rel), sealed.length, r.SOPInstanceUID);
        rmSync(old, { force: true });
      }
      done++;
      if (done % 64 === 0 || done === rows.length) onMigrate?.({ phase: 'files', done, total: rows.length });
    }
    this.db.prepare('UPDATE vault_state SET files_sealed = 1').run();
    if (rows.length) {
      audit(this.home, { action: 'key.change', outcome: 'success', role: 'system', detail: { operation: 'store.encrypt', files: rows.length } });
    }
  }

  // ---- reconcile --------------------------------------------------------------------------

  /** Lock files of other opens of this store: live ones, and those of processes that died holding it. */
  private otherLocks(): { live: string[]; dead: string[] } {
    const live: string[] = [];
    const dead: string[] = [];
    for (const name of safeReaddir(this.locksDir)) {
      if (name === this.lockName) continue;
      (isProcessAlive(Number(name.split('.')[0])) ? live : dead).push(name);
    }
    return { live, dead };
  }

  /**
   * Brings the folder and the catalogue back into agreement after an interrupted import: removes
   * temp files of dead processes and, after an unclean shutdown, files no row points to and rows
   * whose file is gone (see the top of this file for why this is safe beside live importers).
   */
  reconcile(others = this.otherLocks()): ReconcileReport {
    const report: ReconcileReport = { tempRemoved: 0, orphansRemoved: 0, rowsRemoved: 0, swept: false, unclean: others.dead.length > 0 };
    for (const name of safeReaddir(this.tmpDir)) {
      const pid = Number(name.split('.')[0]);
      // This process's own temps (another open of the store here) are alive by definition.
      if (pid === process.pid || isProcessAlive(pid)) continue;
      rmSync(join(this.tmpDir, name), { recursive: true, force: true });
      report.tempRemoved++;
    }
    if (!report.unclean) return report;

    report.swept = true;
    let missing: string[] = [];
    this.db.transaction(() => {
      const rows = this.allFilePaths();
      const known = new Set(rows.map((r) => fromPortable(r.file_path)));
      for (const a of safeReaddir(this.filesDir)) {
        for (const f of safeReaddir(join(this.filesDir, a))) {
          const rel = join('files', a, f);
          if (!known.has(rel)) {
            rmSync(join(this.root, rel), { force: true, recursive: true });
            report.orphansRemoved++;
          }
        }
      }
      missing = rows
        .filter((r) => {
          const st = statSync(this.absolutePath(fromPortable(r.file_path)), { throwIfNoEntry: false });
          return !st || st.size !== r.file_size;
        })
        .map((r) => r.SOPInstanceUID);
    }).immediate();
    if (missing.length) report.rowsRemoved = this.removeInstances(missing);
    for (const name of others.dead) rmSync(join(this.locksDir, name), { force: true });
    return report;
  }

  /** Removes instances (rows and files), then series and studies left empty. Returns rows removed. */
  removeInstances(SOPInstanceUIDs: string[]): number {
    let removed = 0;
    const files: string[] = [];
    this.db.transaction(() => {
      const get = this.db.prepare('SELECT file_path FROM instances WHERE SOPInstanceUID = ?').pluck();
      const del = this.db.prepare('DELETE FROM instances WHERE SOPInstanceUID = ?');
      for (const uid of SOPInstanceUIDs) {
        const f = get.get(uid) as string | undefined;
        if (f === undefined) continue;
        removed += del.run(uid).changes;
        files.push(f);
      }
      this.db.exec(`
        DELETE FROM series WHERE NOT EXISTS (SELECT 1 FROM instances WHERE series_id = series.id);
        DELETE FROM studies WHERE NOT EXISTS (SELECT 1 FROM series WHERE study_id = studies.id);
        DELETE FROM patients WHERE NOT EXISTS (SELECT 1 FROM studies WHERE patient_id = patients.id);`);
    }).immediate();
    // Files go after the commit: a crash in between leaves orphans, which reconcile removes.
    for (const f of files) rmSync(this.absolutePath(fromPortable(f)), { force: true });
    return removed;
  }
}

/** Removes a file this process put in place but did not catalogue (a duplicate, a failed batch). */
export function discardFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone; reconcile would remove it otherwise.
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}


/** instances.derived_uids: the header's derived UIDs by keyword, or NULL when there are none. */
function derivedUidsJson(header: DicomHeader): string | null {
  if (!header.derivedUids?.length) return null;
  const out: Record<string, { original?: string; from?: string }> = {};
  for (const d of header.derivedUids) {
    out[d.keyword] = {
      ...(d.original !== undefined ? { original: d.original } : {}),
      ...(d.from !== undefined ? { from: d.from } : {}),
    };
  }
  return JSON.stringify(out);
}

// Stored paths use '/' so a catalogue made on Windows reads on Linux and back.
function toPortable(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}
function fromPortable(p: string): string {
  return sep === '/' ? p : p.split('/').join(sep);
}

function randomUUIDv4(): string {
  return globalThis.crypto.randomUUID();
}
