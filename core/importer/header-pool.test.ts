// The header-reading pool when workers misbehave: a worker that dies on a file fails that file
// only and is replaced; workers that cannot start at all make the pool read on the calling thread.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shared } from '../../test/shared-data.js';
import { HeaderPool } from './header-pool.js';

const file = () => shared('dicom', 'dcmjs', 'test', 'sample-dicom.dcm');

test('reads headers in worker threads', async () => {
  const pool = new HeaderPool(2);
  try {
    const h = await pool.read(file());
    assert.ok(h.attributes.SOPInstanceUID);
    assert.equal(pool.usesWorkers, true);
  } finally {
    await pool.close();
  }
});

test('a worker that dies on a file fails that file by name, and the pool goes on with a fresh one', async () => {
  const pool = new HeaderPool(1, false, new URL('./fixtures/crashing.worker.ts', import.meta.url));
  try {
    await assert.rejects(pool.read(file()), (e: any) => e.code === 'import.readerFailed' && e.params.path === file());
    assert.equal(pool.usesWorkers, true, 'replaced, not given up');
    // After enough deaths the pool stops respawning and reads here instead.
    for (let i = 0; i < 20 && pool.usesWorkers; i++) await pool.read(file()).catch(() => undefined);
    assert.equal(pool.usesWorkers, false);
    assert.ok((await pool.read(file())).attributes.SOPInstanceUID);
  } finally {
    await pool.close();
  }
});

test('workers that cannot start make the pool read on the calling thread, never hang', async () => {
  const pool = new HeaderPool(2, false, new URL('./fixtures/no-such.worker.ts', import.meta.url));
  try {
    const h = await pool.read(file());
    assert.ok(h.attributes.SOPInstanceUID);
    assert.equal(pool.usesWorkers, false);
  } finally {
    await pool.close();
  }
});
