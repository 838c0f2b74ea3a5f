// Two processes on one store, as when the desktop app is open while `amur import` runs: two imports
// of the same files at once store each instance once, and a reconcile scan started by another
// process in the middle of an import (after an earlier crash) takes none of the import's files.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import type { ImportProgress } from '../core/contract/studies.js';
import { SCHEMA_VERSION } from '../core/store/migrations.js';
import { StudyStore } from '../core/store/store.js';
import { makeCopiedCt } from './import-helpers.js';
import { REPO_ROOT, shared } from './shared-data.js';
import { unlockTestHome } from './vault.js';

const AMUR = join(REPO_ROOT, 'bin', 'amur.js');

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'amur-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Resolves on the first progress line that satisfies the predicate. */
  progress(when: (p: ImportProgress) => boolean): Promise<ImportProgress>;
}

function startAmur(home: string, args: string[]): Run {
  const child = spawn(process.execPath, [AMUR, ...args], { env: { ...process.env, AMUR_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const waiters: { when: (p: ImportProgress) => boolean; resolve: (p: ImportProgress) => void }[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const p = JSON.parse(line) as ImportProgress;
    for (const w of [...waiters]) {
      if (!w.when(p)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(p);
    }
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { done, progress: (when) => new Promise((resolve) => waiters.push({ when, resolve })) };
}

async function assertConsistent(home: string): Promise<number> {
  await unlockTestHome(home);
  const store = StudyStore.open(home);
  try {
    const rows = store.allFilePaths();
    for (const r of rows) assert.equal(statSync(store.absolutePath(r.file_path)).size, r.file_size, `file of ${r.SOPInstanceUID}`);
    const referenced = new Set(rows.map((r) => store.absolutePath(r.file_path)));
    const onDisk = readdirSync(store.filesDir).flatMap((d) => readdirSync(join(store.filesDir, d)).map((f) => join(store.filesDir, d, f)));
    assert.deepEqual(onDisk.filter((f) => !referenced.has(f)), []);
    return rows.length;
  } finally {
    store.close();
  }
}

test('several processes opening a new store at the same moment all succeed, migrating it once', async () => {
  const home = join(work, 'fresh');
  const runs = await Promise.all(Array.from({ length: 4 }, () => startAmur(home, ['studies', '--json']).done));
  for (const r of runs) {
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), []);
  }
  await unlockTestHome(home);
  const store = StudyStore.open(home);
  try {
    assert.equal(store.schemaVersion, SCHEMA_VERSION);
    assert.equal(store.listSources().length, 0);
  } finally {
    store.close();
  }
});

test('two imports of the same files at once store every instance once', async () => {
  const home = join(work, 'both');
  const inputs = [shared('dicom', 'dcm_qa_ct', 'In', 'GE'), shared('dicom', 'dcmjs')];
  const a = startAmur(home, ['import', ...inputs, '--json']);
  const b = startAmur(home, ['import', ...inputs.reverse(), '--json']);
  const [ra, rb] = await Promise.all([a.done, b.done]);
  assert.equal(ra.code, 0, ra.stderr);
  assert.equal(rb.code, 0, rb.stderr);
  const sa = JSON.parse(ra.stdout);
  const sb = JSON.parse(rb.stdout);
  const stored = await assertConsistent(home);
  // Each process accounts for every instance once, as new or as already stored by the other.
  assert.equal(sa.imported + sa.duplicates, sb.imported + sb.duplicates);
  assert.equal(sa.imported + sb.imported, stored);
  // The same as one import alone stores.
  const alone = await startAmur(join(work, 'alone'), ['import', ...inputs, '--json']).done;
  assert.equal(stored, JSON.parse(alone.stdout).imported);
  assert.ok(stored > 28);
});

test('a reconcile scan by another process in the middle of an import takes none of its files', async () => {
  const home = join(work, 'scan');
  const corpus = join(work, 'corpus');
  const total = makeCopiedCt(corpus, 12);
  const run = startAmur(home, ['import', corpus, '--json', '--progress']);
  const during = await run.progress((p) => p.imported > 0);
  // As if an earlier process had died with the store open: this open scans files/ and the rows
  // while the child is still importing.
  writeFileSync(join(home, 'store', 'locks', '999999.dead'), '');
  await unlockTestHome(home);
  const store = StudyStore.open(home);
  const report = store.lastReconcile!;
  store.close();
  const r = await run.done;
  assert.equal(report.swept, true, 'the scan ran');
  assert.ok(during.imported + during.duplicates < total, 'the scan started while files remained');
  assert.equal(r.code, 0);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual(summary.rejected, []);
  assert.equal(summary.imported, total, 'no file of the running import was lost to the scan');
  assert.equal(await assertConsistent(home), total);
});
