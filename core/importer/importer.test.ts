// The importer and the StudyService over it, in-process: progress events, the worker-thread reader,
// archives (nested, encrypted, over the limits), odd inputs (a FIFO, a missing path), and the
// service's events. The CLI-level corpus, crash and hostile-input tests are under test/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { zipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import type { ImportProgress } from '../contract/studies.js';
import { StudyStore } from '../store/store.js';
import { LocalStudyService } from '../studies/service.js';
import { shared } from '../../test/shared-data.js';
import { importPaths } from './importer.js';
import { readSource } from '../vault/file-cipher.js';
import { DEFAULT_ZIP_LIMITS, walkInputs, type Candidate } from './walk.js';
import { unlockTestHome } from '../../test/vault.js';

let work: string;
let store: StudyStore;
beforeEach(async () => {
  work = mkdtempSync(join(tmpdir(), 'amur-'));
  await unlockTestHome(join(work, 'home'));
  store = StudyStore.open(join(work, 'home'));
});
afterEach(() => {
  store.close();
  rmSync(work, { recursive: true, force: true });
});

const sample = () => shared('dicom', 'dicomweb-client', 'testData');
const sampleFiles = () => readdirSync(sample()).filter((n) => n.endsWith('.dcm')).map((n) => join(sample(), n));

describe('importPaths', () => {
  test('reports progress that only grows and ends accounted for, with the walk marked done', async () => {
    const events: ImportProgress[] = [];
    const r = await importPaths(store, [shared('dicom', 'dcmjs')], { workers: 0, onProgress: (p) => events.push(p), progressIntervalMs: 0 });
    assert.ok(events.length > 2);
    for (let i = 1; i < events.length; i++) {
      for (const k of ['imported', 'duplicates', 'rejected'] as const) assert.ok(events[i][k] >= events[i - 1][k], `${k} never goes back`);
    }
    const last = events[events.length - 1];
    assert.equal(last.walkDone, true);
    assert.equal(last.imported, r.imported);
    assert.equal(last.seen, last.imported + last.duplicates + last.rejected);
    assert.ok(r.imported >= 8);
  });

  test('into a store still being opened (the CLI deriving its key): every file is read first, then stored as into an open one', async () => {
    const events: ImportProgress[] = [];
    let open!: (s: StudyStore) => void;
    const opened = new Promise<StudyStore>((r) => { open = r; });
    const importing = importPaths({ home: store.home, opened }, [shared('dicom', 'dcmjs')], {
      workers: 0, progressIntervalMs: 0,
      onProgress: (p) => {
        events.push(p);
        // The walk reaches its end while nothing could be stored yet; then the store opens.
        if (p.walkDone) open(store);
      },
    });
    const r = await importing;
    const atWalkEnd = events.find((e) => e.walkDone)!;
    assert.equal(atWalkEnd.imported, 0, 'nothing stored before the store was open');
    assert.ok(atWalkEnd.seen >= 8, 'but every file was walked and read');
    await unlockTestHome(join(work, 'other'));
    const other = StudyStore.open(join(work, 'other'));
    try {
      assert.deepEqual(r, await importPaths(other, [shared('dicom', 'dcmjs')], { workers: 0 }));
      assert.equal(store.listStudies().length, other.listStudies().length);
    } finally {
      other.close();
    }
  });

  test('a store that cannot be opened (a wrong passphrase) fails the import with its reason, and nothing is left behind', async () => {
    const refused = Object.assign(new Error('wrong passphrase'), { code: 'vault.wrongPassphrase' });
    const opened = Promise.reject(refused);
    await assert.rejects(importPaths({ home: store.home, opened }, [shared('dicom', 'dcmjs')], { workers: 0 }), (e) => e === refused);
    assert.deepEqual(store.listStudies(), []);
    assert.deepEqual(readdirSync(store.tmpDir), []);
  });

  test('reading headers in worker threads gives the same catalogue as on the calling thread', async () => {
    const viaWorkers = await importPaths(store, [shared('dicom', 'dcmjs')], { workers: 2 });
    await unlockTestHome(join(work, 'other'));
    const other = StudyStore.open(join(work, 'other'));
    try {
      const inline = await importPaths(other, [shared('dicom', 'dcmjs')], { workers: 0 });
      assert.deepEqual(viaWorkers, inline);
      const strip = (s: StudyStore) => s.listStudies().map(({ source: _s, importedAt: _i, ...rest }) => rest);
      assert.deepEqual(strip(store), strip(other));
    } finally {
      other.close();
    }
  });

  test('a zip inside a zip is opened; an encrypted entry is refused by name; nothing extracted stays', async () => {
    const files = sampleFiles();
    const inner = zipSync({ 'b.dcm': new Uint8Array(readFileSync(files[1])) });
    const outer = join(work, 'outer.zip');
    writeFileSync(outer, zipSync({ 'a.dcm': new Uint8Array(readFileSync(files[0])), 'nested/inner.zip': inner }));
    // zip(1) encrypts with the traditional PKWARE cipher, which yauzl does not decrypt.
    const plain = join(work, 'plain');
    mkdirSync(plain);
    copyFileSync(files[2], join(plain, 'c.dcm'));
    const secret = join(work, 'secret.zip');
    const z = spawnSync('zip', ['-q', '-j', '-P', 'hunter2', secret, join(plain, 'c.dcm')]);
    assert.equal(z.status, 0, String(z.stderr));

    const r = await importPaths(store, [outer, secret], { workers: 0 });
    assert.equal(r.imported, 2);
    assert.deepEqual(r.rejected.map((x) => [x.path, x.code]), [[`${secret}/c.dcm`, 'import.encryptedEntry']]);
    assert.match(r.rejected[0].reason, /secret\.zip\/c\.dcm/);
    assert.deepEqual(readdirSync(store.tmpDir), []);
  });

  test('an extracted entry waits in the temp folder sealed: no clear DICOM on disk, even nested', async () => {
    const files = sampleFiles();
    const inner = zipSync({ 'b.dcm': new Uint8Array(readFileSync(files[1])) });
    const outer = join(work, 'outer.zip');
    writeFileSync(outer, zipSync({ 'a.dcm': new Uint8Array(readFileSync(files[0])), 'nested/inner.zip': inner }));
    const cleanups: (() => Promise<void>)[] = [];
    const seen: string[] = [];
    for await (const item of walkInputs([outer], store, cleanups)) {
      assert.ok(!('rejected' in item), JSON.stringify(item));
      const c = item as Candidate;
      seen.push(c.displayPath);
      assert.ok(c.path.startsWith(store.tmpDir) && c.sealed, 'an entry lies sealed in the store temp folder');
      assert.ok(!readFileSync(c.path).includes(Buffer.from('DICM')), `${c.displayPath} is not on disk in clear`);
      assert.ok((await readSource(c.sealed)).subarray(128, 132).equals(Buffer.from('DICM')), 'it opens to the DICOM file');
    }
    for (const c of cleanups) await c();
    assert.deepEqual(seen.sort(), [`${outer}/a.dcm`, `${outer}/nested/inner.zip/b.dcm`]);
  });

  test('a zip archive is recognised by its content when its name does not say so; endless nesting is refused', async () => {
    const files = sampleFiles();
    const exported = join(work, 'export');
    writeFileSync(exported, zipSync({ 'a.dcm': new Uint8Array(readFileSync(files[0])), 'b.dcm': new Uint8Array(readFileSync(files[1])) }));
    // Archives inside archives under names that hide what they are, deeper than the limit.
    let nested: Uint8Array = zipSync({ 'c.dcm': new Uint8Array(readFileSync(files[2])) });
    for (let i = 0; i < DEFAULT_ZIP_LIMITS.maxDepth + 1; i++) nested = zipSync({ [`level${i}`]: nested });
    const deep = join(work, 'deep');
    writeFileSync(deep, nested);
    const r = await importPaths(store, [exported, deep], { workers: 0 });
    assert.equal(r.imported, 2);
    assert.deepEqual(r.rejected.map((x) => x.code), ['import.archiveTooDeep']);
    // deep is the first archive, level3 the second, level2 the third; level1 would be the fourth.
    assert.equal(r.rejected[0].path, join(deep, 'level3', 'level2', 'level1'));
    assert.deepEqual(readdirSync(store.tmpDir), []);
  });

  test('archives over the limits are refused before anything is extracted', async () => {
    const files = sampleFiles();
    const many = join(work, 'many.zip');
    writeFileSync(many, zipSync(Object.fromEntries(files.map((f, i) => [`${i}.dcm`, new Uint8Array(readFileSync(f))]))));
    const bomb = join(work, 'bomb.zip');
    writeFileSync(bomb, zipSync({ 'x.dcm': new Uint8Array(8 * 1024 ** 2) }, { level: 9 }));
    const r = await importPaths(store, [many, bomb], { workers: 0, zipLimits: { ...DEFAULT_ZIP_LIMITS, maxEntries: 2 } });
    assert.equal(r.imported, 0);
    assert.deepEqual(r.rejected.map((x) => x.code), ['import.archiveBomb', 'import.archiveTooLarge']);
    assert.deepEqual(readdirSync(store.tmpDir), []);
  });

  test('a missing path is rejected by name, a FIFO is passed over without blocking, and the rest imports', async () => {
    const dir = join(work, 'in');
    mkdirSync(dir);
    copyFileSync(sampleFiles()[0], join(dir, 'one.dcm'));
    assert.equal(spawnSync('mkfifo', [join(dir, 'pipe')]).status, 0);
    const r = await importPaths(store, [dir, join(work, 'nowhere.dcm')], { workers: 0, lang: 'ru' });
    assert.equal(r.imported, 1);
    assert.deepEqual(r.rejected.map((x) => x.code), ['import.notFound']);
    assert.match(r.rejected[0].reason, /nowhere\.dcm: нет такого файла или папки/);
  });

  test('a folder that holds the store itself is imported without walking into the store', async () => {
    const f = sampleFiles()[0];
    copyFileSync(f, join(work, 'one.dcm'));
    // work/ holds work/home/store: importing work/ twice must not read the store's own files.
    const first = await importPaths(store, [work], { workers: 0 });
    const again = await importPaths(store, [work], { workers: 0 });
    assert.equal(first.imported, 1);
    assert.deepEqual([again.imported, again.duplicates, again.rejected.length], [0, 1, 0]);
  });

  test('the same file given twice, or two copies of one instance, is stored once', async () => {
    const f = sampleFiles()[0];
    const dir = join(work, 'copies');
    mkdirSync(dir);
    copyFileSync(f, join(dir, 'copy1.dcm'));
    copyFileSync(f, join(dir, 'copy2.dcm'));
    const r = await importPaths(store, [f, f, dir], { workers: 0 });
    assert.equal(r.imported, 1);
    assert.equal(r.duplicates, 2, 'the two copies; the path given twice is read once');
    assert.equal(store.allFilePaths().length, 1);
  });

  test('an instance naming a series that belongs to another study is refused with the reason; the study that has it stays readable', async () => {
    const ct = shared('dicom', 'dcm_qa_ct', 'In', 'GE', '01.dcm');
    const other = join(work, 'other-study.dcm');
    copyFileSync(ct, other);
    // A second study (new Study and SOP Instance UIDs) that reuses the first's series UID: a sender's error.
    const m = spawnSync('dcmodify', ['-nb', '-gst', '-gin', other], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    const r = await importPaths(store, [ct, other], { workers: 0, lang: 'ru' });
    assert.equal(r.imported, 1);
    assert.deepEqual(r.rejected.map((x) => [x.path, x.code]), [[other, 'store.seriesInOtherStudy']]);
    const [study] = store.listStudies();
    assert.match(r.rejected[0].reason, new RegExp(`серия .*${study.StudyInstanceUID.replace(/\./g, '\\.')}`));
    assert.equal(store.listStudies().length, 1);
    // Every stored file opens under its study's key.
    for (const s of store.listSeries(study.StudyInstanceUID)) {
      for (const i of store.listInstances(s.SeriesInstanceUID)) assert.ok((await readSource(store.instanceFile(i.SOPInstanceUID)!)).length > 0);
    }
  });
});

describe('LocalStudyService', () => {
  test('imports with progress events, announces the changed studies, and lists series and instances', async () => {
    const service = new LocalStudyService(store, { importOptions: { workers: 1 } });
    const progress: ImportProgress[] = [];
    const changed: string[][] = [];
    const off = service.onDidImportProgress((p) => progress.push(p));
    service.onDidChangeStudies((e) => changed.push(e.StudyInstanceUIDs));
    const r = await service.importPaths([sample()]);
    off();
    assert.ok(progress.length > 0 && progress[progress.length - 1].walkDone);
    assert.deepEqual(changed, [r.studies]);
    const studies = await service.listStudies();
    assert.deepEqual(studies.map((s) => s.StudyInstanceUID).sort(), [...r.studies].sort());
    const series = await service.listSeries(studies[0].StudyInstanceUID);
    assert.equal(series.length, studies[0].NumberOfStudyRelatedSeries);
    const instances = await service.listInstances(series[0].SeriesInstanceUID);
    assert.equal(instances.length, series[0].NumberOfSeriesRelatedInstances);
    assert.ok(instances.every((i) => i.SOPInstanceUID && i.TransferSyntaxUID));

    // Nothing new: no change event.
    await service.importPaths([sample()]);
    assert.equal(changed.length, 1);
    await service.dispose();
  });

  test('refuses arguments that are not a list of paths', async () => {
    const service = new LocalStudyService(store);
    await assert.rejects(service.importPaths('/etc' as any), (e: any) => e.code === 'import.badArguments');
    await assert.rejects(service.importPaths([42] as any), (e: any) => e.code === 'import.badArguments');
  });
});
