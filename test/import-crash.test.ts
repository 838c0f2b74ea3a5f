// kill -9 in the middle of an import must leave a store that opens, whose every catalogue row points
// to a whole file that parses as the instance the row names, with no temp or unreferenced files
// once reconciled, and from which a re-import completes the set. The corpus is a real CT series
// (the GE head CT of the shared data) copied into several studies with fresh UIDs by dcmtk's
// dcmodify, large enough that the import is still running when the child reports its first commit;
// the test kills on that report (a progress line on stderr), never after a fixed time.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import type { ImportProgress } from '../core/contract/studies.js';
import { readDicomHeaderFromBytes } from '../core/dicom/header.js';
import { StudyStore } from '../core/store/store.js';
import { makeCopiedCt } from './import-helpers.js';
import { REPO_ROOT } from './shared-data.js';
import { unlockTestHome } from './vault.js';

const AMUR = join(REPO_ROOT, 'bin', 'amur.js');
// Large enough that an import is still running when the kill arrives: the CLI reads up to 128 MiB
// ahead while its key is derived, then seals and commits in batches of 256, so a corpus of a few
// batches could be done before its first progress line has reached this process.
const COPIES = 40;

let work: string;
let corpus: string;
let total: number;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'amur-'));
  corpus = join(work, 'corpus');
  total = makeCopiedCt(corpus, COPIES);
});
after(() => rmSync(work, { recursive: true, force: true }));

/**
 * Starts `amur import --progress` and SIGKILLs it on the first progress line for which `when`
 * holds while files remain. Resolves with the last progress seen, or with null when the child
 * finished before the kill landed.
 */
function importAndKill(home: string, when: (p: ImportProgress) => boolean): Promise<ImportProgress | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AMUR, 'import', corpus, '--progress', '--json'], {
      env: { ...process.env, AMUR_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let last: ImportProgress | null = null;
    let killed = false;
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (killed || !line.startsWith('{')) return;
      const p = JSON.parse(line) as ImportProgress;
      last = p;
      if (when(p) && p.imported + p.duplicates < total) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stdout!.resume();
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else if (code === 0) resolve(null);
      else reject(new Error(`amur import exited with ${code}`));
    });
  });
}

/** Everything a user relies on after a crash, checked on the store as the next open leaves it. */
async function assertConsistent(home: string): Promise<number> {
  await unlockTestHome(home);
  const store = StudyStore.open(home);
  try {
    assert.equal(store.db.pragma('integrity_check', { simple: true }), 'ok');
    const rows = store.allFilePaths();
    for (const r of rows) {
      const file = store.absolutePath(r.file_path);
      assert.ok(existsSync(file), `row ${r.SOPInstanceUID} has its file`);
      assert.equal(statSync(file).size, r.file_size, `file of ${r.SOPInstanceUID} is whole`);
      // It opens under its study's key with its own UID bound in, and is the instance its row names.
      const h = await readDicomHeaderFromBytes((await store.readInstance(r.SOPInstanceUID))!, { path: file });
      assert.equal(h.attributes.SOPInstanceUID, r.SOPInstanceUID, 'the file is the instance its row names');
    }
    const referenced = new Set(rows.map((r) => store.absolutePath(r.file_path)));
    const onDisk = readdirSync(store.filesDir).flatMap((d) => readdirSync(join(store.filesDir, d)).map((f) => join(store.filesDir, d, f)));
    assert.deepEqual(onDisk.filter((f) => !referenced.has(f)), [], 'no file without a row');
    assert.deepEqual(readdirSync(store.tmpDir), [], 'no temp files');
    // Every study and series row has instances: nothing half-catalogued.
    const empty = store.db.prepare(`SELECT count(*) FROM series WHERE NOT EXISTS (SELECT 1 FROM instances WHERE series_id = series.id)`).pluck().get();
    assert.equal(empty, 0);
    return rows.length;
  } finally {
    store.close();
  }
}

test('an import killed with SIGKILL leaves a consistent store, and a re-import completes it', async (t) => {
  const home = join(work, 'home');
  let stored = 0;
  const kills: string[] = [];
  // Two kills at different points: on the first commit of a fresh import, then on a resumed import
  // as soon as it has gone past what the first one stored (copies may be in flight, or a commit).
  const rounds: ((p: ImportProgress) => boolean)[] = [(p) => p.imported > 0, (p) => p.imported > 0 || p.duplicates >= stored];
  for (const [round, when] of rounds.entries()) {
    const last = await importAndKill(home, when);
    assert.ok(last, `round ${round}: the import finished before it could be killed; make the corpus larger`);
    const tmpLeft = readdirSync(join(home, 'store', 'tmp')).length;
    const before = stored;
    stored = await assertConsistent(home);
    assert.ok(stored - before >= last!.imported, `round ${round}: every reported commit survived (${stored - before} < ${last!.imported})`);
    assert.ok(stored >= before && stored < total, `round ${round}: killed mid-way (${stored} of ${total})`);
    if (round === 0) assert.ok(stored > 0, 'the first kill came after a commit');
    kills.push(`killed at ${stored}/${total} stored, ${tmpLeft} temp entries left`);
  }
  const r = spawnSync(process.execPath, [AMUR, 'import', corpus, '--json'], { encoding: 'utf8', env: { ...process.env, AMUR_HOME: home } });
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual(summary.rejected, []);
  assert.equal(summary.imported + summary.duplicates, total);
  assert.equal(summary.duplicates, stored, 'what survived the kills is recognised, not stored again');
  assert.equal(await assertConsistent(home), total);
  await unlockTestHome(home);
  const store = StudyStore.open(home);
  try {
    const studies = store.listStudies();
    assert.equal(studies.length, COPIES);
    assert.ok(studies.every((s) => s.NumberOfStudyRelatedInstances === total / COPIES && s.NumberOfStudyRelatedSeries === 1));
  } finally {
    store.close();
  }
  t.diagnostic(kills.join('; '));
});
