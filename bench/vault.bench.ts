// What encryption at rest costs (core/vault): reading the 28-slice GE head CT decrypted
// (decryptFile, as the decoder would) against a plain readFile; writing it encrypted (encryptFile,
// as import would copy) against copyFile; and a catalogue query workload on a SQLCipher catalogue
// against the same catalogue in clear. Also the one-off costs: the vault unlock (scrypt) and the
// in-place encryption of the catalogue (the migration of an existing store).
//
// Method: everything in this process, page cache warm (each method runs once unmeasured), methods
// interleaved rep after rep so that a busy moment of the shared machine does not land on one.
// Each catalogue rep opens a new connection, so SQLite's own page cache starts empty and every
// page read is decrypted, as when the app starts.
import { copyFile, readFile, rm } from 'node:fs/promises';
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3-multiple-ciphers';
import { shared } from '../test/shared-data.js';
import { clearCatalogue } from '../test/vault.js';
import { encryptDatabaseInPlace, openEncryptedDatabase } from '../core/vault/database.js';
import { decryptFile, encryptFile } from '../core/vault/file-cipher.js';
import { createVault, unlockWithPassphrase, SCRYPT_PARAMS } from '../core/vault/vault.js';
import { type Bench, type BenchContext, freshWorkDir, numberOption } from './lib/bench.js';
import { listFiles } from './lib/corpus.js';
import { machineInfo } from './lib/machine.js';
import { writeResults } from './lib/results.js';
import { fmtMs, mbPerS, ratio, summarize } from './lib/stats.js';

const bench: Bench = {
  name: 'vault',
  description: 'encryption at rest: head CT read decrypted vs readFile, encrypt-copy vs copyFile, SQLCipher catalogue queries vs clear',
  run,
};
export default bench;

async function run(ctx: BenchContext): Promise<void> {
  const quick = ctx.options.quick === true;
  const reps = numberOption(ctx, 'reps', quick ? 3 : 15);
  const studies = numberOption(ctx, 'studies', quick ? 100 : 1000);
  const work = freshWorkDir(ctx, 'vault');
  try {
    const src = listFiles(shared('dicom', 'dcm_qa_ct', 'In', 'GE'));
    const bytes = src.reduce((s, f) => s + statSync(f).size, 0);
    const key = randomBytes(32);
    const sealedDir = join(work, 'sealed');
    mkdirSync(sealedDir);
    const sealed = src.map((_, i) => join(sealedDir, `${i}.enc`));
    for (let i = 0; i < src.length; i++) await encryptFile(key, src[i]!, sealed[i]!, { context: String(i) });
    ctx.log(`head CT: ${src.length} files, ${(bytes / 1e6).toFixed(1)} MB; catalogue: ${studies} studies x 2 series x 50 instances`);

    const { clearPath, encPath, migrateMs, catalogueBytes } = makeCatalogues(work, studies, key);
    const uids = sampleUids(clearPath);

    const out = (d: string) => join(work, d);
    const methods: { key: string; label: string; once: (rep: string) => Promise<number> }[] = [
      { key: 'read_plain', label: 'read 28 slices: readFile', once: async () => time(async () => { for (const f of src) await readFile(f); }) },
      { key: 'read_decrypt', label: 'read 28 slices: decryptFile', once: async () => time(async () => { for (let i = 0; i < sealed.length; i++) await decryptFile(key, sealed[i]!, { context: String(i) }); }) },
      {
        key: 'write_copy', label: 'write 28 slices: copyFile', once: async (rep) => {
          const d = out(`copy-${rep}`);
          mkdirSync(d);
          const ms = await time(async () => { for (let i = 0; i < src.length; i++) await copyFile(src[i]!, join(d, String(i))); });
          await rm(d, { recursive: true, force: true });
          return ms;
        },
      },
      {
        key: 'write_encrypt', label: 'write 28 slices: encryptFile', once: async (rep) => {
          const d = out(`enc-${rep}`);
          mkdirSync(d);
          const ms = await time(async () => { for (let i = 0; i < src.length; i++) await encryptFile(key, src[i]!, join(d, String(i)), { context: String(i) }); });
          await rm(d, { recursive: true, force: true });
          return ms;
        },
      },
      { key: 'catalogue_clear', label: 'catalogue workload: clear SQLite', once: async () => time(async () => workload(openClear(clearPath), uids)) },
      { key: 'catalogue_encrypted', label: 'catalogue workload: SQLCipher', once: async () => time(async () => workload(openEncryptedDatabase(encPath, key), uids)) },
    ];
    for (const m of methods) await m.once('warm');
    const samples: Record<string, number[]> = Object.fromEntries(methods.map((m) => [m.key, []]));
    for (let r = 1; r <= reps; r++) {
      for (const m of methods) samples[m.key]!.push(await m.once(String(r)));
      ctx.log(`rep ${r}/${reps}: ${methods.map((m) => `${m.key} ${samples[m.key]!.at(-1)!.toFixed(1)} ms`).join(', ')}`);
    }

    // The unlock, a few times (each is ~0.3-0.6 s of scrypt).
    const home = out('home');
    mkdirSync(home);
    (await createVault(home, { passphrase: 'bench passphrase' })).destroy();
    const unlock: number[] = [];
    for (let i = 0; i < (quick ? 2 : 5); i++) unlock.push(await time(async () => (await unlockWithPassphrase(home, 'bench passphrase')).destroy()));

    const res = Object.fromEntries(methods.map((m) => [m.key, { label: m.label, summary: summarize(samples[m.key]!) }]));
    const med = (k: string) => res[k]!.summary.median_ms;
    const ratios = {
      read_decrypt_over_plain: ratio(med('read_decrypt'), med('read_plain')),
      write_encrypt_over_copy: ratio(med('write_encrypt'), med('write_copy')),
      catalogue_encrypted_over_clear: ratio(med('catalogue_encrypted'), med('catalogue_clear')),
    };
    const json = {
      benchmark: 'vault',
      machine: machineInfo(ctx.repoRoot),
      load_average_1m_end: Math.round(os.loadavg()[0]! * 100) / 100,
      reps,
      corpus: { files: src.length, bytes },
      catalogue: { studies, instances: studies * 100, bytes: catalogueBytes, migrate_ms: Math.round(migrateMs) },
      kdf: { name: 'scrypt', ...SCRYPT_PARAMS, memory_mib: (128 * SCRYPT_PARAMS.N * SCRYPT_PARAMS.r) / 2 ** 20, unlock: summarize(unlock) },
      methods: res,
      ratios,
    };
    const row = (k: string, b?: number) =>
      `| ${res[k]!.label} | ${fmtMs(med(k))} | ${fmtMs(res[k]!.summary.min_ms)} | ${b ? mbPerS(b, med(k)) : '–'} |`;
    const md = [
      '## vault',
      '',
      `Encryption at rest (core/vault), in process, ${reps} reps interleaved after one warm-up, on ${json.machine.cpu_model} (${json.machine.cpu_count} CPUs; load ${json.load_average_1m_end} at the end).`,
      `Files: the ${src.length}-slice GE head CT (${(bytes / 1e6).toFixed(1)} MB), AES-256-GCM in 64 KiB chunks. Catalogue: the store's schema with ${studies} studies, ${studies * 2} series, ${studies * 100} instances (${(catalogueBytes / 1e6).toFixed(1)} MB), SQLCipher 4 (raw key) vs clear; a new connection per rep; workload: the worklist query 5 times, 500 instance look-ups by SOP Instance UID, series and instances of 50 studies, one transaction inserting a study of 200 instances.`,
      '',
      '| method | median | min | MB/s |',
      '| --- | ---: | ---: | ---: |',
      row('read_plain', bytes), row('read_decrypt', bytes), row('write_copy', bytes), row('write_encrypt', bytes), row('catalogue_clear'), row('catalogue_encrypted'),
      '',
      `- **read decrypted / readFile = ${ratios.read_decrypt_over_plain}×**; **encrypt-copy / copyFile = ${ratios.write_encrypt_over_copy}×**; **catalogue SQLCipher / clear = ${ratios.catalogue_encrypted_over_clear}×** (medians).`,
      `- Vault unlock (scrypt N=2^${Math.log2(SCRYPT_PARAMS.N)}, r=${SCRYPT_PARAMS.r}, p=${SCRYPT_PARAMS.p}, ${json.kdf.memory_mib} MiB): median ${fmtMs(json.kdf.unlock.median_ms)}.`,
      `- Encrypting the ${(catalogueBytes / 1e6).toFixed(1)} MB catalogue in place (the migration of a clear store's catalogue): ${fmtMs(migrateMs)}.`,
    ].join('\n');
    const written = writeResults(quick ? join(ctx.tmpRoot, 'results-smoke') : ctx.resultsDir, 'vault', json, md);
    ctx.log(`wrote ${written.json} and ${written.md}`);
    process.stdout.write(`\n${md}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function time(fn: () => Promise<void> | void): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function openClear(path: string): Database.Database {
  return new Database(path);
}

/** A catalogue made by the store (its migrations), filled with rows, then a copy encrypted in place. */
function makeCatalogues(work: string, studies: number, key: Buffer) {
  const home = join(work, 'cat-home');
  // The clear catalogue a store had before encryption at rest: the store's migrations, no key.
  const { db, source: src } = clearCatalogue(home);
  const now = new Date().toISOString();
  const p = db.prepare(`INSERT INTO patients (patient_key, source_id, PatientID, PatientName) VALUES (?, ?, ?, ?) RETURNING id`).pluck();
  const st = db.prepare(`INSERT INTO studies (StudyInstanceUID, patient_id, source_id, PatientName, PatientID, StudyDate, StudyDescription, imported_at) VALUES (?, ?, ?, ?, ?, ?, 'CT HEAD', ?) RETURNING id`).pluck();
  const se = db.prepare(`INSERT INTO series (SeriesInstanceUID, study_id, Modality, SeriesNumber) VALUES (?, ?, 'CT', ?) RETURNING id`).pluck();
  const ins = db.prepare(`INSERT INTO instances (SOPInstanceUID, series_id, SOPClassUID, InstanceNumber, TransferSyntaxUID, Rows, Columns, has_file_meta, file_path, file_size, imported_at)
    VALUES (?, ?, '1.2.840.10008.5.1.4.1.1.2', ?, '1.2.840.10008.1.2.1', 512, 512, 1, ?, 526000, ?)`);
  db.transaction(() => {
    for (let s = 0; s < studies; s++) {
      const pid = p.get(`k${s}`, src, `P${s}`, `PATIENT^${s}`) as number;
      const sid = st.get(`1.2.826.0.1.${s}`, pid, src, `PATIENT^${s}`, `P${s}`, `2026${String(1 + (s % 12)).padStart(2, '0')}15`, now) as number;
      for (let k = 1; k <= 2; k++) {
        const ser = se.get(`1.2.826.0.1.${s}.${k}`, sid, k) as number;
        for (let i = 1; i <= 50; i++) ins.run(`1.2.826.0.1.${s}.${k}.${i}`, ser, i, `files/${(s % 256).toString(16).padStart(2, '0')}/${s}-${k}-${i}.dcm`, now);
      }
    }
  }).immediate();
  db.close();
  const clearPath = join(home, 'store', 'catalogue.sqlite');
  const encPath = join(work, 'encrypted.sqlite');
  copyFileSync(clearPath, encPath);
  const t0 = performance.now();
  encryptDatabaseInPlace(encPath, key);
  const migrateMs = performance.now() - t0;
  return { clearPath, encPath, migrateMs, catalogueBytes: statSync(clearPath).size };
}

function sampleUids(path: string) {
  const db = new Database(path, { readonly: true });
  const sop = db.prepare('SELECT SOPInstanceUID FROM instances ORDER BY random() LIMIT 500').pluck().all() as string[];
  const study = db.prepare('SELECT StudyInstanceUID FROM studies ORDER BY random() LIMIT 50').pluck().all() as string[];
  db.close();
  return { sop, study };
}

let insertRound = 0;
/** What the app asks of its catalogue, as core/store/store.ts asks it (its listStudies/listSeries/listInstances/instanceFile reads). */
function workload(db: Database.Database, uids: { sop: string[]; study: string[] }): void {
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const worklist = db.prepare(`
      SELECT st.StudyInstanceUID, st.PatientName, st.StudyDate,
        (SELECT group_concat(m, '\\') FROM (SELECT DISTINCT Modality AS m FROM series WHERE study_id = st.id AND Modality <> '' ORDER BY m)) AS ModalitiesInStudy,
        (SELECT count(*) FROM series WHERE study_id = st.id) AS NumberOfStudyRelatedSeries,
        (SELECT count(*) FROM instances i JOIN series se ON i.series_id = se.id WHERE se.study_id = st.id) AS NumberOfStudyRelatedInstances,
        EXISTS (SELECT 1 FROM measurements WHERE study_id = st.id) AS has_measurements
      FROM studies st JOIN sources src ON src.id = st.source_id
      ORDER BY st.StudyDate DESC, st.StudyTime DESC, st.id DESC`);
    for (let i = 0; i < 5; i++) worklist.all();
    const file = db.prepare('SELECT file_path FROM instances WHERE SOPInstanceUID = ?').pluck();
    for (const u of uids.sop) file.get(u);
    const series = db.prepare(`SELECT se.id, se.SeriesInstanceUID FROM series se JOIN studies st ON st.id = se.study_id WHERE st.StudyInstanceUID = ? ORDER BY se.SeriesNumber`);
    const inst = db.prepare(`SELECT i.SOPInstanceUID, i.InstanceNumber, i.Rows, i.Columns FROM instances i WHERE i.series_id = ? ORDER BY i.InstanceNumber`);
    for (const u of uids.study) for (const s of series.all(u) as { id: number }[]) inst.all(s.id);
    const n = ++insertRound;
    const now = new Date().toISOString();
    db.transaction(() => {
      const src = db.prepare('SELECT id FROM sources LIMIT 1').pluck().get() as string;
      const pid = db.prepare(`INSERT INTO patients (patient_key, source_id, PatientID) VALUES (?, ?, ?) RETURNING id`).pluck().get(`bench-${n}-${process.pid}`, src, `B${n}`) as number;
      const sid = db.prepare(`INSERT INTO studies (StudyInstanceUID, patient_id, source_id, imported_at) VALUES (?, ?, ?, ?) RETURNING id`).pluck().get(`9.9.${process.pid}.${n}`, pid, src, now) as number;
      const ser = db.prepare(`INSERT INTO series (SeriesInstanceUID, study_id, Modality) VALUES (?, ?, 'CT') RETURNING id`).pluck().get(`9.9.${process.pid}.${n}.1`, sid) as number;
      const ins = db.prepare(`INSERT INTO instances (SOPInstanceUID, series_id, SOPClassUID, has_file_meta, file_path, file_size, imported_at) VALUES (?, ?, '1.2', 1, ?, 1, ?)`);
      for (let i = 0; i < 200; i++) ins.run(`9.9.${process.pid}.${n}.1.${i}`, ser, `files/zz/${process.pid}-${n}-${i}`, now);
    }).immediate();
  } finally {
    db.close();
  }
}
